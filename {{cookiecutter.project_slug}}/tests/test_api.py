"""The API serves predictions and answers every malformed request with a precise 4xx."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.api import create_app
from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.schemas import MAX_INSTANCES


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_reports_the_model_version(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert len(response.json()["model_version"]) == 12


def test_predict_returns_one_prediction_per_instance(
    client: TestClient, instance: dict[str, Any]
) -> None:
    cheap = {**instance, "price": 2.5}
    expensive = {**instance, "price": 11.5}
    response = client.post("/predict", json={"instances": [cheap, expensive, instance]})
    assert response.status_code == 200
    body = response.json()
    assert len(body["predictions"]) == 3
    assert all(prediction >= 0 for prediction in body["predictions"])
    assert body["predictions"][0] > body["predictions"][1]
    assert body["model_version"] == client.get("/ready").json()["model_version"]


def test_predict_accepts_the_largest_batch(client: TestClient, instance: dict[str, Any]) -> None:
    response = client.post("/predict", json={"instances": [instance] * MAX_INSTANCES})
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == MAX_INSTANCES


@pytest.mark.parametrize(
    ("change", "location", "message"),
    [
        ({"price": -1}, ["price"], "greater than 0"),
        ({"price": "cheap"}, ["price"], "valid number"),
        ({"store_id": 0}, ["store_id"], "greater than or equal to 1"),
        ({"store_id": 999}, ["store_id"], "less than or equal to"),
        ({"weekday": "someday"}, ["weekday"], "'monday'"),
        ({"season": "monsoon"}, ["season"], "'winter'"),
        ({"promotion": "maybe"}, ["promotion"], "valid boolean"),
        ({"temperature": 500}, ["temperature"], "less than or equal to 60"),
        ({"discount": 0.1}, ["discount"], "Extra inputs are not permitted"),
        ({"price": None}, ["price"], "valid number"),
    ],
)
def test_invalid_instance_is_rejected_with_its_field(
    client: TestClient,
    instance: dict[str, Any],
    change: dict[str, Any],
    location: list[str],
    message: str,
) -> None:
    response = client.post("/predict", json={"instances": [instance, {**instance, **change}]})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "instances", 1, *location]
    assert message in error["msg"]


def test_missing_field_is_named(client: TestClient, instance: dict[str, Any]) -> None:
    del instance["season"]
    response = client.post("/predict", json={"instances": [instance]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "instances", 0, "season"]
    assert response.json()["detail"][0]["msg"] == "Field required"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"instances": []}, "at least 1 item"),
        ({}, "Field required"),
        ({"instances": "all"}, "valid list"),
        ([1, 2], "valid dictionary"),
    ],
)
def test_malformed_batch_is_rejected(client: TestClient, body: Any, message: str) -> None:
    response = client.post("/predict", json=body)
    assert response.status_code == 422
    assert message in response.json()["detail"][0]["msg"]


def test_oversized_batch_is_rejected(client: TestClient, instance: dict[str, Any]) -> None:
    response = client.post("/predict", json={"instances": [instance] * (MAX_INSTANCES + 1)})
    assert response.status_code == 422
    assert f"at most {MAX_INSTANCES} items" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    "content", [b"{not json", b'{"instances": [{"price": NaN}]}', b"", b"\xff\xfe"]
)
def test_unparsable_body_is_rejected(client: TestClient, content: bytes) -> None:
    response = client.post(
        "/predict", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_wrong_method_and_route(client: TestClient) -> None:
    assert client.get("/predict").status_code == 405
    assert client.get("/nowhere").status_code == 404


def test_without_a_model_the_service_is_live_but_not_ready(
    tmp_path: Path, instance: dict[str, Any]
) -> None:
    with TestClient(create_app(Settings(model_dir=tmp_path))) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert str(tmp_path) in ready.json()["detail"]
        assert client.post("/predict", json={"instances": [instance]}).status_code == 503
