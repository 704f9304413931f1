"""The one moderation pipeline in front of everything members write (DESIGN.md section 2)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from .pipeline import Pipeline
from .verdict import ACTIONS, PRIORITIES, SCOPES, Reason, Verdict

__all__ = [
    "ACTIONS", "PRIORITIES", "SCOPES", "Pipeline", "Reason", "Verdict", "get_pipeline",
    "init_app", "screen", "status",
]


def init_app(app: Flask) -> None:
    """Build the pipeline from app.config and keep it in app.extensions["moderation"]."""
    config = dict(app.config)
    # Example vectors are kept between restarts, so a restart does not embed them all again.
    config.setdefault("SEMANTIC_CACHE_DIR", str(Path(app.instance_path) / "semantic-cache"))
    pipeline = Pipeline.from_config(config)
    app.extensions["moderation"] = pipeline
    if not app.testing:
        pipeline.warm(background=True)


def get_pipeline() -> Pipeline:
    """The current app's pipeline."""
    return current_app.extensions["moderation"]


def screen(
    text: str, *, scope: str, author: Any = None, locale: str | None = None,
    context: Sequence[str] | None = None,
) -> Verdict:
    """Screen one piece of member-written text with the current app's pipeline."""
    return get_pipeline().screen(text, scope=scope, author=author, locale=locale,
                                 context=context)


def status() -> dict[str, Any]:
    """Classifier, semantic layer and rule-set status for /healthz."""
    return get_pipeline().status()
