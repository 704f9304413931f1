"""Every kind of member content is one ContentKind, registered in wiring.py and read by the
review queue, privacy and rescreen."""

from __future__ import annotations

import pytest

from forum.moderation import rescreen
from forum.services import content_kinds, review_queue, wiring
from forum.services.content_kinds import ContentKind


def test_the_app_knows_every_kind_once(app):
    assert content_kinds.names() == [kind.name for kind in wiring.content_kinds()]
    assert {kind.name for kind in content_kinds.reviewed()} == {
        "post", "report", "chat", "meeting", "support_note", "pseudonym", "team_message"}


def test_every_queued_kind_says_who_wrote_it_and_has_a_label(app):
    for kind in content_kinds.reviewed():
        assert kind.locate is not None, kind.name
        assert str(kind.label), kind.name


def test_the_export_keeps_its_sections_and_deletion_its_order(app):
    # The export's keys are what members and their tools read: renaming one breaks them.
    assert [kind.export_as for kind in content_kinds.exported()] == [
        "posts", "chat_messages", "support_requests", "checkins", "meeting_reminders",
        "room_participation", "push_devices", "push_preferences"]


def test_removing_means_something_only_where_a_kind_says_how(app):
    assert review_queue.can_remove("post")
    assert review_queue.can_remove("pseudonym")
    assert not review_queue.can_remove("report")
    assert not review_queue.can_remove("team_message")
    assert not review_queue.can_remove("no-such-kind")


def test_rescreen_reads_the_kinds_that_say_how(app):
    for name in ("post", "chat", "pseudonym"):
        kind = content_kinds.get(name)
        assert rescreen._sources[name] == (kind.rescreen_load, kind.rescreen_apply)


@pytest.mark.parametrize("broken", [
    {"export": lambda user: []},
    {"erase": lambda user, keep: None},
    {"export": lambda user: [], "erase": lambda user, keep: None},  # no export_as
    {"rescreen_load": lambda content_id: ""},
])
def test_a_half_described_kind_is_refused(broken):
    with pytest.raises(ValueError):
        content_kinds.register(ContentKind("half", **broken))
    assert content_kinds.get("half") is None
