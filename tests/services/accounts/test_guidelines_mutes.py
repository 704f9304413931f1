"""Guidelines versions with re-agreement, and muting."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.errors import NotFound, PermissionDenied, ValidationFailed
from forum.models import AuditEvent
from forum.services.accounts import guidelines, mutes
from tests.conftest import csrf_from, login, page_text


def test_publishing_new_guidelines_asks_members_again(app, db, member, admin):
    assert not guidelines.needs_agreement(member)
    client = app.test_client()
    login(client, member)
    assert "guidelines have changed" not in page_text(client.get("/"))

    version = guidelines.check_publish(
        "# Guidelines\n\nBe kind. Share your own story.", acting_user=admin
    )
    assert db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "guidelines.publish", AuditEvent.target_id == version.id
        )
    )
    assert guidelines.needs_agreement(member)
    page = page_text(client.get("/"))
    assert "guidelines have changed" in page

    page = page_text(client.get("/guidelines"))
    assert "Be kind. Share your own story." in page
    response = client.post(
        "/guidelines/agree",
        data={"version": str(version.id), "csrf_token": csrf_from(client, "/guidelines")},
    )
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.guidelines_version == version.id
    assert "guidelines have changed" not in page_text(client.get("/"))


def test_agreeing_to_an_outdated_version_is_refused(member, admin):
    old = guidelines.current_version().id
    guidelines.check_publish("# New text", acting_user=admin)
    with pytest.raises(ValidationFailed):
        guidelines.do_agree(member, old)


@pytest.mark.parametrize("persona", ["member", "facilitator", "moderator"])
def test_only_admins_publish_guidelines(request, persona, app):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        guidelines.check_publish("# Mine now", acting_user=user)
    client = app.test_client()
    login(client, user)
    assert client.get("/guidelines/edit").status_code == 403


def test_admin_edits_guidelines_over_http(app, admin):
    client = app.test_client()
    login(client, admin)
    page = page_text(client.get("/guidelines/edit"))
    assert "never replaces" in page  # the current text, ready to edit
    response = client.post(
        "/guidelines/edit",
        data={
            "body": "# Guidelines v2\n\nNo sourcing.",
            "csrf_token": csrf_from(client, "/guidelines/edit"),
        },
    )
    assert response.status_code == 302
    assert "No sourcing." in page_text(client.get("/guidelines"))


def test_guidelines_markdown_is_sanitized(app, admin, client):
    guidelines.check_publish(
        "# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))", acting_user=admin
    )
    page = client.get("/guidelines").get_data(as_text=True)  # raw: escaped text is harmless
    assert "<script>alert" not in page
    assert 'href="javascript' not in page


def test_default_guidelines_cover_the_norms(client):
    page = page_text(client.get("/guidelines")).lower()
    for phrase in (
        "boundaries",
        "confidential",
        "disagree kindly",
        "what moderators do",
        "never replaces",
    ):
        assert phrase in page


def test_mute_and_unmute(app, member, second_member):
    assert mutes.muted_ids(member) == frozenset()
    mutes.check_mute(member, second_member.pseudonym.upper())
    mutes.check_mute(member, second_member.pseudonym)  # idempotent
    assert mutes.muted_ids(member) == {second_member.id}
    assert mutes.muted_ids(second_member) == frozenset()
    mutes.do_unmute(member, second_member.id)
    assert mutes.muted_ids(member) == frozenset()


def test_mute_refusals(member):
    with pytest.raises(NotFound):
        mutes.check_mute(member, "nobody-by-this-name")
    with pytest.raises(ValidationFailed):
        mutes.check_mute(member, member.pseudonym)


def test_mute_over_http(app, member, second_member):
    client = app.test_client()
    login(client, member)
    response = client.post(
        "/account/mutes",
        data={"pseudonym": second_member.pseudonym, "csrf_token": csrf_from(client, "/account")},
    )
    assert response.status_code == 302
    page = page_text(client.get("/account"))
    assert f"Unmute {second_member.pseudonym}" in page
    missing = client.post(
        "/account/mutes",
        data={"pseudonym": "no-such-member", "csrf_token": csrf_from(client, "/account")},
    )
    assert missing.status_code == 400
    assert "No member has that pseudonym" in page_text(missing)
