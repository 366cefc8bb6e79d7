"""Generated projects pass their own checks: tests, linters, pre-commit; and they serve."""

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.generated import run, uv_env
from tests.template import (
    HOSTING_VARIANTS,
    commit_all,
    render_copier,
    variant_id,
)

pytestmark = pytest.mark.slow


# Every hosting variant (default Python), and the other Python versions once each.
VARIANTS = (
    *HOSTING_VARIANTS,
    {"python_version": "3.11"},
    {"hosting_model": "paas", "cloud_provider": "azure", "python_version": "3.13"},
)


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_variant_passes_its_pre_commit_hooks_and_tests(
    template: Path,
    tmp_path: Path,
    environments: Callable[[Path, str], Path],
    answers: dict,
) -> None:
    project = render_copier(template, tmp_path / "project", answers)
    commit_all(project, "Generated project", init=True)
    venv_bin = environments(project, answers.get("python_version", "3.12")) / "bin"
    env = {
        "PYTHONPATH": str(project / "src"),
        "PATH": f"{venv_bin}:{Path(shutil.which('uv') or 'uv').parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        # The hooks' `uv run` uses the shared environment as it is, without syncing it.
        "UV_PROJECT_ENVIRONMENT": str(venv_bin.parent),
        "UV_NO_SYNC": "1",
    }
    pre_commit = [str(venv_bin / "pre-commit"), "run", "--all-files", "--show-diff-on-failure"]
    run(pre_commit, project, env)
    assert run(["git", "status", "--porcelain"], project) == "", "pre-commit changed files"
    output = run(
        [str(venv_bin / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, env
    )
    assert " passed" in output and "failed" not in output


def test_make_lint_and_test(default_project: Path) -> None:
    env = uv_env("3.12")
    run(["make", "lint"], default_project, env)
    assert " passed" in run(["make", "test"], default_project, env)


def test_train_then_serve_predictions(default_project: Path) -> None:
    env = uv_env("3.12")
    summary = run(["make", "train"], default_project, env)
    assert json.loads(summary[summary.index("{") :])["metrics"]["r2"] > 0.8
    port = free_port()
    server = subprocess.Popen(
        ["make", "serve"],
        cwd=default_project,
        env={**env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/ready", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        instance = {"store_id": 1, "price": 3.5, "promotion": False, "holiday": False}
        instance |= {"weekday": "friday", "season": "spring", "temperature": 14.0}
        request = urllib.request.Request(
            f"{base}/predict",
            data=json.dumps({"instances": [instance]}).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.load(response)
        assert len(body["predictions"]) == 1 and body["predictions"][0] > 0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
