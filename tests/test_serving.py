"""Serving helpers: the start-up heap is settled (frozen) only once the models have loaded."""

from __future__ import annotations

import gc
import logging
import threading
import time

from forum.moderation.classifiers.fallback import FallbackClassifier
from forum.moderation.classifiers.selector import SelectingClassifier
from forum.moderation.pipeline import Pipeline
from forum.moderation.resources import DEFAULT_RULES_DIR
from forum.serving import settle_heap


class SlowWarm(FallbackClassifier):
    """A fallback whose model takes a while to load."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.warmed = threading.Event()

    def warm(self) -> None:
        time.sleep(self.seconds)
        self.warmed.set()


class SlowPrimary:
    """A primary classifier still loading, as Detoxify is at start-up."""

    name, ready = "slow-primary", False

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.waited = None

    def wait_until_loaded(self, timeout=None):
        self.waited = timeout
        time.sleep(min(self.seconds, timeout))
        return False


def test_wait_warm_waits_for_the_fallback_and_the_primary():
    fallback, primary = SlowWarm(0.3), SlowPrimary(0.2)
    pipeline = Pipeline(DEFAULT_RULES_DIR, SelectingClassifier(primary, fallback),
                        reload_interval=0)
    pipeline.warm(background=True)
    assert not fallback.warmed.is_set()
    started = time.monotonic()
    pipeline.wait_warm(5)
    assert fallback.warmed.is_set()
    assert primary.waited is not None and primary.waited <= 5
    assert time.monotonic() - started >= 0.45


def test_wait_warm_gives_up_at_its_timeout():
    fallback = SlowWarm(2.0)
    pipeline = Pipeline(DEFAULT_RULES_DIR, fallback, reload_interval=0)
    pipeline.warm(background=True)
    started = time.monotonic()
    pipeline.wait_warm(0.2)
    assert time.monotonic() - started < 1.0
    assert not fallback.warmed.is_set()


def test_settle_heap_freezes_after_warm_up(app, caplog):
    fallback = SlowWarm(0.3)
    pipeline = Pipeline(DEFAULT_RULES_DIR, fallback, reload_interval=0)
    app.extensions["moderation"] = pipeline
    pipeline.warm(background=True)
    gc.unfreeze()
    try:
        with caplog.at_level(logging.INFO, logger="forum.serving"):
            thread = settle_heap(app, timeout_s=10)
            time.sleep(0.1)
            assert gc.get_freeze_count() == 0  # still loading: nothing frozen yet
            # The collection before the freeze walks the whole test process's heap, which
            # a long run on a busy machine makes slow: wait for it, however long it takes.
            thread.join(120)
            assert not thread.is_alive()
        assert fallback.warmed.is_set()
        assert gc.get_freeze_count() > 0
        assert "start-up heap settled frozen_objects=" in caplog.text
    finally:
        gc.unfreeze()
