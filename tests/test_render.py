"""Every answer combination renders identically in both engines, and renders clean."""

import re
from pathlib import Path

import pytest
import yaml

from tests.template import (
    HOSTING_VARIANTS,
    combinations,
    render_cookiecutter,
    render_copier,
    tree,
    variant_id,
    without_commit,
)

COMBINATIONS = list(combinations())
# An unrendered expression or tag shows its opening `{{` / `{%` (a lone `}}` closes nested dicts).
JINJA_LEFTOVER = re.compile(rb"\{\{|\{%|%\}|cookiecutter\.")
# `{{ }}` that the generated files need verbatim: GitHub Actions expressions everywhere, and Go /
# Grafana templates in the monitoring configs (alert annotations, receivers, legends).
GITHUB_EXPRESSION = re.compile(rb"\$\{\{[^}]*\}\}")
GO_TEMPLATE = re.compile(rb"\{\{[^{}]*\}\}")


def without_native_templates(name: str, content: bytes) -> bytes:
    content = GITHUB_EXPRESSION.sub(b"", content)
    if name.startswith("monitoring/"):
        content = GO_TEMPLATE.sub(
            lambda match: b"" if b"cookiecutter" not in match[0] else match[0], content
        )
    return content


@pytest.fixture(scope="module")
def rendered(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """Each combination rendered by Cookiecutter and by Copier."""
    results = {}
    for answers in COMBINATIONS:
        key = variant_id(answers)
        out = tmp_path_factory.mktemp(key)
        cc = render_cookiecutter(template, out / "cc", answers)
        cp = render_copier(template, out / "cp", answers)
        results[key] = (answers, tree(cc), tree(cp))
    return results


def test_every_combination_is_byte_identical_in_both_engines(rendered: dict) -> None:
    for key, (_, cc, cp) in rendered.items():
        assert without_commit(cc) == without_commit(cp), key
        assert cc[".copier-answers.yml"] == cp[".copier-answers.yml"], key


def test_no_jinja_leftovers_empty_files_or_stray_blank_lines(rendered: dict) -> None:
    for key, (_, files, _) in rendered.items():
        for name, (content, _) in files.items():
            assert content.strip(), f"{key}: {name} is empty"
            assert not JINJA_LEFTOVER.search(without_native_templates(name, content)), (
                f"{key}: {name}"
            )
            assert content.endswith(b"\n") and not content.endswith(b"\n\n"), f"{key}: {name}"
            assert b"\n\n\n\n" not in content, f"{key}: {name} has 3 blank lines in a row"
            assert not re.search(rb"[ \t]\n", content), f"{key}: {name} has trailing spaces"


def test_yaml_files_parse(rendered: dict) -> None:
    for key, (_, files, _) in rendered.items():
        for name, (content, _) in files.items():
            if name.endswith((".yml", ".yaml")):
                assert yaml.safe_load(content) is not None, f"{key}: {name}"


def test_python_files_compile(rendered: dict) -> None:
    for key, (_, files, _) in rendered.items():
        for name, (content, _) in files.items():
            if name.endswith(".py"):
                compile(content, f"{key}/{name}", "exec")


@pytest.mark.parametrize("hosting", HOSTING_VARIANTS, ids=variant_id)
def test_only_the_chosen_variant_files_are_generated(rendered: dict, hosting: dict) -> None:
    for answers, files, _ in rendered.values():
        if any(answers[key] != value for key, value in hosting.items()):
            continue
        onprem = hosting.get("onprem_runtime")
        assert any(n.startswith("deploy/compose/") for n in files) == (onprem == "compose")
        assert any(n.startswith("deploy/kubernetes/") for n in files) == (onprem == "kubernetes")
        github = answers["ci_provider"] == "github"
        assert (".github/workflows/ci.yml" in files) == github
        assert (".gitlab-ci.yml" in files) == (not github)


def test_answers_file_records_only_questions_that_apply(rendered: dict) -> None:
    for answers, files, _ in rendered.values():
        recorded = yaml.safe_load(files[".copier-answers.yml"][0])
        assert ("cloud_provider" in recorded) == (answers["hosting_model"] != "on-prem")
        assert ("onprem_runtime" in recorded) == (answers["hosting_model"] == "on-prem")
        assert "cookiecutter" not in recorded
        assert "reserved_package_names" not in recorded
        assert recorded["_commit"] == "v1"


def test_rendering_is_deterministic(template: Path, tmp_path: Path) -> None:
    first = render_copier(template, tmp_path / "a", {})
    second = render_copier(template, tmp_path / "b", {})
    assert tree(first) == tree(second)


# Serving platforms and the words that name them in code: only their own variant mentions them.
PLATFORM_WORDS = {
    "aws": re.compile(rb"sagemaker", re.IGNORECASE),
    "gcp": re.compile(rb"vertex|\bAIP_", re.IGNORECASE),
    "azure": re.compile(rb"azure ?ml|azureml|azure_ml", re.IGNORECASE),
}


def test_code_names_no_other_serving_platform(rendered: dict) -> None:
    for key, (answers, files, _) in rendered.items():
        platform = answers.get("cloud_provider") if answers["hosting_model"] == "paas" else None
        for name, (content, _) in files.items():
            if not name.startswith(("src/", "tests/")):
                continue
            for cloud, words in PLATFORM_WORDS.items():
                if cloud != platform:
                    assert not words.search(content), f"{key}: {name} mentions the {cloud} platform"
