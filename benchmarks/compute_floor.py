"""Time in-process ONNX `predict` of the batch the load test sends: its compute floor.

Runs with a generated project's interpreter, between the batch load tests of its server:

    python compute_floor.py PACKAGE MODEL_DIR MATRIX_JSON [--seconds 2]

Prints, as JSON, the median and the fastest of single `predict` calls on the whole matrix, in
milliseconds. The load test's p50 is compared with the median, the same statistic, measured just
before each load test: on a shared machine whose speed drifts, a floor measured minutes apart
would be the floor of another machine.
"""

import argparse
import importlib
import json
import statistics
import time
from pathlib import Path

import numpy as np

WARM_UP = 20  # calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("package")
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("matrix", type=Path, help="JSON list of encoded rows")
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()

    model = importlib.import_module(f"{args.package}.model").DemandModel.load(args.model_dir)
    matrix = np.asarray(json.loads(args.matrix.read_text()), dtype=np.float32)
    for _ in range(WARM_UP):
        model.predict(matrix)
    times = []
    end = time.perf_counter() + args.seconds
    while (start := time.perf_counter()) < end:
        model.predict(matrix)
        times.append(time.perf_counter() - start)
    result = {
        "median_ms": statistics.median(times) * 1e3,
        "best_ms": min(times) * 1e3,
        "calls": len(times),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
