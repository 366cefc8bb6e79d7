"""The synthetic data is deterministic and behaves like product demand."""

import numpy as np

from {{ cookiecutter.package_name }}.data import generate, split
from {{ cookiecutter.package_name }}.features import (
    FEATURES,
    N_STORES,
    SEASONS,
    WEEKDAYS,
    encode,
    to_matrix,
)
from {{ cookiecutter.package_name }}.schemas import Instance


def test_same_seed_gives_identical_data() -> None:
    first, second = generate(500, seed=7), generate(500, seed=7)
    np.testing.assert_array_equal(to_matrix(first.columns), to_matrix(second.columns))
    np.testing.assert_array_equal(first.units_sold, second.units_sold)


def test_other_seed_gives_other_data() -> None:
    assert not np.array_equal(generate(500, seed=1).units_sold, generate(500, seed=2).units_sold)


def test_columns_are_complete_and_in_range() -> None:
    dataset = generate(2_000)
    assert set(dataset.columns) == set(FEATURES)
    assert len(dataset) == 2_000
    assert dataset.columns["store_id"].min() >= 1
    assert dataset.columns["store_id"].max() <= N_STORES
    assert (dataset.columns["price"] > 0).all()
    assert set(np.unique(dataset.columns["promotion"])) <= {0, 1}
    assert (dataset.units_sold >= 0).all()


def test_demand_falls_with_price_and_rises_with_promotions() -> None:
    dataset = generate(20_000)
    price, units = dataset.columns["price"], dataset.units_sold
    assert units[price < 4].mean() > units[price > 10].mean()
    promoted = dataset.columns["promotion"] == 1
    assert units[promoted].mean() > units[~promoted].mean()


def test_split_holds_out_disjoint_rows() -> None:
    dataset = generate(1_000)
    train, holdout = split(dataset, test_fraction=0.25)
    assert (len(train), len(holdout)) == (750, 250)
    assert sorted(np.concatenate([train.units_sold, holdout.units_sold])) == sorted(
        dataset.units_sold
    )


def test_serving_encodes_instances_exactly_as_training_encodes_the_data() -> None:
    dataset = generate(300, seed=3)
    names = {"weekday": WEEKDAYS, "season": SEASONS}
    instances = [
        Instance.model_validate(
            {
                name: names[name][int(column[row])] if name in names else column[row].item()
                for name, column in dataset.columns.items()
            },
            strict=False,  # the data's booleans are 0 and 1
        )
        for row in range(len(dataset))
    ]
    np.testing.assert_array_equal(encode(instances), to_matrix(dataset.columns))
