"""cookiecutter.json asks exactly what copier.yml declares."""

import json

import pytest
from cookiecutter.prompt import prompt_for_config

from tests.template import ROOT, RULES

COOKIECUTTER = json.loads((ROOT / "cookiecutter.json").read_text())
QUESTIONS = {name: spec for name, spec in RULES.questions.items() if spec.get("when") is not False}


def test_same_questions_in_the_same_order() -> None:
    asked = [name for name in COOKIECUTTER if not name.startswith("_")]
    assert asked == list(QUESTIONS)


def test_same_jinja_options() -> None:
    """Cookiecutter's environment, and the one evaluating copier.yml for it, use the options of
    Copier's `_envops` (Cookiecutter's own already fails on undefined names and keeps the
    trailing newline)."""
    envops = RULES.config["_envops"]
    assert COOKIECUTTER["_jinja2_env_vars"].items() <= envops.items()
    assert RULES.env.optimized == envops["optimized"]
    assert RULES.env.keep_trailing_newline == envops["keep_trailing_newline"]


@pytest.mark.parametrize("name", [name for name, spec in QUESTIONS.items() if "choices" in spec])
def test_same_choices_with_the_default_first(name: str) -> None:
    spec = QUESTIONS[name]
    choices = RULES.choices(spec)
    assert COOKIECUTTER[name] == [spec["default"], *(c for c in choices if c != spec["default"])]


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_same_prompt(name: str) -> None:
    prompt = COOKIECUTTER["__prompts__"][name]
    assert (prompt["__prompt__"] if isinstance(prompt, dict) else prompt) == QUESTIONS[name]["help"]
    choices = QUESTIONS[name].get("choices")
    if isinstance(choices, dict):
        assert {value: label for label, value in choices.items()} == {
            key: value for key, value in prompt.items() if key != "__prompt__"
        }


def test_same_default_answers() -> None:
    """Both engines compute the same default answers, templated defaults included."""
    cookiecutter_defaults = prompt_for_config({"cookiecutter": COOKIECUTTER}, no_input=True)
    copier_defaults: dict[str, str] = {}
    for name, spec in QUESTIONS.items():
        default = spec["default"]
        copier_defaults[name] = RULES.render(default, copier_defaults)
    assert {name: cookiecutter_defaults[name] for name in QUESTIONS} == copier_defaults
    assert copier_defaults["package_name"] == "demand_forecast"


def test_hidden_mapping_exposes_every_question() -> None:
    mapping = RULES.config["cookiecutter"]["default"]
    assert [line.split(":")[0] for line in mapping.splitlines()] == list(QUESTIONS)
    assert list(RULES.config)[-1] == "cookiecutter"


def test_reserved_names_cover_keywords_and_stdlib() -> None:
    import keyword
    import sys

    reserved = set(RULES.config["reserved_package_names"]["default"])
    modules = {name for name in sys.stdlib_module_names if name.islower() and name[0] != "_"}
    assert modules <= reserved
    assert {word for word in keyword.kwlist if word.islower()} <= reserved
