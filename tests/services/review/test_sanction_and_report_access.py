"""Who may give a strike over a crisis item, and who may report a post while muted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.errors import PermissionDenied
from forum.extensions import db
from forum.models import Report, Sanction
from forum.services.review import sanctions
from forum.services.threads import reports
from tests.fixtures import threads as threads_support
from tests.fixtures.review import audit_actions, post_item
from tests.fixtures.threads import new_thread

board = threads_support.board
screener = threads_support.screener


@pytest.mark.parametrize(("persona", "allowed"), [
    ("moderator", False), ("admin", False), ("trained_moderator", True),
])
def test_only_who_may_read_a_crisis_item_may_strike_over_it(
        request, board, member, screener, persona, allowed):
    item = post_item(board, member, "I can't go on", "crisis")
    # A strike only ever answers harm to another member beside a disclosure (a risk alone
    # takes none): the access rule is about reading the crisis item at all.
    item.categories = sorted({*item.categories, "harassment"})
    db.session.commit()
    acting = request.getfixturevalue(persona)
    if allowed:
        sanctions.check_sanction(member, "warn", "Please be gentle.", item=item,
                                 acting_user=acting)
        assert "sanction.warn" in audit_actions()
    else:
        with pytest.raises(PermissionDenied):
            sanctions.check_sanction(member, "warn", "Please be gentle.", item=item,
                                     acting_user=acting)
        assert "sanction.warn" not in audit_actions()
    assert len(db.session.scalars(select(Sanction)).all()) == (1 if allowed else 0)


def test_untrained_moderator_still_strikes_over_an_ordinary_item(
        board, member, moderator, screener):
    item = post_item(board, member, "Buy cheap pills here", "spam")
    sanctions.check_sanction(member, "warn", "No adverts, please.", item=item,
                             acting_user=moderator)
    assert [s.kind for s in db.session.scalars(select(Sanction))] == ["warn"]


def test_a_muted_member_may_still_report_but_a_suspended_one_may_not(
        board, member, second_member, trained_moderator, suspended, screener):
    post = new_thread(board, second_member).post
    sanctions.check_sanction(member, "mute", "Cooling off.", days=2,
                             acting_user=trained_moderator)
    assert reports.can_report(member)
    reports.check_report(post.id, "This reads like a threat to me.", acting_user=member)
    assert db.session.scalar(select(Report.post_id)) == post.id
    assert not reports.can_report(suspended)
    with pytest.raises(PermissionDenied):
        reports.check_report(post.id, "Spam", acting_user=suspended)
    assert len(db.session.scalars(select(Report)).all()) == 1
