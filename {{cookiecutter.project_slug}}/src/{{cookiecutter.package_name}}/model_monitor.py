"""SageMaker Model Monitor's baseline dataset: the served model's training features as a CSV.

The data-quality analyzer computes the baseline statistics and constraints from this CSV, with
the header as feature names. In a monitoring run, the features are the keys of the records that
deploy/sagemaker/monitor/preprocessor.py returns for each captured request; the analyzer orders
them lexicographically and lines them up with the baseline's columns by position. So the columns
here are the request's feature names in lexicographic order, and each value is spelled the way
the request's JSON spells it: categories by name, flags as true/false, numbers in JSON notation.

deploy/sagemaker/deploy.sh runs this module inside the image it deploys, so the dataset is what
that image's model was trained on: the rows and seed its metrics.json records, read through
data.load like training, split like training, the holdout left out.
"""

import argparse
import csv
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from .artifacts import Artifacts
from .config import Settings
from .data import Dataset, load, split
from .features import BOOLEAN, CODES, FEATURES

COLUMNS = tuple(sorted(FEATURES))
"""The baseline's columns: the order in which the analyzer reads a flattened captured record."""


def model_version(model_dir: Path) -> str:
    """The version of the model in `model_dir`, the key of its baseline."""
    return json.loads(Artifacts(model_dir).metrics.read_text())["model_version"]


def training_set(model_dir: Path) -> Dataset:
    """The rows the model in `model_dir` was trained on, as training drew them."""
    data = json.loads(Artifacts(model_dir).metrics.read_text())["data"]
    train_set, _ = split(load(data["rows"], data["seed"]), seed=data["seed"])
    return train_set


def records(dataset: Dataset) -> list[dict[str, Any]]:
    """Each row as a request's instance: categories by name, flags as booleans."""
    columns: dict[str, list[Any]] = {}
    for name in FEATURES:
        values = dataset.columns[name].tolist()
        if name in CODES:
            labels = {code: label for label, code in CODES[name].items()}
            values = [labels[code] for code in values]
        elif name in BOOLEAN:
            values = [bool(value) for value in values]
        columns[name] = values
    return [dict(zip(FEATURES, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def cell(value: Any) -> str:
    """A feature value as JSON writes it (true, 4.99, 3), strings without quotes."""
    return value if isinstance(value, str) else json.dumps(value)


def write_csv(instances: Iterable[dict[str, Any]], output: TextIO) -> None:
    """The baseline dataset: a header of COLUMNS, then one line per instance."""
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([cell(instance[name]) for name in COLUMNS] for instance in instances)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The model's Model Monitor baseline dataset.")
    parser.add_argument(
        "command",
        choices=["version", "dataset"],
        help="version: print the model version; dataset: write the baseline CSV to stdout",
    )
    parser.add_argument("--model-dir", type=Path, help="model artifacts (default: MODEL_DIR)")
    args = parser.parse_args(argv)
    model_dir = args.model_dir or Settings().model_dir
    if args.command == "version":
        print(model_version(model_dir))
    else:
        write_csv(records(training_set(model_dir)), sys.stdout)


if __name__ == "__main__":
    main()
