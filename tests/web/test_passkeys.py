"""Passkeys over HTTP, as static/js/passkeys.js sends them: adding one through the JSON
endpoints, signing in with the password and then the passkey, confirming it's you with one,
and removing one. A software authenticator (tests/fixtures/webauthn.py) answers for the browser;
the test client's site is http://localhost."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import AuditEvent, PasskeyCredential, SignIn
from forum.services.accounts import passkeys, sign_ins
from tests.conftest import csrf_from, login, page_text
from tests.fixtures import two_factor as two_factor_support
from tests.fixtures.two_factor import log_out, password_step
from tests.fixtures.webauthn import SoftAuthenticator, b64url

frozen = two_factor_support.frozen

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


def _post(client, path: str, token: str, payload: dict | None = None,
          headers: dict | None = None):
    return client.post(path, json=payload or {}, headers={"X-CSRFToken": token, **(headers or {})})


def add_passkey(client, key: SoftAuthenticator, name: str = "My phone") -> dict:
    """Add a passkey as the page's script does; returns the last JSON answer."""
    token = csrf_from(client, "/account/security")
    options = _post(client, "/account/security/passkeys/options", token, {"name": name})
    assert options.status_code == 200, options.get_data(as_text=True)
    done = _post(client, "/account/security/passkeys", token,
                 {"name": name, "credential": key.register(options.get_json()["options"])})
    assert done.status_code == 200, done.get_data(as_text=True)
    return done.get_json()


def passkey_step(client, key: SoftAuthenticator, **answer):
    """The second step of signing in, with the passkey."""
    token = csrf_from(client, "/login/second-factor")
    options = _post(client, "/login/second-factor/passkey/options", token)
    assert options.status_code == 200, options.get_data(as_text=True)
    return _post(client, "/login/second-factor/passkey", token,
                 {"credential": key.sign_in(options.get_json()["options"], **answer)})


def _signed_in(client, user) -> bool:
    response = client.get("/account")
    return response.status_code == 200 and user.pseudonym in page_text(response)


def _current_sign_in(user) -> SignIn:
    return db.session.scalars(select(SignIn).where(SignIn.user_id == user.id)
                              .order_by(SignIn.id.desc())).first()


def test_add_a_passkey_log_out_then_sign_in_with_password_and_passkey(app, client, member):
    login(client, member)
    key = SoftAuthenticator()
    added = add_passkey(client, key)
    # The first factor: ten backup codes, for the script to show once.
    assert len(added["backup_codes"]) == 10 and added["redirect"] == "/account/security"
    page = page_text(client.get("/account/security"))
    assert "My phone" in page and "Add a passkey" in page and "Remove passkey" in page
    assert 'src="/static/js/passkeys.js"' in page
    log_out(client)

    assert password_step(client, member).location.endswith("/login/second-factor")
    assert not _signed_in(client, member)
    step = page_text(client.get("/login/second-factor"))
    assert "Use a passkey" in step and "data-passkey-sign-in" in step
    done = passkey_step(client, key)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json() == {"redirect": "/"}
    assert _signed_in(client, member)
    row = _current_sign_in(member)
    assert row.second_factor == "passkey" and row.step_up_method == "passkey"
    stored = db.session.scalar(select(PasskeyCredential))
    db.session.refresh(stored)
    assert stored.sign_count == 1 and stored.last_used_at is not None
    assert stored.last_used_at.minute == 0 and stored.last_used_at.second == 0


def test_a_second_passkey_brings_no_new_codes_and_a_message(client, member):
    login(client, member)
    add_passkey(client, SoftAuthenticator())
    assert add_passkey(client, SoftAuthenticator(), "Blue key") == {
        "redirect": "/account/security"}
    assert "Your passkey “Blue key” is added." in page_text(client.get("/account/security"))


def test_a_name_is_asked_for_before_the_key(client, member):
    login(client, member)
    token = csrf_from(client, "/account/security")
    refused = _post(client, "/account/security/passkeys/options", token, {"name": "  "})
    assert refused.status_code == 400 and "Give the passkey a name" in refused.get_json()["error"]
    spanish = _post(client, "/account/security/passkeys/options", token, {"name": ""},
                    headers=SPANISH)
    assert "Ponle un nombre" in spanish.get_json()["error"]


def test_a_challenge_is_taken_once(client, member):
    login(client, member)
    key = SoftAuthenticator()
    token = csrf_from(client, "/account/security")
    options = _post(client, "/account/security/passkeys/options", token,
                    {"name": "Phone"}).get_json()["options"]
    assert _post(client, "/account/security/passkeys", token,
                 {"name": "Phone", "credential": key.register(options)}).status_code == 200
    # Another key answering the same options: the challenge is spent.
    again = _post(client, "/account/security/passkeys", token,
                  {"name": "Copy", "credential": SoftAuthenticator().register(options)})
    assert again.status_code == 400 and "took too long" in again.get_json()["error"]

    options = _post(client, "/account/confirm/passkey/options", token).get_json()["options"]
    answer = key.sign_in(options)
    assert _post(client, "/account/confirm/passkey", token,
                 {"credential": answer}).status_code == 200
    for replay in (answer, key.sign_in(options)):
        refused = _post(client, "/account/confirm/passkey", token, {"credential": replay})
        assert refused.status_code == 400 and "took too long" in refused.get_json()["error"]


def test_a_challenge_is_kept_for_its_own_purpose(client, member):
    login(client, member)
    key = SoftAuthenticator()
    add_passkey(client, key)
    token = csrf_from(client, "/account/security")
    # Options asked for confirming, answered to the adding endpoint: refused.
    options = _post(client, "/account/confirm/passkey/options", token).get_json()["options"]
    wrong = _post(client, "/account/security/passkeys", token,
                  {"name": "Phone", "credential": SoftAuthenticator().register(options)})
    assert wrong.status_code == 400 and "took too long" in wrong.get_json()["error"]


def test_a_challenge_older_than_five_minutes_is_refused(client, member, frozen):
    login(client, member)
    key = SoftAuthenticator()
    add_passkey(client, key)
    token = csrf_from(client, "/account/security")
    options = _post(client, "/account/confirm/passkey/options", token).get_json()["options"]
    frozen.advance(301)
    late = _post(client, "/account/confirm/passkey", token, {"credential": key.sign_in(options)})
    assert late.status_code == 400 and "took too long" in late.get_json()["error"]
    assert _current_sign_in(member).step_up_method != "passkey"


def test_the_second_step_with_a_passkey_waits_five_minutes_at_most(client, member, frozen):
    login(client, member)
    key = SoftAuthenticator()
    add_passkey(client, key)
    log_out(client)
    password_step(client, member)
    token = csrf_from(client, "/login/second-factor")
    options = _post(client, "/login/second-factor/passkey/options", token).get_json()["options"]
    frozen.advance(301)
    late = _post(client, "/login/second-factor/passkey", token,
                 {"credential": key.sign_in(options)})
    assert late.status_code == 400 and "log in again" in late.get_json()["error"]
    assert not _signed_in(client, member)


def test_another_key_or_site_does_not_sign_in(client, member, second_member):
    login(client, member)
    add_passkey(client, SoftAuthenticator())
    log_out(client)
    other = client.application.test_client()
    login(other, second_member)
    theirs = SoftAuthenticator()
    add_passkey(other, theirs)

    password_step(client, member)
    refused = passkey_step(client, theirs)
    assert refused.status_code == 400
    assert "That passkey didn't work" in refused.get_json()["error"]
    assert not _signed_in(client, member)
    mine_elsewhere = SoftAuthenticator(origin="https://evil.test")
    assert passkey_step(client, mine_elsewhere).status_code == 400
    assert not _signed_in(client, member)


def test_the_passkey_step_needs_a_password_first(client, member):
    token = csrf_from(client, "/login")
    for path in ("/login/second-factor/passkey/options", "/login/second-factor/passkey"):
        response = _post(client, path, token)
        assert response.status_code == 400
        assert response.get_json()["redirect"] == "/login"


def test_without_the_csrf_header_nothing_happens(client, member):
    login(client, member)
    response = client.post("/account/security/passkeys/options", json={"name": "Phone"})
    assert response.status_code == 400
    assert "This form expired" in page_text(response)


def test_the_site_is_named_by_forum_base_url(app, client, member):
    app.config["BASE_URL"] = "https://forum.example.org"
    login(client, member)
    token = csrf_from(client, "/account/security")
    options = _post(client, "/account/security/passkeys/options", token,
                    {"name": "Phone"}).get_json()["options"]
    assert options["rp"]["id"] == "forum.example.org"
    # An answer made for the host the request came to is not one for the site.
    local = SoftAuthenticator()
    refused = _post(client, "/account/security/passkeys", token,
                    {"name": "Phone", "credential": local.register(options)})
    assert refused.status_code == 400
    options = _post(client, "/account/security/passkeys/options", token,
                    {"name": "Phone"}).get_json()["options"]
    key = SoftAuthenticator(rp_id="forum.example.org", origin="https://forum.example.org")
    done = _post(client, "/account/security/passkeys", token,
                 {"name": "Phone", "credential": key.register(options)})
    assert done.status_code == 200


def test_a_stale_sign_in_confirms_with_a_passkey_then_adds_one(app, client, member, frozen):
    login(client, member)
    key = SoftAuthenticator()
    add_passkey(client, key)
    token = csrf_from(client, "/account/security")
    frozen.advance(11 * 60)  # past step-up's ten minutes
    asked = _post(client, "/account/security/passkeys/options", token, {"name": "Spare"})
    assert asked.status_code == 401
    assert asked.get_json()["confirm"] == "/account/confirm?next=/account/security"
    assert "confirm it's you" in asked.get_json()["error"]
    stale = _post(client, "/account/security/passkeys", token, {"name": "Spare"})
    assert stale.status_code == 400  # no challenge was kept for it

    options = _post(client, "/account/confirm/passkey/options", token).get_json()["options"]
    confirmed = _post(client, "/account/confirm/passkey", token,
                      {"credential": key.sign_in(options), "next": "/account/security"})
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    assert confirmed.get_json() == {"redirect": "/account/security"}
    row = _current_sign_in(member)
    assert row.step_up_method == "passkey"
    add_passkey(client, SoftAuthenticator(), "Spare")
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "account.second_factor_added").order_by(AuditEvent.id)).all()[-1]
    assert event.details == {"factor": "passkey", "step_up": "passkey"}


@pytest.mark.parametrize("target", ["//evil.test/x", "https://evil.test", "/\\evil.test",
                                    "javascript:alert(1)", 7])
def test_confirming_goes_on_only_to_this_site(client, member, target):
    login(client, member)
    key = SoftAuthenticator()
    add_passkey(client, key)
    token = csrf_from(client, "/account/security")
    options = _post(client, "/account/confirm/passkey/options", token).get_json()["options"]
    confirmed = _post(client, "/account/confirm/passkey", token,
                      {"credential": key.sign_in(options), "next": target})
    assert confirmed.get_json() == {"redirect": "/account"}


def test_confirming_with_a_wrong_passkey_marks_nothing(client, member, frozen):
    login(client, member)
    add_passkey(client, SoftAuthenticator())
    token = csrf_from(client, "/account/security")
    frozen.advance(11 * 60)
    options = _post(client, "/account/confirm/passkey/options", token).get_json()["options"]
    refused = _post(client, "/account/confirm/passkey", token,
                    {"credential": SoftAuthenticator().sign_in(options), "next": "/account"})
    assert refused.status_code == 400
    assert _current_sign_in(member).step_up_method == "password"


def test_confirming_with_a_passkey_needs_one(client, member):
    login(client, member)
    token = csrf_from(client, "/account/security")
    response = _post(client, "/account/confirm/passkey/options", token)
    assert response.status_code == 400
    assert "No passkey is set up" in response.get_json()["error"]


def test_removing_a_passkey_signs_out_the_other_devices(app, client, member):
    login(client, member)
    key = SoftAuthenticator()
    add_passkey(client, key)
    other = app.test_client()
    password_step(other, member)
    assert passkey_step(other, key).status_code == 200
    assert _signed_in(other, member) and len(sign_ins.list_for(member)) == 2
    passkey_id = db.session.scalar(select(PasskeyCredential.id))
    token = csrf_from(client, "/account/security")
    done = client.post(f"/account/security/passkeys/{passkey_id}/delete",
                       data={"csrf_token": token})
    assert done.status_code == 302 and done.location.endswith("/account/security")
    assert "The passkey is removed." in page_text(client.get("/account/security"))
    assert db.session.scalar(select(PasskeyCredential.id)) is None
    assert _signed_in(client, member) and not _signed_in(other, member)
    assert len(sign_ins.list_for(member)) == 1


def test_another_accounts_passkey_cannot_be_removed(app, client, member, second_member):
    other = app.test_client()
    login(other, second_member)
    add_passkey(other, SoftAuthenticator())
    theirs = db.session.scalar(select(PasskeyCredential.id))
    login(client, member)
    token = csrf_from(client, "/account/security")
    response = client.post(f"/account/security/passkeys/{theirs}/delete",
                           data={"csrf_token": token})
    assert response.status_code == 404
    assert passkeys.passkeys_of(second_member) != []


def test_staff_keep_their_last_passkey(app, client, trained_moderator):
    app.config["STAFF_2FA"] = "required"
    login(client, trained_moderator)
    add_passkey(client, SoftAuthenticator())
    passkey_id = db.session.scalar(select(PasskeyCredential.id))
    token = csrf_from(client, "/account/security")
    response = client.post(f"/account/security/passkeys/{passkey_id}/delete",
                           data={"csrf_token": token})
    assert response.status_code == 302
    assert "Your role needs a second factor." in page_text(client.get("/account/security"))
    assert db.session.scalar(select(PasskeyCredential.id)) == passkey_id


def test_adding_a_passkey_opens_a_locked_moderators_roles(app, client, trained_moderator):
    app.config["STAFF_2FA"] = "required"
    login(client, trained_moderator)
    assert client.get("/review").status_code == 404
    add_passkey(client, SoftAuthenticator())
    assert client.get("/review").status_code == 200


def test_the_passkey_parts_in_spanish(client, member):
    login(client, member)
    key = SoftAuthenticator()
    add_passkey(client, key)
    page = page_text(client.get("/account/security", headers=SPANISH))
    assert "Añadir una llave de acceso" in page and "Quitar llave de acceso" in page
    log_out(client)
    password_step(client, member)
    assert "Usar una llave de acceso" in page_text(
        client.get("/login/second-factor", headers=SPANISH))


def test_removing_on_a_stale_sign_in_confirms_first(client, member, frozen):
    login(client, member)
    add_passkey(client, SoftAuthenticator())
    passkey_id = db.session.scalar(select(PasskeyCredential.id))
    token = csrf_from(client, "/account/security")
    frozen.advance(11 * 60)
    response = client.post(f"/account/security/passkeys/{passkey_id}/delete",
                           data={"csrf_token": token})
    assert response.status_code == 303 and "/account/confirm" in response.location
    assert db.session.scalar(select(PasskeyCredential.id)) == passkey_id


def test_the_confirm_page_offers_the_passkey_and_goes_back(client, member):
    login(client, member)
    page = page_text(client.get("/account/confirm?next=/account/security"))
    assert "Confirm with a passkey" not in page  # no passkey yet
    add_passkey(client, SoftAuthenticator())
    page = page_text(client.get("/account/confirm?next=/account/security"))
    assert "Confirm with a passkey" in page and 'data-next="/account/security"' in page
    assert 'src="/static/js/passkeys.js"' in page


def _hostile_answers(key: SoftAuthenticator, options: dict, kind: str) -> list:
    good = key.register(options) if kind == "create" else key.sign_in(options)
    junk = b64url(b"\xa1\x01\xff not cbor")
    answers = [None, 5, "x", [], {}, "\ud800", "\x00", "a" * 100_000, {"id": None},
               {**good, "rawId": "***"}, {**good, "id": "other"}, {**good, "type": "nope"},
               {**good, "response": None}, {**good, "response": []},
               {**good, "authenticatorAttachment": "moon"}]
    for field in good["response"]:
        answers.append({**good, "response": {**good["response"], field: junk}})
        answers.append({**good, "response": {**good["response"], field: 7}})
        answers.append({**good, "response": {**good["response"], field: "\ud800"}})
    return answers


@pytest.fixture
def no_limits(app_config):
    # Every hostile answer is a request: the limits have their own tests.
    app_config["RATELIMIT_ENABLED"] = False
    return app_config


def test_hostile_answers_are_refused_never_an_error(no_limits, client, member):
    login(client, member)
    key = SoftAuthenticator()
    token = csrf_from(client, "/account/security")
    options = _post(client, "/account/security/passkeys/options", token,
                    {"name": "Phone"}).get_json()["options"]
    for answer in _hostile_answers(key, options, "create"):
        _post(client, "/account/security/passkeys/options", token, {"name": "Phone"})
        for name in ("Phone", None, 7, "\ud800", "\x00"):
            refused = _post(client, "/account/security/passkeys", token,
                            {"name": name, "credential": answer})
            assert refused.status_code == 400, (answer, name)
    add_passkey(client, key)
    options = _post(client, "/account/confirm/passkey/options", token).get_json()["options"]
    for answer in _hostile_answers(key, options, "get"):
        _post(client, "/account/confirm/passkey/options", token)
        refused = _post(client, "/account/confirm/passkey", token,
                        {"credential": answer, "next": ["/x"]})
        assert refused.status_code == 400, answer
    for body in ("not json", "[1, 2]", '"text"', "null"):
        response = client.post("/account/confirm/passkey", data=body,
                               headers={"X-CSRFToken": token, "Content-Type": "application/json"})
        assert response.status_code == 400


@pytest.fixture
def strict_limit(app_config):
    app_config["SECOND_FACTOR_RATE_LIMIT"] = "3 per hour"
    return app_config


def test_adding_passkeys_shares_the_security_pages_limit(strict_limit, client, member):
    login(client, member)
    token = csrf_from(client, "/account/security")
    assert client.post("/account/security/totp", data={"csrf_token": token}).status_code == 200
    for _ in range(2):
        asked = _post(client, "/account/security/passkeys/options", token, {"name": "Phone"})
        assert asked.status_code == 200
    refused = _post(client, "/account/security/passkeys/options", token, {"name": "Phone"})
    assert refused.status_code == 429
