"""Domain exceptions raised by services and translated by the web and realtime layers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ForumError(Exception):
    """Base class for errors a member may be shown."""

    code = "error"


class NotFound(ForumError):
    """Missing, or not yours to see: one error for both so nothing leaks."""

    code = "not_found"


class PermissionDenied(ForumError):
    """The acting user may not do this."""

    code = "forbidden"


class ValidationFailed(ForumError):
    """Input was refused; reasons maps a field name (or "") to human-readable messages."""

    code = "invalid"

    def __init__(self, reasons: dict[str, Sequence[str]] | str):
        if isinstance(reasons, str):
            reasons = {"": [reasons]}
        self.reasons = {k: list(v) for k, v in reasons.items()}
        super().__init__("; ".join(m for msgs in self.reasons.values() for m in msgs))


class ContentRejected(ForumError):
    """The moderation pipeline blocked the text; the verdict says why."""

    code = "rejected"

    def __init__(self, verdict: Any, field: str = ""):
        self.verdict = verdict
        self.field = field
        super().__init__(getattr(verdict, "message", None) or "This text can't be posted.")
