"""Run the checks of a generated project: its own tools, from one shared environment."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def python_for(version: str) -> str:
    """An interpreter of the given minor version: on PATH, or installed by pyenv."""
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(map(str, pyenv_root.glob(f"versions/{version}.*/bin/python{version}")))
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "--version"], capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.split()[1].startswith(f"{version}."):
            return candidate
    raise LookupError(f"no Python {version} interpreter found")


def uv_env(python_version: str) -> dict[str, str]:
    """Environment for uv: a local interpreter, never a download."""
    return {
        **os.environ,
        "UV_PYTHON": python_for(python_version),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
    }


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600
) -> str:
    """Run a command and fail with its output when it fails."""
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed in {cwd} ({result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout
