"""The container keeps SageMaker's contract: `serve`, GET /ping and POST /invocations; its
Model Monitor baseline dataset has the layout of the captures the monitor compares with it."""

import csv
import importlib.util
import io
import json
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }} import model_monitor
from {{ cookiecutter.package_name }}.artifacts import Artifacts
from {{ cookiecutter.package_name }}.features import FEATURES
from {{ cookiecutter.package_name }}.sagemaker import SageMakerSettings, create_app
from {{ cookiecutter.package_name }}.schemas import PredictRequest

PREPROCESSOR = Path(__file__).parents[1] / "deploy" / "sagemaker" / "monitor" / "preprocessor.py"

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
    same = sagemaker.post("/predict", json={"instances": [cheap, expensive]}, headers=JSON)
    assert response.content == same.content


def test_invocations_are_counted_under_their_route(
    sagemaker: httpx2.Client, instance: dict[str, Any]
) -> None:
    sagemaker.post("/invocations", json={"instances": [instance]}, headers=JSON)
    series = 'http_requests_total{method="POST",route="/invocations",status="200"}'
    assert any(line.startswith(series) for line in sagemaker.get("/metrics").text.splitlines())


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


def preprocess_handler() -> Callable[[Any], Any]:
    """The record preprocessor Terraform uploads for the data-quality job."""
    spec = importlib.util.spec_from_file_location("preprocessor", PREPROCESSOR)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.preprocess_handler


def inference_record(line: str) -> SimpleNamespace:
    """The analyzer's inference_record of a capture line: endpoint_input, endpoint_output."""
    captured = json.loads(line)["captureData"]
    return SimpleNamespace(
        **{
            key: SimpleNamespace(
                data=value["data"],
                encoding=value["encoding"],
                observed_content_type=value["observedContentType"],
                mode=value["mode"],
            )
            for key, value in (
                ("endpoint_input", captured["endpointInput"]),
                ("endpoint_output", captured["endpointOutput"]),
            )
        }
    )


@pytest.fixture(scope="module")
def training_instances(model_dir: Path) -> list[dict[str, Any]]:
    return model_monitor.records(model_monitor.training_set(model_dir))


@pytest.fixture(scope="module")
def baseline_csv(training_instances: list[dict[str, Any]]) -> list[list[str]]:
    output = io.StringIO()
    model_monitor.write_csv(training_instances, output)
    return list(csv.reader(io.StringIO(output.getvalue())))


@pytest.mark.parametrize("encoding", ["JSON", "BASE64"])
def test_the_baseline_has_the_columns_a_captured_request_is_flattened_into(
    baseline_csv: list[list[str]],
    instance: dict[str, Any],
    encoding: str,
    sagemaker_capture: Callable[[list[dict[str, Any]], str], dict[str, Any]],
) -> None:
    # The analyzer orders a flattened record's keys lexicographically: the baseline's header.
    reordered = dict(reversed(instance.items()))
    line = json.dumps(sagemaker_capture([instance, reordered], encoding))
    flattened = preprocess_handler()(inference_record(line))
    assert len(flattened) == 2
    header = baseline_csv[0]
    for record in flattened:
        assert sorted(record) == header
    assert header == sorted(FEATURES)


def test_the_baseline_spells_each_value_as_a_captured_request_does(
    baseline_csv: list[list[str]],
    training_instances: list[dict[str, Any]],
    sagemaker_capture: Callable[[list[dict[str, Any]], str], dict[str, Any]],
) -> None:
    header, *rows = baseline_csv
    line = json.dumps(sagemaker_capture(training_instances[:50], "JSON"))
    flattened = preprocess_handler()(inference_record(line))
    assert [[model_monitor.cell(record[name]) for name in header] for record in flattened] == (
        rows[:50]
    )
    assert {row[header.index("promotion")] for row in rows} == {"true", "false"}
    assert {row[header.index("season")] for row in rows} == {"winter", "spring", "summer", "autumn"}


def test_the_baseline_is_the_training_set_as_requests_the_endpoint_accepts(
    model_dir: Path, baseline_csv: list[list[str]], training_instances: list[dict[str, Any]]
) -> None:
    summary = json.loads(Artifacts(model_dir).metrics.read_text())
    assert len(baseline_csv) - 1 == len(training_instances) == summary["n_train"]
    for start in range(0, len(training_instances), 5_000):
        PredictRequest.model_validate({"instances": training_instances[start : start + 5_000]})


def test_the_image_prints_its_model_version_and_baseline_dataset(
    model_dir: Path, baseline_csv: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    model_monitor.main(["version", "--model-dir", str(model_dir)])
    version = capsys.readouterr().out
    assert version == json.loads(Artifacts(model_dir).metrics.read_text())["model_version"] + "\n"
    model_monitor.main(["dataset", "--model-dir", str(model_dir)])
    assert list(csv.reader(io.StringIO(capsys.readouterr().out))) == baseline_csv
