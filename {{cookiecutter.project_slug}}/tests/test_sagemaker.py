"""The container keeps SageMaker's contract: `serve`, GET /ping and POST /invocations."""

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.sagemaker import SageMakerSettings, create_app

JSON = {"Content-Type": "application/json", "Accept": "application/json"}


def server_environment(**variables: str) -> dict[str, str]:
    """This process's environment without its metrics directory, plus `variables`."""
    environment = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    return environment | variables


@pytest.fixture(scope="session")
def sagemaker(
    model_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    container_command: Callable[..., list[str]],
) -> Iterator[httpx2.Client]:
    """`<image> serve`, as SageMaker starts it; on a free port, as in an inference pipeline."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = server_environment(MODEL_DIR=str(model_dir), SAGEMAKER_BIND_TO_PORT=str(port))
    log = tmp_path_factory.mktemp("sagemaker") / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603 (the image's own command)
            container_command("serve"),
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, f"the server exited:\n{log.read_text()}"
                assert time.monotonic() < deadline, f"no answer to /ping:\n{log.read_text()}"
                try:
                    if client.get("/ping").status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                time.sleep(0.2)
            yield client
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_ping_answers_once_the_model_is_loaded(sagemaker: httpx2.Client) -> None:
    response = sagemaker.get("/ping")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_invocations_predict_the_batch(sagemaker: httpx2.Client, instance: dict[str, Any]) -> None:
    cheap, expensive = {**instance, "price": 2.5}, {**instance, "price": 11.5}
    response = sagemaker.post("/invocations", json={"instances": [cheap, expensive]}, headers=JSON)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["model_version"] == sagemaker.get("/ping").json()["model_version"]
    assert len(body["predictions"]) == 2
    assert body["predictions"][0] > body["predictions"][1] >= 0


def test_invocations_name_the_invalid_field(
    sagemaker: httpx2.Client, instance: dict[str, Any]
) -> None:
    invalid = {**instance, "price": -1}
    response = sagemaker.post("/invocations", json={"instances": [instance, invalid]}, headers=JSON)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "instances", 1, "price"]
    assert error["msg"] == "Input should be greater than 0"


def test_invocations_take_json_only(sagemaker: httpx2.Client) -> None:
    csv = b"3,4.99,true,false,saturday,summer,24.5"
    response = sagemaker.post("/invocations", content=csv, headers={"Content-Type": "text/csv"})
    assert response.status_code == 415
    assert response.json()["detail"] == "Content-Type must be application/json, not 'text/csv'"


def test_the_server_listens_where_sagemaker_sends_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAGEMAKER_BIND_TO_PORT", raising=False)
    settings = SageMakerSettings()
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)  # noqa: S104


def test_ping_fails_until_a_model_is_loaded(tmp_path: Path) -> None:
    with TestClient(create_app(SageMakerSettings(model_dir=tmp_path))) as client:
        response = client.get("/ping")
    assert response.status_code == 503
    assert str(tmp_path) in response.json()["detail"]


def test_the_container_only_serves(container_command: Callable[..., list[str]]) -> None:
    result = subprocess.run(  # noqa: S603 (the image's own command)
        container_command("train"),
        env=server_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "invalid choice: 'train'" in result.stderr
