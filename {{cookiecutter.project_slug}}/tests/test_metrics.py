"""/metrics exports the contract's metrics, summed over processes, cheaply per batch."""

import asyncio
import json
import multiprocessing
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }} import metrics, prediction_metrics
from {{ cookiecutter.package_name }}.api import create_app
from {{ cookiecutter.package_name }}.config import Settings

CONTRACT = {
    "http_requests",
    "http_request_duration_seconds",
    "http_requests_in_progress",
    "model_predictions",
    "model_prediction_value",
    "model_input_value",
    "model_input_category",
    "model_info",
    "model_trained_timestamp_seconds",
    "model_holdout_metric",
    "model_feature_drift_score",
    "model_drift_detected",
    "model_drift_report_timestamp_seconds",
    "model_drift_psi_alert_threshold",
}
THRESHOLDS = {"psi_warn": 0.1, "psi_alert": 0.25, "min_samples": 500}


def scrape(client: TestClient) -> dict[str, float]:
    """Every sample of /metrics as {'name{label="value",...}': value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        sample.name + json.dumps(sample.labels, sort_keys=True): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[str, float], name: str, **labels: str) -> float:
    return samples.get(name + json.dumps(labels, sort_keys=True), 0.0)


@pytest.fixture
def drift_client(model_dir: Path, tmp_path: Path) -> Any:
    settings = Settings(model_dir=model_dir, drift_report=tmp_path / "drift.json")
    with TestClient(create_app(settings)) as client:
        yield client, settings.drift_report


def test_only_contract_metrics_are_exported(
    drift_client: Any, instance: dict[str, Any], tmp_path: Path
) -> None:
    client, report = drift_client
    report.write_text(
        json.dumps(
            {
                "generated_at": "2026-01-02T03:04:05+00:00",
                "drift_detected": True,
                "thresholds": THRESHOLDS,
                "features": {"price": {"psi": 0.31}, "season": {"psi": None}},
            }
        )
    )
    client.post("/predict", json={"instances": [instance]})
    families = {f.name for f in text_string_to_metric_families(client.get("/metrics").text)}
    assert families == CONTRACT


def test_requests_are_labelled_by_route_template_and_status(
    client: TestClient, instance: dict[str, Any]
) -> None:
    before = scrape(client)
    client.post("/predict", json={"instances": [instance]})
    client.post("/predict", json={"instances": []})
    client.get("/predict")
    client.get("/no/such/path")
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    total = "http_requests_total"
    assert delta(total, method="POST", route="/predict", status="200") == 1
    assert delta(total, method="POST", route="/predict", status="422") == 1
    assert delta(total, method="GET", route="/predict", status="405") == 1
    assert delta(total, method="GET", route="unmatched", status="404") == 1
    count = "http_request_duration_seconds_count"
    assert delta(count, method="POST", route="/predict", status="200") == 1
    assert delta(count, method="POST", route="/predict", status="422") == 1
    assert delta(count, method="GET", route="unmatched", status="404") == 1
    assert value(after, "http_requests_in_progress", method="POST", route="/predict") == 0


def test_a_batch_is_counted_per_instance(client: TestClient, instance: dict[str, Any]) -> None:
    batch = [instance, {**instance, "weekday": "monday", "price": 10.0}, instance]
    before = scrape(client)
    client.post("/predict", json={"instances": batch})
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("model_predictions_total") == 3
    assert delta("model_prediction_value_count") == 3
    assert delta("model_input_value_count", feature="price") == 3
    assert delta("model_input_value_sum", feature="price") == pytest.approx(19.98, abs=1e-3)
    assert delta("model_input_category_total", feature="weekday", value="saturday") == 2
    assert delta("model_input_category_total", feature="weekday", value="monday") == 1
    assert delta("model_input_category_total", feature="promotion", value="true") == 3
    assert delta("model_input_category_total", feature="store_id", value="3") == 3


def test_a_large_batch_is_recorded_as_each_of_its_instances(client: TestClient) -> None:
    batch = [
        {
            "store_id": 1 + i % 4,
            "price": 2.0 + i % 5,
            "promotion": i % 3 == 0,
            "holiday": False,
            "weekday": ("monday", "friday")[i % 2],
            "season": "winter",
            "temperature": float(i % 7),
        }
        for i in range(300)
    ]
    before = scrape(client)
    predictions = client.post("/predict", json={"instances": batch}).json()["predictions"]
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    n = len(batch)
    assert delta("model_predictions_total") == n
    assert delta("model_prediction_value_count") == n
    assert delta("model_prediction_value_sum") == pytest.approx(sum(predictions), rel=1e-5)
    for feature in prediction_metrics.NUMERIC:
        assert delta("model_input_value_count", feature=feature) == n
        total = sum(instance[feature] for instance in batch)
        assert delta("model_input_value_sum", feature=feature) == pytest.approx(total, rel=1e-6)
    for feature in prediction_metrics.DISCRETE:
        counts = Counter(str(instance[feature]).lower() for instance in batch)
        for label, count in counts.items():
            assert delta("model_input_category_total", feature=feature, value=label) == count
    for store_id in (0, 5, 20):
        assert delta("model_input_category_total", feature="store_id", value=str(store_id)) == 0


def test_a_batch_adds_up_as_its_instances_one_by_one() -> None:
    rng = np.random.default_rng(0)
    n = 200
    features = np.column_stack(
        [
            rng.integers(1, 21, n),
            rng.uniform(1, 20, n),
            rng.integers(0, 2, n),
            rng.integers(0, 2, n),
            rng.integers(0, 7, n),
            rng.integers(0, 4, n),
            rng.uniform(-10, 35, n),
        ]
    ).astype(np.float32)
    bounds = prediction_metrics.PREDICTION_VALUE._upper_bounds
    predictions = np.array([0.0, 5.0, 5.01, 99.9, 100.0, 1000.0, 1e6] * 40, np.float32)[:n]
    batch, rows = prediction_metrics.Totals(), prediction_metrics.Totals()
    batch.add(features[:150], predictions[:150])
    batch.add(features[150:], predictions[150:])
    assert batch.kept_rows == n  # kept, not added up yet
    assert batch.buckets == [0] * len(bounds)
    batch.add_up()
    for index in range(n):
        rows.add(features[index : index + 1], predictions[index : index + 1])

    assert batch.kept == rows.kept == []
    assert batch.instances == rows.instances == n
    assert batch.buckets == rows.buckets
    assert batch.categories == rows.categories
    assert batch.prediction_sum == pytest.approx(rows.prediction_sum)
    assert batch.input_sums == pytest.approx(rows.input_sums)
    expected = [0] * len(bounds)  # each value counts in the first bucket it does not exceed
    for v in predictions:
        expected[next(i for i, bound in enumerate(bounds) if v <= bound)] += 1
    assert batch.buckets == expected


def shared_predictions() -> float:
    """model_predictions_total as the worker processes' shared files hold it now."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics.MULTIPROCESS_DIR))
    return registry.get_sample_value("model_predictions_total") or 0.0


def test_batches_are_written_for_every_worker_within_a_second(
    model_dir: Path, instance: dict[str, Any]
) -> None:
    with TestClient(create_app(Settings(model_dir=model_dir))) as client:
        scrape(client)  # writes what earlier tests left
        before = shared_predictions()
        client.post("/predict", json={"instances": [instance] * 3})
        client.post("/predict", json={"instances": [instance] * 20})
        deadline = time.monotonic() + 10 * prediction_metrics.FLUSH_S
        while shared_predictions() - before < 23 and time.monotonic() < deadline:
            time.sleep(0.05)  # no scrape of this process: the other workers' case
        assert shared_predictions() - before == 23


def test_many_large_batches_are_written_without_waiting(
    model_dir: Path, instance: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    time.sleep(1.5 * prediction_metrics.FLUSH_S)  # the writes earlier tests scheduled happen
    monkeypatch.setattr(prediction_metrics, "FLUSH_S", 3600.0)
    monkeypatch.setattr(prediction_metrics, "MAX_KEPT_ROWS", 50)
    with TestClient(create_app(Settings(model_dir=model_dir))) as client:
        scrape(client)
        before = shared_predictions()
        client.post("/predict", json={"instances": [instance] * 30})
        client.post("/predict", json={"instances": [instance] * 30})  # 60 kept: written now
        deadline = time.monotonic() + 10
        while shared_predictions() - before < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert shared_predictions() - before == 60
        client.post("/predict", json={"instances": [instance] * 30})
        time.sleep(0.2)
        assert shared_predictions() - before == 60  # 30 kept until FLUSH_S or a scrape


def test_a_failed_background_write_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(_: prediction_metrics.Totals) -> None:
        raise OSError("No space left on device")

    async def serve_large_batches() -> None:
        prediction_metrics.observe_batch(np.zeros((10, 7), np.float32), np.ones(10, np.float32))

    monkeypatch.setattr(prediction_metrics.Totals, "write", fail)
    monkeypatch.setattr(prediction_metrics, "MAX_KEPT_ROWS", 10)
    asyncio.run(serve_large_batches())  # written by the writer thread, without waiting
    prediction_metrics._writer.submit(lambda: None).result()  # the write before it is done

    assert "Writing the model metrics failed" in caplog.text
    assert "No space left on device" in caplog.text


def test_a_worker_writes_its_last_batches_when_it_stops(
    model_dir: Path, instance: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    time.sleep(1.5 * prediction_metrics.FLUSH_S)  # the writes earlier tests scheduled happen
    monkeypatch.setattr(prediction_metrics, "FLUSH_S", 3600.0)
    with TestClient(create_app(Settings(model_dir=model_dir))) as client:
        scrape(client)
        before = shared_predictions()
        client.post("/predict", json={"instances": [instance] * 4})
        assert shared_predictions() == before  # added up, not written yet
    assert shared_predictions() - before == 4


def test_model_and_drift_gauges(drift_client: Any, model_dir: Path) -> None:
    client, report = drift_client
    info = json.loads((model_dir / "metrics.json").read_text())
    samples = scrape(client)
    labels = {"version": info["model_version"], "trained_at": info["trained_at"]}
    assert value(samples, "model_info", **labels) == 1
    assert value(samples, "model_holdout_metric", metric="r2") == info["metrics"]["r2"]
    assert samples["model_trained_timestamp_seconds{}"] > 1.7e9
    assert not any(key.startswith("model_drift_detected") for key in samples)

    report.write_text(
        json.dumps(
            {
                "generated_at": "2026-01-02T03:04:05+00:00",
                "drift_detected": False,
                "thresholds": THRESHOLDS,
                "features": {"price": {"psi": 0.05}, "season": {"psi": None}},
            }
        )
    )
    samples = scrape(client)
    assert value(samples, "model_drift_detected") == 0
    assert value(samples, "model_drift_psi_alert_threshold") == 0.25
    assert value(samples, "model_feature_drift_score", feature="price") == 0.05
    assert value(samples, "model_drift_report_timestamp_seconds") == 1767323045

    report.write_text(
        json.dumps(
            {
                "generated_at": "2026-01-03T03:04:05+00:00",
                "drift_detected": True,
                "thresholds": THRESHOLDS | {"psi_alert": 0.4},
                "features": {"price": {"psi": 0.42}},
            }
        )
    )
    samples = scrape(client)
    assert value(samples, "model_drift_detected") == 1
    assert value(samples, "model_feature_drift_score", feature="price") == 0.42
    assert value(samples, "model_drift_psi_alert_threshold") == 0.4


def _worker(predictions: int) -> None:
    """A worker process of the same server: counts predictions, dies with a request in flight."""
    from {{ cookiecutter.package_name }} import metrics as worker_metrics
    from {{ cookiecutter.package_name }} import prediction_metrics

    prediction_metrics.PREDICTIONS.inc(predictions)
    worker_metrics.HTTP_IN_PROGRESS.labels("POST", "/crashed").inc()


def test_metrics_are_summed_over_worker_processes(client: TestClient) -> None:
    before = value(scrape(client), "model_predictions_total")
    context = multiprocessing.get_context("spawn")  # as uvicorn starts its workers
    workers = [context.Process(target=_worker, args=(n,)) for n in (5, 7)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    samples = scrape(client)
    assert value(samples, "model_predictions_total") - before == 12
    assert value(samples, "http_requests_in_progress", method="POST", route="/crashed") == 0
