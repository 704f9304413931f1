"""The pipeline: normalize → rule matching → classifier → policy, for one text or a batch."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .classifiers.base import Classifier, ClassifierUnavailable
from .classifiers.detoxify import DetoxifyClassifier, resolve_checkpoint
from .classifiers.fallback import FallbackClassifier
from .classifiers.selector import SelectingClassifier
from .policy import decide
from .resources import DEFAULT_RULES_DIR
from .rules.loader import RuleSet
from .rules.matcher import RuleHit
from .rules.store import RuleStore
from .verdict import SCOPES, Verdict

log = logging.getLogger("forum.moderation")
CLASSIFIER_CHOICES = ("auto", "fallback", "detoxify")


def build_classifier(config: Mapping[str, Any]) -> SelectingClassifier:
    """The classifier the configuration asks for, always backed by the fallback."""
    kind = str(config.get("CLASSIFIER") or "auto").lower()
    if kind not in CLASSIFIER_CHOICES:
        raise ValueError(f"CLASSIFIER must be one of {', '.join(CLASSIFIER_CHOICES)}")
    model_type = str(config.get("DETOXIFY_MODEL_TYPE") or "unbiased")
    checkpoint = config.get("DETOXIFY_CHECKPOINT") or None
    fallback = FallbackClassifier()
    found = resolve_checkpoint(model_type, checkpoint) is not None
    if kind == "fallback" or (kind == "auto" and not found):
        log.info("classifier active: %s (CLASSIFIER=%s, no Detoxify checkpoint in use)",
                 fallback.name, kind)
        return SelectingClassifier(None, fallback)
    primary = DetoxifyClassifier(
        model_type, checkpoint, config.get("DETOXIFY_HF_CONFIG_DIR") or None,
        timeout=float(config.get("CLASSIFIER_TIMEOUT_S", 2.0)),
    )
    log.info("classifier active: %s while %s loads", fallback.name, primary.name)
    return SelectingClassifier(primary, fallback)


class Pipeline:
    """Screens member-written text; usable with or without Flask."""

    def __init__(
        self, rules_dir: str | Path | None = None, classifier: Classifier | None = None, *,
        reload_interval: float = 2.0,
    ) -> None:
        self.store = RuleStore(rules_dir or DEFAULT_RULES_DIR, reload_interval)
        self.classifier: Classifier = classifier or SelectingClassifier(None, FallbackClassifier())
        self._warming: threading.Thread | None = None  # the background warm-up, once started

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Pipeline:
        """Build from Flask-style configuration keys (see moderation_rules/README.md)."""
        return cls(
            config.get("MODERATION_RULES_DIR") or None,
            build_classifier(config),
            reload_interval=float(config.get("RULES_RELOAD_INTERVAL_S", 2.0)),
        )

    @property
    def ruleset(self) -> RuleSet:
        """The active rule set (checks for edited rule files now and then)."""
        return self.store.current()

    def reload_rules(self, force: bool = False) -> bool:
        """Reload the rule files now; True if a new rule set became active."""
        return self.store.reload(force=force)

    def classifier_info(self) -> dict[str, Any]:
        """Name and readiness of the classifier in use."""
        return {"name": self.classifier.name, "ready": bool(self.classifier.ready)}

    def status(self) -> dict[str, Any]:
        """What /healthz reports about moderation."""
        ruleset = self.ruleset
        return {
            "classifier": self.classifier_info(),
            "rules": {"count": ruleset.count, "version": ruleset.version},
        }

    def match(self, text: str, *, scope: str, author: Any = None) -> list[RuleHit]:
        """Rule matching only (no classifier, no policy)."""
        _check_scope(scope)
        return self.ruleset.matcher.match(text, scope, author)

    def score_texts(self, texts: Sequence[str]) -> tuple[list[dict[str, float]] | None, bool]:
        try:
            scores = self.classifier.score(texts)
        except ClassifierUnavailable as exc:
            log.warning("classifier unavailable, rules decide alone: %s", exc)
            return None, True
        except Exception as exc:  # noqa: BLE001 - the rules must still decide
            log.error("classifier %s failed, rules decide alone: %s",
                      self.classifier.name, type(exc).__name__)
            return None, True
        if len(scores) != len(texts):
            log.error("classifier %s returned %d scores for %d texts",
                      self.classifier.name, len(scores), len(texts))
            return None, True
        return scores, False

    def screen_many(
        self, texts: Sequence[str], *, scope: str, author: Any = None, locale: str | None = None
    ) -> list[Verdict]:
        """Screen several texts at once; the classifier scores them in one batch."""
        _check_scope(scope)
        if any(not isinstance(text, str) for text in texts):
            raise TypeError("screen() takes text (str)")
        ruleset = self.ruleset
        now = datetime.now(UTC)
        hits = [ruleset.matcher.match(text, scope, author, now) for text in texts]
        scores, unavailable = self.score_texts(texts) if texts else ([], False)
        info = self.classifier_info()
        return [
            decide(hit, scores[i] if scores else None, ruleset.classifier, classifier=info,
                   classifier_unavailable=unavailable, locale=locale)
            for i, hit in enumerate(hits)
        ]

    def screen(
        self, text: str, *, scope: str, author: Any = None, locale: str | None = None
    ) -> Verdict:
        """Screen one text."""
        return self.screen_many([text], scope=scope, author=author, locale=locale)[0]

    def warm(self, background: bool = True) -> None:
        """Load the fallback model now (in a thread) so the first text does not wait."""
        fallback = getattr(self.classifier, "fallback", self.classifier)
        warm = getattr(fallback, "warm", None)
        if warm is None:
            return
        if background:
            self._warming = threading.Thread(target=warm, name="moderation-warm", daemon=True)
            self._warming.start()
        else:
            warm()

    def wait_warm(self, timeout: float) -> None:
        """Wait, up to timeout seconds, for the models to load: the fallback's warm-up and the
        primary's loading (done whether or not it succeeded)."""
        deadline = time.monotonic() + timeout
        if self._warming is not None:
            self._warming.join(max(0.0, deadline - time.monotonic()))
        wait = getattr(getattr(self.classifier, "primary", None), "wait_until_loaded", None)
        if wait is not None:
            wait(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        """Stop background threads."""
        close = getattr(self.classifier, "close", None)
        if close:
            close()


def _check_scope(scope: str) -> None:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
