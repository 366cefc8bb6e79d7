"""Reference statistics of the training features: the baseline that drift is measured against."""

from collections.abc import Mapping
from typing import Any

import numpy as np

from .features import BOOLEAN, CATEGORICAL, CODES, FEATURES

N_BINS = 10


def feature_statistics(columns: Mapping[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    """Category shares of discrete features; decile bins, moments and range of numeric ones."""
    return {
        name: _discrete(name, columns[name])
        if name in CATEGORICAL or name in BOOLEAN
        else _numeric(columns[name])
        for name in FEATURES
    }


def _discrete(name: str, values: np.ndarray) -> dict[str, Any]:
    codes, counts = np.unique(values, return_counts=True)
    names = {code: label for label, code in CODES.get(name, {}).items()}
    categories = [names.get(int(code), int(code)) for code in codes]
    return {
        "kind": "categorical",
        "categories": categories,
        "proportions": (counts / counts.sum()).round(6).tolist(),
    }


def _numeric(values: np.ndarray) -> dict[str, Any]:
    edges = np.unique(np.quantile(values, np.linspace(0.0, 1.0, N_BINS + 1)))
    counts, _ = np.histogram(values, bins=edges)
    return {
        "kind": "numeric",
        "bin_edges": edges.round(6).tolist(),
        "proportions": (counts / counts.sum()).round(6).tolist(),
        "mean": round(float(values.mean()), 6),
        "std": round(float(values.std()), 6),
        "min": float(values.min()),
        "max": float(values.max()),
    }
