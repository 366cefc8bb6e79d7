"""The jobs that deploy files and CI pipelines start accept the arguments they are given.

Every `python -m <package>.<module> ...` of a generated project (Compose services, Kubernetes
containers, CI scripts, the Makefile, the Dockerfile) is parsed by that module's own argparse
parser, in the project's environment, and stopped right after parsing: nothing runs.
"""

import itertools
import json
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.template import HOSTING_VARIANTS, render_cookiecutter, variant_id

VARIANTS = [
    {**hosting, "ci_provider": ci} for hosting in HOSTING_VARIANTS for ci in ("github", "gitlab")
]
PACKAGE = "demand_forecast"
SKIPPED_SUFFIXES = (".py", ".md", ".json", ".lock", ".gitignore")
PYTHON_M = re.compile(r"\bpython3?\s+-m\s+([\w.]+)([^\n]*)")
SHELL_OPERATOR = set("();<>|&")

# Runs each module as `python -m` does, with argparse stopping right after a successful parse.
DRIVER = """
import argparse, contextlib, io, json, runpy, sys

class Parsed(Exception):
    pass

parse_args = argparse.ArgumentParser.parse_args

def parse_only(self, args=None, namespace=None):
    parse_args(self, args, namespace)
    raise Parsed

argparse.ArgumentParser.parse_args = parse_only
results = []
for module, args in json.load(sys.stdin):
    sys.argv = [module, *args]
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
            code = "finished without parsing its arguments"
        except Parsed:
            code = 0
        except SystemExit as exit:
            code = exit.code
    results.append([code, stderr.getvalue()])
json.dump(results, sys.stdout)
"""

Command = tuple[str, str, list[str]]  # file, module, arguments


def shell_commands(source: str, text: str) -> Iterator[Command]:
    """`python -m` commands of shell text (scripts, recipes, run steps), up to an operator."""
    text = text.replace("$(PACKAGE)", PACKAGE)
    text = re.sub(r"\$\((\w+)\)", r"\1", text)  # other Make variables: a plain word
    text = re.sub(r"\\\n\s*", " ", text)
    for match in PYTHON_M.finditer(text):
        lexer = shlex.shlex(match[2], posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        args = itertools.takewhile(lambda token: not set(token) <= SHELL_OPERATOR, lexer)
        yield source, match[1], list(args)


def yaml_commands(source: str, node: Any) -> Iterator[Command]:
    """`python -m` commands of a YAML document: argument lists (Compose `command`, Kubernetes
    `command` plus `args`) and shell strings (CI scripts)."""
    if isinstance(node, dict):
        command = node.get("command")
        if isinstance(command, list) and command[:2] in (["python", "-m"], ["python3", "-m"]):
            yield source, command[2], [*command[3:], *node.get("args", [])]
        for key, value in node.items():
            if not (key == "command" and isinstance(value, list)):
                yield from yaml_commands(source, value)
    elif isinstance(node, list):
        for item in node:
            yield from yaml_commands(source, item)
    elif isinstance(node, str):
        yield from shell_commands(source, node)


def commands(project: Path) -> list[Command]:
    found: list[Command] = []
    for path in sorted(project.rglob("*")):
        name = path.relative_to(project).as_posix()
        skipped = {".git", ".venv"} & set(path.relative_to(project).parts)
        if skipped or not path.is_file() or name.endswith(SKIPPED_SUFFIXES):
            continue
        text = path.read_text()
        if path.suffix in (".yml", ".yaml"):
            for document in yaml.safe_load_all(text):
                found += yaml_commands(name, document)
        else:
            found += shell_commands(name, text)
    return [command for command in found if command[1].startswith(f"{PACKAGE}.")]


def test_commands_are_found_in_every_kind_of_file() -> None:
    compose = {"services": {"job": {"command": ["python", "-m", "pkg.job", "--a=1"]}}}
    pod = {"containers": [{"command": ["python", "-m", "pkg.job"], "args": ["--b", "2"]}]}
    script = {"script": ["make x", 'uv run python -m pkg.job --c "$DIR" \\\n  --d 4 | tee log']}
    assert list(yaml_commands("f", compose)) == [("f", "pkg.job", ["--a=1"])]
    assert list(yaml_commands("f", pod)) == [("f", "pkg.job", ["--b", "2"])]
    assert list(yaml_commands("f", script)) == [("f", "pkg.job", ["--c", "$DIR", "--d", "4"])]
    recipe = "x:\n\tuv run python -m $(PACKAGE).job --e $(DIR) # comment\n"
    assert list(shell_commands("M", recipe)) == [("M", f"{PACKAGE}.job", ["--e", "DIR"])]


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_every_job_command_parses_with_its_module(
    template: Path,
    tmp_path: Path,
    environments: Callable[[Path, str], Path],
    answers: dict[str, str],
) -> None:
    project = render_cookiecutter(template, tmp_path, answers)
    found = commands(project)
    modules = {module for _, module, _ in found}
    assert {f"{PACKAGE}.drift", f"{PACKAGE}.retrain", f"{PACKAGE}.train"} <= modules
    if answers.get("onprem_runtime") == "compose":
        assert ("deploy/compose/compose.yaml", f"{PACKAGE}.drift") in {c[:2] for c in found}
    sources = project / "src" / PACKAGE
    parsed = []
    for source, module, args in found:
        code = (sources / f"{module.removeprefix(PACKAGE + '.')}.py").read_text()
        if "ArgumentParser" in code:
            parsed.append((source, module, args))
        else:  # a module without a parser (the server) must get no arguments
            assert not args, f"{source}: {module} takes no arguments, given {args}"
    python = environments(project, "3.12") / "bin" / "python"
    result = subprocess.run(
        [str(python), "-c", DRIVER],
        cwd=project,
        env={"PYTHONPATH": str(project / "src"), "PATH": f"{python.parent}:/usr/bin:/bin"},
        input=json.dumps([[module, args] for _, module, args in parsed]),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    failures = [
        f"{source}: python -m {module} {shlex.join(args)} -> exit {code}\n{stderr}"
        for (source, module, args), (code, stderr) in zip(
            parsed, json.loads(result.stdout), strict=True
        )
        if code != 0
    ]
    assert not failures, "\n".join(failures)


def kubernetes_answers(ci: str) -> dict[str, str]:
    return {"hosting_model": "on-prem", "onprem_runtime": "kubernetes", "ci_provider": ci}


def api_pod(project: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, str | None]]:
    """The pod spec of the Kubernetes base, its one container and that container's env."""
    deployment = yaml.safe_load((project / "deploy/kubernetes/base/deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return (
        pod,
        container,
        {variable["name"]: variable.get("value") for variable in container["env"]},
    )


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_kubernetes_pods_capture_to_a_volume_the_retrain_workflow_collects(
    template: Path, tmp_path: Path, ci: str
) -> None:
    project = render_cookiecutter(template, tmp_path, kubernetes_answers(ci))
    pod, container, env = api_pod(project)
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    capture_dir = env.get("CAPTURE_DIR")
    assert capture_dir, "capture is off in the pods"
    assert capture_dir in mounts, f"{capture_dir} is on the read-only root filesystem"
    assert "emptyDir" in volumes[mounts[capture_dir]]
    workflow = ".github/workflows/retrain.yml" if ci == "github" else ".gitlab/ci/retrain.yml"
    script = (project / workflow).read_text()
    assert "sh -c 'tar -C \"${CAPTURE_DIR:?" in script, "the pods' CAPTURE_DIR is not collected"
    assert "set -o pipefail" in script, "a failed kubectl exec would go unnoticed"


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_kubernetes_pods_mount_the_drift_report_the_retrain_workflow_publishes(
    template: Path, tmp_path: Path, ci: str
) -> None:
    project = render_cookiecutter(template, tmp_path, kubernetes_answers(ci))
    pod, container, env = api_pod(project)
    report = Path(env["DRIFT_REPORT"])
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == str(report.parent)]
    assert mount.get("readOnly") is True
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    config_map = volume["configMap"]
    assert config_map["optional"] is True, "pods would not start before the first report"
    overlay = yaml.safe_load(
        (project / "deploy/kubernetes/overlays/production/kustomization.yaml").read_text()
    )

    if ci == "github":
        workflow = yaml.safe_load((project / ".github/workflows/retrain.yml").read_text())
        steps = workflow["jobs"]["retrain"]["steps"]
        names = [step.get("name") for step in steps]
        publish = steps[names.index("Publish the drift report to the production pods")]
        assert names.index("Detect drift") < names.index(publish["name"])
        assert publish["env"]["KUBECONFIG"].endswith("/kubeconfig")
        variables, script = publish["env"], publish["run"]
    else:
        jobs = yaml.safe_load((project / ".gitlab/ci/retrain.yml").read_text())
        publish = jobs["publish-drift-report"]
        assert publish["needs"] == [{"job": "retrain", "artifacts": True}]
        assert publish["rules"][0]["when"] == "always", "a failed retraining would hide the report"
        variables, script = publish["variables"], " ".join(publish["script"])
    assert variables["CONFIGMAP"] == config_map["name"]
    assert variables["NAMESPACE"] == overlay["namespace"]
    assert f"--from-file={report.name}=reports/drift/drift.json" in script
    assert "kubectl apply --server-side" in script


# `make` and `uv` of the retrain scripts: drift writes the report of $DRIFT (or none: exit 2), the
# performance check reports $DEGRADED, retrain records that it ran and promotes nothing.
FAKE_MAKE = """#!/bin/sh
case "$1" in
  drift)
    [ "$DRIFT" = none ] && exit 2
    mkdir -p reports/drift
    printf '{"drift_detected": %s}\\n' "$DRIFT" >reports/drift/drift.json
    echo "# Drift" >reports/drift/drift.md ;;
  retrain)
    echo retrain >>calls
    mkdir -p reports/retrain
    echo '{"promoted": false, "reason": "not better"}' >reports/retrain/decision.json ;;
esac
"""
FAKE_UV = """#!/bin/sh
[ "$*" = "run python -m PACKAGE.retrain --check-performance" ] || exit 3
mkdir -p reports/retrain
printf '{"degraded": %s, "metric": "mae", "live": 9, "recorded": 8}\\n' "$DEGRADED" \\
  >reports/retrain/performance.json
""".replace("PACKAGE", PACKAGE)
# drift report ("none": the drift job fails), degraded, forced -> (retrains, the run succeeds).
# Without a report the performance check still decides, but the run fails unless forced.
RETRAIN_CASES = [
    ("none", "false", False, (False, False)),
    ("none", "true", False, (True, False)),
    ("none", "false", True, (True, True)),
    ("false", "false", False, (False, True)),
    ("false", "true", False, (True, True)),
    ("false", "false", True, (True, True)),
    ("true", "false", False, (True, True)),
]
GITHUB_CONDITION = (
    "steps.drift.outputs.detected == 'true' || steps.performance.outputs.degraded == 'true'"
    " || env.FORCE == 'true'"
)
GITHUB_FAIL_CONDITION = "steps.drift.outputs.missing == 'true' && env.FORCE != 'true'"


def run_retrain_script(
    ci: str, project: Path, tmp_path: Path, drift: str, degraded: str, force: bool
) -> tuple[bool, bool]:
    """Run the trigger part of the retrain pipeline with stand-ins for `make` and `uv`: whether
    it retrained and whether the run succeeded."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, script in (("make", FAKE_MAKE), ("uv", FAKE_UV)):
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod(0o755)
    work = tmp_path / f"work-{drift}-{degraded}-{force}"
    work.mkdir()
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "DRIFT": drift, "DEGRADED": degraded}
    if ci == "gitlab":
        jobs = yaml.safe_load((project / ".gitlab/ci/retrain.yml").read_text())
        (script,) = [line for line in jobs["retrain"]["script"] if "make drift" in line]
        env |= {"RETRAIN_FORCE": str(force).lower()}
        result = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", script], cwd=work, env=env, capture_output=True
        )
        return (work / "calls").exists(), result.returncode == 0
    workflow = yaml.safe_load((project / ".github/workflows/retrain.yml").read_text())
    steps = {step.get("name"): step for step in workflow["jobs"]["retrain"]["steps"]}
    assert steps["Retrain"]["if"] == GITHUB_CONDITION
    assert steps["Fail without a drift report"]["if"] == GITHUB_FAIL_CONDITION
    outputs = work / "outputs"
    env |= {"FORCE": str(force).lower(), "GITHUB_OUTPUT": str(outputs)}
    env |= {"GITHUB_STEP_SUMMARY": str(work / "summary")}
    for name in ("Detect drift", "Check the served model on the newest labelled data"):
        script = steps[name]["run"]
        result = subprocess.run(
            ["bash", "-e", "-c", script], cwd=work, env=env, capture_output=True
        )
        assert result.returncode == 0, result.stderr
    written = outputs.read_text().split()
    retrained = "detected=true" in written or "degraded=true" in written or force
    if "missing=true" not in written or force:
        return retrained, True
    script = steps["Fail without a drift report"]["run"]
    result = subprocess.run(["bash", "-e", "-c", script], cwd=work, env=env, capture_output=True)
    return retrained, result.returncode == 0


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_retraining_runs_on_drift_or_lost_performance_or_when_forced(
    template: Path, tmp_path: Path, ci: str
) -> None:
    project = render_cookiecutter(template, tmp_path / "project", {"ci_provider": ci})
    outcomes = {
        case[:3]: run_retrain_script(ci, project, tmp_path, *case[:3]) for case in RETRAIN_CASES
    }
    assert outcomes == {case[:3]: case[3] for case in RETRAIN_CASES}


@pytest.mark.parametrize("answers", HOSTING_VARIANTS, ids=variant_id)
def test_every_alert_links_to_a_runbook_section(
    template: Path, tmp_path: Path, answers: dict[str, str]
) -> None:
    project = render_cookiecutter(template, tmp_path, answers)
    monitoring = project / "monitoring"
    headings = re.findall(r"^## (\S+)$", (monitoring / "runbook.md").read_text(), re.MULTILINE)
    anchors = {f"monitoring/runbook.md#{heading.lower()}" for heading in headings}
    links = {
        rule["alert"]: rule["annotations"]["runbook"]
        for path in sorted((monitoring / "prometheus" / "rules").glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert links and not {alert: link for alert, link in links.items() if link not in anchors}


@pytest.mark.parametrize("answers", HOSTING_VARIANTS, ids=variant_id)
def test_the_dashboard_turns_the_drift_report_age_red_when_drift_report_stale_fires(
    template: Path, tmp_path: Path, answers: dict[str, str]
) -> None:
    project = render_cookiecutter(template, tmp_path, answers)
    monitoring = project / "monitoring"
    (group,) = yaml.safe_load((monitoring / "prometheus/rules/model.yml").read_text())["groups"]
    (stale,) = [rule for rule in group["rules"] if rule.get("alert") == "DriftReportStale"]
    days = int(re.search(r">\s*(\d+) \* 86400", stale["expr"])[1])
    dashboard = json.loads((monitoring / "grafana/dashboards/service.json").read_text())
    (panel,) = [panel for panel in dashboard["panels"] if panel["title"] == "Drift report age"]
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [step["value"] for step in steps if step["color"] == "red"] == [days * 86400]
