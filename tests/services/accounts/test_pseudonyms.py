"""Pseudonym rules: no name claims a role or reads as a label, and no name passes for another."""

from __future__ import annotations

import itertools

import pytest

from forum.errors import ValidationFailed
from forum.services.accounts import account as accounts, pseudonyms
from forum.services.accounts.pseudonyms import is_reserved, pseudonym_problems, pseudonym_skeleton

# Names that read as staff, as the system or as the labels shown in place of a name.
CLAIMING = [
    "Anonymous-member", "Anonymous_member", "AnonymousMember", "anonymousmember",
    "Deleted-member-1", "DeletedMember", "mod_rowan", "rnod-rowan", "m0d-rowan", "ModRowan",
    "moderator-rowan", "Moderator_team", "admin_jo", "adm1n-jo", "4dmin", "admin1", "1admin",
    "facilitator_sam", "staff-kai", "5taff", "team4", "support-desk", "crisis-line",
    "deleted1member", "moderadora-luz", "equipo-ana", "anonimo", "miembro-anonimo",
    "facilitador-leo", "administrador", "eliminado-7", "soporte-tecnico", "apoyo-24",
    "official-news", "Admin", "moderator", "_staff_", "Anonymous", "support", "here", "nobody",
]
# Names that merely contain a role word inside a longer word, or share no word with one.
INNOCENT = [
    "modest-river", "teamwork", "moderation-fan", "adminton", "supportive-pal", "amod",
    "here-today", "nobody-special", "crisisless", "steady-heron-42", "quiet-otter",
    "modern-life", "learn-daily", "Teamster-Jo",
]


@pytest.mark.parametrize("name", CLAIMING)
def test_names_claiming_a_role_or_a_label_are_reserved(name):
    assert is_reserved(name)
    assert "reserved" in pseudonym_problems(name)[0]


@pytest.mark.parametrize("name", INNOCENT)
def test_role_words_inside_longer_words_are_not(name):
    assert not is_reserved(name)
    assert pseudonym_problems(name) == []


@pytest.mark.parametrize(("a", "b"), [
    ("mod-rowan", "rnod_rowan"), ("Steady-Heron", "steady__heron"), ("river-oak", "river-0ak"),
    ("calm-lake", "caim-1ake"), ("willow", "wiIIow"), ("cloud", "doud"), ("wave", "vvave"),
    ("-river-", "river"),
])
def test_look_alikes_share_a_skeleton(a, b):
    assert pseudonym_skeleton(a) == pseudonym_skeleton(b)


@pytest.mark.parametrize(("a", "b"), [
    ("river-75", "river-ts"), ("steady-heron", "steady-herons"), ("river-oak", "river-oak-2"),
])
def test_different_names_keep_different_skeletons(a, b):
    assert pseudonym_skeleton(a) != pseudonym_skeleton(b)


def test_every_suggestion_is_allowed():
    for adjective, noun in itertools.product(pseudonyms._ADJECTIVES, pseudonyms._NOUNS):
        assert pseudonym_problems(f"{adjective}-{noun}-10") == []


def test_a_look_alike_of_another_members_name_is_refused(member):
    for name in ("steady_heron", "Steady-Her0n", "steady--heron", "-steady-heron"):
        with pytest.raises(ValidationFailed) as refused:
            accounts._check_new_pseudonym(name)
        assert "looks too much like" in refused.value.reasons["pseudonym"][0]
    assert member.pseudonym_skeleton == "steady-heron"


def test_a_member_may_change_only_the_look_of_their_own_name(member, db):
    from tests.conftest import PASSWORD

    accounts.check_change_pseudonym(member, "Steady_Heron", PASSWORD)
    db.session.refresh(member)
    assert member.pseudonym == "Steady_Heron" and member.pseudonym_skeleton == "steady-heron"
