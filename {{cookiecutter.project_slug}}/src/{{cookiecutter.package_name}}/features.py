"""The model's input features: names, categories and their encoding as a numeric matrix."""

from collections.abc import Mapping, Sequence
from struct import pack
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
    are converted as rows; more, column by column, each column packed into a typed buffer by one
    C call and copied by numpy, a fraction of the time numpy takes to convert a list.
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
        _packed("q", [instance.store_id for instance in instances]),
        _packed("d", [instance.price for instance in instances]),
        _packed("?", [instance.promotion for instance in instances]),
        _packed("?", [instance.holiday for instance in instances]),
        _packed("q", [weekdays[instance.weekday] for instance in instances]),
        _packed("q", [seasons[instance.season] for instance in instances]),
        _packed("d", [instance.temperature for instance in instances]),
    )
    matrix = np.empty((len(instances), len(FEATURES)), dtype=np.float32)
    for index, column in enumerate(columns):
        matrix[:, index] = column
    return matrix


def _packed(code: str, values: list[Any]) -> np.ndarray:
    """`values` as an array of the `struct` (and numpy) type `code`: q int64, d float64, ? bool."""
    return np.frombuffer(pack(f"{len(values)}{code}", *values), dtype=code)


def record(instance: Any) -> dict[str, Any]:
    """A validated instance as a JSON-ready mapping of its features."""
    return {name: getattr(instance, name) for name in FEATURES}


def to_matrix(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Stack encoded feature columns (weekday and season as codes) into the model's matrix."""
    return np.column_stack([columns[name] for name in FEATURES]).astype(np.float32)
