"""Shared fixtures: one model trained per test session, and an API client serving it."""
{% if cookiecutter.hosting_model == "paas" %}
{%- if cookiecutter.cloud_provider == "aws" %}
import base64
{%- endif %}
import json
import sys
from collections.abc import Callable, Iterator
{%- else %}
from collections.abc import Iterator
{%- endif %}
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.api import create_app
from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.train import train


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output_dir = tmp_path_factory.mktemp("artifacts")
    train(output_dir, n_rows=10_000)
    return output_dir


@pytest.fixture(scope="session")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_dir=model_dir))) as test_client:
        yield test_client


@pytest.fixture
def instance() -> dict[str, Any]:
    return {
        "store_id": 3,
        "price": 4.99,
        "promotion": True,
        "holiday": False,
        "weekday": "saturday",
        "season": "summer",
        "temperature": 24.5,
    }
{%- if cookiecutter.hosting_model == "paas" %}


@pytest.fixture(scope="session")
def container_command() -> Callable[..., list[str]]:
    """What the image runs for `docker run <image> [arguments]`, with this interpreter."""
    entrypoint, command = [], []
    for line in (Path(__file__).parents[1] / "Dockerfile").read_text().splitlines():
        instruction, _, value = line.partition(" ")
        if instruction == "ENTRYPOINT":
            entrypoint = json.loads(value)
        elif instruction == "CMD":
            command = json.loads(value)

    def argv(*arguments: str) -> list[str]:
        program, *rest = entrypoint + (list(arguments) or command)
        return [sys.executable if program == "python" else program, *rest]

    return argv
{%- if cookiecutter.cloud_provider == "aws" %}


@pytest.fixture(scope="session")
def sagemaker_capture() -> Callable[[list[dict[str, Any]], str], dict[str, Any]]:
    """SageMaker's data-capture record of a JSON request of `instances`, answered with 200."""

    def record(instances: list[dict[str, Any]], encoding: str) -> dict[str, Any]:
        data = json.dumps({"instances": instances})
        if encoding == "BASE64":
            data = base64.b64encode(data.encode()).decode()
        answer = {"predictions": [1.0] * len(instances), "model_version": "0"}
        return {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "application/json",
                    "mode": "INPUT",
                    "data": data,
                    "encoding": encoding,
                },
                "endpointOutput": {
                    "observedContentType": "application/json",
                    "mode": "OUTPUT",
                    "data": json.dumps(answer),
                    "encoding": "JSON",
                },
            },
            "eventMetadata": {
                "eventId": "8d2f0b4e-3f5a-4c55-9a43-0b3c1f7e2a11",
                "inferenceTime": "2026-01-02T03:04:05Z",
            },
            "eventVersion": "0",
        }

    return record
{%- endif %}
{%- endif %}
