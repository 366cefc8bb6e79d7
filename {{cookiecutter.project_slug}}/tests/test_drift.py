{%- set platform = cookiecutter.cloud_provider if cookiecutter.hosting_model == "paas" else "" -%}
"""The drift job flags shifted inputs, stays quiet on unshifted ones, and reads every capture."""

import gzip
import json
{%- if platform == "aws" %}
from collections.abc import Callable
{%- endif %}
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from {{ cookiecutter.package_name }} import drift
from {{ cookiecutter.package_name }}.artifacts import Artifacts
from {{ cookiecutter.package_name }}.config import DriftSettings
from {{ cookiecutter.package_name }}.data import generate
from {{ cookiecutter.package_name }}.features import SEASONS, WEEKDAYS


def instances(n: int, seed: int, price_shift: float = 0.0) -> list[dict[str, Any]]:
    """`n` instances as clients send them, drawn like the training data."""
    columns = generate(n, seed=seed).columns
    return [
        {
            "store_id": int(columns["store_id"][i]),
            "price": round(float(columns["price"][i]) + price_shift, 2),
            "promotion": bool(columns["promotion"][i]),
            "holiday": bool(columns["holiday"][i]),
            "weekday": WEEKDAYS[columns["weekday"][i]],
            "season": SEASONS[columns["season"][i]],
            "temperature": float(columns["temperature"][i]),
        }
        for i in range(n)
    ]


def write_capture(directory: Path, rows: list[dict[str, Any]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    lines = [
        {"timestamp": "2026-01-02T03:04:05.678+00:00", "model_version": "v1", "instance": row}
        for row in rows
    ]
    (directory / "capture-1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))


@pytest.fixture
def reference(model_dir: Path) -> Path:
    return Artifacts(model_dir).reference


def run(capture_dir: Path, reference: Path, output_dir: Path, *options: str) -> int:
    args = ["--capture-dir", str(capture_dir), "--reference", str(reference)]
    return drift.main([*args, "--output-dir", str(output_dir), *options])


def test_unshifted_inputs_do_not_drift(tmp_path: Path, reference: Path) -> None:
    write_capture(tmp_path / "captures", instances(3_000, seed=11))
    assert run(tmp_path / "captures", reference, tmp_path / "out", "--fail-on-drift") == 0
    report = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert report["drift_detected"] is False
    assert report["status"] == "ok"
    assert report["n_instances"] == 3_000
    assert all(feature["psi"] < 0.1 for feature in report["features"].values())
    assert "No drift detected." in (tmp_path / "out" / "drift.md").read_text()


def test_shifted_prices_drift(tmp_path: Path, reference: Path) -> None:
    write_capture(tmp_path / "captures", instances(3_000, seed=11, price_shift=4.0))
    assert run(tmp_path / "captures", reference, tmp_path / "out") == drift.EXIT_OK
    assert run(tmp_path / "captures", reference, tmp_path / "out", "--fail-on-drift") == 1
    report = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert report["drift_detected"] is True
    assert report["features"]["price"]["status"] == "alert"
    assert report["features"]["price"]["psi"] > 0.2
    assert report["features"]["season"]["status"] == "ok"
    assert "**Drift detected.**" in (tmp_path / "out" / "drift.md").read_text()


def test_too_few_instances_give_no_verdict(tmp_path: Path, reference: Path) -> None:
    write_capture(tmp_path / "captures", instances(50, seed=11, price_shift=4.0))
    assert run(tmp_path / "captures", reference, tmp_path / "out") == drift.EXIT_OK
    report = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert (report["status"], report["drift_detected"]) == ("insufficient_data", False)


def test_unseen_categories_are_bins_of_their_own() -> None:
    stats = {"kind": "categorical", "categories": [1, 2], "proportions": [0.5, 0.5]}
    result = drift.feature_drift(stats, [1, 2, 3, 3] * 200, DriftSettings())
    assert result["unseen_categories"] == ["3"]
    assert result["status"] == "alert"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "no captured instances in 0 capture files"),
        ({"capture-1.jsonl": ""}, "no captured instances in 1 capture files"),
        ({"capture-1.jsonl": "not json\n{}\n"}, "2 unreadable"),
        ({"capture-1.jsonl.gz": "not gzip"}, "1 unreadable_files"),
    ],
)
def test_empty_or_unreadable_captures_are_an_error(
    tmp_path: Path,
    reference: Path,
    files: dict[str, str],
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (tmp_path / "captures").mkdir()
    for name, text in files.items():
        (tmp_path / "captures" / name).write_text(text)
    assert run(tmp_path / "captures", reference, tmp_path / "out") == drift.EXIT_ERROR
    assert message in caplog.text
    assert not (tmp_path / "out").exists()


def test_a_missing_directory_or_reference_is_an_error(tmp_path: Path, reference: Path) -> None:
    assert run(tmp_path / "nowhere", reference, tmp_path / "out") == drift.EXIT_ERROR
    write_capture(tmp_path / "captures", instances(10, seed=1))
    assert run(tmp_path / "captures", tmp_path / "none.json", tmp_path / "out") == drift.EXIT_ERROR


{%- if platform == "gcp" %}


def vertex_ai_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A row of the request-response logging table, exported with `bq extract` as JSON lines."""
    return {
        "endpoint": "projects/123456789/locations/europe-west4/endpoints/987654321",
        "deployed_model_id": "1122334455",
        "logging_time": "2026-01-02 03:04:05.123456 UTC",
        "request_id": "4711",
        "request_payload": [json.dumps(row) for row in rows],
        "response_payload": [json.dumps(1.0) for _ in rows],
    }
{%- elif platform == "azure" %}


def azure_ml_record(rows: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": "5b8b6b0e-0a2e-4bde-9a54-2f4c7f8e6d21",
        "source": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml"
        "/providers/Microsoft.MachineLearningServices/workspaces/ml/onlineEndpoints/demand"
        "/deployments/blue",
        "type": f"azureml.inference.{kind}",
        "datacontenttype": "application/json",
        "time": "2026-01-02T03:04:05Z",
        "data": rows if kind == "model_inputs" else [{"prediction": 1.0}] * len(rows),
        "path": "/score",
        "method": "POST",
        "contentrange": "bytes 0-1024/*",
        "correlationid": "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
        "xrequestid": "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
        "modelversion": "default",
        "collectdatatype": "pandas.core.frame.DataFrame",
        "agent": "azureml-ai-monitoring/1.0.0",
    }
{%- endif %}


def test_every_capture_format_is_read(
    tmp_path: Path,
{%- if platform == "aws" %}
    sagemaker_capture: Callable[[list[dict[str, Any]], str], dict[str, Any]],
{%- endif %}
) -> None:
    rows = instances(4, seed=5)
    service = {"timestamp": "2026-01-02T03:04:05+00:00", "model_version": "v1", "instance": rows[0]}
    records = {
        "service/capture-1.jsonl": [service],
{%- if platform == "aws" %}
        "sagemaker/2026/01/02/03/a.jsonl": [
            sagemaker_capture(rows[:2], "JSON"),
            sagemaker_capture(rows[2:], "BASE64"),
        ],
{%- elif platform == "gcp" %}
        "vertex/export-000.json": [vertex_ai_row(rows[:3])],
{%- elif platform == "azure" %}
        "azure/model_inputs/2026/01/02/03/b.jsonl": [
            azure_ml_record(rows, "model_inputs"),
            azure_ml_record(rows, "model_outputs"),
        ],
{%- endif %}
    }
    for name, lines in records.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with gzip.open(tmp_path / "service" / "capture-0.jsonl.gz", "wt") as archive:
        archive.write(json.dumps({"instance": rows[1]}) + "\n")

    found, formats = drift.read_captures(tmp_path)
{%- if platform == "aws" %}
    assert len(found) == 2 + 4
    assert formats == {"service": 2, "sagemaker": 2}
    assert rows[2] in found
{%- elif platform == "gcp" %}
    assert len(found) == 2 + 3
    assert formats == {"service": 2, "vertex_ai": 1}
    assert rows[2] in found
{%- elif platform == "azure" %}
    assert len(found) == 2 + 4
    assert formats == {"service": 2, "azure_ml": 1, "azure_ml_other": 1}
    assert rows[2] in found
{%- else %}
    assert found == [rows[1], rows[0]]
    assert formats == {"service": 2}
{%- endif %}


def test_old_records_are_left_out(tmp_path: Path) -> None:
    write_capture(tmp_path, instances(5, seed=1))
    since = drift.datetime.fromisoformat("2026-06-01T00:00:00+00:00")
    with pytest.raises(drift.NoUsableInputError, match="5 too_old"):
        drift.read_captures(tmp_path, since)


def test_psi_is_zero_for_equal_shares_and_grows_with_the_shift() -> None:
    shares = np.full(10, 0.1)
    assert drift.psi(shares, shares) == pytest.approx(0.0)
    small, large = np.r_[0.12, np.full(9, 0.88 / 9)], np.r_[0.5, np.full(9, 0.5 / 9)]
    assert 0 < drift.psi(shares, small) < drift.psi(shares, large)
