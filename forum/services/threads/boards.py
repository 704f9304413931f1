"""Boards (categories of threads): admins create and edit them."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...errors import ContentRejected, PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import Board, User
from .. import audit, screening, transaction

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_SLUGS = frozenset({"new", "edit", "search"})


def can_manage_boards(user: User | None) -> bool:
    """Only admins create and edit boards."""
    return user is not None and getattr(user, "is_authenticated", False) and user.has_role(
        "admin"
    )


def _validate(slug: str, name: str, description: str, content_note: str | None,
              board: Board | None) -> None:
    errors: dict[str, list[str]] = {}
    if not SLUG.match(slug) or len(slug) > 64 or slug in RESERVED_SLUGS:
        errors["slug"] = [str(_l("Use lowercase letters, digits and dashes (not new or edit)."))]
    else:
        other = db.session.scalar(select(Board).where(Board.slug == slug))
        if other is not None and (board is None or other.id != board.id):
            errors["slug"] = [str(_l("Another board already uses that address."))]
    if not (2 <= len(name) <= 100):
        errors["name"] = [str(_l("Use 2 to 100 characters for the name."))]
    if len(description) > 2000:
        errors["description"] = [str(_l("Please keep the description under 2000 characters."))]
    if content_note and len(content_note) > 200:
        errors["content_note"] = [str(_l("Please keep the note under 200 characters."))]
    if errors:
        raise ValidationFailed(errors)
    # Staff text is shown to everyone too: screen it once, refuse what would be held.
    for field, value, scope in (("name", name, "title"), ("description", description, "post"),
                                ("content_note", content_note or "", "title")):
        if value:
            verdict = screening.screen_text(value, scope=scope)
            if verdict.action in ("hold", "block"):
                raise ContentRejected(verdict, field=field)


def check_save_board(
    board: Board | None, *, slug: str, name: str, description: str, position: int,
    content_note: str | None, acting_user: User,
) -> Board:
    """Create a board (board=None) or change one; audited."""
    if not can_manage_boards(acting_user):
        raise PermissionDenied()
    slug, name, description = slug.strip().lower(), name.strip(), (description or "").strip()
    content_note = (content_note or "").strip() or None
    _validate(slug, name, description, content_note, board)
    created = board is None
    if board is None:
        board = Board(slug=slug)
        db.session.add(board)
    board.slug, board.name, board.description = slug, name, description
    board.position, board.content_note = position, content_note
    db.session.flush()
    audit.record("board.create" if created else "board.update", acting_user=acting_user,
                 target_type="board", target_id=board.id, details={"slug": slug})
    transaction.commit()
    return board
