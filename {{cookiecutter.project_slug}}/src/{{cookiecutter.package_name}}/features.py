"""The model's input features: names, categories and their encoding as a numeric matrix."""

from array import array
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

import numpy as np

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Season = Literal["winter", "spring", "summer", "autumn"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
SEASONS: tuple[str, ...] = get_args(Season)
N_STORES = 20

FEATURES = ("store_id", "price", "promotion", "holiday", "weekday", "season", "temperature")
CATEGORICAL = ("store_id", "weekday", "season")
BOOLEAN = ("promotion", "holiday")

ROW_WISE = 16  # instances: smaller batches are encoded row by row

CODES = {
    "weekday": {name: code for code, name in enumerate(WEEKDAYS)},
    "season": {name: code for code, name in enumerate(SEASONS)},
}


def encode(instances: Sequence[Any]) -> np.ndarray:
    """Turn validated instances into the model's float32 matrix, one column per feature.

    The features are read by plain attribute access, in the order of FEATURES. A few instances
    are converted as rows; more, column by column through typed `array`s, whose buffers numpy
    copies in a fraction of the time it takes to convert lists.
    """
    weekdays, seasons = CODES["weekday"], CODES["season"]
    if len(instances) < ROW_WISE:
        rows = [
            (
                instance.store_id,
                instance.price,
                instance.promotion,
                instance.holiday,
                weekdays[instance.weekday],
                seasons[instance.season],
                instance.temperature,
            )
            for instance in instances
        ]
        return np.array(rows, dtype=np.float32).reshape(len(rows), len(FEATURES))
    columns = (
        array("q", [instance.store_id for instance in instances]),
        array("d", [instance.price for instance in instances]),
        array("b", [instance.promotion for instance in instances]),
        array("b", [instance.holiday for instance in instances]),
        array("q", [weekdays[instance.weekday] for instance in instances]),
        array("q", [seasons[instance.season] for instance in instances]),
        array("d", [instance.temperature for instance in instances]),
    )
    matrix = np.empty((len(instances), len(FEATURES)), dtype=np.float32)
    for index, column in enumerate(columns):
        matrix[:, index] = column
    return matrix


def record(instance: Any) -> dict[str, Any]:
    """A validated instance as a JSON-ready mapping of its features."""
    return {name: getattr(instance, name) for name in FEATURES}


def to_matrix(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Stack encoded feature columns (weekday and season as codes) into the model's matrix."""
    return np.column_stack([columns[name] for name in FEATURES]).astype(np.float32)
