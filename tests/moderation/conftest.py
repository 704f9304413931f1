"""Fixtures for the moderation pipeline: the default rules, scratch rule dirs, fake scores."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from forum.moderation import Pipeline
from forum.moderation.classifiers import FallbackClassifier, SelectingClassifier
from forum.moderation.resources import DEFAULT_RULES_DIR


class FakeClassifier:
    """Returns fixed scores per text (by substring), or fails on purpose."""

    name = "fake"
    ready = True

    def __init__(self, scores: dict[str, dict[str, float]] | None = None, fail: bool = False):
        self.scores = scores or {}
        self.fail = fail
        self.calls: list[list[str]] = []

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        self.calls.append(list(texts))
        if self.fail:
            raise RuntimeError("model crashed")
        return [next((s for key, s in self.scores.items() if key in t), {}) for t in texts]


@pytest.fixture(scope="session")
def default_pipeline() -> Pipeline:
    """The repository's rules with the fallback classifier."""
    return Pipeline(DEFAULT_RULES_DIR, SelectingClassifier(None, FallbackClassifier()),
                    reload_interval=0)


@pytest.fixture(scope="session")
def rules_pipeline() -> Pipeline:
    """The repository's rules with a classifier that scores nothing (rules decide alone)."""
    return Pipeline(DEFAULT_RULES_DIR, FakeClassifier(), reload_interval=0)


@pytest.fixture
def rules_copy(tmp_path) -> Path:
    """A scratch copy of the default rule directory."""
    target = tmp_path / "rules_dir"
    shutil.copytree(DEFAULT_RULES_DIR, target, ignore=shutil.ignore_patterns("*.md"))
    return target


@pytest.fixture
def write_rules(rules_copy) -> Callable[[str, str], Path]:
    """Write (or replace) one rule file in the scratch directory."""

    def write(name: str, body: str) -> Path:
        path = rules_copy / "rules" / name
        path.write_text(body, encoding="utf-8")
        return path

    return write


@pytest.fixture
def fake_classifier() -> type[FakeClassifier]:
    return FakeClassifier
