"""The container keeps the contract of its Azure ML online deployment: probes, scoring route and
data collection.

The deployment declares liveness GET /health, readiness GET /ready and scoring POST /predict on
port 8000; the endpoint forwards the body of its /score requests to /predict unchanged. Its data
collector receives the predicted instances as `model_inputs` and their predictions as
`model_outputs`. Here the collector's configuration runs the SDK in local mode, which logs what
it would send.
"""

import json
import logging
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import pytest

from {{ cookiecutter.package_name }}.azure_ml import CONFIG_VARIABLE, DataCollectorWriter
from {{ cookiecutter.package_name }}.schemas import Instance

COLLECTIONS = ("model_inputs", "model_outputs")


@contextmanager
def serving(
    command: list[str], model_dir: Path, log: Path, environment: Mapping[str, str] | None = None
) -> Iterator[httpx2.Client]:
    """`command` (the image's) on a free port instead of 8000, once liveness answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"} | {
        "MODEL_DIR": str(model_dir),
        "HOST": "0.0.0.0",  # noqa: S104  (as in the image)
        "PORT": str(port),
        **(environment or {}),
    }
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603 (the image's own command)
            command,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, f"the server exited:\n{log.read_text()}"
                assert time.monotonic() < deadline, f"no answer to liveness:\n{log.read_text()}"
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                time.sleep(0.2)
            yield client
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def collector_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data collector's configuration, as Azure ML mounts it, in the SDK's local mode."""
    path = tmp_path_factory.mktemp("mdc") / "mdc-config.json"
    collections = {name: {"enabled": True} for name in COLLECTIONS}
    path.write_text(json.dumps({"runMode": "local", "collections": collections}))
    return path


@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("azure-ml") / "server.log"


@pytest.fixture(scope="session")
def deployment(
    container_command: Callable[..., list[str]],
    model_dir: Path,
    server_log: Path,
    collector_config: Path,
) -> Iterator[httpx2.Client]:
    environment = {CONFIG_VARIABLE: str(collector_config)}
    with serving(container_command(), model_dir, server_log, environment) as client:
        yield client


def collected(payloads: Iterable[Sequence[str]]) -> dict[str, dict[str, Any]]:
    """The rows sent per collection and correlation id, from (collection, id, content) triples."""
    sent: dict[str, dict[str, Any]] = {name: {} for name in COLLECTIONS}
    for collection, correlation_id, content in payloads:
        sent[collection][correlation_id] = json.loads(content)
    return sent


def collected_by_server(log: Path) -> dict[str, dict[str, Any]]:
    """What the server's SDK logged as sent: `<time> | local.capture | INFO | <time> | ...`."""
    lines = log.read_text().splitlines()
    return collected(line.split(" | ", 6)[4:] for line in lines if " | local.capture | " in line)


def test_probes_pass_once_the_model_is_loaded(deployment: httpx2.Client) -> None:
    assert deployment.get("/health").status_code == 200
    ready = deployment.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_scoring_route_predicts_the_batch(
    deployment: httpx2.Client, instance: dict[str, Any]
) -> None:
    cheap, expensive = {**instance, "price": 2.5}, {**instance, "price": 11.5}
    response = deployment.post("/predict", json={"instances": [cheap, expensive]})
    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == deployment.get("/ready").json()["model_version"]
    assert len(body["predictions"]) == 2
    assert body["predictions"][0] > body["predictions"][1] >= 0


def test_scoring_route_names_the_invalid_field(
    deployment: httpx2.Client, instance: dict[str, Any]
) -> None:
    invalid = {**instance, "weekday": "someday"}
    response = deployment.post("/predict", json={"instances": [invalid]})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "instances", 0, "weekday"]
    assert error["msg"].startswith("Input should be 'monday'")


def test_readiness_fails_while_liveness_passes_without_a_model(
    container_command: Callable[..., list[str]], tmp_path: Path
) -> None:
    with serving(container_command(), tmp_path, tmp_path / "server.log") as client:
        ready = client.get("/ready")
    assert ready.status_code == 503
    assert str(tmp_path) in ready.json()["detail"]


def test_scoring_feeds_the_data_collector(
    deployment: httpx2.Client, server_log: Path, instance: dict[str, Any]
) -> None:
    probe = {**instance, "price": 3.21}
    body = deployment.post("/predict", json={"instances": [probe]}).json()
    deadline = time.monotonic() + 10
    while True:
        sent = collected_by_server(server_log)
        outputs = [
            sent["model_outputs"].get(correlation_id)
            for correlation_id, inputs in sent["model_inputs"].items()
            if inputs == [probe]
        ]
        if any(outputs):
            break
        assert time.monotonic() < deadline, f"not collected:\n{server_log.read_text()}"
        time.sleep(0.1)
    ((row,),) = outputs  # pandas writes 10 decimals
    assert row == {
        "prediction": pytest.approx(body["predictions"][0]),
        "model_version": body["model_version"],
    }


def test_writer_collects_each_batch_with_one_correlation_id(
    collector_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    instance: dict[str, Any],
) -> None:
    monkeypatch.setenv(CONFIG_VARIABLE, str(collector_config))
    writer = DataCollectorWriter()
    sdk_log = logging.getLogger("local.capture")
    sdk_log.addHandler(caplog.handler)
    try:
        writer.start()
        pair = [Instance(**instance), Instance(**{**instance, "store_id": 7})]
        writer.submit(pair, np.array([5.5, 6.25]), "v1")
        writer.submit([Instance(**instance)], np.array([5.5]), "v1")
        writer.close()
    finally:
        sdk_log.removeHandler(caplog.handler)
    sent = collected(record.args[1:] for record in caplog.records if record.name == "local.capture")
    assert writer.failures == writer.dropped == 0
    assert len(sent["model_inputs"]) == len(sent["model_outputs"]) == 2
    batches = sorted(sent["model_inputs"].items(), key=lambda item: len(item[1]))
    (single_id, single), (pair_id, pair) = batches
    assert single == [instance]
    assert pair == [instance, {**instance, "store_id": 7}]
    assert sent["model_outputs"][pair_id] == [
        {"prediction": 5.5, "model_version": "v1"},
        {"prediction": 6.25, "model_version": "v1"},
    ]
    assert sent["model_outputs"][single_id] == [{"prediction": 5.5, "model_version": "v1"}]
