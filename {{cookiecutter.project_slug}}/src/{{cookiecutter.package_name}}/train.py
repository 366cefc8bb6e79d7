"""Train the demand model, evaluate it on a holdout set and write the serving artifacts."""

import argparse
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from skl2onnx import to_onnx
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from .artifacts import Artifacts
from .data import Dataset, load, split
from .features import CATEGORICAL, FEATURES, to_matrix
from .reference import feature_statistics

ONNX_OPSET = 17
# The data the deployed model is trained on (the image build runs `train` with these defaults);
# retraining rewrites it when it promotes a model trained on newer data.
SPEC = Path(__file__).with_name("training.json")

Source = Callable[[int, int], Dataset]
"""Loads `n_rows` labelled rows for a data window identified by `seed`."""


def build_pipeline(seed: int = 42) -> Pipeline:
    """One-hot encode the categorical features and fit gradient-boosted trees on all of them."""
    encoder = ColumnTransformer(
        [
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                [FEATURES.index(name) for name in CATEGORICAL],
            )
        ],
        remainder="passthrough",
    )
    regressor = GradientBoostingRegressor(
        n_estimators=200, max_depth=4, learning_rate=0.1, subsample=0.8, random_state=seed
    )
    return Pipeline([("encode", encoder), ("regress", regressor)])


def evaluate(predictions: np.ndarray, holdout: Dataset, baseline: float) -> dict[str, float]:
    """Holdout error of the model and of a constant (training-mean) baseline."""
    actual = holdout.units_sold
    return {
        "mae": round(float(mean_absolute_error(actual, predictions)), 4),
        "rmse": round(float(root_mean_squared_error(actual, predictions)), 4),
        "r2": round(float(r2_score(actual, predictions)), 4),
        "baseline_mae": round(float(np.abs(actual - baseline).mean()), 4),
    }


def train(
    output_dir: Path, n_rows: int = 20_000, seed: int = 42, source: Source = load
) -> dict[str, Any]:
    """Fit on `n_rows` rows of `source` data and write the artifacts; returns their summary."""
    train_set, holdout = split(source(n_rows, seed), seed=seed)
    return fit(train_set, holdout, output_dir, seed, data={"rows": n_rows, "seed": seed})


def fit(
    train_set: Dataset, holdout: Dataset, output_dir: Path, seed: int, data: dict[str, Any]
) -> dict[str, Any]:
    """Fit the pipeline, export it as ONNX and write holdout metrics and feature statistics."""
    pipeline = build_pipeline(seed).fit(to_matrix(train_set.columns), train_set.units_sold)
    features = to_matrix(holdout.columns)
    onnx_model = to_onnx(pipeline, features[:1], target_opset=ONNX_OPSET).SerializeToString()
    artifacts = Artifacts(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    artifacts.model.write_bytes(onnx_model)

    summary = {
        "model_version": hashlib.sha256(onnx_model).hexdigest()[:12],
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_train": len(train_set),
        "n_holdout": len(holdout),
        "data": data,
        "metrics": evaluate(
            pipeline.predict(features), holdout, baseline=float(train_set.units_sold.mean())
        ),
    }
    artifacts.metrics.write_text(json.dumps(summary, indent=2) + "\n")
    reference = feature_statistics(train_set.columns)
    artifacts.reference.write_text(json.dumps(reference, indent=2) + "\n")
    return summary


def main(argv: list[str] | None = None) -> None:
    spec = json.loads(SPEC.read_text())
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output-dir", type=Path, default=Path("artifacts"))
    parser.add_argument("--rows", type=int, default=spec["rows"], help="labelled rows to train on")
    parser.add_argument("--seed", type=int, default=spec["seed"], help="data window and model seed")
    args = parser.parse_args(argv)
    summary = train(args.output_dir, n_rows=args.rows, seed=args.seed)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
