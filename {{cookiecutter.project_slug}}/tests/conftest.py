"""Shared fixtures: one model trained per test session, and an API client serving it."""

from collections.abc import Iterator
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
