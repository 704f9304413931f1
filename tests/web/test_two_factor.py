"""Two-step sign-in over HTTP: adding an authenticator app from the key the page shows, signing
in with its codes or a backup code, removing it, and a staff account's "enrol first" state."""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.models import AuditEvent, SignIn
from tests.conftest import PASSWORD, csrf_from, login, page_text
from tests.fixtures import two_factor as two_factor_support
from tests.fixtures.two_factor import (
    backup_codes_from,
    code_at,
    code_step,
    enrol_totp,
    log_out,
    password_step,
    secret_from,
)

frozen = two_factor_support.frozen

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}
WRONG_CODE = "That code didn't work."


def _signed_in(client, user) -> bool:
    response = client.get("/account")
    return response.status_code == 200 and user.pseudonym in page_text(response)


def _wrong(code: str) -> str:
    """A 6-digit code that is not this one."""
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def test_the_page_shows_the_app_off_and_a_way_to_set_it_up(client, member, frozen):
    login(client, member)
    page = page_text(client.get("/account/security"))
    assert "Two-step sign-in" in page and "Authenticator app" in page
    assert "Set up an authenticator app" in page
    account = page_text(client.get("/account"))
    assert "Off: your password alone signs you in." in account
    assert 'href="/account/security"' in account


def test_enrolling_from_the_shown_key_then_signing_in_asks_for_a_code(app, client, member,
                                                                      frozen):
    login(client, member)
    token = csrf_from(client, "/account/security")
    started = client.post("/account/security/totp", data={"csrf_token": token})
    assert started.status_code == 200
    body = started.get_data(as_text=True)
    assert "<svg" in body and 'class="segno"' in body  # the QR code, drawn on the server
    secret = secret_from(body)
    assert len(secret) == 32
    assert "otpauth://totp/" in body
    done = client.post("/account/security/totp/confirm",
                       data={"csrf_token": token, "code": code_at(secret)})
    shown = page_text(done)
    assert done.status_code == 200
    assert "Two-step sign-in is on." in shown and "Save your backup codes" in shown
    assert shown.count("<li><code>") == 10
    status = page_text(client.get("/account/security"))
    assert "Backup codes left" in status and "Remove the app" in status
    assert "On: signing in asks" in page_text(client.get("/account"))
    audit = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "account.second_factor_added"))
    assert audit.details["factor"] == "totp"

    log_out(client)
    first = password_step(client, member)
    assert first.status_code == 302 and first.location.endswith("/login/second-factor")
    assert not _signed_in(client, member)  # the password alone opened nothing
    assert "Confirm it’s you" in page_text(client.get("/login/second-factor"))
    frozen.advance(30)
    code = code_at(secret)
    signed = code_step(client, code)
    assert signed.status_code == 302 and signed.location == "/"
    assert _signed_in(client, member)
    row = db.session.scalar(db.select(SignIn).where(SignIn.user_id == member.id))
    assert row.second_factor == "totp"

    # The same code again, from another browser with the password: refused, it was spent.
    other = app.test_client()
    password_step(other, member)
    again = code_step(other, code)
    assert again.status_code == 400 and WRONG_CODE in page_text(again)
    assert not _signed_in(other, member)
    frozen.advance(30)
    assert code_step(other, code_at(secret)).status_code == 302
    assert _signed_in(other, member)


def test_a_wrong_confirm_code_keeps_the_same_key_and_says_so(client, member, frozen):
    login(client, member)
    token = csrf_from(client, "/account/security")
    secret = secret_from(client.post("/account/security/totp",
                                     data={"csrf_token": token}).get_data(as_text=True))
    wrong = client.post("/account/security/totp/confirm",
                        data={"csrf_token": token, "code": _wrong(code_at(secret))})
    assert wrong.status_code == 400
    assert WRONG_CODE in page_text(wrong)
    assert secret_from(wrong.get_data(as_text=True)) == secret  # nothing lost
    empty = client.post("/account/security/totp/confirm", data={"csrf_token": token, "code": ""})
    assert empty.status_code == 400 and secret_from(empty.get_data(as_text=True)) == secret
    right = client.post("/account/security/totp/confirm",
                        data={"csrf_token": token, "code": code_at(secret)})
    assert right.status_code == 200 and "Save your backup codes" in page_text(right)


def test_wrong_confirm_codes_are_slowed_and_the_key_kept(client, member, frozen):
    login(client, member)
    token = csrf_from(client, "/account/security")
    secret = secret_from(client.post("/account/security/totp",
                                     data={"csrf_token": token}).get_data(as_text=True))
    for _ in range(5):
        assert client.post("/account/security/totp/confirm", data={
            "csrf_token": token, "code": _wrong(code_at(secret))}).status_code == 400
    waiting = client.post("/account/security/totp/confirm",
                          data={"csrf_token": token, "code": code_at(secret)})
    assert waiting.status_code == 429 and "Retry-After" in waiting.headers
    assert "Too many tries: wait 5 seconds" in page_text(waiting)
    assert secret_from(waiting.get_data(as_text=True)) == secret
    frozen.advance(5)
    assert client.post("/account/security/totp/confirm", data={
        "csrf_token": token, "code": code_at(secret)}).status_code == 200


def test_wrong_codes_at_sign_in_are_slowed_after_the_free_tries(app, client, member, frozen):
    login(client, member)
    secret, _codes = enrol_totp(client)
    log_out(client)
    password_step(client, member)
    frozen.advance(30)
    right = code_at(secret)
    for _ in range(5):
        assert code_step(client, _wrong(right)).status_code == 400
    waiting = code_step(client, right)  # even the right code waits now
    assert waiting.status_code == 429 and "Retry-After" in waiting.headers
    assert "Too many tries: wait 5 seconds" in page_text(waiting)
    assert not _signed_in(client, member)
    frozen.advance(6)
    assert code_step(client, code_at(secret)).status_code == 302
    assert _signed_in(client, member)


def test_a_backup_code_signs_in_once(app, client, member, frozen):
    login(client, member)
    _secret, codes = enrol_totp(client)
    assert len(codes) == 10
    log_out(client)
    password_step(client, member)
    used = code_step(client, codes[0].upper().replace("-", " - "))  # as typed from paper
    assert used.status_code == 302
    assert "You used a backup code. 9 are left." in page_text(client.get("/"))
    assert _signed_in(client, member)
    log_out(client)
    password_step(client, member)
    again = code_step(client, codes[0])
    assert again.status_code == 400 and WRONG_CODE in page_text(again)
    assert not _signed_in(client, member)
    assert code_step(client, codes[1].replace("-", "")).status_code == 302  # dashes left out


def test_a_recovery_code_replaces_the_password_never_the_second_factor(app, client, member,
                                                                       frozen):
    login(client, member)
    secret, _codes = enrol_totp(client)
    log_out(client)
    new_password = "lanterns over the harbor"
    response = client.post("/recover", data={
        "pseudonym": member.pseudonym, "code": member.recovery_codes_for_test[0],
        "password": new_password, "password_confirm": new_password,
        "csrf_token": csrf_from(client, "/recover")})
    assert response.status_code == 302 and response.location.endswith("/login/second-factor")
    assert not _signed_in(client, member)
    frozen.advance(30)
    assert code_step(client, code_at(secret)).status_code == 302
    assert _signed_in(client, member)


def test_a_first_factor_signs_out_browsers_that_had_the_password_alone(app, client, member,
                                                                         frozen):
    laptop = app.test_client()
    login(laptop, member)
    login(client, member)
    secret, _codes = enrol_totp(client)
    assert _signed_in(client, member)
    assert not _signed_in(laptop, member)  # it signs in again, with the app this time
    phone = app.test_client()
    password_step(phone, member)
    frozen.advance(30)
    code_step(phone, code_at(secret))
    add_second = client.post("/account/security/backup-codes",
                             data={"csrf_token": csrf_from(client, "/account/security")})
    assert add_second.status_code == 200
    assert _signed_in(phone, member)  # opened with a second factor: it stays


def test_removing_the_app_signs_out_the_other_devices(app, client, member, frozen):
    login(client, member)
    secret, _codes = enrol_totp(client)
    phone = app.test_client()
    password_step(phone, member)
    frozen.advance(30)
    code_step(phone, code_at(secret))
    assert _signed_in(phone, member)
    removed = client.post("/account/security/totp/remove",
                          data={"csrf_token": csrf_from(client, "/account/security")})
    assert removed.status_code == 302
    page = page_text(client.get("/account/security"))
    assert "The authenticator app is removed. Your other devices are signed out." in page
    assert "Set up an authenticator app" in page
    assert _signed_in(client, member)  # this device stays
    assert not _signed_in(phone, member)
    # Without a factor, the backup codes went too, and the password alone signs in again.
    assert "Backup codes left" in page and "You get ten backup codes" in page
    fresh = app.test_client()
    assert password_step(fresh, member).location == "/"


def test_removing_an_app_that_is_not_there_changes_nothing(app, client, member, frozen):
    login(client, member)
    other = app.test_client()
    login(other, member)
    response = client.post("/account/security/totp/remove",
                           data={"csrf_token": csrf_from(client, "/account/security")})
    assert response.status_code == 400
    assert "No authenticator app is set up." in page_text(response)
    assert _signed_in(other, member)
    assert db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "account.second_factor_removed")) is None


def test_new_backup_codes_replace_the_old_ones(app, client, member, frozen):
    login(client, member)
    _secret, old = enrol_totp(client)
    renewed = client.post("/account/security/backup-codes",
                          data={"csrf_token": csrf_from(client, "/account/security")})
    assert renewed.status_code == 200
    new = backup_codes_from(renewed.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "account.backup_codes_renewed")) is not None
    log_out(client)
    password_step(client, member)
    assert code_step(client, old[0]).status_code == 400
    assert code_step(client, new[0]).status_code == 302


def test_new_backup_codes_need_a_factor_first(client, member, frozen):
    login(client, member)
    response = client.post("/account/security/backup-codes",
                           data={"csrf_token": csrf_from(client, "/account/security")})
    assert response.status_code == 400
    assert "Set up an authenticator app or a passkey first." in page_text(response)


def test_a_stale_sign_in_confirms_it_is_them_before_a_change(client, member, frozen):
    login(client, member)
    token = csrf_from(client, "/account/security")
    page = client.get("/account/security").get_data(as_text=True)
    assert 'name="next" value="/account/security"' in page  # no referrer is ever sent
    frozen.advance(11 * 60)  # past step-up's ten minutes
    response = client.post("/account/security/totp",
                           data={"csrf_token": token, "next": "/account/security"})
    assert response.status_code == 303
    assert response.location.endswith("/account/confirm?next=/account/security")
    assert "Remove the app" not in page_text(client.get("/account/security"))


@pytest.fixture
def strict_limit(app_config):
    app_config["SECOND_FACTOR_RATE_LIMIT"] = "3 per hour"
    return app_config


def test_changes_on_the_page_share_a_rate_limit(strict_limit, client, member, frozen):
    login(client, member)
    token = csrf_from(client, "/account/security")
    for _ in range(3):
        assert client.post("/account/security/totp", data={"csrf_token": token}).status_code \
            == 200
    assert client.post("/account/security/totp/confirm",
                       data={"csrf_token": token, "code": "123456"}).status_code == 429


def test_the_page_and_the_second_step_in_spanish(app, client, member, frozen):
    login(client, member)
    page = page_text(client.get("/account/security", headers=SPANISH))
    assert '<html lang="es">' in page
    assert "Inicio de sesión en dos pasos" in page
    assert "Configurar una app de autenticación" in page
    token = csrf_from(client, "/account/security")
    started = page_text(client.post("/account/security/totp", data={"csrf_token": token},
                                    headers=SPANISH))
    assert "Activar el inicio de sesión en dos pasos" in started
    secret = secret_from(started)
    wrong = page_text(client.post("/account/security/totp/confirm", headers=SPANISH,
                                  data={"csrf_token": token, "code": _wrong(code_at(secret))}))
    assert "Ese código no funcionó." in wrong
    client.post("/account/security/totp/confirm", data={"csrf_token": token,
                                                        "code": code_at(secret)})
    log_out(client)
    password_step(client, member)
    second = page_text(client.get("/login/second-factor", headers=SPANISH))
    assert "Confirma que eres tú" in second


# --- a staff account with FORUM_STAFF_2FA=required --------------------------------------------

@pytest.fixture
def required(app):
    app.config["STAFF_2FA"] = "required"


def test_a_locked_moderator_sees_the_banner_until_they_enrol(required, client,
                                                             trained_moderator, frozen):
    login(client, trained_moderator)
    home = page_text(client.get("/"))
    assert "Your moderator role needs two-step sign-in." in home
    assert 'href="/account/security">Set it up to use it.</a>' in home
    assert client.get("/review").status_code == 404  # the role is locked
    enrol_totp(client)
    assert "needs two-step sign-in" not in page_text(client.get("/"))
    assert client.get("/review").status_code == 200  # this sign-in opened by the app now


def test_a_member_never_sees_the_banner(required, client, member, frozen):
    login(client, member)
    assert "two-step sign-in." not in page_text(client.get("/"))


def test_the_banner_names_every_locked_role_in_spanish(required, client, make_user, frozen):
    lead = make_user("lead-alex", roles_=("moderator", "admin"))
    login(client, lead)
    assert "Your moderator and admin roles need two-step sign-in." in page_text(client.get("/"))
    spanish = page_text(client.get("/", headers=SPANISH))
    assert ("Tus roles de moderación y administración necesitan el inicio de sesión en dos"
            " pasos.") in spanish


def test_granting_a_staff_role_says_it_waits_for_a_second_factor(required, client, admin,
                                                                 member, second_member,
                                                                 frozen):
    login(client, admin)
    enrol_totp(client)  # the admin's own role opens with the app
    people = f"/review/team/people?name={member.pseudonym}"
    token = csrf_from(client, people)
    granted = client.post(f"/review/team/people/{member.id}/role", data={
        "role-role": "moderator", "role-change": "grant", "role-password": PASSWORD,
        "csrf_token": token}, follow_redirects=True)
    text = page_text(granted)
    assert f"{member.pseudonym} is now Moderator." in text
    assert "They can't use it until they set up two-step sign-in." in text
    # A facilitator is not staff here (FORUM_FACILITATOR_2FA=optional): nothing to wait for.
    plain = page_text(client.post(f"/review/team/people/{second_member.id}/role", data={
        "role-role": "facilitator", "role-change": "grant", "role-password": PASSWORD,
        "csrf_token": token}, follow_redirects=True))
    assert f"{second_member.pseudonym} is now Facilitator." in plain
    assert "They can't use it" not in plain


def test_a_staff_account_cannot_remove_its_only_factor(required, client, trained_moderator,
                                                       frozen):
    login(client, trained_moderator)
    enrol_totp(client)
    response = client.post("/account/security/totp/remove",
                           data={"csrf_token": csrf_from(client, "/account/security")})
    assert response.status_code == 400
    assert "Your role needs a second factor." in page_text(response)
    assert "Remove the app" in page_text(client.get("/account/security"))


def test_signing_in_again_after_enrolling_keeps_the_role_open(required, app, client,
                                                              trained_moderator, frozen):
    login(client, trained_moderator)
    secret, _codes = enrol_totp(client)
    other = app.test_client()
    password_step(other, trained_moderator)
    frozen.advance(30)
    code_step(other, code_at(secret))
    assert other.get("/review").status_code == 200
    assert "needs two-step sign-in" not in page_text(other.get("/"))
