"""Writing audit rows, always in the caller's transaction."""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import AuditEvent, User


def record(
    action: str,
    *,
    acting_user: User | None,
    target_type: str | None = None,
    target_id: int | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit row to the session; the caller commits it with the action itself."""
    event = AuditEvent(
        actor_id=acting_user.id if acting_user is not None else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        details=details,
    )
    db.session.add(event)
    return event
