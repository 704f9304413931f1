"""Confidentiality: no addresses stored, logs without secrets, export and deletion."""

from __future__ import annotations

import json
import logging
import re

from sqlalchemy import inspect, select

from forum.models import AuditEvent, Mute, PseudonymHistory, RecoveryCode, User
from forum.services.accounts import guidelines, mutes
from tests.conftest import PASSWORD, csrf_from, login, page_text
from tests.fixtures import threads as threads_support

PROBE_IP = "203.0.113.77"
PROBE_UA = "ProbeAgent/9.9 (identifying-device-string)"

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener


def test_schema_has_no_ip_user_agent_or_email_column(db):
    forbidden = ("ip", "address", "user_agent", "useragent", "email", "phone", "real_name")
    for table in inspect(db.engine).get_table_names():
        for column in inspect(db.engine).get_columns(table):
            name = column["name"].lower()
            assert not any(word in name.split("_") or name == word for word in forbidden), (
                f"{table}.{name}"
            )
            assert "email" not in name and "agent" not in name


def _all_values(db) -> list[str]:
    values = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            values.extend(str(v) for v in row if v is not None)
    return values


def test_no_request_address_or_agent_in_any_row(app, db):
    client = app.test_client()
    env = {"REMOTE_ADDR": PROBE_IP, "HTTP_USER_AGENT": PROBE_UA}
    token = csrf_from(client, "/signup")
    from forum.services.accounts import guidelines

    response = client.post(
        "/signup",
        environ_base=env,
        data={
            "pseudonym": "quiet-otter",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "agree": "y",
            "guidelines_version": str(guidelines.current_version().id),
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    client.post("/logout", environ_base=env, data={"csrf_token": csrf_from(client, "/")})
    response = client.post(
        "/login",
        environ_base=env,
        data={
            "pseudonym": "quiet-otter",
            "password": PASSWORD,
            "csrf_token": csrf_from(client, "/login"),
        },
    )
    assert response.status_code == 302
    everything = "\n".join(_all_values(db))
    assert "quiet-otter" in everything  # the scan does see the rows
    assert PROBE_IP not in everything
    assert "ProbeAgent" not in everything
    assert "203.0.113" not in client.get_cookie("session").value


def test_logs_during_signup_and_login_hold_no_password_or_codes(app, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    secret = "unusual secret phrase 4242"
    response = client.post(
        "/signup",
        data={
            "pseudonym": "quiet-otter",
            "password": secret,
            "password_confirm": secret,
            "agree": "y",
            "guidelines_version": str(guidelines.current_version().id),
            "csrf_token": csrf_from(client, "/signup"),
        },
    )
    page = page_text(response)
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", page)
    assert codes
    client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    for attempt, expected in ((secret + "x", 400), (secret, 302)):
        response = client.post(
            "/login",
            data={
                "pseudonym": "quiet-otter",
                "password": attempt,
                "csrf_token": csrf_from(client, "/login"),
            },
        )
        assert response.status_code == expected
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "account created account_id=" in logged  # the capture does see our logs
    assert "unusual secret" not in logged
    assert not any(code in logged for code in codes)
    assert "quiet-otter" not in logged  # ids, not pseudonyms


def test_export_contains_my_data_and_nobody_elses(app, db, member, second_member):
    mutes.check_mute(member, second_member.pseudonym)
    mutes.check_mute(second_member, member.pseudonym)
    client = app.test_client()
    login(client, member)
    response = client.get("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(page_text(response))
    assert data["account"]["pseudonym"] == member.pseudonym
    assert data["account"]["id"] == member.id
    assert data["muted_members"] == [second_member.pseudonym]
    assert data["recovery_codes_unused"] == 8
    # Settings the member chose are theirs to see too.
    assert data["account"]["support_notifications"] is True
    assert data["account"]["welcome_dismissed_at"] is None
    blob = json.dumps(data)
    assert "argon2" not in blob
    # The other member's data: only the pseudonym I chose to mute, nothing of theirs.
    assert blob.count(second_member.pseudonym) == 1


def test_export_requires_login(client):
    assert client.get("/account/export").status_code == 302


def _delete(client, posts: str, password: str = PASSWORD, confirm: str = "y"):
    return client.post(
        "/account/delete",
        data={
            "password": password,
            "posts": posts,
            "confirm": confirm,
            "csrf_token": csrf_from(client, "/account"),
        },
    )


def test_delete_needs_password_and_confirmation(app, db, member):
    client = app.test_client()
    login(client, member)
    assert _delete(client, "delete", password="wrong password!").status_code == 400
    assert _delete(client, "delete", confirm="").status_code == 400
    assert db.session.get(User, member.id) is not None


def _prepare_history(client, member, db, second_member):
    client.post(
        "/account/pseudonym",
        data={
            "pseudonym": "new-name-01",
            "password": PASSWORD,
            "csrf_token": csrf_from(client, "/account"),
        },
    )
    mutes.check_mute(second_member, "new-name-01")
    assert db.session.scalar(select(PseudonymHistory.id)) is not None


def _write_posts(board, member, second_member):
    """member: a thread of their own, a thread others replied to, and a reply elsewhere."""
    from tests.fixtures.threads import new_reply, new_thread

    alone = new_thread(board, member, title="My lonely thread", body="Only my pelican words")
    shared = new_thread(board, member, title="My shared thread", body="My heron words")
    new_reply(shared.post.thread, second_member, "Second member keeps talking")
    theirs = new_thread(board, second_member, title="Their thread", body="Their words")
    new_reply(theirs.post.thread, member, "My cormorant reply")
    return alone.post.thread_id, shared.post.thread_id, theirs.post.thread_id


def test_delete_account_erasing_posts(app, db, member, second_member, board):
    from forum.services.threads import search

    alone_id, shared_id, theirs_id = _write_posts(board, member, second_member)
    client = app.test_client()
    login(client, member)
    _prepare_history(client, member, db, second_member)
    member_id = member.id
    response = _delete(client, "delete")
    assert response.status_code == 200
    assert "Your account is deleted" in page_text(response)
    db.session.expire_all()
    assert db.session.get(User, member_id) is None
    assert db.session.scalars(select(PseudonymHistory)).all() == []
    assert (
        db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == member_id)).all()
        == []
    )
    assert db.session.scalars(select(Mute)).all() == []
    assert client.get("/account").status_code == 302  # signed out
    everything = "\n".join(_all_values(db))
    assert "new-name-01" not in everything
    for words in ("pelican", "heron", "cormorant", "My lonely thread", "My shared thread"):
        assert words not in everything
    for word in ("pelican", "heron", "cormorant", "lonely", "shared"):
        assert search.search_posts(word)[0] == []
    reader = app.test_client()
    assert reader.get(f"/t/{alone_id}").status_code == 404
    shared = page_text(reader.get(f"/t/{shared_id}"))
    assert "Second member keeps talking" in shared  # the others' words stay
    assert "removed at the author's request" in shared
    theirs = page_text(reader.get(f"/t/{theirs_id}"))
    assert "Their words" in theirs and "cormorant" not in theirs
    assert "0 replies" in theirs


def test_delete_account_keeping_posts_as_deleted_member(app, db, member, second_member, board):
    alone_id, shared_id, theirs_id = _write_posts(board, member, second_member)
    client = app.test_client()
    login(client, member)
    _prepare_history(client, member, db, second_member)
    member_id = member.id
    assert _delete(client, "keep").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, member_id) is None
    assert db.session.scalars(select(PseudonymHistory)).all() == []
    assert "new-name-01" not in "\n".join(_all_values(db))
    reader = app.test_client()
    for thread_id, words in ((alone_id, "pelican"), (shared_id, "heron"),
                             (theirs_id, "cormorant")):
        page = page_text(reader.get(f"/t/{thread_id}"))
        assert words in page
        assert "deleted member" in page
        assert "steady-heron" not in page and "new-name-01" not in page


def test_audit_rows_survive_an_actor_deleting_their_account(app, db, admin, member):
    from forum.services.accounts import privacy, roles

    roles.check_grant_role(member, "facilitator", acting_user=admin)
    privacy.do_delete_account(admin, keep_posts=True)
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "role.grant", AuditEvent.target_id == member.id
        )
    )
    assert event is not None and event.actor_id is None
