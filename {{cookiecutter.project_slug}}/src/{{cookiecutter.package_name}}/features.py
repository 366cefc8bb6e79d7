"""The model's input features: names, categories and their encoding as a numeric matrix."""

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

CODES = {
    "weekday": {name: code for code, name in enumerate(WEEKDAYS)},
    "season": {name: code for code, name in enumerate(SEASONS)},
}


def encode(instances: Sequence[Any]) -> np.ndarray:
    """Turn validated instances into the model's float32 matrix, one column per feature.

    The columns are spelled out in the order of FEATURES rather than looked up by name: plain
    attribute access halves the cost of this step, which every prediction takes.
    """
    weekdays, seasons = CODES["weekday"], CODES["season"]
    columns = [
        [instance.store_id for instance in instances],
        [instance.price for instance in instances],
        [instance.promotion for instance in instances],
        [instance.holiday for instance in instances],
        [weekdays[instance.weekday] for instance in instances],
        [seasons[instance.season] for instance in instances],
        [instance.temperature for instance in instances],
    ]
    return np.array(columns, dtype=np.float32).T.copy()


def record(instance: Any) -> dict[str, Any]:
    """A validated instance as a JSON-ready mapping of its features."""
    return {name: getattr(instance, name) for name in FEATURES}


def to_matrix(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Stack encoded feature columns (weekday and season as codes) into the model's matrix."""
    return np.column_stack([columns[name] for name in FEATURES]).astype(np.float32)
