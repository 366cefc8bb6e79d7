"""Time in-process ONNX `predict` of the batch the load test sends: its compute floor.

Runs with a generated project's interpreter, beside the batch load tests of its server:

    python compute_floor.py PACKAGE MODEL_DIR MATRIX_JSON

Loads the model once, then for each line read from stdin (a number of seconds) calls `predict`
on the whole matrix for that long and prints, as one line of JSON, the median and the fastest
call in milliseconds. The load test's p50 is compared with the median, the same statistic,
measured just before and just after each load run: on a shared machine whose speed drifts, a
floor measured minutes apart would be the floor of another machine.
"""

import argparse
import importlib
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

WARM_UP = 20  # calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("package")
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("matrix", type=Path, help="JSON list of encoded rows")
    args = parser.parse_args()

    model = importlib.import_module(f"{args.package}.model").DemandModel.load(args.model_dir)
    matrix = np.asarray(json.loads(args.matrix.read_text()), dtype=np.float32)
    for _ in range(WARM_UP):
        model.predict(matrix)
    for line in sys.stdin:
        times = []
        end = time.perf_counter() + float(line)
        while (start := time.perf_counter()) < end:
            model.predict(matrix)
            times.append(time.perf_counter() - start)
        result = {
            "median_ms": statistics.median(times) * 1e3,
            "best_ms": min(times) * 1e3,
            "calls": len(times),
        }
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
