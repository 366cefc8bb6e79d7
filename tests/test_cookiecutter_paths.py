"""Cookiecutter copies the paths of other answers instead of compiling them, then drops them."""

from pathlib import Path

import jinja2
import pytest
from cookiecutter.exceptions import FailedHookException

from hooks.template_rules import PROJECT_TEMPLATE_DIR, TemplateRules, post_generation_plan
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


def template_files(template: Path) -> list[str]:
    root = template / PROJECT_TEMPLATE_DIR
    return [path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()]


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_copied_paths_are_exactly_those_copier_does_not_generate(
    template: Path, tmp_path: Path, answers: dict
) -> None:
    answers = {**DEFAULTS, **answers}
    copied = TemplateRules(template).excluded_template_paths(answers)
    generated = set(tree(render_copier(template, tmp_path, answers)))
    for name in template_files(template):
        path = name.replace("{{cookiecutter.package_name}}", answers["package_name"])
        covered = any(name == entry or name.startswith(f"{entry}/") for entry in copied)
        if "{%" not in name:  # the answers file, which only Copier's own answers name
            assert covered == (path not in generated), name


def test_cookiecutter_compiles_no_template_of_other_answers(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[str] = []
    get_template = jinja2.Environment.get_template

    def recording(self: jinja2.Environment, name: str, *args: object, **kwargs: object) -> object:
        compiled.append(name)
        return get_template(self, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "get_template", recording)
    project = render_cookiecutter(template, tmp_path, {})
    files = tree(project)
    rendered = {
        name.replace("{{cookiecutter.package_name}}", "demand_forecast") for name in compiled
    }
    assert rendered == set(files) - {".copier-answers.yml"}  # the hook writes that one
    assert not (project / "deploy" / "kubernetes").exists()
    assert not (project / "src" / "demand_forecast" / "sagemaker.py").exists()


def test_a_context_copied_by_other_rules_stops_the_hook_naming_the_paths(template: Path) -> None:
    context = {**DEFAULTS, "_template": str(template)}
    context["_copy_without_render"] = ["deploy/compose", "deploy/kubernetes"]
    with pytest.raises(FailedHookException, match=r"^deploy/compose were copied without"):
        post_generation_plan(context, template)
