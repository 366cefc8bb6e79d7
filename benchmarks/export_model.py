"""Train a generated project's model once and write it for every server of the benchmark.

Runs with the generated project's interpreter:

    python export_model.py PACKAGE OUTPUT_DIR --instances INSTANCES_JSON

The project's own `train` writes the ONNX artifacts the generated service loads; the very
scikit-learn pipeline it converted is also written with joblib (`pipeline.joblib`) for BentoML
and MLServer, so all three servers predict with the same fitted trees. Prints, as JSON, the
compute floor: in-process prediction times of 1 and 1,000 rows, best of several rounds.
"""

import argparse
import importlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np

ROUNDS = 7


def best_ms(function: Callable[[], Any], budget_s: float = 0.4) -> float:
    """Fastest mean time of `function` over several timed rounds, in milliseconds."""
    function()
    start = time.perf_counter()
    function()
    once = max(time.perf_counter() - start, 1e-6)
    number = max(1, int(budget_s / ROUNDS / once))
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(number):
            function()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("package")
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--instances", type=Path, required=True, help="JSON list of instances")
    args = parser.parse_args()

    train = importlib.import_module(f"{args.package}.train")
    features = importlib.import_module(f"{args.package}.features")
    model_module = importlib.import_module(f"{args.package}.model")
    schemas = importlib.import_module(f"{args.package}.schemas")

    fitted = []
    build_pipeline = train.build_pipeline

    def build_and_keep(*args: Any, **kwargs: Any) -> Any:
        pipeline = build_pipeline(*args, **kwargs)
        fitted.append(pipeline)
        return pipeline

    train.build_pipeline = build_and_keep
    spec = json.loads(train.SPEC.read_text())
    summary = train.train(args.output_dir, n_rows=spec["rows"], seed=spec["seed"])
    (pipeline,) = fitted
    joblib.dump(pipeline, args.output_dir / "pipeline.joblib")

    instances = schemas.PredictRequest(instances=json.loads(args.instances.read_text())).instances
    matrix = features.encode(instances)
    model = model_module.DemandModel.load(args.output_dir)
    onnx = model.predict(matrix)
    sklearn = np.clip(pipeline.predict(matrix), 0.0, None)
    floors = {
        "onnx_single_ms": best_ms(lambda: model.predict(matrix[:1])),
        "onnx_batch_ms": best_ms(lambda: model.predict(matrix)),
        "sklearn_single_ms": best_ms(lambda: pipeline.predict(matrix[:1])),
        "sklearn_batch_ms": best_ms(lambda: pipeline.predict(matrix)),
    }
    print(
        json.dumps(
            {
                "model_version": summary["model_version"],
                "matrix": matrix.tolist(),
                "sklearn_predictions": sklearn.tolist(),
                "onnx_vs_sklearn_max_abs_diff": float(np.abs(onnx - sklearn).max()),
                "compute_floor": floors,
            }
        )
    )


if __name__ == "__main__":
    main()
