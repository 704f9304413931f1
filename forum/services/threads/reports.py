"""Reports: any member reports a post with a reason; it goes to the review queue.

The reporter is stored for moderators only and never shown to the reported member.
"""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...errors import ContentRejected, PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import Report, User
from .. import review_queue, screening, transaction
from ..accounts.account import is_suspended
from .reading import access_post, is_own

log = logging.getLogger("forum.reports")
REASON_MAX = 1000


def has_reported(post_id: int, user: User | None) -> bool:
    """Has this member already reported the post?"""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(
        select(Report.id).where(Report.post_id == post_id, Report.reporter_id == user.id)
    ) is not None


def can_report(user: User | None) -> bool:
    """May this account report posts? Any logged-in member not suspended, muted ones too: a mute
    stops posting, not asking the moderators for help."""
    return (user is not None and getattr(user, "is_authenticated", False)
            and not is_suspended(user))


def check_report(post_id: int, reason: str, *, acting_user: User) -> Report:
    """Report a post once, with a reason (screened once, like all member text)."""
    if not can_report(acting_user):
        raise PermissionDenied()
    post = access_post(post_id, acting_user)
    reason = (reason or "").replace("\x00", "").strip()
    if is_own(post, acting_user):
        raise ValidationFailed({"reason": [str(_l("You can't report your own post. You can"
                                                  " edit or delete it instead."))]})
    if not reason:
        raise ValidationFailed({"reason": [str(_l("Please say briefly what is wrong."))]})
    if len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": [str(_l("Please keep the reason under %(n)d"
                                                  " characters.", n=REASON_MAX))]})
    if has_reported(post.id, acting_user):
        raise ValidationFailed({"reason": [str(_l("You have already reported this post."
                                                  " Moderators will look at it."))]})
    verdict = screening.screen_text(reason, scope="report", author=acting_user)
    if verdict.action == "block":
        raise ContentRejected(verdict, field="reason")
    report = Report(post_id=post.id, reporter_id=acting_user.id, reason=reason)
    db.session.add(report)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ValidationFailed(
            {"reason": [str(_l("You have already reported this post."))]}
        ) from None
    review_queue.do_enqueue("post", post.id, report=report)
    if verdict.needs_review:
        # The reason itself may say the reporter is in trouble: route it to a human too.
        review_queue.do_enqueue("report", report.id, verdict=verdict)
    transaction.commit()
    log.info("post reported post_id=%s report_id=%s", post.id, report.id)
    return report
