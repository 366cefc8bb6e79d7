"""Wall time of generating, updating and first running projects from the template."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from report import median
from serving import Server, free_port

HOSTING_VARIANTS: dict[str, dict[str, str]] = {
    "on-prem + compose": {"hosting_model": "on-prem", "onprem_runtime": "compose"},
    "on-prem + kubernetes": {"hosting_model": "on-prem", "onprem_runtime": "kubernetes"},
    **{
        f"{model} + {cloud}": {"hosting_model": model, "cloud_provider": cloud}
        for model in ("iaas", "paas")
        for cloud in ("aws", "gcp", "azure")
    },
}
DEFAULT_VARIANT = "on-prem + compose"


def tool(name: str) -> str:
    """A command installed beside this interpreter (the template's dev venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(
            f"{name} not found: run with the template's dev venv (requirements-dev.txt)"
        )
    return found


def git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Benchmark", "-c", "user.email=benchmark@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def snapshot(root: Path, destination: Path) -> Path:
    """The template's working tree as a git repo tagged v1, plus a v2 that changes one file."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    for name in files:
        if (root / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, destination / name)
    git("init", "--quiet", "--initial-branch=main", cwd=destination)
    git("add", "--all", cwd=destination)
    git("commit", "--quiet", "-m", "v1", cwd=destination)
    git("tag", "v1", cwd=destination)
    makefile = destination / "{{cookiecutter.project_slug}}" / "Makefile"
    makefile.write_text(makefile.read_text().replace("List the targets", "List the make targets"))
    git("commit", "--quiet", "--all", "-m", "v2", cwd=destination)
    git("tag", "v2", cwd=destination)
    return destination


def _timed(
    command: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, env={**os.environ, **(env or {})}, check=True, capture_output=True
    )
    return time.perf_counter() - started


def cookiecutter_command(template: Path, output_dir: Path, answers: Mapping[str, str]) -> list[str]:
    return [
        tool("cookiecutter"),
        "--no-input",
        "--output-dir",
        str(output_dir),
        str(template),
        *(f"{key}={value}" for key, value in answers.items()),
    ]


def copier_command(template: Path, destination: Path, answers: Mapping[str, str]) -> list[str]:
    data = [f"--data={key}={value}" for key, value in answers.items()]
    return [tool("copier"), "copy", "--defaults", "--quiet", *data, str(template), str(destination)]


def generation_times(template: Path, runs: int) -> dict[str, dict[str, float]]:
    """Median wall time of `cookiecutter --no-input` and `copier copy --defaults` per variant."""
    times: dict[str, dict[str, float]] = {"cookiecutter_s": {}, "copier_s": {}}
    for variant, answers in HOSTING_VARIANTS.items():
        samples: dict[str, list[float]] = {"cookiecutter_s": [], "copier_s": []}
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as scratch:
                out = Path(scratch)
                samples["cookiecutter_s"].append(
                    _timed(cookiecutter_command(template, out / "cc", answers))
                )
                samples["copier_s"].append(_timed(copier_command(template, out / "cp", answers)))
        for key, values in samples.items():
            times[key][variant] = median(values)
    return times


def update_time(template: Path, runs: int) -> float:
    """Median wall time of `copier update --trust --defaults` from v1 to v2 (default variant)."""
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "project"
        subprocess.run(
            [
                tool("copier"),
                "copy",
                "--defaults",
                "--quiet",
                "--vcs-ref=v1",
                str(template),
                str(project),
            ],
            check=True,
            capture_output=True,
        )
        git("init", "--quiet", "--initial-branch=main", cwd=project)
        git("add", "--all", cwd=project)
        git("commit", "--quiet", "-m", "Generated", cwd=project)
        samples = []
        for run in range(runs):
            copy = Path(scratch) / f"update-{run}"
            shutil.copytree(project, copy, symlinks=True)
            samples.append(
                _timed([tool("copier"), "update", "--trust", "--defaults", "--quiet"], cwd=copy)
            )
            if "List the make targets" not in (copy / "Makefile").read_text():
                raise RuntimeError("copier update did not apply v2")
    return median(samples)


def uv_environment() -> dict[str, str]:
    """PATH with the dev venv's uv on it (uv picks the Python, see UV_PYTHON)."""
    return {"PATH": f"{Path(tool('uv')).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def make(target: str, project: Path, env: Mapping[str, str]) -> None:
    subprocess.run(
        ["make", target], cwd=project, env={**os.environ, **env}, check=True, capture_output=True
    )


def first_prediction(
    template: Path, workdir: Path, variant: str, single_body: bytes
) -> tuple[float, Path]:
    """Seconds from `cookiecutter --no-input` through `make install train serve` to a 200 from
    POST /predict; the project is left installed and trained."""
    env = uv_environment()
    out = workdir / variant.replace(" + ", "-")
    started = time.perf_counter()
    subprocess.run(
        cookiecutter_command(template, out, HOSTING_VARIANTS[variant]),
        check=True,
        capture_output=True,
    )
    (project,) = out.iterdir()
    make("install", project, env)
    make("train", project, env)
    port = free_port()
    server = Server(
        name=f"make serve ({variant})",
        command=["make", "serve"],
        port=port,
        predict_path="/predict",
        bodies={"single": single_body},
        env={**env, "PORT": str(port), "HOST": "127.0.0.1"},
        cwd=project,
        log=workdir / f"serve-{out.name}.log",
    )
    try:
        server.start()
        return time.perf_counter() - started, project
    finally:
        server.stop()
