"""A minimal private inbox between one member and the moderation team (never member to member),
and the caring-message templates kept in moderation_rules/templates/."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ...errors import ContentRejected, NotFound, PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import ReviewItem, TeamMessage, User
from .. import audit, clock, review_queue, screening, transaction

log = logging.getLogger("forum.inbox")
BODY_MAX = 5000


@dataclass(frozen=True)
class CaringTemplate:
    """An editable starting point for a supportive message."""

    slug: str
    title: str
    body: str


def _read_template(path: Path) -> CaringTemplate:
    text = path.read_text(encoding="utf-8").strip()
    first, _sep, rest = text.partition("\n")
    # The file is wrapped for editing; the message keeps its line breaks, so each paragraph
    # becomes one line and wraps where the reader's screen does.
    paragraphs = (" ".join(line.strip() for line in block.splitlines())
                  for block in re.split(r"\n\s*\n", rest.strip()))
    return CaringTemplate(path.stem, first.lstrip("# ").strip(), "\n\n".join(paragraphs))


def caring_templates(language: str | None = None) -> list[CaringTemplate]:
    """The Markdown templates in moderation_rules/templates/ (first line '# Title').

    With a language, each template comes in it where `templates/<language>/<slug>.md` exists
    (the member reads the message, so it is written in their language), else in English."""
    folder = Path(current_app.config["MODERATION_RULES_DIR"]) / "templates"
    local = folder / language if language and language.isalpha() else None
    out = []
    for path in sorted(folder.glob("*.md")):
        translated = local / path.name if local is not None else None
        out.append(_read_template(translated if translated and translated.is_file() else path))
    return out


def member_language(member_id: int | None) -> str | None:
    """The language a member reads the forum in (their account's choice), if they chose one."""
    if member_id is None:
        return None
    member = db.session.get(User, member_id)
    return member.locale if member is not None and member.locale else None


def _clean(body: str) -> str:
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise ValidationFailed({"body": [str(_l("Please write something first."))]})
    if len(body) > BODY_MAX:
        raise ValidationFailed({"body": [str(_l("Please keep it under %(n)d characters.",
                                                  n=BODY_MAX))]})
    return body


def do_send_from_team(
    member_id: int, body: str, *, acting_user: User | None, item: ReviewItem | None = None,
    action: str = "inbox.send",
) -> TeamMessage:
    """The team writes to a member (caller commits); audited when a person sends it."""
    message = TeamMessage(
        member_id=member_id, sender_id=acting_user.id if acting_user else None, from_team=True,
        body=body, item_id=item.id if item else None, created_at=clock.now(),
    )
    db.session.add(message)
    db.session.flush()
    if acting_user is not None:
        audit.record(action, acting_user=acting_user, target_type="user", target_id=member_id,
                     details={"message_id": message.id, "item_id": item.id if item else None})
    return message


def check_team_message(
    member_id: int, body: str, *, acting_user: User, item: ReviewItem | None = None
) -> TeamMessage:
    """A moderator writes to a member from the team inbox or from an item."""
    if not review_queue.can_review(acting_user):
        raise PermissionDenied()
    if db.session.get(User, member_id) is None:
        raise NotFound()
    message = do_send_from_team(member_id, _clean(body), acting_user=acting_user, item=item)
    transaction.commit()
    log.info("team message sent member_id=%s message_id=%s", member_id, message.id)
    return message


def check_member_message(body: str, *, acting_user: User) -> TeamMessage:
    """A member writes to the team; screened once, and a crisis goes to a trained human."""
    if acting_user is None or not getattr(acting_user, "is_authenticated", False):
        raise PermissionDenied()
    body = _clean(body)
    verdict = screening.screen_text(body, scope="post", author=acting_user)
    if verdict.action == "block":
        raise ContentRejected(verdict, field="body")
    message = TeamMessage(member_id=acting_user.id, sender_id=acting_user.id, from_team=False,
                          body=body, created_at=clock.now())
    db.session.add(message)
    db.session.flush()
    if verdict.needs_review:
        review_queue.do_enqueue("team_message", message.id, verdict=verdict)
    transaction.commit()
    return message


def conversation(member: User) -> list[TeamMessage]:
    """All messages between this member and the team, oldest first."""
    return list(db.session.scalars(
        select(TeamMessage).where(TeamMessage.member_id == member.id).order_by(TeamMessage.id)
    ))


def do_mark_read_by_member(member: User) -> None:
    """The member opened the inbox: the team's messages are read."""
    db.session.execute(update(TeamMessage).where(
        TeamMessage.member_id == member.id, TeamMessage.from_team.is_(True),
        TeamMessage.read_at.is_(None)).values(read_at=clock.now()))
    transaction.commit()


def unread_for_member(member: User) -> int:
    """Team messages the member has not opened yet (for the header link)."""
    return db.session.scalar(select(func.count(TeamMessage.id)).where(
        TeamMessage.member_id == member.id, TeamMessage.from_team.is_(True),
        TeamMessage.read_at.is_(None))) or 0


@dataclass(frozen=True)
class InboxRow:
    """One member's conversation in the team inbox."""

    member_id: int
    pseudonym: str
    last_at: datetime
    waiting: bool


def team_inbox(*, acting_user: User) -> list[InboxRow]:
    """Conversations, latest first; waiting when the member wrote last."""
    if not review_queue.can_review(acting_user):
        raise NotFound()
    last_ids = select(func.max(TeamMessage.id)).group_by(TeamMessage.member_id)
    rows = db.session.execute(
        select(TeamMessage, User.pseudonym).join(User, User.id == TeamMessage.member_id)
        .where(TeamMessage.id.in_(last_ids)).order_by(TeamMessage.id.desc()).limit(200)
    )
    return [InboxRow(m.member_id, name, m.created_at, not m.from_team) for m, name in rows]


def locate(message_id: int) -> tuple[int | None, int | None, int | None]:
    """Who wrote a member's message to the team (for the queue)."""
    message = db.session.get(TeamMessage, message_id)
    return (message.member_id if message else None), None, None
