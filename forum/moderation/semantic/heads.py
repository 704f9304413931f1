"""One logistic-regression head per category, trained on the example files' vectors.

Positives are the category's examples; negatives are every file's look-alikes and the
examples of categories that do not overlap it. A message's priority comes from its nearest
examples (a plan reads like the plan examples, marked urgent).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from ..verdict import PRIORITY_RANK
from .examples import ExampleSet
from .reading import words_of

log = logging.getLogger("forum.moderation")
NEIGHBOURS = 3
# Measured on the corpus's dev split with every message gated: at 3 no recall is lost, and a
# 5,000-character post is read in about a third of its sentences.
CUE_RATIO = 3
# A sentence is left alone when a look-alike is this much nearer than any example (dev split:
# at 0.06 with the thresholds in the example files, a fifth fewer false alarms, no recall lost).
LOOK_ALIKE_MARGIN = 0.06


@dataclass(frozen=True)
class Head:
    """A trained head: weights, a threshold, and its examples' vectors and priorities."""

    category: str
    weights: np.ndarray
    bias: float
    threshold: float
    vectors: np.ndarray  # the category's examples, one row each
    priorities: tuple[str, ...]
    look_alikes: np.ndarray  # every look-alike the head learned from, one row each

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """Probability of the category for each row."""
        return 1.0 / (1.0 + np.exp(-(vectors @ self.weights + self.bias)))

    def reads_like_a_look_alike(self, vector: np.ndarray) -> bool:
        """True when the nearest example of all is a look-alike ("tonight i'm going to the
        meeting" sits closer to the everyday meeting line than to any plan)."""
        if not len(self.look_alikes):
            return False
        return float((self.look_alikes @ vector).max()) > \
            float((self.vectors @ vector).max()) + LOOK_ALIKE_MARGIN

    def priority(self, vector: np.ndarray) -> str:
        """The priority most of the nearest examples have (the higher one on a tie)."""
        similar = self.vectors @ vector
        nearest = [self.priorities[i] for i in np.argsort(similar)[-NEIGHBOURS:]]
        return max(set(nearest), key=lambda p: (nearest.count(p), PRIORITY_RANK[p]))


class VectorCache:
    """Vectors of example texts, kept in memory and, when a folder is given, on disk, so a
    restart or an edited file only embeds the texts not seen before."""

    def __init__(self, embedder_id: str, folder: str | Path | None) -> None:
        self._known: dict[str, np.ndarray] = {}
        self._path = Path(folder) / f"examples-{embedder_id}.npz" if folder else None
        if self._path and self._path.is_file():
            try:
                with np.load(self._path, allow_pickle=False) as data:
                    self._known = dict(zip(data["texts"].tolist(), data["vectors"],
                                           strict=True))
            except (OSError, ValueError, KeyError) as exc:
                log.warning("semantic cache unreadable, embedding examples again: %s",
                            type(exc).__name__)

    def vectors(self, texts: Sequence[str], embed: Callable[[Sequence[str]], np.ndarray]
                ) -> np.ndarray:
        """Vectors for texts, embedding only the unknown ones (and saving them)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._known]
        if missing:
            for text, vector in zip(missing, embed(missing), strict=True):
                self._known[text] = vector
            self._save(set(texts))
        return np.stack([self._known[t] for t in texts])

    def _save(self, keep: set[str]) -> None:
        if self._path is None:
            return
        self._known = {t: v for t, v in self._known.items() if t in keep}
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            texts = list(self._known)
            # Unique per process: two processes may fill the same cache at once.
            partial = self._path.with_name(f"{self._path.stem}.{os.getpid()}.tmp.npz")
            np.savez(partial, texts=np.array(texts, dtype=str),
                     vectors=np.stack([self._known[t] for t in texts]))
            partial.replace(self._path)
        except OSError as exc:
            log.warning("semantic cache not saved: %s", type(exc).__name__)


def cue_words(examples: ExampleSet) -> frozenset[str]:
    """Words that say more in the examples than in the look-alikes: at least two examples
    hold them, and an example holds them at least three times as often as a look-alike does. A
    long post is read where these occur (and at its end), so its cost stays bounded."""
    positives = [set(words_of(e.text)) for f in examples.files for e in f.examples]
    negatives = [set(words_of(t)) for f in examples.files for t in f.not_examples]
    pos: dict[str, int] = {}
    neg: dict[str, int] = {}
    for bag, counts in ((positives, pos), (negatives, neg)):
        for words in bag:
            for word in words:
                counts[word] = counts.get(word, 0) + 1
    share = max(len(negatives), 1) / max(len(positives), 1)
    return frozenset(w for w, n in pos.items()
                     if n >= 2 and n * share >= CUE_RATIO * neg.get(w, 0) and len(w) > 1)


def train(examples: ExampleSet, vectors_of: Callable[[Sequence[str]], np.ndarray]
          ) -> dict[str, Head]:
    """A head for every example file."""
    look_alikes = [t for f in examples.files for t in f.not_examples]
    heads = {}
    for file in examples.files:
        if not file.examples:
            continue  # look-alikes only
        positives = [e.text for e in file.examples]
        negatives = list(look_alikes)
        for other in examples.files:
            if other.category != file.category and other.category not in file.overlaps \
                    and file.category not in other.overlaps:
                negatives += [e.text for e in other.examples]
        negatives = [t for t in dict.fromkeys(negatives) if t not in set(positives)]
        look_alikes_here = [t for t in negatives if t in set(look_alikes)]
        negatives = look_alikes_here + [t for t in negatives if t not in set(look_alikes)]
        x = vectors_of(positives + negatives)
        y = np.array([1] * len(positives) + [0] * len(negatives))
        model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
        model.fit(x, y)
        heads[file.category] = Head(
            file.category, model.coef_[0].astype(np.float32), float(model.intercept_[0]),
            file.threshold, x[:len(positives)],
            tuple(e.priority for e in file.examples),
            x[len(positives):len(positives) + len(look_alikes_here)],
        )
    return heads
