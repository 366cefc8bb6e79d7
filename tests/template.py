"""Render the template in-process with either engine, from a tagged git snapshot of it."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import copier
from cookiecutter.main import cookiecutter

from hooks.template_rules import TemplateRules

ROOT = Path(__file__).resolve().parent.parent
RULES = TemplateRules(ROOT)
HOSTING_VARIANTS: tuple[dict[str, str], ...] = (
    {"hosting_model": "on-prem", "onprem_runtime": "compose"},
    {"hosting_model": "on-prem", "onprem_runtime": "kubernetes"},
    *(
        {"hosting_model": model, "cloud_provider": cloud}
        for model in ("iaas", "paas")
        for cloud in ("aws", "gcp", "azure")
    ),
)


def variant_id(answers: Mapping[str, str]) -> str:
    return "-".join(str(answers[key]) for key in sorted(answers))


def combinations() -> Iterator[dict[str, str]]:
    """Every combination of the choice questions (free-text answers keep their defaults)."""
    choices = {
        name: RULES.choices(spec)
        for name, spec in RULES.questions.items()
        if "choices" in spec and name not in ("hosting_model", "cloud_provider", "onprem_runtime")
    }
    for hosting in HOSTING_VARIANTS:
        for values in itertools.product(*choices.values()):
            yield {**hosting, **dict(zip(choices, values, strict=True))}


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Template Tests", "-c", "user.email=tests@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def snapshot(destination: Path, tag: str = "v1") -> Path:
    """Copy the working tree of the template (tracked and new files) into a tagged git repo."""
    files = git("ls-files", "--cached", "--others", "--exclude-standard", cwd=ROOT).splitlines()
    for name in files:
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    commit_all(destination, "Template snapshot", init=True)
    git("tag", tag, cwd=destination)
    return destination


def commit_all(repo: Path, message: str, *, init: bool = False) -> None:
    if init:
        git("init", "--quiet", "--initial-branch=main", cwd=repo)
    git("add", "--all", cwd=repo)
    git("commit", "--quiet", "--allow-empty", "-m", message, cwd=repo)


def render_cookiecutter(template: Path, output_dir: Path, answers: Mapping[str, Any]) -> Path:
    return Path(
        cookiecutter(
            str(template),
            no_input=True,
            extra_context=dict(answers),
            output_dir=str(output_dir),
            default_config=True,
        )
    )


def render_copier(
    template: Path, destination: Path, answers: Mapping[str, Any], vcs_ref: str = "v1"
) -> Path:
    copier.run_copy(
        str(template),
        destination,
        data=dict(answers),
        defaults=True,
        quiet=True,
        vcs_ref=vcs_ref,
        unsafe=False,
    )
    return destination


def tree(root: Path) -> dict[str, tuple[bytes, bool]]:
    """Relative path -> (content, executable) of every file under root, outside .git."""
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), bool(path.stat().st_mode & 0o111))
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def without_commit(files: dict[str, tuple[bytes, bool]]) -> dict[str, tuple[bytes, bool]]:
    """The tree with the `_commit:` line of the answers file removed."""
    answers = ".copier-answers.yml"
    if answers in files:
        content, mode = files[answers]
        lines = [line for line in content.splitlines(True) if not line.startswith(b"_commit:")]
        files = {**files, answers: (b"".join(lines), mode)}
    return files
