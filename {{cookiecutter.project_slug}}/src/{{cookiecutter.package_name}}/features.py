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


def encode(instances: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Turn validated instances (weekday and season by name) into the model's float32 matrix."""
    columns = [
        [CODES[name][instance[name]] for instance in instances]
        if name in CODES
        else [instance[name] for instance in instances]
        for name in FEATURES
    ]
    return np.array(columns, dtype=np.float32).T.copy()


def to_matrix(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Stack encoded feature columns (weekday and season as codes) into the model's matrix."""
    return np.column_stack([columns[name] for name in FEATURES]).astype(np.float32)
