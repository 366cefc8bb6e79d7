"""The generated Prometheus configuration scrapes a running service and loads its alert rules."""

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import free_port
from tests.generated import run, uv_env

pytestmark = pytest.mark.slow

INSTANCE = {"store_id": 2, "price": 3.5, "promotion": True, "holiday": False}
INSTANCE |= {"weekday": "monday", "season": "winter", "temperature": 4.0}


def prometheus_binary() -> str:
    """Debian's `prometheus`: required in CI, a skip elsewhere."""
    binary = shutil.which("prometheus")
    if binary is None:
        message = "prometheus is not installed (apt-get install prometheus)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def wait_until(condition: Any, timeout: float, what: str) -> Any:
    """The first truthy result of `condition()` within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if result := condition():
                return result
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def stop(process: subprocess.Popen, group: bool = False) -> None:
    if process.poll() is None:
        if group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            if group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
            process.wait(timeout=10)


def test_prometheus_scrapes_the_service(
    default_project: Path,
    tmp_path: Path,
) -> None:
    binary = prometheus_binary()
    env = uv_env("3.12")
    run(["make", "train"], default_project, env)

    # The generated configuration, with the service's target at a free loopback port.
    config_dir = tmp_path / "prometheus"
    shutil.copytree(default_project / "monitoring" / "prometheus", config_dir)
    config = yaml.safe_load((config_dir / "prometheus.yml").read_text())
    (job,) = [
        scrape["job_name"] for scrape in config["scrape_configs"] if "file_sd_configs" in scrape
    ]
    api_port, prometheus_port = free_port(), free_port()
    targets = [{"targets": [f"127.0.0.1:{api_port}"]}]
    (config_dir / "targets" / "service.yml").write_text(yaml.safe_dump(targets))

    server = subprocess.Popen(
        ["make", "serve"],
        cwd=default_project,
        env={**env, "PORT": str(api_port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    prometheus = None
    log = (tmp_path / "prometheus.log").open("w")
    try:
        api = f"http://127.0.0.1:{api_port}"
        wait_until(lambda: get_json(f"{api}/ready"), 60, "the service to be ready")
        body = json.dumps({"instances": [INSTANCE] * 5}).encode()
        for _ in range(3):
            request = urllib.request.Request(
                f"{api}/predict", data=body, headers={"content-type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 200

        prometheus = subprocess.Popen(
            [
                binary,
                f"--config.file={config_dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
            ],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{prometheus_port}/api/v1"

        def query(expr: str) -> list[dict[str, Any]]:
            url = f"{base}/query?{urllib.parse.urlencode({'query': expr})}"
            return get_json(url)["data"]["result"]

        try:
            wait_until(lambda: query(f'up{{job="{job}"}} == 1'), 90, f"the {job} target to be up")
            requests = wait_until(
                lambda: query(f'http_requests_total{{job="{job}", route="/predict"}}'),
                30,
                "http_requests_total",
            )
            predictions = wait_until(
                lambda: query(f'model_predictions_total{{job="{job}"}}'),
                30,
                "model_predictions_total",
            )
        except AssertionError as error:
            log = (tmp_path / "prometheus.log").read_text()[-3000:]
            raise AssertionError(f"{error}\nprometheus log:\n{log}") from error
        assert sum(float(series["value"][1]) for series in requests) == 3
        assert float(predictions[0]["value"][1]) == 15
        assert requests[0]["metric"]["status"] == "200"

        groups = get_json(f"{base}/rules")["data"]["groups"]
        alerts = {rule["name"] for group in groups for rule in group["rules"]}
        assert {"PredictionServiceDown", "PredictionLatencyBudgetBurn"} <= alerts
        broken = [rule for group in groups for rule in group["rules"] if rule["health"] == "err"]
        assert not broken, broken
    finally:
        if prometheus is not None:
            stop(prometheus)
        log.close()
        stop(server, group=True)
