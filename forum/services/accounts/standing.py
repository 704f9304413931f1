"""May this account write now? One answer for posts, replies, reactions and chat."""

from __future__ import annotations

from ...models import User
from ..review.sanctions import is_muted
from .account import is_suspended


def can_write(user: User | None) -> bool:
    """Signed in, and neither suspended nor muted by a moderator."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return not is_suspended(user) and not is_muted(user)
