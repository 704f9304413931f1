"""Pseudonyms chosen while the classifier was down are screened again by `flask rescreen`."""

from __future__ import annotations

from sqlalchemy import select

from forum.models import PendingRescreen, ReviewItem
from forum.services.accounts import account as accounts, guidelines
from tests.conftest import PASSWORD


class _Scores:
    """A classifier that is down, then up and scoring one word as an insult."""

    name = "scripted"
    ready = True

    def __init__(self):
        self.down = True

    def score(self, texts):
        if self.down:
            raise RuntimeError("model crashed")
        return [{"insult": 0.97} if "grumbler" in t else {} for t in texts]


def _signup(pseudonym: str):
    return accounts.check_signup(
        pseudonym, PASSWORD, PASSWORD, agreed_guidelines_version=guidelines.current_version().id
    ).user


def test_pseudonym_screened_again_and_queued_when_no_longer_clean(app, db, runner):
    pipeline = app.extensions["moderation"]
    original, scripted = pipeline.classifier, _Scores()
    pipeline.classifier = scripted
    try:
        flagged = _signup("grumbler-77")
        clean = _signup("quiet-otter")
        queued = db.session.scalars(select(PendingRescreen.content_id)).all()
        assert sorted(queued) == sorted([flagged.id, clean.id])

        scripted.down = False
        result = runner.invoke(args=["rescreen"])
        assert result.exit_code == 0, result.output
    finally:
        pipeline.classifier = original
    assert db.session.scalars(select(PendingRescreen)).all() == []
    items = db.session.scalars(select(ReviewItem)).all()
    assert [(i.content_kind, i.content_id) for i in items] == [("pseudonym", flagged.id)]
    # The rescreen queues for a human; it never renames anyone by itself.
    db.session.refresh(flagged)
    assert flagged.pseudonym == "grumbler-77"
