"""Model metrics of the predicted batches, added up in each process and written once a second.

Each value prometheus_client shares between worker processes is a locked write to a memory-mapped
file, and one batch touches about forty of them. So a batch is only added to this process's
totals, in plain Python; the totals are written to the shared values FLUSH_S seconds after the
first batch that follows a write, whenever this process serves /metrics, and when it shuts down.
"""

import asyncio
from bisect import bisect_left
from collections import Counter as Tally
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

    def add(self, features: np.ndarray, predictions: np.ndarray) -> None:
        """Add a batch: its encoded features and their predictions."""
        self.instances += len(predictions)
        if len(predictions) < SMALL_BATCH:
            self._add_rows(features.tolist(), predictions.tolist())
            return
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


_totals = Totals()
_timer_loop: asyncio.AbstractEventLoop | None = None  # the loop a write is scheduled on


def observe_batch(features: np.ndarray, predictions: np.ndarray) -> None:
    """Record one predicted batch; it reaches the shared values within FLUSH_S seconds."""
    global _timer_loop
    _totals.add(features, predictions)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no event loop to write it later
        flush()
        return
    if _timer_loop is not loop:  # none scheduled, or on a loop that has since stopped
        _timer_loop = loop
        loop.call_later(FLUSH_S, _scheduled_flush)


def _scheduled_flush() -> None:
    global _timer_loop
    _timer_loop = None
    flush()


def flush() -> None:
    """Write the batches recorded since the last write to the shared metric values."""
    global _totals
    if _totals.instances:
        totals, _totals = _totals, Totals()
        totals.write()
