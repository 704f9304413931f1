"""The one moderation pipeline in front of everything members write (DESIGN.md section 2)."""

from __future__ import annotations

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
    pipeline = Pipeline.from_config(app.config)
    app.extensions["moderation"] = pipeline
    if not app.testing:
        pipeline.warm(background=True)


def get_pipeline() -> Pipeline:
    """The current app's pipeline."""
    return current_app.extensions["moderation"]


def screen(text: str, *, scope: str, author: Any = None, locale: str | None = None) -> Verdict:
    """Screen one piece of member-written text with the current app's pipeline."""
    return get_pipeline().screen(text, scope=scope, author=author, locale=locale)


def status() -> dict[str, Any]:
    """Classifier and rule-set status for /healthz."""
    return get_pipeline().status()
