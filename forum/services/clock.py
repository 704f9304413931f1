"""One clock for queue logic (claim lapses, escalation, breaks); tests replace now()."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware in UTC. Tests monkeypatch this function."""
    return datetime.now(UTC)
