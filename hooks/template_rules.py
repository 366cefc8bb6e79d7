"""Evaluate the rules declared in copier.yml for Cookiecutter.

copier.yml is the single declaration of the template's questions, answer validators and
answer-dependent paths (`_exclude`). Copier applies it natively; this module applies the very same
declaration when the template is rendered by Cookiecutter, so both engines accept the same answers,
print the same messages, generate the same file set and record the same `.copier-answers.yml`.
"""

from __future__ import annotations

import fnmatch
import functools
import glob
import os
import re
import subprocess
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import yaml
from cookiecutter.exceptions import FailedHookException
from jinja2 import Environment, StrictUndefined, Template
from jinja2.ext import Extension

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
PROJECT_TEMPLATE_DIR = "{{cookiecutter.project_slug}}"
COPY_WITHOUT_RENDER = "_copy_without_render"
PATH_VARIABLE = re.compile(r"\{\{\s*cookiecutter\.(\w+)\s*\}\}")  # as in template paths
JINJA_MARKUP = re.compile(rb"\{[{%#]")  # the openings of expressions, statements, comments
ANSWERS_TEMPLATE_NAME = "{% if _copier_conf is defined %}{{ _copier_conf.answers_file }}{% endif %}"
HIDDEN_MAPPING = "cookiecutter"
REMOTE_TEMPLATE = re.compile(r"^([a-z][a-z0-9+.-]*://|git@|gh:|gl:|bb:)")
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, six times faster


class CookiecutterRules(Extension):
    """Jinja additions that apply the rules of copier.yml while Cookiecutter runs.

    - The filter `validate_answers`, which the last variable of cookiecutter.json applies to all
      answers once they are known: it stops Cookiecutter at the first invalid answer, before it
      creates a directory, with the same message as Copier.
    - The filter `copy_without_render`, which the variable after it applies: it has Cookiecutter
      copy the paths of other answers, and files without Jinja markup, instead of compiling them.
    - The filter `post_generation_plan` for the post-generation hook, which Cookiecutter renders
      from inside the template directory.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["validate_answers"] = validate_answers
        environment.filters["copy_without_render"] = copy_without_render
        environment.filters["post_generation_plan"] = lambda answers: post_generation_plan(
            answers, Path.cwd()
        )


def validate_answers(answers: Mapping[str, Any]) -> str:
    """Raise Cookiecutter's own clean error (one line, exit code 1) for the first invalid answer."""
    error = next(rules_at(TEMPLATE_ROOT).errors(answers), None)
    if error:
        raise FailedHookException(f"Invalid answer: {error}")
    return ""


def copy_without_render(cookiecutter: MutableMapping[str, Any]) -> str:
    """Set Cookiecutter's `_copy_without_render` to the template paths it need not render.

    Cookiecutter compiles every file as a Jinja template, those the post-generation hook then
    deletes included: a third of its run. It copies the paths of `_copy_without_render` instead,
    and reads that setting from the very mapping this filter gets, once all answers are known.
    """
    rules = rules_at(TEMPLATE_ROOT)
    cookiecutter[COPY_WITHOUT_RENDER] = rules.template_paths_to_copy(cookiecutter)
    return ""


def matches(relpath: str, pattern: str) -> bool:
    """Gitignore-style matching of the simple patterns used in `_exclude`."""
    pattern = pattern.rstrip("/")
    if "/" in pattern:
        return fnmatch.fnmatchcase(relpath, pattern.lstrip("/"))
    return any(fnmatch.fnmatchcase(part, pattern) for part in relpath.split("/"))


def regex_search(value: str, pattern: str) -> str | None:
    """Jinja filter with the semantics of Copier's (Ansible's) `regex_search`."""
    match = re.search(pattern, value)
    return match.group(0) if match else None


def to_nice_yaml(value: Any, indent: int = 4) -> str:
    """Jinja filter with the output of Copier's (Ansible's) `to_nice_yaml`."""
    return yaml.dump(value, indent=indent, allow_unicode=True, default_flow_style=False)


def jinja_env() -> Environment:
    """A Jinja environment with the settings and filters copier.yml relies on."""
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, optimized=False)
    env.filters["regex_search"] = regex_search
    env.filters["to_nice_yaml"] = to_nice_yaml
    return env


class TemplateRules:
    """The questions, validators and path rules of copier.yml, evaluated for a set of answers."""

    def __init__(self, template_root: Path = TEMPLATE_ROOT) -> None:
        self.root = template_root
        config = (template_root / "copier.yml").read_text()
        self.config: dict[str, Any] = yaml.load(config, Loader=YAML_LOADER)
        self.env = jinja_env()
        self._templates: dict[str, Template] = {}

    @property
    def questions(self) -> dict[str, dict[str, Any]]:
        """Questions in declaration order, without the hidden `cookiecutter` mapping."""
        return {
            name: spec
            for name, spec in self.config.items()
            if not name.startswith("_") and name != HIDDEN_MAPPING
        }

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        if template not in self._templates:
            self._templates[template] = self.env.from_string(template)
        return self._templates[template].render(context)

    def context(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Answers plus the values of hidden (`when: false`) questions, as Copier computes them."""
        context: dict[str, Any] = {}
        for name, spec in self.questions.items():
            if spec.get("when") is False:
                default = spec.get("default")
                if isinstance(default, str):
                    default = yaml.safe_load(self.render(default, context))
                context[name] = default
            else:
                context[name] = answers[name]
        return context

    def applies(self, spec: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
        """Whether a question is asked (and recorded) for these answers (Copier's `when:`)."""
        when = spec.get("when", True)
        if isinstance(when, str):
            when = yaml.safe_load(self.render(when, context).strip() or "false")
        return bool(when)

    def choices(self, spec: Mapping[str, Any]) -> list[str]:
        choices = spec.get("choices", [])
        return list(choices.values()) if isinstance(choices, dict) else list(choices)

    def errors(self, answers: Mapping[str, Any]) -> Iterator[str]:
        """One message per invalid answer, in question order (empty when all are valid)."""
        context = self.context(answers)
        for name, spec in self.questions.items():
            if not self.applies(spec, context):
                continue
            choices = self.choices(spec)
            if choices and context[name] not in choices:
                yield f"{name}: '{context[name]}' is not one of {', '.join(choices)}"
            elif "validator" in spec:
                message = self.render(spec["validator"], context).strip()
                if message:
                    yield message

    def recorded_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers Copier writes to its answers file: those of questions that apply."""
        context = self.context(answers)
        return {
            name: context[name]
            for name, spec in self.questions.items()
            if spec.get("when") is not False and self.applies(spec, context)
        }

    def excluded_patterns(self, answers: Mapping[str, Any]) -> list[str]:
        """The `_exclude` patterns rendered for these answers (empty renders dropped)."""
        context = self.context(answers)
        patterns = []
        for entry in self.config.get("_exclude", []):
            patterns.extend(
                line.strip() for line in self.render(entry, context).splitlines() if line.strip()
            )
        return patterns

    def excluded_paths(self, answers: Mapping[str, Any]) -> list[str]:
        """The generated paths that `excluded_patterns` drops for these answers (a directory
        stands for its content)."""
        return [generated for _, generated, excluded in self._paths(answers) if excluded]

    def template_paths_to_copy(self, answers: Mapping[str, Any]) -> list[str]:
        """The template's paths (relative to its project folder, as Cookiecutter's patterns)
        that rendering would not change or that `excluded_patterns` drops for these answers:
        files without Jinja markup, and excluded paths (a directory stands for its content)."""
        template_dir = self.root / PROJECT_TEMPLATE_DIR
        return [
            glob.escape(template_path)
            for template_path, _, excluded in self._paths(answers)
            if excluded or not JINJA_MARKUP.search((template_dir / template_path).read_bytes())
        ]

    def _paths(self, answers: Mapping[str, Any]) -> Iterator[tuple[str, str, bool]]:
        """The template's files and excluded directories (not what is inside those): each as its
        path relative to the project folder, the path it generates, and whether it is excluded."""
        patterns = self.excluded_patterns(answers)
        template_dir = self.root / PROJECT_TEMPLATE_DIR
        for folder, dirs, files in os.walk(template_dir):
            relfolder = Path(folder).relative_to(template_dir)
            for name in sorted(dirs) + sorted(files):
                template_path = (relfolder / name).as_posix()
                generated = PATH_VARIABLE.sub(lambda match: answers[match[1]], template_path)
                excluded = any(matches(generated, pattern) for pattern in patterns)
                if name in dirs:
                    if not excluded:
                        continue
                    dirs.remove(name)  # stands for its content
                yield template_path, generated, excluded

    def answers_file(self, recorded: Mapping[str, Any]) -> tuple[str, str]:
        """Name and content of the answers file, rendered from the template's own answers file."""
        source = self.root / PROJECT_TEMPLATE_DIR / ANSWERS_TEMPLATE_NAME
        content = self.render(source.read_text(), {"_copier_answers": dict(recorded)})
        return self.config.get("_answers_file", ".copier-answers.yml"), content


def rules_at(template_root: Path) -> TemplateRules:
    """The rules of the template at `template_root`, parsed once per version of its copier.yml."""
    return _parsed_rules(template_root, (template_root / "copier.yml").stat().st_mtime_ns)


@functools.cache
def _parsed_rules(template_root: Path, _mtime_ns: int) -> TemplateRules:
    return TemplateRules(template_root)


def git_output(*args: str, cwd: Path) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()


def template_source(template: str, root: Path) -> dict[str, str]:
    """`_src_path` and `_commit` as Copier records them, so `copier update` works later."""
    source = {"_src_path": template if REMOTE_TEMPLATE.match(template) else str(root)}
    commit = git_output("describe", "--tags", "--always", cwd=root)  # Copier's own description
    if commit:
        source["_commit"] = commit
    return source


def post_generation_plan(cookiecutter: Mapping[str, Any], template_root: Path) -> str:
    """What the post-generation hook does to a project generated with these answers, as the
    Python literal of a dict: the paths to remove, the answers file to write and a warning."""
    rules = rules_at(template_root)
    recorded = {
        **template_source(cookiecutter["_template"], template_root),
        **rules.recorded_answers(cookiecutter),
    }
    kept = set(cookiecutter.get(COPY_WITHOUT_RENDER, [])) - set(
        rules.template_paths_to_copy(cookiecutter)
    )
    if kept:  # copied unrendered, yet this version of the template renders them
        raise FailedHookException(
            "Copied without rendering by the rules of another version of the template "
            f"(a replayed context?): {', '.join(sorted(kept))}; generate again without --replay"
        )
    warning = None
    if "_commit" not in recorded:
        warning = (
            f"{template_root} is not a git checkout; `copier update` will need "
            "`_commit` in .copier-answers.yml"
        )
    plan = {
        "remove": rules.excluded_paths(cookiecutter),
        "answers_file": rules.answers_file(recorded),
        "warning": warning,
    }
    return repr(plan)
