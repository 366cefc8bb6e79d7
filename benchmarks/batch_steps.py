"""Time each step of a valid batch through the generated service's fast path, in-process.

Runs with a generated project's interpreter, from the project's directory, after `make train`:

    .venv/bin/python /path/to/benchmarks/batch_steps.py [--instances 1000]

The steps are those `fast_path.PredictionFastPath` takes for a JSON batch msgspec validates:
decoding, encoding, the ONNX prediction (the compute floor), the response bytes and, after the
response is sent, keeping the batch for the model metrics; then what the metrics' writer thread
does with it, off the request's path. Prints the best of several timed rounds of each step, in
milliseconds.
"""

import argparse
import importlib
import json
from pathlib import Path

from export_model import best_ms
from run import PACKAGE, instances


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=1_000)
    parser.add_argument("--model-dir", type=Path, default=Path("artifacts"))
    args = parser.parse_args()

    api = importlib.import_module(f"{PACKAGE}.api")
    fast_path = importlib.import_module(f"{PACKAGE}.fast_path")
    decoding = importlib.import_module(f"{PACKAGE}.decoding")
    features = importlib.import_module(f"{PACKAGE}.features")
    metrics = importlib.import_module(f"{PACKAGE}.prediction_metrics")
    model = importlib.import_module(f"{PACKAGE}.model").DemandModel.load(args.model_dir)

    body = json.dumps({"instances": instances(args.instances)}).encode()
    batch = decoding.decode_request(body).instances
    matrix = features.encode(batch)
    predictions = model.predict(matrix)

    def added_up() -> None:
        totals = metrics.Totals()
        totals.add(matrix, predictions)
        totals.add_up()

    steps = {
        "decode": lambda: decoding.decode_request(body),
        "encode": lambda: features.encode(batch),
        "predict": lambda: model.predict(matrix),
        "response": lambda: fast_path.answer(api.response_fields, predictions, model),
        "metrics kept (after sending)": lambda: metrics.Totals().add(matrix, predictions),
        "metrics added up (writer)": added_up,
    }
    times = {name: best_ms(step) for name, step in steps.items()}
    for name, ms in times.items():
        print(f"{name:>28}: {ms:.3f} ms")
    before = sum(ms for name, ms in times.items() if not name.startswith("metrics"))
    print(f"{'until the response':>28}: {before:.3f} ms, {before / times['predict']:.2f}x predict")


if __name__ == "__main__":
    main()
