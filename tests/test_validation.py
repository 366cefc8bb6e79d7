"""Invalid answers abort before any file is written, with the same message in both engines."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from tests.template import render_cookiecutter, render_copier

INVALID = [
    ({"project_slug": "my repo"}, "project_slug: 'my repo' is not valid"),
    ({"project_slug": "../escape"}, "project_slug: '../escape' is not valid"),
    ({"project_slug": "team/service"}, "project_slug: 'team/service' is not valid"),
    ({"project_slug": ""}, "project_slug: '' is not valid"),
    ({"package_name": "demand-forecast"}, "package_name: 'demand-forecast' is not a valid"),
    ({"package_name": "class"}, "package_name: 'class' is a Python keyword"),
    ({"package_name": "json"}, "package_name: 'json' is a Python keyword or standard-library"),
    ({"package_name": "9lives"}, "package_name: '9lives' is not a valid package name"),
    ({"author_email": "ml-team.example.com"}, "author_email: 'ml-team.example.com' is not a valid"),
    ({"author_email": "a@b"}, "author_email: 'a@b' is not a valid email"),
    ({"description": 'say "hi"'}, "description: use 1-200 characters without quotes"),
    ({"project_name": "!"}, "project_name: '!' is not valid"),
]


@pytest.mark.parametrize(("answers", "message"), INVALID)
def test_cookiecutter_rejects_before_writing(
    template: Path, tmp_path: Path, answers: dict, message: str
) -> None:
    with pytest.raises(FailedHookException, match=f"^Invalid answer: {re.escape(message)}"):
        render_cookiecutter(template, tmp_path / "out", answers)
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path.parent / "escape").exists()


@pytest.mark.parametrize(("answers", "message"), INVALID)
def test_copier_rejects_before_writing(
    template: Path, tmp_path: Path, answers: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        render_copier(template, tmp_path / "project", answers)
    assert not (tmp_path / "project").exists()


@pytest.mark.parametrize(
    ("answers", "engine_message"),
    [
        ({"hosting_model": "cloud"}, "hosting_model"),
        ({"python_version": "3.9"}, "python_version"),
    ],
)
def test_unknown_choices_are_rejected_by_both(
    template: Path, tmp_path: Path, answers: dict, engine_message: str
) -> None:
    with pytest.raises(ValueError, match=engine_message):
        render_cookiecutter(template, tmp_path / "cc", answers)
    with pytest.raises(ValueError, match=r"Invalid choice|not one of"):
        render_copier(template, tmp_path / "cp", answers)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("engine", ["cookiecutter", "copier"])
def test_command_line_exits_non_zero_with_one_clear_line(
    template: Path, tmp_path: Path, engine: str
) -> None:
    if engine == "cookiecutter":
        command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path)]
        command += [str(template), "package_name=class"]
    else:
        command = [sys.executable, "-m", "copier", "copy", "--defaults", "--vcs-ref", "v1"]
        command += ["--data", "package_name=class", str(template), str(tmp_path / "out")]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    message = (
        "package_name: 'class' is a Python keyword or standard-library module; choose another "
        "name (e.g. class_model)"
    )
    lines = (result.stdout + result.stderr).splitlines()
    if engine == "cookiecutter":
        assert lines == [f"Invalid answer: {message}"]
    else:  # Copier reports a failed validator with a traceback that ends in the message
        assert lines[-1] == f"ValueError: Validation error for question 'package_name': {message}"
    assert list(tmp_path.iterdir()) == []


def test_cookiecutter_names_only_the_first_invalid_answer(template: Path, tmp_path: Path) -> None:
    with pytest.raises(FailedHookException) as raised:
        render_cookiecutter(template, tmp_path, {"project_slug": "my repo"})  # package too
    assert str(raised.value) == (
        "Invalid answer: project_slug: 'my repo' is not valid; use lowercase letters and digits "
        "separated by single hyphens, starting with a letter (e.g. demand-forecast)"
    )
