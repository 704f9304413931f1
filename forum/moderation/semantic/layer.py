"""The semantic layer: sentence vectors, a head per category, and who each sentence is about.

It loads in the background; until it is ready (or if it fails, or a call runs past its time
limit) it answers None and the rules decide alone, with the text remembered for
`flask rescreen`. It only ever routes text to people: its findings flag, never hold or block.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from ..verdict import PRIORITY_RANK
from .embedder import EmbedderUnavailable, OnnxEmbedder, UseEmbedder, default_files, files_in
from .examples import ExampleSet, ExampleSetError, example_files, load_examples
from .heads import Head, VectorCache, cue_words, train
from .reading import (
    ADDRESSED,
    OTHER,
    WRITER,
    language_of,
    read,
    says_safe,
    sentences,
    tells_hope,
    voice,
    words_of,
)

log = logging.getLogger("forum.moderation")
# Someone else at risk is high (the writer is not the one in danger); an overdose stays urgent.
OTHER_PRIORITY = {"crisis": "high", "crisis-method": "high"}
# Someone else's danger must be plain: general worry about a friend reads like it.
OTHER_MIN = 0.85
# Below this, a finding whose examples say urgent is read as high (measured on the dev split:
# no person at risk is lost, and fewer supporters' and worriers' words page a moderator).
URGENT_MIN = 0.7
SAFE_CAPPED = frozenset({"crisis", "crisis-method"})
CONTEXT_MESSAGES = 5
MIN_WORDS = 3
# Past this length a post is read where its cue words are, plus its last sentences (a
# goodbye often closes a post): reading all of a 5,000-character post costs about 250 ms.
LONG_TEXT = 1200
CLOSING_SENTENCES = 2
# At most this many cued sentences besides the closing ones: a 5,000-character post then costs
# about what 25 chat messages do, whatever it holds.
LONG_READ = 22
EXIT_WAIT_S = 60.0


@dataclass(frozen=True, slots=True)
class Finding:
    """A category the layer found in one text, with the sentence that carried it."""

    category: str
    priority: str
    score: float
    span: tuple[int, int]
    who: str

    @property
    def id(self) -> str:
        """The reason id reviewers and `rules stats` see."""
        return f"semantic:{self.category}"


@dataclass
class Reader:
    """One sentence model and the heads trained on its vectors."""

    embedder: Any
    cache: VectorCache
    heads: dict[str, Head]
    cues: frozenset[str]


class SemanticLayer:
    """Loads the sentence models and trains the heads in the background; screens batches of
    text, each read by the model for its language (Spanish may have its own)."""

    def __init__(
        self, examples_dir: str | Path, categories: Callable[[], set[str]],
        embedder_factory: Callable[[], Any], *, cache_dir: str | Path | None = None,
        timeout: float = 2.0, reload_interval: float = 2.0,
        spanish_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.examples_dir = Path(examples_dir)
        self._categories = categories
        self._factory = embedder_factory
        self._spanish_factory = spanish_factory
        self._cache_dir = cache_dir
        self.timeout = float(timeout)
        self.reload_interval = float(reload_interval)
        self.name = "semantic (not loaded)"
        self.error: str | None = None
        self.embedder: Any = None
        self.spanish_embedder: Any = None
        self.examples: ExampleSet | None = None
        self._readers: dict[str, Reader] = {}  # "en" always; "es" when Spanish has its own
        self._signature: tuple = ()
        self._next_check = 0.0
        self._loaded = threading.Event()
        self._reload_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="semantic")

    # Loading ---------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """True once the embedder is loaded and the heads are trained."""
        return "en" in self._readers and bool(self._readers["en"].heads)

    @property
    def _heads(self) -> dict[str, Head]:
        return self._readers["en"].heads if "en" in self._readers else {}

    def start(self, background: bool = True) -> None:
        """Load the model and train the heads (in a thread unless background is False)."""
        if self._thread is not None or self._loaded.is_set():
            return
        if background:
            self._thread = threading.Thread(target=self._load, name="semantic-load", daemon=True)
            self._thread.start()
            # A short command (`flask rules check`) may end while the model is still loading;
            # the ONNX runtime aborts the process if it is torn down mid-load.
            atexit.register(self._loaded.wait, EXIT_WAIT_S)
        else:
            self._load()

    def wait_until_loaded(self, timeout: float) -> bool:
        """Wait for loading to end, successfully or not; True when ready."""
        self._loaded.wait(timeout)
        return self.ready

    def _load(self) -> None:
        started = time.monotonic()
        try:
            self.embedder = self._factory()
            if self._spanish_factory is not None:
                try:
                    self.spanish_embedder = self._spanish_factory()
                except (EmbedderUnavailable, OSError, ValueError, ImportError) as exc:
                    log.warning("Spanish sentence model unavailable, %s reads Spanish too: %s",
                                self.embedder.name, str(exc).splitlines()[0][:200])
            self._retrain()
            names = self.embedder.name + (f", Spanish: {self.spanish_embedder.name}"
                                          if self.spanish_embedder is not None else "")
            self.name = f"semantic ({names})"
            log.info("semantic layer active: %s, %d examples in %d heads, loaded in %.1f s",
                     names, self.examples.count if self.examples else 0,
                     len(self._heads), time.monotonic() - started)
        except (EmbedderUnavailable, ExampleSetError, OSError, ValueError) as exc:
            self.error = str(exc).splitlines()[0][:200]
            self.embedder = None
            self._readers = {}
            log.warning("semantic layer unavailable, rules decide alone: %s", self.error)
        finally:
            self._loaded.set()

    def _signature_now(self) -> tuple:
        out = []
        for path in example_files(self.examples_dir):
            try:
                stat = path.stat()
                out.append((path.name, stat.st_mtime_ns, stat.st_size))
            except OSError:
                out.append((path.name, None, None))
        return tuple(out)

    def _retrain(self) -> None:
        signature = self._signature_now()
        examples = load_examples(self.examples_dir, self._categories())
        readers = {"en": self._reader(self.embedder, examples)}
        if self.spanish_embedder is not None:
            readers["es"] = self._reader(self.spanish_embedder, examples)
        self._signature, self.examples, self._readers = signature, examples, readers

    def _reader(self, embedder: Any, examples: ExampleSet) -> Reader:
        """Heads for one model, trained on every example (both languages)."""
        old = self._readers.get("es" if embedder is self.spanish_embedder else "en")
        cache = old.cache if old is not None else VectorCache(embedder.id, self._cache_dir)
        heads = train(examples, lambda texts: cache.vectors(texts, embedder.embed))
        return Reader(embedder, cache, heads, cue_words(examples))

    def reload(self, force: bool = False) -> bool:
        """Retrain when the example files changed; a bad edit keeps the last good heads."""
        if not self.ready or not self._reload_lock.acquire(blocking=False):
            return False
        try:
            self._next_check = time.monotonic() + self.reload_interval
            signature = self._signature_now()
            if not force and signature == self._signature:
                return False
            try:
                self._retrain()
            except ExampleSetError as exc:
                self._signature = signature  # do not retry the same bad files every call
                for error in exc.errors:
                    log.error("example files rejected, keeping the last good heads: %s", error)
                return False
            log.info("semantic heads retrained: %d examples, version %s",
                     self.examples.count if self.examples else 0,
                     self.examples.version if self.examples else "-")
            return True
        finally:
            self._reload_lock.release()

    def _maybe_reload(self) -> None:
        if self.reload_interval > 0 and time.monotonic() >= self._next_check:
            self._next_check = time.monotonic() + self.reload_interval
            self._pool.submit(self.reload)

    def status(self) -> dict[str, Any]:
        """What /healthz and the moderator's pages say about this layer."""
        return {
            "name": self.name,
            "ready": self.ready,
            "examples": self.examples.count if self.examples else 0,
            "heads": sorted(self._heads),
            "models": {lang: r.embedder.name for lang, r in self._readers.items()},
            "version": self.examples.version if self.examples else None,
            "error": self.error,
        }

    def close(self) -> None:
        """Stop the worker threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    # Screening -------------------------------------------------------------------------------

    def findings(
        self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None, *,
        floor: float | None = None, hint: str | None = None,
    ) -> list[list[Finding]] | None:
        """Findings per text, or None when the layer cannot answer (the rules decide).
        `floor` replaces every head's threshold (to measure a threshold table)."""
        if not self.ready:
            return None
        self._maybe_reload()
        future = self._pool.submit(self._findings, list(texts),
                                   list(contexts) if contexts else None, floor, hint)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            log.warning("semantic layer took over %.1f s; rules decide alone", self.timeout)
            return None
        except Exception as exc:  # noqa: BLE001 - a model failure must leave the rules in charge
            log.error("semantic layer failed, rules decide alone: %s", type(exc).__name__)
            return None

    def read_now(
        self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None, *,
        floor: float | None = None, hint: str | None = None,
    ) -> list[list[Finding]]:
        """Findings with no time limit, in this thread (measuring a corpus)."""
        if not self.ready:
            raise RuntimeError("the semantic layer is not loaded")
        return self._findings(list(texts), list(contexts) if contexts else None, floor, hint)

    def _findings(self, texts: list[str], contexts: list[Sequence[str]] | None,
                  floor: float | None = None, hint: str | None = None) -> list[list[Finding]]:
        """Each text read by the model for its language, in one batch per model."""
        out: list[list[Finding]] = [[] for _ in texts]
        groups: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            lang = "es" if "es" in self._readers and language_of(text, hint) == "es" else "en"
            groups.setdefault(lang, []).append(i)
        for lang, indices in groups.items():
            found = self._read(self._readers[lang], [texts[i] for i in indices],
                               [contexts[i] for i in indices] if contexts else None, floor)
            for i, per_text in zip(indices, found, strict=True):
                out[i] = per_text
        return out

    def _read(self, reader: Reader, texts: list[str], contexts: list[Sequence[str]] | None,
              floor: float | None) -> list[list[Finding]]:
        # These products are small: BLAS threads would only spin against the request threads
        # (measured: a third of the chat throughput lost on a busy core).
        with _blas().limit(limits=1, user_api="blas"):
            return self._read_one_thread(reader, texts, contexts, floor)

    def _read_one_thread(self, reader: Reader, texts: list[str],
                         contexts: list[Sequence[str]] | None,
                         floor: float | None) -> list[list[Finding]]:
        heads = reader.heads
        limits = {c: h.threshold if floor is None else floor for c, h in heads.items()}
        units: list[tuple[int, Any]] = []  # (text index, Sentence)
        for i, text in enumerate(texts):
            # One or two words alone ("tonight", "bye") say too little to read a meaning
            # into; with the writer's earlier messages they are read below.
            own = [s for s in sentences(text) if len(s.text.split()) >= MIN_WORDS]
            if len(text) > LONG_TEXT:
                own = self._cued(own, reader.cues)
            units += [(i, s) for s in own]
        joined: list[tuple[int, str, str]] = []  # (text index, with, without)
        for i, context in enumerate(contexts or ()):
            earlier = [c for c in list(context)[-CONTEXT_MESSAGES:] if c and c.strip()]
            if earlier and i < len(texts):
                joined.append((i, ". ".join(earlier + [texts[i]]), ". ".join(earlier)))
        batch = [s.text for _, s in units] + [w for _, w, _ in joined] + [o for _, _, o in joined]
        vectors = reader.embedder.embed(batch) if batch else np.zeros((0, 1))
        scores = {c: h.scores(vectors) if len(batch) else np.zeros(0) for c, h in heads.items()}
        hope = [tells_hope(t) and any(read(s.text).past for _, s in units if _ == i)
                for i, t in enumerate(texts)]
        voices = [voice(t) for t in texts]
        safe = [says_safe(t) for t in texts]
        best: list[dict[str, Finding]] = [{} for _ in texts]
        for row, (i, sentence) in enumerate(units):
            for category, head in heads.items():
                score = float(scores[category][row])
                if score < limits[category]:
                    continue
                found = self._judge(category, head, vectors[row], score, sentence.text,
                                    sentence.span, hope[i], voices[i], safe[i])
                if found:
                    _keep(best[i], found)
        offset = len(units)
        for k, (i, with_text, without) in enumerate(joined):
            row, base = offset + k, offset + len(joined) + k
            for category, head in heads.items():
                score = float(scores[category][row])
                if score < limits[category]:
                    continue
                found = self._judge(category, head, vectors[row], score, with_text,
                                    (0, len(texts[i])), hope[i], voices[i], safe[i])
                before = scores[category][base]
                earlier = self._judge(category, head, vectors[base], float(before), without,
                                      (0, 0), False) if before >= limits[category] else None
                # Only what the latest message adds: a new risk, or a more urgent one.
                if found and (earlier is None or PRIORITY_RANK[found.priority] >
                              PRIORITY_RANK[earlier.priority]):
                    _keep(best[i], found)
        return [sorted(b.values(), key=lambda f: f.category) for b in best]

    @staticmethod
    def _cued(own: list[Any], cues: frozenset[str]) -> list[Any]:
        """A long post's sentences worth reading: its closing ones, and those holding the most
        cue words (at most LONG_READ), in their order."""
        closing = set(range(max(0, len(own) - CLOSING_SENTENCES), len(own)))
        cued = [(len(cues.intersection(words_of(s.text))), n) for n, s in enumerate(own)
                if n not in closing]
        chosen = {n for count, n in sorted(cued, reverse=True)[:LONG_READ] if count}
        return [s for n, s in enumerate(own) if n in chosen or n in closing]

    @staticmethod
    def _judge(category: str, head: Head, vector: np.ndarray, score: float, text: str,
               span: tuple[int, int], hopeful: bool, default: str = WRITER,
               safe: bool = False) -> Finding | None:
        reading = read(text, default)
        if reading.negated or reading.who == ADDRESSED or head.reads_like_a_look_alike(vector):
            return None
        if reading.who == OTHER:
            if category == "relapse" or (category in OTHER_PRIORITY and score < OTHER_MIN):
                return None  # someone else's relapse is theirs to tell; worry is not danger
            priority = OTHER_PRIORITY.get(category, head.priority(vector))
        elif hopeful and (reading.past or tells_hope(text)):
            return None  # history told for hope, as something lived through
        elif reading.past:
            priority = "normal"
        else:
            priority = head.priority(vector)
            if priority == "urgent" and score < URGENT_MIN:
                priority = "high"  # an unsure reading pages no one: high still reaches a person
        if safe and category in SAFE_CAPPED:
            priority = "normal"  # the writer says they are safe: a caring check-in
        return Finding(category, priority, score, span, reading.who)


@functools.cache
def _blas() -> ThreadpoolController:
    """The process's BLAS libraries, found once."""
    return ThreadpoolController()


def _keep(best: dict[str, Finding], found: Finding) -> None:
    current = best.get(found.category)
    if current is None or (PRIORITY_RANK[found.priority], found.score) > \
            (PRIORITY_RANK[current.priority], current.score):
        best[found.category] = found


def default_embedder(directory: str | None) -> Callable[[], OnnxEmbedder]:
    """A factory for the configured embedder: FORUM_EMBEDDER_DIR, else the packaged MiniLM."""
    def make() -> OnnxEmbedder:
        return OnnxEmbedder(*(files_in(directory) if directory else default_files()))
    return make


def spanish_embedder(choice: str) -> Callable[[], Any] | None:
    """The factory for Spanish's own model: "same" (the main model reads Spanish too) or
    "use" (USE multilingual v3)."""
    if choice == "same":
        return None
    if choice != "use":
        raise ValueError("SEMANTIC_SPANISH must be use or same")
    return UseEmbedder
