"""`serve` runs the API as one process or as forked workers that share their metrics."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }} import multiprocess

REQUESTS = 12


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(port: int, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
    """GET `path`, or POST `body` as JSON to it, on a connection of its own."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        if body is None:
            connection.request("GET", path)
        else:
            headers = {"content-type": "application/json"}
            connection.request("POST", path, body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def total(metrics: bytes, name: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics.decode())
        for sample in family.samples
        if sample.name == name
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_a_server_answers_counts_every_worker_and_stops_cleanly(
    model_dir: Path, instance: dict[str, Any], tmp_path: Path, workers: int
) -> None:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in (multiprocess.ENVIRONMENT_VARIABLE, multiprocess.OWNER_VARIABLE)
    }
    env |= {"MODEL_DIR": str(model_dir), "PORT": str(port), "WORKERS": str(workers)}
    env |= {"TMPDIR": str(tmp_path), "LOG_LEVEL": "info"}
    server = subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}.serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                call(port, "/ready")
                break
            except OSError:
                assert server.poll() is None, server.communicate()[0]
                assert time.monotonic() < deadline, "the server did not get ready"
                time.sleep(0.1)
        for _ in range(REQUESTS):  # a new connection each: the workers share them
            assert call(port, "/predict", {"instances": [instance] * 2})[0] == 200
        deadline = time.monotonic() + 10
        while total(call(port, "/metrics")[1], "model_predictions_total") < 2 * REQUESTS:
            assert time.monotonic() < deadline, "the workers' batches were not all counted"
            time.sleep(0.1)
        metrics = call(port, "/metrics")[1]
        assert total(metrics, "model_predictions_total") == 2 * REQUESTS
        assert total(metrics, "http_requests_total") >= REQUESTS
        assert len(list(tmp_path.glob("*-metrics-*"))) == 1  # one directory for all workers
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert server.returncode in (0, 128 + signal.SIGTERM), output
    assert '"POST /predict HTTP/1.1" 200 OK' in output  # uvicorn's access log, in any case
    assert not list(tmp_path.glob("*-metrics-*")), "the metrics directory outlived the server"
