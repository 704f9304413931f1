"""Helpers for the review queue tests: a controllable clock and items made through services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import AuditEvent, ReviewItem
from forum.moderation.verdict import Reason, Verdict
from forum.services import clock, review_queue
from tests.threads_support import new_thread


class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime):
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kwargs) -> datetime:
        self.at += timedelta(**kwargs)
        return self.at


@pytest.fixture
def fake_clock(monkeypatch) -> Clock:
    """Replace forum.services.clock.now for queue logic."""
    c = Clock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(clock, "now", c)
    return c


def verdict(category: str, action: str = "hold", priority: str | None = None,
            span: tuple[int, int] | None = None) -> Verdict:
    """A pipeline verdict for one category."""
    risk = category in {"crisis", "crisis-method", "overdose"}
    return Verdict(action=action, categories=(category,),
                   priority=priority or ("urgent" if risk else "normal"),
                   reasons=(Reason("rule", f"test-{category}", category, span),))


def post_item(board, author, body: str, category: str, *, action: str = "hold") -> ReviewItem:
    """A thread whose opening post the (scripted) pipeline held or flagged: needs `screener`."""
    result = new_thread(board, author, body=f"{body} [[{action}:{category}]]", confirm_hold=True)
    return review_queue.item_for("post", result.post.id)


def audit_actions() -> list[str]:
    """Every audit action recorded, in order."""
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
