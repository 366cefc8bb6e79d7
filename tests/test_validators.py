"""Every combination passes the ecosystems' validators; the harness names what fails where.

Tools come from requirements-dev.txt, checkov from its own environment (requirements-checkov.txt,
found through $CHECKOV or .venv/checkov/) and promtool, amtool and docker-compose from Debian;
.ci/run installs them all. Locally a missing tool skips its test with what to install; in CI
(CI=true) it fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import copier
import pytest

from tests.template import combinations, variant_id
from tests.validators import (
    CHECKS,
    IN_CI,
    Actionlint,
    Check,
    Hcl2Parse,
    Project,
    Yamllint,
    render_all,
    validate,
)


def require(check: Check) -> None:
    missing = check.unavailable()
    if missing:
        message = f"{check.name} needs {', '.join(missing)}: {check.install}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def projects(template: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Project]:
    """Every combination, rendered once by Copier from a plain copy (no git clone per render)."""
    plain = tmp_path_factory.mktemp("plain-template") / "template"
    shutil.copytree(template, plain, ignore=shutil.ignore_patterns(".git"))

    def render(destination: Path, answers: Mapping[str, str]) -> Path:
        copier.run_copy(
            str(plain), destination, data=dict(answers), defaults=True, quiet=True, unsafe=False
        )
        return destination

    destination = tmp_path_factory.mktemp("combinations")
    return render_all(render, combinations(), variant_id, destination)


@pytest.mark.slow
@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.name)
def test_every_combination_passes(projects: list[Project], check: Check) -> None:
    require(check)
    result = validate(check, projects)
    print(
        f"{check.name}: {result.units} distinct units over {result.projects} combinations "
        f"in {result.seconds:.1f}s"
    )
    assert result.units, f"{check.name}: no combination has anything to check"
    assert not result.failures, result.report()


# The harness itself, on two small hand-made projects.

WORKFLOW = """\
name: ci
on: push
permissions: {}
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - run: echo ok
"""


def project(root: Path, variant: str, files: Mapping[str, str]) -> Project:
    for name, content in files.items():
        (root / variant / name).parent.mkdir(parents=True, exist_ok=True)
        (root / variant / name).write_text(content)
    return Project.load(variant, root / variant)


def test_a_broken_file_names_the_file_and_every_combination_that_has_it(tmp_path: Path) -> None:
    check = Actionlint()
    require(check)
    broken = WORKFLOW.replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-24.04\n    step: []")
    projects = [
        project(tmp_path, "good", {".github/workflows/ci.yml": WORKFLOW}),
        project(tmp_path, "bad-one", {".github/workflows/ci.yml": broken, "LICENSE": "MIT\n"}),
        project(tmp_path, "bad-two", {".github/workflows/ci.yml": broken, "LICENSE": "BSD\n"}),
    ]
    result = validate(check, projects)
    assert result.units == 2, "identical workflows run once"
    (failure,) = result.failures
    assert failure.key == ".github/workflows/ci.yml"
    assert failure.variants == ["bad-one", "bad-two"]
    report = result.report()
    assert "bad-one, bad-two" in report and ".github/workflows/ci.yml" in report
    assert "step" in report, "the tool's own message is shown"


def test_a_batch_failure_is_attributed_to_the_failing_file_only(tmp_path: Path) -> None:
    check = Yamllint()
    require(check)
    files = {".yamllint.yaml": "---\nextends: default\n", "a.yml": "---\nkey: value\n"}
    projects = [
        project(tmp_path, "one", {**files, "b.yml": "---\nkey: [a,b]\n"}),
        project(tmp_path, "two", {**files, "b.yml": "---\nkey: [a, b]\n"}),
    ]
    result = validate(check, projects)
    assert [(f.key, f.variants) for f in result.failures] == [("b.yml", ["one"])]


def test_an_unparsable_terraform_file_fails_in_process(tmp_path: Path) -> None:
    check = Hcl2Parse()
    require(check)
    projects = [project(tmp_path, "iaas", {"deploy/x/main.tf": 'variable "a" {\n'})]
    (failure,) = validate(check, projects).failures
    assert (failure.key, failure.variants) == ("deploy/x/main.tf", ["iaas"])


def test_a_required_file_that_is_missing_fails(tmp_path: Path) -> None:
    check = next(check for check in CHECKS if check.name == "promtool-test-rules")
    projects = [project(tmp_path, "bare", {"README.md": "x\n"})]
    (failure,) = validate(check, projects).failures
    assert failure.variants == ["bare"] and "monitoring/prometheus/tests" in failure.key


RULES = "groups:\n  - name: up\n    rules:\n      - alert: Down\n        expr: up == 0\n"
PROMTOOL_TEST = """\
rule_files: [../rules/up.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: up{job="api"}
        values: 0x5
    alert_rule_test:
      - eval_time: 5m
        alertname: Down
        exp_alerts:
          - exp_labels: {job: %s}
"""
KUSTOMIZATION = "resources: [map.yaml]\n"
COMPOSE = "services:\n  api:\n    image: busybox:1.36\n"
ALERTMANAGER = "route:\n  receiver: %s\nreceivers:\n  - name: team\n"
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n%s"
# check name -> (files of a passing project, files of a failing one)
SAMPLES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "gitlab-ci-schema": (
        {".gitlab-ci.yml": "test:\n  script: [make test]\n"},
        {".gitlab-ci.yml": "test:\n  script: [make test]\n  when: sometimes\n"},
    ),
    "hadolint": (
        {"Dockerfile": 'FROM python:3.12-slim\nCMD ["python"]\n'},
        {"Dockerfile": 'FROM python\nCMD ["python"]\n'},
    ),
    "shellcheck": (
        {"deploy/x/deploy.sh": '#!/usr/bin/env bash\necho "$1"\n'},
        {"deploy/x/deploy.sh": "#!/usr/bin/env bash\necho $1\n"},
    ),
    "docker-compose-config": (
        {"deploy/compose/compose.yaml": COMPOSE},
        {"deploy/compose/compose.yaml": COMPOSE + "    ports: 1\n"},
    ),
    "kustomize": (
        {"deploy/k/kustomization.yaml": KUSTOMIZATION, "deploy/k/map.yaml": CONFIG_MAP % ""},
        {"deploy/k/kustomization.yaml": KUSTOMIZATION, "deploy/k/map.yaml": CONFIG_MAP % "x: 1\n"},
    ),
    "terraform-fmt": (
        {"deploy/x/main.tf": 'variable "a" {\n  type = string\n}\n'},
        {"deploy/x/main.tf": 'variable "a" {\ntype=string\n}\n'},
    ),
    "promtool-check-config": (
        {"monitoring/prometheus/prometheus.yml": "global:\n  scrape_interval: 15s\n"},
        {"monitoring/prometheus/prometheus.yml": "global:\n  scrape_interval: often\n"},
    ),
    "promtool-check-rules": (
        {"monitoring/prometheus/rules/up.yml": RULES},
        {"monitoring/prometheus/rules/up.yml": RULES.replace("== 0", "==")},
    ),
    "promtool-test-rules": (
        {
            "monitoring/prometheus/rules/up.yml": RULES,
            "monitoring/prometheus/tests/up.yml": PROMTOOL_TEST % "api",
        },
        {
            "monitoring/prometheus/rules/up.yml": RULES,
            "monitoring/prometheus/tests/up.yml": PROMTOOL_TEST % "web",
        },
    ),
    "amtool-check-config": (
        {"monitoring/alertmanager/alertmanager.yml": ALERTMANAGER % "team"},
        {"monitoring/alertmanager/alertmanager.yml": ALERTMANAGER % "nobody"},
    ),
}


@pytest.mark.parametrize("name", SAMPLES)
def test_each_validator_passes_good_input_and_fails_bad_input(tmp_path: Path, name: str) -> None:
    check = next(check for check in CHECKS if check.name == name)
    require(check)
    good, bad = SAMPLES[name]
    projects = [project(tmp_path, "good", good), project(tmp_path, "bad", bad)]
    failures = validate(check, projects).failures
    assert [failure.variants for failure in failures] == [["bad"]], [str(f) for f in failures]


@pytest.mark.slow
def test_checkov_fails_on_a_failed_check_and_on_a_skip_without_reason(tmp_path: Path) -> None:
    check = next(check for check in CHECKS if check.name == "checkov")
    require(check)
    hardened = "FROM alpine:3.20\nUSER 1000\nHEALTHCHECK CMD true\n"
    projects = [
        project(tmp_path, "good", {"Dockerfile": hardened}),
        project(tmp_path, "failed", {"Dockerfile": "FROM alpine:3.20\nUSER 1000\n"}),
        project(
            tmp_path,
            "justified",
            {
                "Dockerfile": "# checkov:skip=CKV_DOCKER_2: probed by the orchestrator\n"
                "FROM alpine:3.20\nUSER 1000\n"
            },
        ),
        project(
            tmp_path,
            "unjustified",
            {"Dockerfile": "# checkov:skip=CKV_DOCKER_2\nFROM alpine:3.20\nUSER 1000\n"},
        ),
    ]
    failures = {f.variants[0]: f.output for f in validate(check, projects).failures}
    assert sorted(failures) == ["failed", "unjustified"], failures
    assert "CKV_DOCKER_2" in failures["failed"]
    assert "without an inline reason" in failures["unjustified"]
