"""Capture of predicted instances as JSON lines, the input of the drift job.

Requests only hand their batch to a bounded queue; a background thread serialises the records and
appends them to files that rotate by size and age. When the disk is slow or failing, batches are
dropped and logged: capture never delays or fails a prediction. `BackgroundWriter` is that
queue-and-thread part, shared with the platform's data collection where there is one.
"""

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Self

import numpy as np

from . import float32_json
from .features import record

logger = logging.getLogger(__name__)

PATTERN = "capture-*.jsonl"

Batch = tuple[float, str, Sequence[Any], np.ndarray]


class BackgroundWriter:
    """Hands predicted batches from the request path to a thread of their own.

    `submit` only queues a batch and never blocks: when the thread falls behind, batches are
    dropped and counted in `dropped`. Subclasses say what writing a batch means.
    """

    def __init__(self, max_pending: int = 1000) -> None:
        self.dropped = 0
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=max_pending)
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def submit(self, instances: Sequence[Any], predictions: np.ndarray, model_version: str) -> None:
        """Queue a predicted batch of validated instances; never blocks."""
        try:
            self._queue.put_nowait((time.time(), model_version, instances, predictions))
        except queue.Full:
            if not self.dropped:
                logger.warning("%s cannot keep up: dropping batches", type(self).__name__)
            self.dropped += len(instances)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    def write(self, batch: Batch, *, burst_done: bool) -> None:
        """Write one batch; `burst_done` when no other batch is waiting."""
        raise NotImplementedError

    def recover(self) -> None:
        """Called after `write` failed, before the next batch."""

    def finish(self) -> None:
        """Called once the last batch is written."""

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            try:
                self.write(batch, burst_done=self._queue.empty())
            except Exception:  # a failing sink must not stop the service or this thread
                logger.exception("%s could not write a predicted batch", type(self).__name__)
                self.recover()
        self.finish()


class CaptureWriter(BackgroundWriter):
    """Appends `{"timestamp", "model_version", "instance", "prediction"}` lines to `directory`.

    Each process writes its own files, `capture-<UTC time>-<pid>.jsonl`; a file is closed once it
    holds `max_bytes` or is `max_age` seconds old, and only the newest `max_files` are kept.
    """

    def __init__(
        self,
        directory: Path,
        max_bytes: int = 16 * 2**20,
        max_age: float = 3600.0,
        max_files: int = 20,
        max_pending: int = 1000,
    ) -> None:
        super().__init__(max_pending)
        self.directory = directory
        self.max_bytes, self.max_age, self.max_files = max_bytes, max_age, max_files
        self._file: IO[str] | None = None
        self._opened_at, self._written = 0.0, 0

    def start(self) -> Self:
        self.directory.mkdir(parents=True, exist_ok=True)
        return super().start()

    def write(self, batch: Batch, *, burst_done: bool) -> None:
        self._write(batch)
        if burst_done:
            self._file.flush()

    def recover(self) -> None:
        self._close_file()

    def finish(self) -> None:
        self._close_file()

    def _write(self, batch: Batch) -> None:
        timestamp, model_version, instances, predictions = batch
        stamp = datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")
        answered = float32_json.floats(predictions)
        lines = "".join(
            json.dumps(
                {
                    "timestamp": stamp,
                    "model_version": model_version,
                    "instance": record(instance),
                    "prediction": prediction,
                }
            )
            + "\n"
            for instance, prediction in zip(instances, answered, strict=True)
        )
        self._current_file(timestamp).write(lines)
        self._written += len(lines)

    def _current_file(self, now: float) -> IO[str]:
        full = self._written >= self.max_bytes or now - self._opened_at >= self.max_age
        if self._file and full:
            self._close_file()
        if self._file is None:
            stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            path = self.directory / f"capture-{stamp}-{os.getpid()}.jsonl"
            self._file = path.open("a", encoding="utf-8")
            self._opened_at, self._written = now, 0
            self._remove_old_files()
        return self._file

    def _close_file(self) -> None:
        if self._file:
            self._file.close()
            self._file = None

    def _remove_old_files(self) -> None:
        for old in sorted(self.directory.glob(PATTERN))[: -self.max_files]:
            old.unlink(missing_ok=True)
