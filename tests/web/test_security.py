"""CSRF on every state-changing form, the security headers and cookie flags."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, csrf_from, login, page_text

STATE_CHANGING = [
    (
        "/signup",
        {
            "pseudonym": "new-person",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "agree": "y",
        },
    ),
    ("/login", {"pseudonym": "steady-heron", "password": PASSWORD}),
    ("/login/second-factor", {"code": "123456"}),
    (
        "/recover",
        {
            "pseudonym": "steady-heron",
            "code": "aaaaa-bbbbb",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    ),
    ("/logout", {}),
    (
        "/account/password",
        {"current_password": PASSWORD, "password": "x" * 12, "password_confirm": "x" * 12},
    ),
    ("/account/pseudonym", {"pseudonym": "other-name", "password": PASSWORD}),
    ("/account/preferences", {"locale": "", "timezone": "UTC"}),
    ("/account/recovery-codes", {"password": PASSWORD}),
    ("/account/confirm", {"password": PASSWORD}),
    ("/account/security/totp", {}),
    ("/account/security/totp/confirm", {"code": "123456"}),
    ("/account/security/totp/remove", {}),
    ("/account/security/backup-codes", {}),
    # Passkeys: a script sends JSON with the token in X-CSRFToken; removing is a form.
    ("/account/security/passkeys/options", {"name": "My phone"}),
    ("/account/security/passkeys", {"name": "My phone"}),
    ("/account/security/passkeys/1/delete", {}),
    ("/login/second-factor/passkey/options", {}),
    ("/login/second-factor/passkey", {}),
    ("/account/confirm/passkey/options", {}),
    ("/account/confirm/passkey", {"next": "/account"}),
    ("/account/mutes", {"pseudonym": "morning-cedar"}),
    ("/account/mutes/delete", {"pseudonym": "morning-cedar"}),
    ("/account/delete", {"password": PASSWORD, "posts": "delete", "confirm": "y"}),
    ("/account/sessions/1/end", {}),
    ("/account/sessions/1/rename", {"name": "Phone"}),
    ("/account/sessions/end-others", {}),
    # Notifications on devices: a script sends JSON with the token in X-CSRFToken.
    ("/account/push/subscribe", {"endpoint": "https://fcm.googleapis.com/fcm/send/x"}),
    ("/account/push/forget-device", {"endpoint": "https://fcm.googleapis.com/fcm/send/x"}),
    ("/account/push/preferences", {"thread_replies": "y"}),
    ("/account/push/1/rename", {"name": "Phone"}),
    ("/account/push/1/remove", {}),
    ("/account/push/test", {}),
    ("/guidelines/agree", {"version": "1"}),
    ("/welcome/dismiss", {}),
    ("/guidelines/edit", {"body": "# New"}),
    # Threads: ids need not exist, the token is checked first.
    ("/boards/new", {"slug": "new-board", "name": "New board"}),
    ("/c/daily-check-ins/edit", {"slug": "daily-check-ins", "name": "Daily"}),
    ("/c/daily-check-ins/new", {"title": "Hello there", "body": "Hello"}),
    ("/t/1/reply", {"body": "Hello"}),
    ("/p/1/edit", {"body": "Hello"}),
    ("/p/1/delete", {}),
    ("/p/1/react", {"kind": "heart"}),
    ("/p/1/report", {"reason": "spam"}),
    ("/p/1/reveal", {}),
    ("/notifications/read", {}),
    ("/notifications/1/read", {}),
    ("/milestone", {"recovery_start": "2026-01-01", "show_days": "y"}),
    # Review queue.
    ("/review/1/claim", {}),
    ("/review/1/release", {}),
    ("/review/1/decide", {"decision": "approve", "reason": "fine"}),
    ("/review/1/followup", {"outcome": "reached-out"}),
    ("/review/1/message", {"body": "Thinking of you"}),
    ("/review/1/sanction", {"kind": "warn", "reason": "rude"}),
    ("/review/duty", {"on": "1"}),
    ("/review/inbox/1", {"body": "Hello"}),
    ("/review/appeals/1", {"outcome": "uphold", "reason": "fair"}),
    ("/review/shifts", {"starts_at": "2026-01-01T10:00", "ends_at": "2026-01-01T12:00"}),
    ("/review/shifts/1/delete", {}),
    ("/review/team/people/1/role", {"role": "facilitator", "role-change": "grant",
                                    "password": PASSWORD}),
    ("/review/team/people/1/training", {"module": "facilitation", "completed_on": "2026-01-01",
                                        "expires_on": "2027-01-01",
                                        "password": PASSWORD}),
    ("/review/team/people/1/sessions/end", {"sessions-reason": "Lost phone"}),
    ("/inbox", {"body": "Hello team"}),
    ("/strikes/1/appeal", {"text": "Please reconsider"}),
    ("/p/1/resubmit", {"body": "Edited"}),
    # The consented check-in.
    ("/account/checkin/opt-in", {}),
    ("/account/checkin", {"connected": "3"}),
    ("/account/checkin/withdraw", {}),
    # Meetings.
    ("/meetings/new", {"title": "Evening circle", "start_time": "19:00"}),
    ("/meetings/1/edit", {"title": "Evening circle"}),
    ("/meetings/1/cancel", {"reason": "away"}),
    ("/meetings/1/extend", {}),
    ("/meetings/1/remind", {}),
    # Talk to someone now.
    ("/support", {"note": "Could use a friendly voice"}),
    ("/support/1/accept", {}),
    ("/support/1/withdraw", {}),
    ("/support/1/close", {}),
    ("/support/duty", {"on": "1"}),
]


@pytest.mark.parametrize(("path", "data"), STATE_CHANGING)
def test_post_without_csrf_token_is_refused(app, member, second_member, path, data):
    client = app.test_client()
    login(client, member)
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "This form expired" in page_text(response)
    # nothing changed: still logged in with the same name and password
    assert member.pseudonym in page_text(client.get("/account"))


def test_every_post_route_is_covered_by_the_csrf_list(app):
    # Each listed path names the rule it exercises (so /p/1/edit covers /p/<int:post_id>/edit).
    adapter = app.url_map.bind("localhost")
    covered = {adapter.match(path, method="POST", return_rule=True)[0].rule
               for path, _ in STATE_CHANGING}
    posts = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith("/static")
    }
    assert posts <= covered, f"add CSRF tests for {sorted(posts - covered)}"


@pytest.mark.parametrize("path", ["/", "/login", "/signup", "/crisis", "/guidelines", "/healthz"])
def test_security_headers(client, path):
    response = client.get(path)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"


def test_pages_contain_no_inline_script_or_remote_assets(client):
    for path in ("/", "/login", "/signup", "/crisis", "/guidelines"):
        page = page_text(client.get(path))
        assert "<script>" not in page and "onclick=" not in page and "style=" not in page
        assert "http://" not in page.replace("http://localhost", "") or 'href="http' in page
        for tag in ('<script src="http', '<link rel="stylesheet" href="http'):
            assert tag not in page


def test_session_cookie_is_httponly_and_samesite_lax(client, member):
    response = client.post("/login", data={})  # sets a session for the CSRF token
    login(client, member)
    response = client.get("/account")
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie"]
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure
    assert cookies is not None


def test_cookies_secure_when_served_over_https(app_config):
    from forum import create_app

    app_config["HTTPS"] = True
    app = create_app(app_config)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_every_page_links_to_get_help_now(client):
    for path in ("/", "/login", "/signup", "/guidelines", "/nope-not-here"):
        page = page_text(client.get(path))
        assert 'class="help-now" href="/crisis"' in page
        assert 'class="skip-link" href="#main"' in page


def test_every_password_input_is_masked(app, member):
    import re

    client = app.test_client()
    pages = {path: client.get(path).get_data(as_text=True) for path in ("/login", "/recover")}
    login(client, member)
    pages["/account"] = client.get("/account").get_data(as_text=True)
    found = 0
    for path, page in pages.items():
        for tag in re.findall(r"<input[^>]*>", page):
            name = re.search(r'name="([^"]+)"', tag).group(1)
            if "password" in name:
                found += 1
                assert 'type="password"' in tag, f"{path}: {tag}"
    assert found >= 6


def test_moderators_see_which_classifier_is_active(app, moderator, member):
    client = app.test_client()
    login(client, moderator)
    page = " ".join(page_text(client.get("/account")).split())
    assert "Classifier in use" in page and "alt-profanity-check (ready)" in page
    other = app.test_client()
    login(other, member)
    assert "Classifier in use" not in page_text(other.get("/account"))


@pytest.fixture
def configured(app_config, request):
    """A test client of an app built with the settings given by indirect parametrize."""
    app_config.update(request.param)
    return request.getfixturevalue("client")


def _connect_src(response) -> list[str]:
    directives = [d.strip() for d in response.headers["Content-Security-Policy"].split(";")]
    [connect] = [d for d in directives if d.startswith("connect-src ")]
    return connect.split()[1:]


def test_no_hsts_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


@pytest.mark.parametrize("configured", [{"HTTPS": True}], indirect=True)
@pytest.mark.parametrize("path", ["/", "/login", "/healthz", "/nope-not-here"])
def test_hsts_when_served_over_https(configured, path):
    assert configured.get(path).headers["Strict-Transport-Security"] == "max-age=31536000"


def test_csp_connects_to_the_site_itself_only(client):
    assert _connect_src(client.get("/login")) == ["'self'"]


@pytest.mark.parametrize(("configured", "socket_origin"), [
    ({"BASE_URL": "https://Forum.Example.org/", "HTTPS": True}, "wss://forum.example.org"),
    ({"BASE_URL": "http://127.0.0.1:8001"}, "ws://127.0.0.1:8001"),
], indirect=["configured"])
def test_csp_names_the_sites_own_websocket_origin(configured, socket_origin):
    sources = _connect_src(configured.get("/login"))
    assert sources == ["'self'", socket_origin]
    assert not {"ws:", "wss:", "*", "https:", "http:"} & set(sources)


@pytest.mark.parametrize("base_url", [
    "forum.example.org", "ftp://forum.example.org", "https://forum.example.org/forum",
    "https://user:pw@forum.example.org", "https://forum.example.org/?a=1",
    "https://forum.example.org:99999", "https://", "javascript:alert(1)",
])
def test_base_url_must_be_an_origin(app_config, base_url):
    from forum import create_app

    app_config["BASE_URL"] = base_url
    with pytest.raises(RuntimeError, match="FORUM_BASE_URL"):
        create_app(app_config)


def test_pages_go_out_compressed_with_a_token_that_never_repeats(app, member, monkeypatch):
    # Pages are compressed (forum/config.py COMPRESS_MIMETYPES) because no secret in them repeats
    # from one response to the next: the CSRF token is signed with the second it was made.
    import itsdangerous.timed

    now = [1_800_000_000]
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda _s: now[0])
    client = app.test_client()
    login(client, member)
    tokens = set()
    for _ in range(3):
        response = client.get("/", headers={"Accept-Encoding": "br"})
        assert response.headers["Content-Encoding"] == "br"
        tokens.add(csrf_from(client, "/"))
        now[0] += 1
    assert len(tokens) == 3
    # Every one of them still works.
    for token in tokens:
        assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 302
