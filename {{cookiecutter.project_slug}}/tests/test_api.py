"""The API serves predictions and answers every malformed request with a precise 4xx."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.api import JSON, MAX_ERRORS, create_app
from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.features import N_STORES, SEASONS, WEEKDAYS, encode
from {{ cookiecutter.package_name }}.model import DemandModel
from {{ cookiecutter.package_name }}.schemas import (
    MAX_BODY_BYTES,
    MAX_INSTANCES,
    PredictRequest,
    PredictResponse,
)


def varied(count: int) -> list[dict[str, Any]]:
    """`count` valid instances that differ in every feature."""
    return [
        {
            "store_id": 1 + i % N_STORES,
            "price": 1.0 + i % 17 * 0.75,
            "promotion": i % 3 == 0,
            "holiday": i % 11 == 0,
            "weekday": WEEKDAYS[i % len(WEEKDAYS)],
            "season": SEASONS[i // 5 % len(SEASONS)],
            "temperature": -5.0 + i % 40,
        }
        for i in range(count)
    ]


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


def test_a_large_batch_is_answered_as_one_prediction_of_all_its_rows(
    client: TestClient, model_dir: Path
) -> None:
    instances = varied(1_000)
    response = client.post("/predict", json={"instances": instances})
    assert response.status_code == 200
    model = DemandModel.load(model_dir)
    predictions = model.predict(encode(PredictRequest(instances=instances).instances))
    answered = response.json()["predictions"]
    assert np.array_equal(np.array(answered, dtype=np.float32), predictions)
    expected = PredictResponse(predictions=answered, model_version=model.version)
    assert response.content == expected.model_dump_json().encode()


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
        ({"price": "4.99"}, ["price"], "valid number"),
        ({"store_id": True}, ["store_id"], "valid integer"),
        ({"store_id": 2.5}, ["store_id"], "valid integer"),
        ({"promotion": 1}, ["promotion"], "valid boolean"),
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
    ("content", "message"),
    [
        (b"{not json", "JSON decode error: Expecting property name enclosed in double quotes"),
        (b"\xff\xfe", "JSON decode error: Expecting value"),
        (b"", "Field required"),
    ],
)
def test_unparsable_body_is_rejected_with_the_reason(
    client: TestClient, content: bytes, message: str
) -> None:
    response = client.post("/predict", content=content, headers={"content-type": JSON})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == message


def test_a_nan_literal_is_rejected(client: TestClient, instance: dict[str, Any]) -> None:
    content = json.dumps({"instances": [{**instance, "price": float("nan")}]})
    response = client.post("/predict", content=content, headers={"content-type": JSON})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Input should be a finite number"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_declared_json_is_refused(
    client: TestClient, instance: dict[str, Any], content_type: str
) -> None:
    body = json.dumps({"instances": [instance]})
    response = client.post("/predict", content=body, headers={"content-type": content_type})
    assert response.status_code == 415
    assert response.json()["detail"] == f"Content-Type must be {JSON}, not {content_type!r}"


def test_an_oversized_body_is_refused_before_it_is_read(client: TestClient) -> None:
    body = b'{"instances": [' + b" " * MAX_BODY_BYTES + b"]}"
    response = client.post("/predict", content=body, headers={"content-type": JSON})
    assert response.status_code == 413
    assert "Content Too Large" in response.text


def test_a_streamed_oversized_body_is_refused(client: TestClient) -> None:
    chunks = (b" " * 2**20 for _ in range(MAX_BODY_BYTES // 2**20 + 1))
    response = client.post("/predict", content=chunks, headers={"content-type": JSON})
    assert response.status_code == 413


def test_a_batch_of_many_errors_reports_the_first_and_counts_all(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": [{}] * 100})
    assert response.status_code == 422
    assert len(response.json()["detail"]) == MAX_ERRORS
    assert response.json()["error_count"] == 700


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
