"""Serve the primary classifier when it is ready, the fallback while it loads or cannot load."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from .base import Classifier

log = logging.getLogger("forum.moderation")


class SelectingClassifier:
    """A composite that always has a ready classifier to offer."""

    def __init__(self, primary: Classifier | None, fallback: Classifier) -> None:
        self.primary = primary
        self.fallback = fallback
        self._last: Classifier | None = None
        self._lock = threading.Lock()

    def active(self) -> Classifier:
        """The classifier that scores right now."""
        if self.primary is not None and self.primary.ready:
            return self.primary
        return self.fallback

    @property
    def name(self) -> str:
        """The active classifier's name."""
        return self.active().name

    @property
    def ready(self) -> bool:
        """Whether the active classifier can score."""
        return self.active().ready

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Score with the active classifier."""
        classifier = self.active()
        if classifier is not self._last:
            with self._lock:
                if classifier is not self._last:
                    self._last = classifier
                    log.info("classifier active: %s", classifier.name)
        return classifier.score(texts)

    def describe(self) -> dict[str, Any]:
        """Name and readiness of the active classifier, plus the primary's state."""
        active = self.active()
        info: dict[str, Any] = {"name": active.name, "ready": active.ready}
        if self.primary is not None and active is not self.primary:
            info["primary"] = self.primary.name
            info["primary_error"] = getattr(self.primary, "error", None)
        return info

    def close(self) -> None:
        """Stop background work of the primary."""
        close = getattr(self.primary, "close", None)
        if close:
            close()
