"""The Grafana dashboards are well formed; dashboards and alerts query only exported metrics."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.api import create_app
from {{ cookiecutter.package_name }}.artifacts import Artifacts
from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.drift import detect

MONITORING = Path(__file__).resolve().parent.parent / "monitoring"
DASHBOARDS = sorted((MONITORING / "grafana" / "dashboards").glob("*.json"))
DATASOURCES = MONITORING / "grafana" / "provisioning" / "datasources"

# PromQL words that look like metric names: keywords, and label lists of grouping clauses.
KEYWORDS = {"and", "or", "unless", "bool", "offset", "group_left", "group_right", "inf", "nan"}
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
IDENTIFIER = re.compile(r"(?<![\w$:.])([a-zA-Z_:][\w:]*)(?!\w)(\s*\()?")
LABEL_VALUES = re.compile(r"label_values\(\s*([a-zA-Z_:][\w:]*)\s*,")


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (not its functions, labels or variables)."""
    expr = STRINGS.sub('""', expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)
    expr = GROUPING.sub(" ", expr)
    return {name for name, call in IDENTIFIER.findall(expr) if not call and name not in KEYWORDS}


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))


def datasource_uids(node: Any) -> Iterator[str]:
    """Every data source uid in a dashboard, except Grafana's built-in annotations."""
    if isinstance(node, dict):
        source = node.get("datasource")
        if isinstance(source, dict) and source.get("type") != "grafana":
            yield source["uid"]
        for value in node.values():
            yield from datasource_uids(value)
    elif isinstance(node, list):
        for value in node:
            yield from datasource_uids(value)


@pytest.fixture(scope="module")
def exported(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Sample names on /metrics of a service that has predicted and has a drift report."""
    report = tmp_path_factory.mktemp("drift") / "drift.json"
    instance = {"store_id": 3, "price": 4.99, "promotion": True, "holiday": False}
    instance |= {"weekday": "saturday", "season": "summer", "temperature": 24.5}
    reference = json.loads(Artifacts(model_dir).reference.read_text())
    report.write_text(json.dumps(detect([instance] * 10, reference)))
    with TestClient(create_app(Settings(model_dir=model_dir, drift_report=report))) as client:
        assert client.post("/predict", json={"instances": [instance]}).status_code == 200
        body = client.get("/metrics").text
    families = list(text_string_to_metric_families(body))
    return {sample.name for family in families for sample in family.samples}


@pytest.fixture(scope="module")
def recorded() -> set[str]:
    """Names of the recording rules of monitoring/prometheus/rules."""
    return {
        rule["record"]
        for path in (MONITORING / "prometheus" / "rules").glob("*.yml")
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    }


def test_metric_names_are_found_in_expressions() -> None:
    expr = (
        'sum by (le) (rate(http_request_duration_seconds_bucket{job=~"$job", route="/p"}'
        "[$__rate_interval])) / on (feature) group_left max(job:errors:ratio_rate5m offset 1w)"
        " - time()"
    )
    assert metric_names(expr) == {"http_request_duration_seconds_bucket", "job:errors:ratio_rate5m"}


def test_there_is_a_dashboard() -> None:
    assert DASHBOARDS


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_dashboard_structure(path: Path) -> None:
    dashboard = json.loads(path.read_text())
    assert 0 < len(dashboard["uid"]) <= 40
    assert dashboard["title"]
    ids = [panel["id"] for panel in panels(dashboard["panels"])]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    provisioned = {
        source["uid"]
        for file in DATASOURCES.glob("*.yaml")
        for source in yaml.safe_load(file.read_text())["datasources"]
    }
    assert set(datasource_uids(dashboard)) <= provisioned


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_dashboard_queries_only_exported_metrics(
    path: Path, exported: set[str], recorded: set[str]
) -> None:
    dashboard = json.loads(path.read_text())
    used = {
        (panel["title"], name)
        for panel in panels(dashboard["panels"])
        for target in panel.get("targets", [])
        for name in metric_names(target["expr"])
    }
    used |= {
        (f"${variable['name']}", name)
        for variable in dashboard["templating"]["list"]
        if variable["type"] == "query"
        for name in LABEL_VALUES.findall(variable["definition"])
    }
    assert used, "no panel queries a metric"
    unknown = sorted((title, name) for title, name in used if name not in exported | recorded)
    assert not unknown, f"panels query metrics nobody exports: {unknown}"


def test_alert_rules_query_only_exported_metrics(exported: set[str], recorded: set[str]) -> None:
    used = {
        (rule.get("alert") or rule["record"], name)
        for path in (MONITORING / "prometheus" / "rules").glob("*.yml")
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        for name in metric_names(rule["expr"])
    }
    known = exported | recorded | {"up"}  # `up`: Prometheus's own per-target series
    unknown = sorted((rule, name) for rule, name in used if name not in known)
    assert not unknown, f"rules query metrics nobody exports: {unknown}"
