"""Ending a sign-in reaches its open Socket.IO connections: the process that ends it closes them
at once (`sign_in.ended`), every other process closes its own at its next scheduler tick
(realtime/sign_in_ends.sweep), and meanwhile the session loader refuses their events."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from forum.extensions import db, socketio
from forum.models import SignIn
from forum.realtime import sign_in_ends
from forum.services import clock, jobs
from forum.services.accounts import sign_ins, two_factor
from forum.services.chat import messages as chat
from tests.conftest import PASSWORD, csrf_from, login
from tests.fixtures.chat import emit, make_room, received


def _http(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _sock(app, client, namespace="/chat"):
    sock = socketio.test_client(app, namespace=namespace, flask_test_client=client)
    assert sock.is_connected(namespace)
    return sock


def _sign_in_of(client) -> int:
    with client.session_transaction() as session:
        return session["sign_in"]


def _end(client, sign_in_id: int):
    response = client.post(f"/account/sessions/{sign_in_id}/end",
                           data={"csrf_token": csrf_from(client, "/account/sessions")})
    assert response.status_code == 302
    return response


def test_ending_a_sign_in_disconnects_its_chat_connections_at_once(app, member):
    keeper, ended = _http(app, member), _http(app, member)
    keeper_sock, ended_socks = _sock(app, keeper), [_sock(app, ended), _sock(app, ended)]
    _end(keeper, _sign_in_of(ended))
    assert not any(sock.is_connected("/chat") for sock in ended_socks)
    # The member's other sign-in keeps its connection, and it still works.
    assert keeper_sock.is_connected("/chat")
    make_room()
    assert emit(keeper_sock, "join", {"room": "coffee-room"})["ok"]
    # A new connection with the ended sign-in's cookie is refused.
    assert not socketio.test_client(app, namespace="/chat",
                                    flask_test_client=ended).is_connected("/chat")


def test_a_moderators_mod_and_chat_connections_close_with_the_sign_in(app, trained_moderator):
    desk, laptop = _http(app, trained_moderator), _http(app, trained_moderator)
    mod, chat_sock = _sock(app, laptop, "/mod"), _sock(app, laptop)
    desk_mod = _sock(app, desk, "/mod")
    _end(desk, _sign_in_of(laptop))
    assert not mod.is_connected("/mod")
    assert not chat_sock.is_connected("/chat")
    assert desk_mod.is_connected("/mod")
    assert not socketio.test_client(app, namespace="/mod",
                                    flask_test_client=laptop).is_connected("/mod")


def test_ending_all_others_and_a_new_password_close_the_other_connections(app, member):
    here, there, elsewhere = _http(app, member), _http(app, member), _http(app, member)
    here_sock, there_sock = _sock(app, here), _sock(app, there)
    here.post("/account/sessions/end-others",
              data={"csrf_token": csrf_from(here, "/account/sessions")})
    assert not there_sock.is_connected("/chat")
    assert here_sock.is_connected("/chat")
    login(elsewhere, member)
    elsewhere_sock = _sock(app, elsewhere)
    new = "a quieter river at dusk"
    answer = here.post("/account/password", data={
        "current_password": PASSWORD, "password": new, "password_confirm": new,
        "csrf_token": csrf_from(here, "/account")})
    assert answer.status_code == 302
    assert not elsewhere_sock.is_connected("/chat")
    assert here_sock.is_connected("/chat")


def test_an_admin_ending_an_accounts_sessions_closes_its_connections(app, admin, member):
    phone, tablet = _http(app, member), _http(app, member)
    socks = [_sock(app, phone), _sock(app, tablet)]
    boss = _http(app, admin)
    boss_sock = _sock(app, boss)
    response = boss.post(f"/review/team/people/{member.id}/sessions/end", data={
        "csrf_token": csrf_from(boss, f"/review/team/people?name={member.pseudonym}")})
    assert response.status_code == 302
    assert not any(sock.is_connected("/chat") for sock in socks)
    assert boss_sock.is_connected("/chat")


def test_removing_a_second_factor_closes_the_other_connections(app, member):
    here, there = _http(app, member), _http(app, member)
    here_sock, there_sock = _sock(app, here), _sock(app, there)
    for browser in (here, there):  # as if both had signed in with the app
        db.session.get(SignIn, _sign_in_of(browser)).second_factor = "totp"
    db.session.commit()
    secret = two_factor.do_begin_totp(member).secret
    two_factor.check_confirm_totp(member, pyotp.TOTP(secret).now())
    assert there_sock.is_connected("/chat")  # sign-ins opened with a factor go on
    member.sign_in = db.session.get(SignIn, _sign_in_of(here))  # acting from `here`
    try:
        two_factor.check_remove_totp(member)
    finally:
        member.sign_in = None
    assert not there_sock.is_connected("/chat")
    assert here_sock.is_connected("/chat")


def test_a_first_factor_closes_the_connections_of_password_only_sign_ins(app, member):
    here, there = _http(app, member), _http(app, member)
    here_sock, there_sock = _sock(app, here), _sock(app, there)
    member.sign_in = db.session.get(SignIn, _sign_in_of(here))  # acting from `here`
    try:
        secret = two_factor.do_begin_totp(member).secret
        two_factor.check_confirm_totp(member, pyotp.TOTP(secret).now())
    finally:
        member.sign_in = None
    assert not there_sock.is_connected("/chat")
    assert here_sock.is_connected("/chat")


def test_the_disconnect_tells_the_room_and_counts_the_member_out(app, admin, member,
                                                                  second_member, monkeypatch):
    make_room()
    stays, goes = _http(app, second_member), _http(app, member)
    watcher, leaver = _sock(app, stays), _sock(app, goes)
    assert emit(watcher, "join", {"room": "coffee-room"})["ok"]
    assert emit(leaver, "join", {"room": "coffee-room"})["ok"]
    received(watcher, "presence")
    noted: list[tuple[int, bool]] = []
    monkeypatch.setattr(chat, "note_presence",
                        lambda room, user_id, joined, count: noted.append((user_id, joined)))
    boss = _http(app, admin)
    response = boss.post(f"/review/team/people/{member.id}/sessions/end", data={
        "csrf_token": csrf_from(boss, f"/review/team/people?name={member.pseudonym}")})
    assert response.status_code == 302
    assert not leaver.is_connected("/chat")
    assert received(watcher, "presence")[-1] == {"room": "coffee-room", "count": 1}
    # The connection had no user any more, yet attendance counts the right member out (not
    # the account whose request ended the sign-in).
    assert noted == [(member.id, False)]


def test_the_loader_refuses_events_until_the_sweep_closes_the_connection(app, member,
                                                                          monkeypatch):
    # As on a process that did not end the sign-in: nothing closes the connection at once.
    make_room()
    keeper, ended = _http(app, member), _http(app, member)
    sock = _sock(app, ended)
    kept = _sock(app, keeper)
    monkeypatch.setattr(sign_in_ends, "disconnect_here", lambda ids: 0)
    _end(keeper, _sign_in_of(ended))
    assert sock.is_connected("/chat")
    ack = emit(sock, "join", {"room": "coffee-room"})
    assert ack["ok"] is False and ack["error"] in ("forbidden", "not_found")
    sent = emit(sock, "send", {"room": "coffee-room", "client_id": "c-1",
                               "text": "Anyone here?"})
    assert sent["ok"] is False and sent["error"] == "not_joined"
    assert emit(kept, "join", {"room": "coffee-room"})["ok"]  # the other sign-in still may
    assert sign_in_ends.sweep() == 1
    assert not sock.is_connected("/chat")
    assert kept.is_connected("/chat")
    assert sign_in_ends.sweep() == 0
    assert "accounts.sign_in_ends" in jobs.run_local()


def test_the_sweep_closes_connections_of_a_deleted_account(app, member):
    client = _http(app, member)
    sock = _sock(app, client)
    # Deleted straight in the database, as another process would leave it.
    db.session.execute(SignIn.__table__.delete())
    db.session.commit()
    assert sock.is_connected("/chat")
    assert jobs.run_local()["accounts.sign_in_ends"] == 1
    assert not sock.is_connected("/chat")


@pytest.fixture
def moment(monkeypatch):
    """A settable clock: moment[0] is now."""
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    return now


def test_an_idle_staff_session_loses_its_connections(app, trained_moderator, member, moment):
    staff, person = _http(app, trained_moderator), _http(app, member)
    mod, person_sock = _sock(app, staff, "/mod"), _sock(app, person)
    moment[0] += timedelta(minutes=61)
    # Past the deadline, before the job ran: the sweep already closes it.
    assert sign_in_ends.sweep() == 1
    assert not mod.is_connected("/mod")
    mod = _sock(app, _http(app, trained_moderator), "/mod")
    moment[0] += timedelta(minutes=61)
    # The job ends both idle sessions (the first one's row was left for it), and the event
    # closes the second one's connection at once.
    assert sign_ins.end_idle(clock.now()) == 2
    assert not mod.is_connected("/mod")
    assert person_sock.is_connected("/chat")  # a member's session never idles out


# --- A real client against a served forum --------------------------------------------------


def _browser(base: str, pseudonym: str, password: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    opener.open(base + "/login", data=urllib.parse.urlencode(
        {"pseudonym": pseudonym, "password": password, "csrf_token": token}).encode(),
        timeout=10)
    assert any(c.name == "session" for c in jar)
    return opener, "; ".join(f"{c.name}={c.value}" for c in jar)


@pytest.mark.live
def test_a_live_connection_is_closed_when_another_browser_ends_its_sign_in(tmp_path):
    import socketio as python_socketio

    from tests.e2e.flows import DEMO_PASSWORD
    from tests.livesrv import live_forum

    with live_forum(tmp_path) as base:
        here, _cookie = _browser(base, "steady-heron", DEMO_PASSWORD)
        _there, cookie = _browser(base, "steady-heron", DEMO_PASSWORD)
        client = python_socketio.Client(reconnection=False)
        closed = threading.Event()
        client.on("disconnect", lambda *_args: closed.set(), namespace="/chat")
        client.connect(base, namespaces=["/chat"], transports=["websocket"],
                       headers={"Cookie": cookie}, wait_timeout=10)
        try:
            assert client.call("join", {"room": "coffee-room"}, namespace="/chat",
                               timeout=10)["ok"]
            page = here.open(base + "/account/sessions", timeout=10).read().decode()
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            assert "Log out the other device" in page
            here.open(base + "/account/sessions/end-others",
                      data=urllib.parse.urlencode({"csrf_token": token}).encode(), timeout=10)
            assert closed.wait(10), "the ended sign-in's connection stayed open"
            again = python_socketio.Client(reconnection=False)
            with pytest.raises(python_socketio.exceptions.ConnectionError):
                again.connect(base, namespaces=["/chat"], transports=["websocket"],
                              headers={"Cookie": cookie}, wait_timeout=10)
        finally:
            client.disconnect()


# --- Two processes: the one that did not end the sign-in closes its connection too ----------


@pytest.mark.live
@pytest.mark.services
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_connection_on_another_process_closes_within_a_tick(tmp_path):
    from tests.fixtures import scaleout as so

    with so.deployment(tmp_path, "forum_scaleout_sign_ins") as (_env, (a, b)):
        here = so.login(a.url, "steady-heron")
        there = so.login(b.url, "steady-heron")
        kept = so.Listener(a.url, here, "/chat")
        listener = so.Listener(b.url, there, "/chat")
        closed = threading.Event()
        listener.client.on("disconnect", lambda *_args: closed.set(), namespace="/chat")
        try:
            assert listener.call("join", {"room": "coffee-room"})["ok"]
            token = so.csrf_token(here, a.url + "/account/sessions")
            answer = here.post(a.url + "/account/sessions/end-others",
                               data={"csrf_token": token}, allow_redirects=False, timeout=10)
            assert answer.status_code == 302
            # Process A ended it; B holds the connection and closes it at its next tick
            # (FORUM_JOBS_TICK_S=1 here).
            assert closed.wait(15), "the other process kept the ended sign-in's connection"
            assert kept.client.connected
            assert kept.call("join", {"room": "coffee-room"})["ok"]
        finally:
            kept.close()
            listener.close()
