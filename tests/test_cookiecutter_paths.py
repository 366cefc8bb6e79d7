"""Cookiecutter copies what it need not render: the paths of other answers and plain files."""

from pathlib import Path

import jinja2
import pytest
from cookiecutter.exceptions import FailedHookException

from hooks.template_rules import (
    JINJA_MARKUP,
    PROJECT_TEMPLATE_DIR,
    TemplateRules,
    post_generation_plan,
)
from tests.template import HOSTING_VARIANTS, render_cookiecutter, render_copier, tree, variant_id

DEFAULTS = {
    "project_name": "Demand Forecast",
    "project_slug": "demand-forecast",
    "package_name": "demand_forecast",
    "description": "Predicts demand.",
    "author_name": "ML Platform Team",
    "author_email": "ml-platform@example.com",
    "python_version": "3.12",
    "hosting_model": "on-prem",
    "cloud_provider": "aws",
    "onprem_runtime": "compose",
    "ci_provider": "github",
    "license": "MIT",
}
VARIANTS = [
    {**hosting, "ci_provider": ci} for hosting in HOSTING_VARIANTS for ci in ("github", "gitlab")
]


def template_files(template: Path) -> dict[str, bytes]:
    root = template / PROJECT_TEMPLATE_DIR
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_copied_paths_are_those_copier_drops_and_the_files_it_copies_verbatim(
    template: Path, tmp_path: Path, answers: dict
) -> None:
    answers = {**DEFAULTS, **answers}
    copied = TemplateRules(template).template_paths_to_copy(answers)
    generated = tree(render_copier(template, tmp_path, answers))
    for name, source in template_files(template).items():
        if "{%" in name:  # the answers file, which only Copier's own answers name
            continue
        path = name.replace("{{cookiecutter.package_name}}", answers["package_name"])
        covered = any(name == entry or name.startswith(f"{entry}/") for entry in copied)
        if path not in generated:
            assert covered, f"{name} is dropped, yet Cookiecutter would render it"
        elif covered:
            assert generated[path][0] == source, f"{name} is rendered, yet copied"
        else:
            assert JINJA_MARKUP.search(source), f"{name} needs no rendering, yet is rendered"


def test_cookiecutter_compiles_only_the_templates_of_these_answers(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[str] = []
    get_template = jinja2.Environment.get_template

    def recording(self: jinja2.Environment, name: str, *args: object, **kwargs: object) -> object:
        compiled.append(name)
        return get_template(self, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "get_template", recording)
    project = render_cookiecutter(template, tmp_path, {})
    sources = template_files(template)
    assert "Makefile" in compiled
    assert all(JINJA_MARKUP.search(sources[name]) for name in compiled)
    rendered = {
        name.replace("{{cookiecutter.package_name}}", "demand_forecast") for name in compiled
    }
    assert rendered <= set(tree(project))
    assert not (project / "deploy" / "kubernetes").exists()
    assert not (project / "src" / "demand_forecast" / "sagemaker.py").exists()


def test_the_hook_removes_the_excluded_paths_by_their_generated_names(template: Path) -> None:
    answers = {**DEFAULTS, "hosting_model": "paas", "cloud_provider": "gcp"}
    removed = TemplateRules(template).excluded_paths(answers)
    assert {"deploy/compose", "deploy/sagemaker", "src/demand_forecast/sagemaker.py"} <= set(
        removed
    )
    assert "deploy/vertex-ai" not in removed
    assert not any(path.startswith("deploy/compose/") for path in removed)  # under one removed


def test_a_context_copied_by_other_rules_stops_the_hook_naming_the_paths(template: Path) -> None:
    context = {**DEFAULTS, "_template": str(template)}
    context["_copy_without_render"] = ["deploy/compose", "deploy/kubernetes"]
    with pytest.raises(
        FailedHookException, match=r"deploy/compose; generate again without --replay$"
    ):
        post_generation_plan(context, template)
