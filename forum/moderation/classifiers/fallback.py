"""The embedded fallback: alt-profanity-check, whose small model ships inside the package.

It gives one profanity-oriented score and cannot tell venting from an insult, so the score is
reported as `obscene` only (which on its own may flag, never hold).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

log = logging.getLogger("forum.moderation")
_CHECK_TEXTS = ["you are wonderful", "what the hell is this", "shut up you idiot", "f off", "",
                "Shut UP, shut up you idiot!! idiot", "ça va? naïve café, 12 steps 12",
                "the and of"]


def _tfidf_rows(vectorizer) -> Callable[[list[str]], tuple[np.ndarray, ...]] | None:
    """The vectorizer's TF-IDF rows (l2-normed raw counts times idf) without scikit-learn's
    per-call input validation, which cost most of a chat message's screening; None for a
    configuration this does not reproduce."""
    try:
        params = vectorizer.get_params()
        if (params["norm"] != "l2" or not params["use_idf"] or params["sublinear_tf"]
                or params["binary"] or params["analyzer"] != "word"):
            return None
        analyze, vocabulary, idf = vectorizer.build_analyzer(), vectorizer.vocabulary_, \
            np.asarray(vectorizer.idf_, dtype=np.float64)
    except (AttributeError, KeyError, TypeError, ValueError):
        return None

    def rows(texts: list[str]) -> tuple[np.ndarray, ...]:
        # One (row index, column, value) triple per distinct known word of each text.
        row_ids, columns, values = [], [], []
        for i, text in enumerate(texts):
            counts = Counter(j for j in map(vocabulary.get, analyze(text)) if j is not None)
            if not counts:
                continue
            cols = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts)) * idf[cols]
            row_ids.append(np.full(len(cols), i, dtype=np.intp))
            columns.append(cols)
            values.append(weights / np.sqrt(weights @ weights))
        if not columns:
            return (np.empty(0, np.intp),) * 2 + (np.empty(0),)
        return np.concatenate(row_ids), np.concatenate(columns), np.concatenate(values)

    return rows


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
    rows = _tfidf_rows(vectorizer)

    def transform(texts: list[str]) -> np.ndarray:
        if rows is None:
            return np.asarray(vectorizer.transform(texts) @ weights)
        row_ids, columns, values = rows(texts)
        decision = np.zeros((len(texts), weights.shape[1]))
        np.add.at(decision, row_ids, weights[columns] * values[:, None])
        return decision

    def predict(texts: list[str]) -> np.ndarray:
        decision = transform(texts) + intercepts
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
                # Its scikit-learn model loads on first use, not with the app.
                from profanity_check import predict_prob  # noqa: PLC0415
                from profanity_check.profanity_check import model, vectorizer  # noqa: PLC0415

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
