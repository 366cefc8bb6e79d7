"""Predicted instances are captured as JSON lines, in bounded files, without delaying requests."""

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.api import create_app
from {{ cookiecutter.package_name }}.capture import PATTERN, CaptureWriter
from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.schemas import Instance


def records(directory: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(directory.glob(PATTERN))
        for line in path.read_text().splitlines()
    ]


def test_the_service_captures_every_predicted_instance(
    model_dir: Path, tmp_path: Path, instance: dict[str, Any]
) -> None:
    settings = Settings(model_dir=model_dir, capture_dir=tmp_path / "captures")
    with TestClient(create_app(settings)) as client:
        response = client.post("/predict", json={"instances": [instance, instance]})
        client.post("/predict", json={"instances": [{**instance, "price": -1}]})  # rejected
    captured = records(tmp_path / "captures")
    assert len(captured) == 2
    assert captured[0]["instance"] == instance
    assert captured[0]["prediction"] == response.json()["predictions"][0]
    assert captured[0]["model_version"] == response.json()["model_version"]
    assert captured[0]["timestamp"].endswith("+00:00")


def test_capture_is_off_without_a_directory(client: TestClient) -> None:
    assert client.app.state.capture is None


def test_files_rotate_by_size_and_only_the_newest_are_kept(
    tmp_path: Path, instance: dict[str, Any]
) -> None:
    writer = CaptureWriter(tmp_path, max_bytes=1_000, max_files=3).start()
    for _ in range(40):
        writer.submit([Instance(**instance)] * 5, np.ones(5), "v1")
    writer.close()
    files = sorted(tmp_path.glob(PATTERN))
    assert len(files) == 3
    assert all(path.stat().st_size < 3_000 for path in files)
    assert all(record["model_version"] == "v1" for record in records(tmp_path))


def test_files_rotate_by_age(tmp_path: Path, instance: dict[str, Any]) -> None:
    writer = CaptureWriter(tmp_path, max_age=0.01).start()
    for _ in range(3):
        writer.submit([Instance(**instance)], np.ones(1), "v1")
        time.sleep(0.05)
    writer.close()
    assert len(list(tmp_path.glob(PATTERN))) == 3


def test_a_full_queue_drops_batches_instead_of_blocking(
    tmp_path: Path, instance: dict[str, Any]
) -> None:
    writer = CaptureWriter(tmp_path, max_pending=2)  # not started: nothing drains the queue
    start = time.perf_counter()
    for _ in range(5):
        writer.submit([Instance(**instance)] * 10, np.ones(10), "v1")
    assert time.perf_counter() - start < 0.5
    assert writer.dropped == 30
