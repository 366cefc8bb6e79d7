{%- set platform = cookiecutter.cloud_provider if cookiecutter.hosting_model == "paas" else "" -%}
"""Input drift: recently captured instances against the training reference, per feature.

Each feature gets a population stability index, PSI = sum((a - e) * ln(a / e)) over the shares
`a` of the captured and `e` of the training instances: over the training deciles for numeric
features (the outer bins open-ended) and over the categories for discrete ones (each category
unseen in training is a bin of its own). Shares are floored at 0.0001 so an empty bin stays
finite. Common reading: below 0.1 stable, 0.1-0.2 moderate shift, above 0.2 drift.

    python -m {{ cookiecutter.package_name }}.drift [--capture-dir DIR] [--since-hours H]

{%- if platform == "aws" %}

reads every `*.jsonl` and `*.json` file under DIR (default `$CAPTURE_DIR`; gzipped too): this
service's capture and SageMaker data capture. It writes `drift.json` and `drift.md` to
`--output-dir` (`reports/drift`).
{%- elif platform == "gcp" %}

reads every `*.jsonl` and `*.json` file under DIR (default `$CAPTURE_DIR`; gzipped too): this
service's capture and Vertex AI request-response logging rows exported from BigQuery as JSON
lines. It writes `drift.json` and `drift.md` to `--output-dir` (`reports/drift`).
{%- elif platform == "azure" %}

reads every `*.jsonl` and `*.json` file under DIR (default `$CAPTURE_DIR`; gzipped too): this
service's capture and the `model_inputs` of the Azure ML data collector. It writes `drift.json`
and `drift.md` to `--output-dir` (`reports/drift`).
{%- else %}

reads every `*.jsonl` and `*.json` file under DIR (default `$CAPTURE_DIR`; gzipped too) that
this service's capture wrote. It writes `drift.json` and `drift.md` to `--output-dir`
(`reports/drift`).
{%- endif %}
Thresholds come from `DRIFT_PSI_WARN`, `DRIFT_PSI_ALERT` and `DRIFT_MIN_SAMPLES`.

Exit codes: 0 report written, drifted or not (read `drift_detected`; `status` is
"insufficient_data" below `DRIFT_MIN_SAMPLES` instances); 1 drift detected, only with
`--fail-on-drift`; 2 no report: no usable instances, unreadable reference, or bad arguments.
"""

import argparse
{%- if platform == "aws" %}
import base64
import binascii
{%- endif %}
import gzip
import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import numpy as np
from pydantic import ValidationError

from .artifacts import Artifacts
from .config import DriftSettings
from .features import FEATURES
from .schemas import Instance

logger = logging.getLogger(__name__)

SHARE_FLOOR = 1e-4
SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz")
EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2


class NoUsableInputError(Exception):
    """The captures hold no instance that drift could be measured on."""


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index of two share vectors over the same bins."""
    expected, actual = (np.clip(p, SHARE_FLOOR, None) for p in (expected, actual))
    expected, actual = expected / expected.sum(), actual / actual.sum()
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def read_captures(
    directory: Path, since: datetime | None = None
) -> tuple[list[Any], dict[str, int]]:
    """The instances of every capture file under `directory` and how many records of each format.

    Records older than `since` are left out; unreadable ones (say the last, half-written line of
    a file being appended to) are counted under "unreadable".
    """
    if not directory.is_dir():
        raise NoUsableInputError(f"capture directory {directory} does not exist")
    instances: list[Any] = []
    formats: Counter[str] = Counter()
    paths = sorted(p for p in directory.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
    for path in paths:
        try:
            with _open(path) as lines:
                for line in lines:
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                        stamp = _timestamp(record)
                        if since and stamp and stamp < since:
                            formats["too_old"] += 1
                            continue
                        kind, found = _instances(record)
{%- if platform == "aws" %}
                    except (ValueError, KeyError, TypeError, binascii.Error):
{%- else %}
                    except (ValueError, KeyError, TypeError):
{%- endif %}
                        formats["unreadable"] += 1
                        continue
                    formats[kind] += 1
                    instances.extend(found)
        except (OSError, EOFError, UnicodeDecodeError) as error:
            logger.warning("Skipping unreadable capture file %s: %s", path, error)
            formats["unreadable_files"] += 1
    if formats["unreadable"]:
        logger.warning("Skipped %d unreadable records under %s", formats["unreadable"], directory)
    if not instances:
        found = ", ".join(f"{n} {kind}" for kind, n in sorted(formats.items())) or "nothing"
        raise NoUsableInputError(
            f"no captured instances in {len(paths)} capture files under {directory} ({found})"
        )
    return instances, dict(formats)


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _instances(record: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """The format of one capture record and the instances it holds."""
    if "instance" in record:
        return "service", [record["instance"]]
{%- if platform == "aws" %}
    if "captureData" in record:  # SageMaker data capture: the request body, as sent
        request = record["captureData"]["endpointInput"]
        data = request["data"]
        if request.get("encoding") == "BASE64":
            data = base64.b64decode(data, validate=True)
        return "sagemaker", _payload(json.loads(data))
{%- elif platform == "gcp" %}
    if "request_payload" in record:  # Vertex AI: one JSON string per logged instance or body
        payloads = record["request_payload"]
        payloads = [payloads] if isinstance(payloads, str) else payloads
        return "vertex_ai", [i for p in payloads for i in _payload(json.loads(p))]
{%- elif platform == "azure" %}
    kind = record.get("type", "")
    if kind.startswith("azureml.inference."):  # Azure ML data collector (CloudEvents)
        if not kind.endswith(("model_inputs", "request")):
            return "azure_ml_other", []  # model_outputs, response: not inputs
        data = record["data"]
        return "azure_ml", _payload(json.loads(data) if isinstance(data, str) else data)
{%- endif %}
    raise KeyError("no known capture format")
{%- if platform %}


def _payload(payload: Any) -> list[Any]:
    """Instances of a request body: `{"instances": [...]}`, a list of rows, or one row."""
    if isinstance(payload, dict) and "instances" in payload:
        return list(payload["instances"])
    return list(payload) if isinstance(payload, list) else [payload]
{%- endif %}


def _timestamp(record: Mapping[str, Any]) -> datetime | None:
    """When the record was captured, from the field of its format; None when it has none."""
{%- if platform == "aws" %}
    metadata = record.get("eventMetadata")
    stamp = record.get("timestamp") or (
        metadata.get("inferenceTime") if isinstance(metadata, dict) else None
    )
{%- elif platform == "gcp" %}
    stamp = record.get("timestamp") or record.get("logging_time")
{%- elif platform == "azure" %}
    stamp = record.get("timestamp") or record.get("time")
{%- else %}
    stamp = record.get("timestamp")
{%- endif %}
    if not stamp:
        return None
{%- if platform == "gcp" %}
    parsed = datetime.fromisoformat(str(stamp).replace(" UTC", "+00:00"))  # BigQuery's format
{%- else %}
    parsed = datetime.fromisoformat(str(stamp))
{%- endif %}
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _key(value: Any) -> str:
    """Category label shared by the reference (codes, names) and captures (bools, names)."""
    return str(int(value)) if isinstance(value, bool | int | float) else str(value)


def feature_drift(
    stats: Mapping[str, Any], values: list[Any], settings: DriftSettings
) -> dict[str, Any]:
    """PSI and status of one feature from its reference statistics and captured values."""
    result: dict[str, Any] = {"kind": stats["kind"], "n": len(values), "psi": None}
    if not values:
        return result | {"status": "no_data"}
    if stats["kind"] == "numeric":
        numbers = np.asarray(values, dtype=np.float64)
        inner_edges = np.asarray(stats["bin_edges"][1:-1])
        bins = np.searchsorted(inner_edges, numbers, side="right")
        counts = np.bincount(bins, minlength=len(stats["proportions"]))
        expected = np.asarray(stats["proportions"])
        result |= {"mean": round(float(numbers.mean()), 4), "reference_mean": stats["mean"]}
    else:
        categories = [_key(category) for category in stats["categories"]]
        labels, label_counts = np.unique([_key(value) for value in values], return_counts=True)
        observed = dict(zip(labels.tolist(), label_counts.tolist(), strict=True))
        unseen = sorted(set(observed) - set(categories))
        counts = np.asarray([observed.get(label, 0) for label in categories + unseen])
        expected = np.asarray(stats["proportions"] + [0.0] * len(unseen))
        result["unseen_categories"] = unseen
    result["psi"] = score = round(psi(expected, counts / counts.sum()), 4)
    if len(values) < settings.min_samples:
        status = "insufficient_data"
    elif score >= settings.psi_alert:
        status = "alert"
    elif score >= settings.psi_warn:
        status = "warn"
    else:
        status = "ok"
    return result | {"status": status}


def detect(
    instances: list[Any],
    reference: Mapping[str, Any],
    settings: DriftSettings | None = None,
) -> dict[str, Any]:
    """The drift report of captured instances against the training reference."""
    settings = settings or DriftSettings()
    valid = list(filter(None, map(_validate, instances)))
    features = {
        name: feature_drift(reference[name], [instance[name] for instance in valid], settings)
        for name in FEATURES
    }
    enough = len(valid) >= settings.min_samples
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_instances": len(valid),
        "n_invalid": len(instances) - len(valid),
        "thresholds": settings.model_dump(),
        "drift_detected": enough and any(f["status"] == "alert" for f in features.values()),
        "status": _overall(features) if enough else "insufficient_data",
        "features": features,
    }


def _validate(instance: Mapping[str, Any]) -> dict[str, Any] | None:
    """The instance as the API accepts it; None for input the API would have rejected."""
    try:
        return Instance.model_validate(instance).model_dump()
    except ValidationError:
        return None


def _overall(features: Mapping[str, Mapping[str, Any]]) -> str:
    statuses = {feature["status"] for feature in features.values()}
    return next(status for status in ("alert", "warn", "ok") if status in statuses)


def to_markdown(report: Mapping[str, Any]) -> str:
    """A short human-readable version of the report."""
    verdict = "**Drift detected.**" if report["drift_detected"] else "No drift detected."
    thresholds = report["thresholds"]
    lines = [
        "# Input drift report",
        "",
        f"{verdict} Status: `{report['status']}`, {report['n_instances']} captured instances "
        f"({report['n_invalid']} invalid), generated {report['generated_at']}.",
        "",
        "Capture records read: "
        + ", ".join(f"{kind} {n}" for kind, n in sorted(report.get("records", {}).items()))
        + ".",
        "",
        f"PSI thresholds: warn {thresholds['psi_warn']}, alert {thresholds['psi_alert']}; "
        f"at least {thresholds['min_samples']} instances are needed for a verdict.",
        "",
        "| Feature | Kind | PSI | Status | Instances |",
        "| --- | --- | ---: | --- | ---: |",
    ]
    for name, feature in report["features"].items():
        score = "n/a" if feature["psi"] is None else f"{feature['psi']:.4f}"
        lines.append(
            f"| {name} | {feature['kind']} | {score} | {feature['status']} | {feature['n']} |"
        )
    return "\n".join(lines) + "\n"


def run(
    capture_dir: Path,
    reference_path: Path,
    output_dir: Path,
    since: datetime | None = None,
    settings: DriftSettings | None = None,
) -> dict[str, Any]:
    """Read the captures, compare them with the reference, write drift.json and drift.md."""
    reference = json.loads(reference_path.read_text())
    instances, records = read_captures(capture_dir, since)
    report = detect(instances, reference, settings)
    report |= {"since": since.isoformat(timespec="seconds") if since else None, "records": records}
    output_dir.mkdir(parents=True, exist_ok=True)
    _write(output_dir / "drift.md", to_markdown(report))
    _write(output_dir / "drift.json", json.dumps(report, indent=2) + "\n")
    return report


def _write(path: Path, text: str) -> None:
    """Replace `path` at once: the service may read the report at any moment."""
    partial = path.with_name(f".{path.name}.new")
    partial.write_text(text)
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Compare captured inputs with the training data (PSI per feature)."
    )
    parser.add_argument(
        "--capture-dir",
        type=Path,
        default=os.environ.get("CAPTURE_DIR"),
        help="directory of capture files, searched recursively (default: $CAPTURE_DIR)",
    )
    parser.add_argument("--reference", type=Path, default=Artifacts(Path("artifacts")).reference)
    parser.add_argument("--output-dir", type=Path, default=Path("reports/drift"))
    parser.add_argument("--since-hours", type=float, help="only records of the last H hours")
    parser.add_argument("--fail-on-drift", action="store_true", help="exit with 1 on drift")
    args = parser.parse_args(argv)
    if args.capture_dir is None:
        parser.error("--capture-dir is required when CAPTURE_DIR is unset")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    since = datetime.now(UTC) - timedelta(hours=args.since_hours) if args.since_hours else None
    try:
        report = run(args.capture_dir, args.reference, args.output_dir, since)
    except Exception as error:  # any failure means "no report": exit code 2, not a traceback
        logger.error("No drift report: %s", error)
        return EXIT_ERROR
    print(to_markdown(report), end="")
    return EXIT_DRIFT if args.fail_on_drift and report["drift_detected"] else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
