"""Prometheus metrics of the service, summed over all worker processes of one server.

The values live in the directory that `multiprocess` prepares before prometheus_client is imported.
"""

import json
import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from time import perf_counter
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .multiprocess import MULTIPROCESS_DIR, is_worker  # sets PROMETHEUS_MULTIPROC_DIR: first
from .prediction_metrics import flush

# isort: split
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

logger = logging.getLogger(__name__)

UNMATCHED_ROUTE = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "http_requests",
    "HTTP requests by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request by method, route template and status code, in seconds.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
HTTP_IN_PROGRESS = Gauge(
    "http_requests_in_progress",
    "HTTP requests being answered.",
    ["method", "route"],
    multiprocess_mode="livesum",
)


class MetricsMiddleware:
    """Counts and times HTTP requests per method, route template and status; tracks in-flight ones.

    The router records the route it picked in the request scope; the template of that route is
    the label, "unmatched" for paths of no route. In-flight requests are tracked from the second
    request of a path on, when its route is known before the application runs.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: dict[tuple[str, str], tuple[str, Any]] = {}  # -> template, in-flight gauge
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}  # -> duration, count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        key = (method, scope["path"])
        status = 500  # unless the application starts a response

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        known = self._routes.get(key)
        if known:
            known[1].inc()
        start = perf_counter()
        try:
            await self.app(scope, receive, send_with_status)
        finally:
            duration = perf_counter() - start
            if known:
                known[1].dec()
            route = known[0] if known else self._learn(key, scope)
            if (series := self._series.get((method, route, status))) is None:
                series = self._series[method, route, status] = (
                    HTTP_DURATION.labels(method, route, str(status)),
                    HTTP_REQUESTS.labels(method, route, str(status)),
                )
            series[0].observe(duration)
            series[1].inc()

    def _learn(self, key: tuple[str, str], scope: Scope) -> str:
        """The template of the route the router picked, remembered for the path."""
        template = getattr(scope.get("route"), "path", None)
        if template is None:
            return UNMATCHED_ROUTE
        if len(self._routes) >= 1024:  # paths with parameters are many: keep the cache bounded
            self._routes.clear()
        # The gauge is exported (as 0) from now on.
        self._routes[key] = template, HTTP_IN_PROGRESS.labels(key[0], template)
        return template


def model_metrics(info: dict[str, Any]) -> list[Metric]:
    """model_info, model_trained_timestamp_seconds and model_holdout_metric from metrics.json."""
    model_info = GaugeMetricFamily(
        "model_info", "The served model (value 1).", labels=["version", "trained_at"]
    )
    model_info.add_metric([info["model_version"], info["trained_at"]], 1)
    trained = GaugeMetricFamily(
        "model_trained_timestamp_seconds",
        "When the served model was trained, in Unix seconds.",
        value=datetime.fromisoformat(info["trained_at"]).timestamp(),
    )
    holdout = GaugeMetricFamily(
        "model_holdout_metric", "Holdout metrics of the served model.", labels=["metric"]
    )
    for name, value in info["metrics"].items():
        holdout.add_metric([name], value)
    return [model_info, trained, holdout]


class DriftReport:
    """The gauges of the latest drift report, read again whenever the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._version: tuple[int, int] | None = None
        self._metrics: list[Metric] = []

    def metrics(self) -> list[Metric]:
        try:
            stat = self.path.stat()
        except OSError:
            return []
        if (version := (stat.st_mtime_ns, stat.st_size)) != self._version:
            self._version, self._metrics = version, self._read()
        return self._metrics

    def _read(self) -> list[Metric]:
        try:
            report = json.loads(self.path.read_text())
            scores = GaugeMetricFamily(
                "model_feature_drift_score",
                "Population stability index of each feature in the latest drift report.",
                labels=["feature"],
            )
            for name, feature in report["features"].items():
                if feature["psi"] is not None:
                    scores.add_metric([name], feature["psi"])
            detected = GaugeMetricFamily(
                "model_drift_detected",
                "1 if the latest drift report found drift, else 0.",
                value=float(report["drift_detected"]),
            )
            timestamp = GaugeMetricFamily(
                "model_drift_report_timestamp_seconds",
                "When the latest drift report was written, in Unix seconds.",
                value=datetime.fromisoformat(report["generated_at"]).timestamp(),
            )
            threshold = GaugeMetricFamily(
                "model_drift_psi_alert_threshold",
                "PSI from which the latest drift report counts a feature as drifted.",
                value=float(report["thresholds"]["psi_alert"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.warning("Ignoring the unreadable drift report %s: %s", self.path, error)
            return []
        return [scores, detected, timestamp, threshold]


class _Gauges:
    """A collector of gauges computed at scrape time."""

    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self._metrics


def forget_dead_processes() -> None:
    """Drop the live gauges of worker processes that exited, even those that crashed."""
    for path in MULTIPROCESS_DIR.glob("gauge_live*_*.db"):
        pid = int(path.stem.rpartition("_")[2])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            mark_process_dead(pid, str(MULTIPROCESS_DIR))
        except PermissionError:  # alive, owned by another user
            pass


def process_exit() -> None:
    """Called when the application stops: its last batches are written, a worker's gauges go."""
    flush()
    if is_worker():
        mark_process_dead(os.getpid(), str(MULTIPROCESS_DIR))


def render(model_info: dict[str, Any] | None, drift: DriftReport) -> bytes:
    """Every metric of the server in the Prometheus text format."""
    forget_dead_processes()
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(MULTIPROCESS_DIR))
    gauges = model_metrics(model_info) if model_info else []
    registry.register(_Gauges(gauges + drift.metrics()))
    return generate_latest(registry)


def instrument(app: FastAPI, drift_report: Path) -> None:
    """Measure every request of `app` and serve the metrics at GET /metrics."""
    app.add_middleware(MetricsMiddleware)
    drift = DriftReport(drift_report)

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        flush()  # this process's latest batches; other workers write theirs within FLUSH_S
        model = request.app.state.model
        body = await run_in_threadpool(render, model.info if model else None, drift)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
