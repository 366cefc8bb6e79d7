"""Model metrics of the predicted batches, added up in each process and written once a second.

Each value prometheus_client shares between worker processes is a locked write to a memory-mapped
file, and one batch touches about forty of them. So a batch is only added to this process's
totals, and the totals are written to the shared values by a writer thread FLUSH_S seconds after
the first batch that follows a write (sooner after MAX_KEPT_ROWS instances of large batches), and
by the caller whenever this process serves /metrics and when it shuts down. A large batch is not
even added up on the request's path: its arrays are kept and added up with the others' by the
writer, in a few numpy calls over all of them, which mostly run without holding the GIL.
"""

import asyncio
import logging
import threading
from bisect import bisect_left
from collections import Counter as Tally
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from . import multiprocess  # noqa: F401 (sets PROMETHEUS_MULTIPROC_DIR: import it first)
from .features import CODES, FEATURES

# isort: split
from prometheus_client import Counter, Histogram, Summary

FLUSH_S = 1.0
NUMERIC = ("price", "temperature")
DISCRETE = ("store_id", "promotion", "holiday", "weekday", "season")
SMALL_BATCH = 8  # instances: plain Python adds up fewer than this faster than numpy's calls
MAX_KEPT_ROWS = 100_000  # instances of large batches kept (3.2 MB) before they are written

PREDICTIONS = Counter("model_predictions", "Instances predicted.")
PREDICTION_VALUE = Histogram(
    "model_prediction_value",
    "Predicted demand, in units.",
    buckets=(5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000),
)
INPUT_VALUE = Summary(
    "model_input_value", "Numeric input features of predicted instances.", ["feature"]
)
INPUT_CATEGORY = Counter(
    "model_input_category",
    "Predicted instances by value of each discrete input feature.",
    ["feature", "value"],
)

_BOUNDS = tuple(PREDICTION_VALUE._upper_bounds)
_BOUNDS_ARRAY = np.asarray(_BOUNDS)
_NUMERIC_COLUMNS = [FEATURES.index(name) for name in NUMERIC]
_DISCRETE_COLUMNS = [FEATURES.index(name) for name in DISCRETE]
_INPUT_VALUE = [INPUT_VALUE.labels(name) for name in NUMERIC]
_CATEGORY_NAMES = {
    **{name: {code: label for label, code in codes.items()} for name, codes in CODES.items()},
    "promotion": {0: "false", 1: "true"},
    "holiday": {0: "false", 1: "true"},
}
# Child counter per (feature, code), looked up once: codes are few, the API validates them.
_CATEGORY: dict[tuple[str, int], Any] = {}


class Totals:
    """What the batches predicted since the last write add to the model metrics."""

    def __init__(self) -> None:
        self.instances = 0
        self.prediction_sum = 0.0
        self.buckets = [0] * len(_BOUNDS)  # per bucket, not cumulative, as prometheus_client
        self.input_sums = [0.0] * len(NUMERIC)
        self.categories: Tally[tuple[str, int]] = Tally()
        self.kept: list[tuple[np.ndarray, np.ndarray]] = []  # large batches not yet added up
        self.kept_rows = 0

    def add(self, features: np.ndarray, predictions: np.ndarray) -> None:
        """Add a batch, its encoded features and their predictions, or keep it for `add_up`."""
        self.instances += len(predictions)
        if len(predictions) < SMALL_BATCH:
            self._add_rows(features.tolist(), predictions.tolist())
        else:
            self.kept.append((features, predictions))
            self.kept_rows += len(predictions)

    @property
    def full(self) -> bool:
        """Whether the batches kept should be written without waiting for FLUSH_S."""
        return self.kept_rows >= MAX_KEPT_ROWS

    def add_up(self) -> None:
        """Add up the large batches kept so far, all at once."""
        if not self.kept:
            return
        features = np.concatenate([features for features, _ in self.kept])
        predictions = np.concatenate([predictions for _, predictions in self.kept])
        self.kept, self.kept_rows = [], 0
        self.prediction_sum += float(predictions.sum(dtype=np.float64))
        hits = np.searchsorted(_BOUNDS_ARRAY, predictions, side="left")
        for bucket, count in enumerate(np.bincount(hits, minlength=len(_BOUNDS)).tolist()):
            self.buckets[bucket] += count
        sums = features[:, _NUMERIC_COLUMNS].sum(axis=0, dtype=np.float64).tolist()
        for index, total in enumerate(sums):
            self.input_sums[index] += total
        codes = features[:, _DISCRETE_COLUMNS].astype(np.intp)
        for index, name in enumerate(DISCRETE):
            for code, count in enumerate(np.bincount(codes[:, index]).tolist()):
                if count:
                    self.categories[name, code] += count

    def _add_rows(self, rows: list[list[float]], predictions: list[float]) -> None:
        for value in predictions:
            self.buckets[bisect_left(_BOUNDS, value)] += 1
            self.prediction_sum += value
        for row in rows:
            for index, column in enumerate(_NUMERIC_COLUMNS):
                self.input_sums[index] += row[column]
            for name, column in zip(DISCRETE, _DISCRETE_COLUMNS, strict=True):
                self.categories[name, int(row[column])] += 1

    def write(self) -> None:
        """Add the totals to the shared metric values, one update per value that changed."""
        self.add_up()
        PREDICTIONS.inc(self.instances)
        PREDICTION_VALUE._sum.inc(self.prediction_sum)
        for bucket, count in zip(PREDICTION_VALUE._buckets, self.buckets, strict=True):
            if count:
                bucket.inc(count)
        for summary, total in zip(_INPUT_VALUE, self.input_sums, strict=True):
            summary._count.inc(self.instances)
            summary._sum.inc(total)
        for (name, code), count in self.categories.items():
            _category(name, code).inc(count)


def _category(name: str, code: int) -> Any:
    if (child := _CATEGORY.get((name, code))) is None:
        value = _CATEGORY_NAMES.get(name, {}).get(code, str(code))
        child = _CATEGORY[name, code] = INPUT_CATEGORY.labels(name, value)
    return child


_totals = Totals()  # added to on the event loop's thread only
_timer_loop: asyncio.AbstractEventLoop | None = None  # the loop a write is scheduled on
_handed_over: deque[Totals] = deque()  # taken off the requests' path, not yet written
_writing = threading.Lock()
_writer = ThreadPoolExecutor(1, thread_name_prefix="model-metrics")


def observe_batch(features: np.ndarray, predictions: np.ndarray) -> None:
    """Record one predicted batch; it reaches the shared values within FLUSH_S seconds."""
    global _timer_loop
    _totals.add(features, predictions)
    if _totals.full:
        _write_in_background()
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no event loop to write it later
        flush()
        return
    if _timer_loop is not loop:  # none scheduled, or on a loop that has since stopped
        _timer_loop = loop
        loop.call_later(FLUSH_S, _scheduled_write)


def _scheduled_write() -> None:
    global _timer_loop
    _timer_loop = None
    _write_in_background()


def _write_in_background() -> None:
    _hand_over()
    _writer.submit(_write_handed_over).add_done_callback(_log_failure)


def flush() -> None:
    """Write every batch recorded so far to the shared metric values, then return."""
    _hand_over()
    _write_handed_over()


def _hand_over() -> None:
    global _totals
    if _totals.instances:
        _handed_over.append(_totals)
        _totals = Totals()


def _write_handed_over() -> None:
    with _writing:  # one writer at a time, in the order the totals were handed over
        while _handed_over:
            _handed_over.popleft().write()


def _log_failure(write: Future[None]) -> None:
    if (error := write.exception()) is not None:
        logging.getLogger(__name__).error("Writing the model metrics failed", exc_info=error)
