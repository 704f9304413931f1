"""Log in, log out, recovery codes, password and pseudonym changes."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select

from forum.models import PseudonymHistory
from tests.conftest import PASSWORD, csrf_from, login, page_text

NEW_PASSWORD = "lanterns over the harbor"


def test_login_and_logout(client, member):
    bad = client.post(
        "/login",
        data={
            "pseudonym": member.pseudonym,
            "password": "wrong pass 1",
            "csrf_token": csrf_from(client, "/login"),
        },
    )
    assert bad.status_code == 400
    assert "don't match" in page_text(bad)
    login(client, member)
    assert client.get("/account").status_code == 200
    token = csrf_from(client, "/account")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/account").status_code == 302


def test_login_is_case_insensitive_for_pseudonym(client, member):
    response = client.post(
        "/login",
        data={
            "pseudonym": member.pseudonym.upper(),
            "password": PASSWORD,
            "csrf_token": csrf_from(client, "/login"),
        },
    )
    assert response.status_code == 302


def test_suspended_member_cannot_log_in(client, suspended):
    response = client.post(
        "/login",
        data={
            "pseudonym": suspended.pseudonym,
            "password": PASSWORD,
            "csrf_token": csrf_from(client, "/login"),
        },
    )
    assert response.status_code == 400
    assert "suspended" in page_text(response)


def test_login_rate_limit_is_per_client(app, client, member):
    token = csrf_from(client, "/login")
    statuses = [
        client.post(
            "/login",
            data={"pseudonym": f"made-up-{i}", "password": "wrong-xxxx", "csrf_token": token},
        ).status_code
        for i in range(31)
    ]
    assert statuses[:30] == [400] * 30
    assert statuses[30] == 429
    limited = client.post(
        "/login", data={"pseudonym": member.pseudonym, "password": PASSWORD, "csrf_token": token}
    )
    assert limited.status_code == 429
    assert "Please wait a few minutes" in page_text(limited)
    # Another client is not in that bucket.
    elsewhere = app.test_client()
    response = elsewhere.post("/login", environ_base={"REMOTE_ADDR": "192.0.2.9"}, data={
        "pseudonym": member.pseudonym, "password": PASSWORD,
        "csrf_token": csrf_from(elsewhere, "/login")})
    assert response.status_code == 302


def test_signup_rate_limit(client):
    token = csrf_from(client, "/signup")
    statuses = [
        client.post(
            "/signup", data={"pseudonym": "x", "password": "", "csrf_token": token}
        ).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [400] * 5
    assert statuses[5] == 429


def _recover(client, pseudonym, code, password=NEW_PASSWORD):
    return client.post(
        "/recover",
        data={
            "pseudonym": pseudonym,
            "code": code,
            "password": password,
            "password_confirm": password,
            "csrf_token": csrf_from(client, "/recover"),
        },
    )


def test_recovery_code_resets_password_once(app, member):
    code = member.recovery_codes_for_test[3]
    first = app.test_client()
    response = _recover(first, member.pseudonym, code.upper())
    assert response.status_code == 302
    assert "7 recovery codes left" in page_text(first.get(response.location))

    again = app.test_client()
    response = _recover(again, member.pseudonym, code, password="another fine password")
    assert response.status_code == 400
    assert "don't match an unused code" in page_text(response)

    fresh = app.test_client()
    login(fresh, member, password=NEW_PASSWORD)
    old = app.test_client()
    bad = old.post(
        "/login",
        data={
            "pseudonym": member.pseudonym,
            "password": PASSWORD,
            "csrf_token": csrf_from(old, "/login"),
        },
    )
    assert bad.status_code == 400


def test_recovery_code_of_another_member_does_not_work(client, member, second_member):
    response = _recover(client, member.pseudonym, second_member.recovery_codes_for_test[0])
    assert response.status_code == 400


def test_change_password_signs_out_other_sessions(app, member):
    phone, laptop = app.test_client(), app.test_client()
    login(phone, member)
    login(laptop, member)
    response = laptop.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
            "csrf_token": csrf_from(laptop, "/account"),
        },
    )
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200
    assert phone.get("/account").status_code == 302  # signed out


def test_change_password_needs_current_password(logged_in):
    response = logged_in.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
            "csrf_token": csrf_from(logged_in, "/account"),
        },
    )
    assert response.status_code == 400
    assert "not your current password" in page_text(response)


def test_change_pseudonym_keeps_history_for_moderators(logged_in, member, db):
    response = logged_in.post(
        "/account/pseudonym",
        data={
            "pseudonym": "rising-tide",
            "password": PASSWORD,
            "csrf_token": csrf_from(logged_in, "/account"),
        },
    )
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.pseudonym == "rising-tide"
    history = db.session.scalars(
        select(PseudonymHistory.pseudonym).where(PseudonymHistory.user_id == member.id)
    ).all()
    assert history == ["steady-heron"]
    # The old name is free again only in the sense of history: the account page shows the new one.
    assert "rising-tide" in page_text(logged_in.get("/account"))


def test_change_pseudonym_refuses_taken_and_reserved(logged_in, second_member):
    token = csrf_from(logged_in, "/account")
    taken = logged_in.post(
        "/account/pseudonym",
        data={
            "pseudonym": second_member.pseudonym.upper(),
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert taken.status_code == 400 and "taken" in page_text(taken)
    reserved = logged_in.post(
        "/account/pseudonym", data={"pseudonym": "staff", "password": PASSWORD, "csrf_token": token}
    )
    assert reserved.status_code == 400 and "reserved" in page_text(reserved)


def test_member_may_change_only_the_case_of_their_pseudonym(logged_in, member, db):
    response = logged_in.post(
        "/account/pseudonym",
        data={
            "pseudonym": "Steady-Heron",
            "password": PASSWORD,
            "csrf_token": csrf_from(logged_in, "/account"),
        },
    )
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.pseudonym == "Steady-Heron"


def test_regenerated_codes_replace_old_ones(app, logged_in, member):
    old_code = member.recovery_codes_for_test[0]
    response = logged_in.post(
        "/account/recovery-codes",
        data={"password": PASSWORD, "csrf_token": csrf_from(logged_in, "/account")},
    )
    assert response.status_code == 200
    other = app.test_client()
    assert _recover(other, member.pseudonym, old_code).status_code == 400


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "/\tevil", "https:evil.example"])
def test_open_redirect_after_login_is_refused(client, member, target):
    response = client.post(
        "/login?next=" + quote(target),
        data={
            "pseudonym": member.pseudonym,
            "password": PASSWORD,
            "csrf_token": csrf_from(client, "/login"),
        },
    )
    assert response.status_code == 302
    assert response.location == "/"
