"""Detoxify, loaded in the background from local files only, with concurrent requests batched."""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future, TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import ClassifierUnavailable

log = logging.getLogger("forum.moderation")

# File names detoxify's release checkpoints get in the torch hub cache (detoxify.MODEL_URLS).
CHECKPOINT_FILES = {
    "original": "toxic_original-c1212f89.ckpt",
    "unbiased": "toxic_debiased-c7548aa0.ckpt",
    "multilingual": "multilingual_debiased-0b549669.ckpt",
    "original-small": "original-albert-0e1d6498.ckpt",
    "unbiased-small": "unbiased-albert-c8519128.ckpt",
}


def cached_checkpoint(model_type: str) -> Path | None:
    """A release checkpoint already in the torch hub cache, found without importing torch."""
    name = CHECKPOINT_FILES.get(model_type)
    if name is None:
        return None
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(cache, "torch")
    path = Path(torch_home) / "hub" / "checkpoints" / name
    return path if path.is_file() else None


def resolve_checkpoint(model_type: str, checkpoint: str | os.PathLike | None) -> Path | None:
    """The local checkpoint to load: the configured file, else a cached release file."""
    if checkpoint:
        path = Path(checkpoint)
        return path if path.is_file() else None
    return cached_checkpoint(model_type)


def _force_offline() -> None:
    """Make Hugging Face libraries fail instead of downloading anything."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:  # imported earlier: its flag was read at import time
        constants.HF_HUB_OFFLINE = True


@dataclass
class _Request:
    texts: list[str]
    future: Future


class DetoxifyClassifier:
    """detoxify.Detoxify behind the Classifier interface; never touches the network."""

    def __init__(
        self, model_type: str = "unbiased", checkpoint: str | os.PathLike | None = None,
        hf_config_dir: str | os.PathLike | None = None, *, timeout: float = 2.0,
        max_batch: int = 32, device: str = "cpu", start: bool = True,
    ) -> None:
        self.model_type = model_type
        self.name = f"detoxify-{model_type}"
        self.checkpoint = checkpoint
        self.hf_config_dir = str(hf_config_dir) if hf_config_dir else None
        self.timeout = float(timeout)
        self.max_batch = max(1, int(max_batch))
        self.device = device
        self.ready = False
        self.error: str | None = None
        self._model: Any = None
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._loaded = threading.Event()
        self._thread: threading.Thread | None = None
        if start:
            self.start()

    def start(self) -> None:
        """Load the model and then serve requests, in a background thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="detoxify", daemon=True)
            self._thread.start()

    def wait_until_loaded(self, timeout: float | None = None) -> bool:
        """Block until loading finished (successfully or not); True if ready."""
        self._loaded.wait(timeout)
        return self.ready

    def _load(self) -> Any:
        path = resolve_checkpoint(self.model_type, self.checkpoint)
        if path is None:
            raise FileNotFoundError("no local Detoxify checkpoint (set DETOXIFY_CHECKPOINT)")
        _force_offline()
        # Heavy optional libraries: loaded only when the model is, off the request path.
        import transformers  # noqa: PLC0415
        from detoxify import Detoxify  # noqa: PLC0415

        transformers.utils.logging.disable_progress_bar()
        return Detoxify(model_type=self.model_type, checkpoint=str(path),
                        huggingface_config_path=self.hf_config_dir, device=self.device)

    def _run(self) -> None:
        try:
            self._model = self._load()
        except Exception as exc:  # noqa: BLE001 - any failure leaves the fallback serving
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("classifier %s could not load (%s); the fallback stays active",
                      self.name, self.error)
            self._loaded.set()
            return
        self.ready = True
        log.info("classifier %s loaded; it is now active", self.name)
        self._loaded.set()
        self._serve()

    def _take_batch(self, first: _Request) -> tuple[list[_Request], bool]:
        batch, size = [first], len(first.texts)
        while size < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
            size += len(item.texts)
        return batch, False

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = self._take_batch(first)
            # Skip requests whose caller gave up (timed out) before the worker got to them.
            batch = [r for r in batch if r.future.set_running_or_notify_cancel()]
            texts = [text for request in batch for text in request.texts]
            try:
                rows = self.predict(texts)
            except Exception as exc:  # noqa: BLE001 - reported to every waiting caller
                log.error("classifier %s failed: %s", self.name, type(exc).__name__)
                for request in batch:
                    request.future.set_exception(ClassifierUnavailable(type(exc).__name__))
            else:
                offset = 0
                for request in batch:
                    request.future.set_result(rows[offset : offset + len(request.texts)])
                    offset += len(request.texts)
            if stop:
                return

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Run the model now, in the calling thread, in chunks of max_batch."""
        rows: list[dict[str, float]] = []
        for start in range(0, len(texts), self.max_batch):
            chunk = list(texts[start : start + self.max_batch])
            result = self._model.predict(chunk)
            part: list[dict[str, float]] = [{} for _ in chunk]
            for label, values in result.items():
                if not isinstance(values, list):  # one text: detoxify squeezes to a float
                    values = [values]
                for row, value in zip(part, values, strict=True):
                    row[label] = float(value)
            rows.extend(part)
        return rows

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Queue the texts for the worker and wait up to the timeout for their scores."""
        if not self.ready:
            raise ClassifierUnavailable(f"{self.name} is not loaded")
        if not texts:
            return []
        request = _Request(list(texts), Future())
        self._queue.put(request)
        try:
            return request.future.result(timeout=self.timeout)
        except FutureTimeout as exc:
            request.future.cancel()
            raise ClassifierUnavailable(f"{self.name} timed out") from exc

    def close(self) -> None:
        """Stop the worker thread."""
        self._queue.put(None)
