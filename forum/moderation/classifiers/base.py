"""The classifier interface every implementation follows (DESIGN.md section 2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class Classifier(Protocol):
    """Scores texts per label (e.g. toxicity, insult, obscene) between 0 and 1."""

    name: str
    ready: bool

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One mapping of label to score per text, in order."""
        ...


class ClassifierUnavailable(RuntimeError):
    """The classifier could not score now (not loaded, failed or timed out)."""
