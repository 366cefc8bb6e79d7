"""The container keeps Vertex AI's contract: AIP_HTTP_PORT, AIP_HEALTH_ROUTE, AIP_PREDICT_ROUTE."""

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.features import encode
from {{ cookiecutter.package_name }}.model import DemandModel
from {{ cookiecutter.package_name }}.schemas import PredictRequest
from {{ cookiecutter.package_name }}.vertex_ai import VertexPredictResponse, VertexSettings, create_app

# The routes Vertex AI sets when the model's container spec names none.
HEALTH_ROUTE = "/v1/endpoints/1234567890/deployedModels/9876543210"
PREDICT_ROUTE = f"{HEALTH_ROUTE}:predict"


@pytest.fixture(scope="session")
def vertex_ai(
    model_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    container_command: Callable[..., list[str]],
) -> Iterator[httpx2.Client]:
    """The image's command with the variables Vertex AI sets, on a free port instead of 8080."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"} | {
        "MODEL_DIR": str(model_dir),
        "AIP_MODE": "PREDICTION",
        "AIP_HTTP_PORT": str(port),
        "AIP_HEALTH_ROUTE": HEALTH_ROUTE,
        "AIP_PREDICT_ROUTE": PREDICT_ROUTE,
    }
    log = tmp_path_factory.mktemp("vertex-ai") / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603 (the image's own command)
            container_command(),
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, f"the server exited:\n{log.read_text()}"
                assert time.monotonic() < deadline, f"no healthy answer:\n{log.read_text()}"
                try:
                    if client.get(HEALTH_ROUTE).status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                time.sleep(0.2)
            yield client
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_health_route_answers_once_the_model_is_loaded(vertex_ai: httpx2.Client) -> None:
    response = vertex_ai.get(HEALTH_ROUTE)
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


@pytest.mark.parametrize("parameters", [{}, {"parameters": None}, {"parameters": {}}])
def test_predict_route_answers_predictions(
    vertex_ai: httpx2.Client, instance: dict[str, Any], parameters: dict[str, Any]
) -> None:
    cheap, expensive = {**instance, "price": 2.5}, {**instance, "price": 11.5}
    response = vertex_ai.post(PREDICT_ROUTE, json={"instances": [cheap, expensive], **parameters})
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert list(response.json()) == ["predictions"]
    assert len(predictions) == 2
    assert predictions[0] > predictions[1] >= 0


def test_predict_route_names_the_invalid_field(
    vertex_ai: httpx2.Client, instance: dict[str, Any]
) -> None:
    invalid = {**instance, "price": -1}
    response = vertex_ai.post(PREDICT_ROUTE, json={"instances": [instance, invalid]})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "instances", 1, "price"]
    assert error["msg"] == "Input should be greater than 0"


def test_predict_route_refuses_parameters(
    vertex_ai: httpx2.Client, instance: dict[str, Any]
) -> None:
    body = {"instances": [instance], "parameters": {"horizon": 7}}
    response = vertex_ai.post(PREDICT_ROUTE, json=body)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "parameters", "horizon"]
    assert error["msg"] == "Extra inputs are not permitted"


@pytest.mark.parametrize("parameters", [{}, {"parameters": None}, {"parameters": {}}])
def test_predict_route_answers_what_its_response_model_gives(
    model_dir: Path, instance: dict[str, Any], parameters: dict[str, Any]
) -> None:
    instances = [{**instance, "store_id": store, "price": 1.5 + store} for store in range(1, 21)]
    settings = VertexSettings(model_dir=model_dir)
    with TestClient(create_app(settings)) as client:
        response = client.post(settings.predict_route, json={"instances": instances, **parameters})
    assert response.status_code == 200
    model = DemandModel.load(model_dir)
    predictions = model.predict(encode(PredictRequest(instances=instances).instances))
    answered = response.json()["predictions"]
    assert np.array_equal(np.array(answered, dtype=np.float32), predictions)
    expected = VertexPredictResponse(predictions=answered).model_dump_json()
    assert response.content == expected.encode()


def test_health_route_fails_until_a_model_is_loaded(tmp_path: Path) -> None:
    with TestClient(create_app(VertexSettings(model_dir=tmp_path))) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert str(tmp_path) in response.json()["detail"]


def test_without_aip_variables_the_service_routes_keep_the_contract(
    model_dir: Path, instance: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AIP_HTTP_PORT", "AIP_HEALTH_ROUTE", "AIP_PREDICT_ROUTE"):
        monkeypatch.delenv(name, raising=False)
    settings = VertexSettings(model_dir=model_dir)
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)  # noqa: S104
    assert (settings.health_route, settings.predict_route) == ("/ready", "/predict")
    with TestClient(create_app(settings)) as client:
        assert client.get("/ready").status_code == 200
        for parameters in ({}, {"parameters": {}}):
            response = client.post("/predict", json={"instances": [instance], **parameters})
            assert response.status_code == 200
            assert list(response.json()) == ["predictions"]
