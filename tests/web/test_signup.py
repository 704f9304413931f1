"""Sign-up asks for a pseudonym, a password and agreement to the guidelines, nothing else."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum.models import RecoveryCode, User
from forum.services.accounts import guidelines
from tests.conftest import PASSWORD, csrf_from, page_text


def _signup(client, **overrides):
    data = {
        "pseudonym": "quiet-otter",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "agree": "y",
        "guidelines_version": str(guidelines.current_version().id),
        "csrf_token": csrf_from(client, "/signup"),
    }
    data.update(overrides)
    return client.post("/signup", data=data)


def test_signup_form_asks_only_pseudonym_password_and_agreement(client):
    page = page_text(client.get("/signup"))
    names = set(re.findall(r'<input[^>]*name="([^"]+)"', page))
    assert names == {
        "csrf_token",
        "guidelines_version",
        "pseudonym",
        "password",
        "password_confirm",
        "agree",
    }
    assert "email" not in page.lower().replace("no email", "")
    assert "Community guidelines" in page
    for name in ("password", "password_confirm"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'type="password"' in tag


def test_signup_creates_account_and_shows_eight_codes_once(client, db):
    response = _signup(client)
    assert response.status_code == 200
    page = page_text(response)
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", page)
    assert len(codes) == 8 and len(set(codes)) == 8
    user = db.session.scalar(select(User).where(User.pseudonym == "quiet-otter"))
    assert user is not None
    assert user.guidelines_version == guidelines.current_version().id
    assert user.password_hash.startswith("$argon2id$")
    stored = db.session.scalars(
        select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
    ).all()
    assert len(stored) == 8
    assert not any(code in h for code in codes for h in stored)
    # logged in straight away
    assert "quiet-otter" in page_text(client.get("/"))


@pytest.mark.parametrize(
    ("pseudonym", "message"),
    [
        ("ab", "3 to 32 characters"),
        ("x" * 33, "3 to 32 characters"),
        ("has space", "3 to 32 characters"),
        ("emoji🙂ok", "3 to 32 characters"),
        ("Admin", "reserved"),
        ("moderator", "reserved"),
        ("_staff_", "reserved"),
        ("Anonymous", "reserved"),
        ("support", "reserved"),
    ],
)
def test_pseudonym_refusals(client, db, pseudonym, message):
    response = _signup(client, pseudonym=pseudonym)
    assert response.status_code == 400
    assert message in page_text(response)
    assert db.session.scalar(select(User.id)) is None


def test_pseudonym_unique_without_regard_to_case(client, member, db):
    response = _signup(client, pseudonym=member.pseudonym.upper())
    assert response.status_code == 400
    assert "taken" in page_text(response)
    assert db.session.scalar(select(db.func.count(User.id))) == 1


def test_abusive_pseudonym_refused_by_moderation_pipeline(client, db):
    response = _signup(client, pseudonym="go-kill-yourself")
    assert response.status_code == 400
    assert db.session.scalar(select(User.id)) is None


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short1!", "short1!", "at least 10 characters"),
        ("password123", "password123", "too common"),
        ("1234567890", "1234567890", "too common"),
        ("quiet-otter", "quiet-otter", "too common"),  # same as the pseudonym
        (PASSWORD, PASSWORD + "x", "not the same"),
    ],
)
def test_password_refusals(client, db, password, confirm, message):
    response = _signup(client, password=password, password_confirm=confirm)
    assert response.status_code == 400
    assert message in page_text(response)
    assert db.session.scalar(select(User.id)) is None


def test_signup_requires_agreement_to_guidelines(client, db):
    data = {"agree": ""}
    response = _signup(client, **data)
    assert response.status_code == 400
    assert "tick the box to agree" in page_text(response)
    assert db.session.scalar(select(User.id)) is None


def test_refused_signup_keeps_what_was_typed(client):
    response = _signup(client, password="short")
    assert 'value="quiet-otter"' in page_text(response)


def test_suggest_gives_a_valid_free_pseudonym(client):
    from forum.services.accounts.pseudonyms import pseudonym_problems

    for _ in range(5):
        name = client.get("/signup/suggest").get_json()["pseudonym"]
        assert pseudonym_problems(name) == []


# Names that pass for staff, for the system or for another member's name.
IMPERSONATING = [
    "Anonymous-member", "Anonymous_member", "mod_rowan", "rnod-rowan", "moderator-rowan",
    "Moderator_team", "admin_jo", "facilitator_sam", "Deleted-member-1", "AnonymousMember",
    "m0d-rowan", "equipo-ana", "moderadora-luz", "miembro-anonimo",
]


@pytest.mark.parametrize("pseudonym", IMPERSONATING)
def test_names_that_claim_a_role_or_a_label_are_refused(client, db, pseudonym):
    response = _signup(client, pseudonym=pseudonym)
    assert response.status_code == 400
    page = page_text(response)
    assert "names can't include words such as moderator" in page
    # The form keeps what was typed and the ticked agreement.
    assert f'value="{pseudonym}"' in page
    assert re.search(r'<input[^>]*checked[^>]*name="agree"|<input[^>]*name="agree"[^>]*checked',
                     page)
    assert db.session.scalar(select(User.id)) is None


def test_a_reserved_name_is_refused_in_spanish(client, db):
    csrf = csrf_from(client, "/signup")
    response = client.post("/signup", headers={"Accept-Language": "es-ES,es;q=0.9"}, data={
        "pseudonym": "mod_rowan", "password": PASSWORD, "password_confirm": PASSWORD,
        "agree": "y", "guidelines_version": str(guidelines.current_version().id),
        "csrf_token": csrf,
    })
    assert response.status_code == 400
    assert "no puede incluir palabras como moderador" in page_text(response)


@pytest.mark.parametrize("pseudonym", ["Steady_Heron", "steady-her0n", "_steady--heron",
                                       "rnorning-cedar", "MORNlNG-CEDAR"])
def test_a_look_alike_of_an_existing_name_is_refused(client, member, second_member, db,
                                                     pseudonym):
    response = _signup(client, pseudonym=pseudonym)
    assert response.status_code == 400
    assert "looks too much like another member's" in page_text(response)
    assert db.session.scalar(select(db.func.count(User.id))) == 2


@pytest.mark.parametrize("pseudonym", ["modest-river", "teamwork", "steady-herons",
                                       "steady-heron-2", "moderation-fan"])
def test_innocent_names_near_a_role_word_or_a_member_are_accepted(client, member, db,
                                                                  pseudonym):
    response = _signup(client, pseudonym=pseudonym)
    assert response.status_code == 200, page_text(response)
    user = db.session.scalar(select(User).where(User.pseudonym == pseudonym))
    assert user is not None and user.pseudonym_skeleton


def test_renaming_to_a_role_or_a_look_alike_is_refused(client, member, second_member):
    from tests.conftest import login

    login(client, member)
    for name, message in (("moderator-heron", "names can't include words such as moderator"),
                          ("rnorning_cedar", "looks too much like another member's")):
        response = client.post("/account/pseudonym", data={
            "pseudonym": name, "password": PASSWORD,
            "csrf_token": csrf_from(client, "/account")})
        assert response.status_code == 400 and message in page_text(response)
