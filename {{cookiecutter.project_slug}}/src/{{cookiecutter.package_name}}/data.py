"""Deterministic synthetic daily product demand per store: no downloads, same seed, same data."""

from dataclasses import dataclass

import numpy as np

from .features import N_STORES, SEASONS, WEEKDAYS

WEEKDAY_FACTOR = np.array([0.90, 0.88, 0.92, 0.97, 1.10, 1.30, 1.15])
SEASON_FACTOR = np.array([0.85, 1.00, 1.20, 0.95])
SEASON_TEMPERATURE = np.array([2.0, 12.0, 24.0, 11.0])
PRICE_ELASTICITY = 0.12
PROMOTION_UPLIFT = 0.35
HOLIDAY_UPLIFT = 0.25
# The stores and their typical demand are the same in every data window; only the days differ.
STORE_SEED = 7


@dataclass(frozen=True)
class Dataset:
    """Feature columns (categoricals as integer codes) and the units sold per row."""

    columns: dict[str, np.ndarray]
    units_sold: np.ndarray

    def __len__(self) -> int:
        return len(self.units_sold)


def generate(n_rows: int, seed: int = 42) -> Dataset:
    """Simulate `n_rows` store-days whose demand reacts to price, promotions and the calendar."""
    rng = np.random.default_rng(seed)
    store_base = np.random.default_rng(STORE_SEED).uniform(20.0, 120.0, N_STORES)

    store_id = rng.integers(1, N_STORES + 1, n_rows)
    weekday = rng.integers(0, len(WEEKDAYS), n_rows)
    season = rng.integers(0, len(SEASONS), n_rows)
    price = rng.uniform(2.0, 12.0, n_rows).round(2)
    promotion = (rng.random(n_rows) < 0.2).astype(np.int8)
    holiday = (rng.random(n_rows) < 0.04).astype(np.int8)
    temperature = (SEASON_TEMPERATURE[season] + rng.normal(0.0, 5.0, n_rows)).round(1)

    expected = (
        store_base[store_id - 1]
        * np.exp(-PRICE_ELASTICITY * (price - 6.0))
        * (1.0 + PROMOTION_UPLIFT * promotion)
        * (1.0 + HOLIDAY_UPLIFT * holiday)
        * WEEKDAY_FACTOR[weekday]
        * SEASON_FACTOR[season]
        * (1.0 + 0.01 * (temperature - 15.0))
    )
    columns = {
        "store_id": store_id,
        "price": price,
        "promotion": promotion,
        "holiday": holiday,
        "weekday": weekday,
        "season": season,
        "temperature": temperature,
    }
    return Dataset(columns=columns, units_sold=rng.poisson(np.clip(expected, 0.0, None)))


def split(dataset: Dataset, test_fraction: float = 0.2, seed: int = 42) -> tuple[Dataset, Dataset]:
    """Shuffle once and hold out `test_fraction` of the rows for evaluation."""
    order = np.random.default_rng(seed).permutation(len(dataset))
    n_test = int(len(dataset) * test_fraction)
    parts = (order[n_test:], order[:n_test])
    return tuple(
        Dataset(
            {name: col[rows] for name, col in dataset.columns.items()}, dataset.units_sold[rows]
        )
        for rows in parts
    )


def load(n_rows: int, window: int) -> Dataset:
    """`n_rows` labelled rows of data window `window`: the seam to connect to your own data.

    Training and retraining both read through it, so the image build trains exactly the model a
    retraining promoted. It stands in for "the sales of window N" with the synthetic generator.
    """
    return generate(n_rows, seed=window)
