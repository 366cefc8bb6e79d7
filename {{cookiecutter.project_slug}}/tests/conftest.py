"""Shared fixtures: one model trained per test session, and an API client serving it."""
{% if cookiecutter.hosting_model == "paas" %}
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
{%- endif %}
