"""The embedded fallback: alt-profanity-check, whose small model ships inside the package.

It gives one profanity-oriented score and cannot tell venting from an insult, so the score is
reported as `obscene` only (which on its own may flag, never hold).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

import numpy as np

log = logging.getLogger("forum.moderation")
_CHECK_TEXTS = ["you are wonderful", "what the hell is this", "shut up you idiot", "f off", ""]


def _fast_predictor(vectorizer, model) -> Callable[[list[str]], np.ndarray] | None:
    """The calibrated linear model as one matrix product; None if it cannot be reproduced."""
    try:
        pairs = [(c.estimator, c.calibrators[0]) for c in model.calibrated_classifiers_]
        if model.method != "sigmoid" or any(len(c.calibrators) != 1
                                            for c in model.calibrated_classifiers_):
            return None
        weights = np.vstack([est.coef_.ravel() for est, _ in pairs]).T
        intercepts = np.array([float(np.ravel(est.intercept_)[0]) for est, _ in pairs])
        slopes = np.array([float(cal.a_) for _, cal in pairs])
        offsets = np.array([float(cal.b_) for _, cal in pairs])
    except (AttributeError, IndexError, TypeError, ValueError):
        return None

    def predict(texts: list[str]) -> np.ndarray:
        decision = np.asarray(vectorizer.transform(texts) @ weights) + intercepts
        return (1.0 / (1.0 + np.exp(slopes * decision + offsets))).mean(axis=1)

    return predict


class FallbackClassifier:
    """alt-profanity-check, scored as `obscene`."""

    name = "alt-profanity-check"
    ready = True
    labels = ("obscene",)

    def __init__(self) -> None:
        self._predict: Callable[[list[str]], np.ndarray] | None = None
        self._lock = threading.Lock()

    def _load(self) -> Callable[[list[str]], np.ndarray]:
        with self._lock:
            if self._predict is None:
                from profanity_check import predict_prob
                from profanity_check.profanity_check import model, vectorizer

                fast = _fast_predictor(vectorizer, model)
                # Use the shortcut only if it reproduces the library's own probabilities.
                if fast is not None and np.allclose(fast(_CHECK_TEXTS), predict_prob(_CHECK_TEXTS),
                                                    atol=1e-9):
                    self._predict = fast
                else:
                    self._predict = predict_prob
                log.info("classifier fallback loaded: %s", self.name)
        return self._predict

    def warm(self) -> None:
        """Load the model now instead of on the first text."""
        self._load()

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """The profanity probability of each text, as `obscene`."""
        if not texts:
            return []
        predict = self._predict or self._load()
        return [{"obscene": float(p)} for p in predict(list(texts))]
