"""Contracts of the generated infrastructure and pipelines that no ecosystem validator checks.

`terraform validate` needs the providers (no downloads here), so these tests read the rendered
files: the image validations of every module against real and malformed references, the
lifecycle rules that keep deploys and teardowns working on each platform, the deploy scripts'
wait loops, the deploy guides' teardown commands, and the README's list of the CI settings the
workflows read.
"""

from __future__ import annotations

import ast
import itertools
import json
import math
import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import hcl2
import pytest
import yaml

from tests.template import HOSTING_VARIANTS, render_cookiecutter, variant_id

VARIANTS = [
    {**hosting, "ci_provider": ci} for hosting in HOSTING_VARIANTS for ci in ("github", "gitlab")
]
CLOUD_VARIANTS = [answers for answers in VARIANTS if answers["hosting_model"] != "on-prem"]
DIGEST = "sha256:" + "0123456789abcdef" * 4

# Image references the modules must accept: every registry CI pushes to or deploy.sh copies to.
VALID_IMAGES = (
    "ghcr.io/acme/demand-forecast:0123456789abcdef0123456789abcdef01234567",
    f"ghcr.io/acme/demand-forecast@{DIGEST}",
    "registry.gitlab.com/group/subgroup/demand-forecast:main",
    "gitlab.example.com:5050/grp/app:tag",
    f"gitlab.example.com:5050/grp/app@{DIGEST}",
    "localhost:5000/demand-forecast:1.0.0",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demand-forecast-staging:abc123",
    f"europe-west1-docker.pkg.dev/my-project/demand-forecast-staging/service:sha256-{'ab' * 32}",
    "crdemandforecaststag1a2b3.azurecr.io/demand-forecast:v1.2.3_rc-1",
    "gcr.io/google.com/cloudsdktool/google-cloud-cli:573.0.0-slim",
)
INVALID_IMAGES = (
    "demand-forecast",
    "demand-forecast:1.0.0",
    "ghcr.io/acme/demand-forecast",
    "ghcr.io/acme/demand-forecast:",
    "ghcr.io/acme/demand-forecast:-leading-dash",
    "ghcr.io/acme/demand-forecast:" + "a" * 129,
    "ghcr.io/Acme/Demand-Forecast:1.0.0",
    "ghcr.io/acme/demand-forecast:has space",
    "ghcr.io/acme/demand-forecast@sha256:abc",
    "gitlab.example.com:port/grp/app:tag",
    "https://ghcr.io/acme/demand-forecast:1.0.0",
)
# Image variables and the validation regex that checks them: regex("...", var.<name>).
HCL_REGEX = re.compile(r'regex\("((?:[^"\\]|\\.)*)",\s*var\.(\w+)\)')


@pytest.fixture(scope="module")
def projects(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each hosting variant with each CI provider, rendered by Cookiecutter."""
    output = tmp_path_factory.mktemp("contracts")
    return {
        variant_id(answers): render_cookiecutter(template, output / variant_id(answers), answers)
        for answers in VARIANTS
    }


def unquote(value: Any) -> Any:
    """python-hcl2 output without the quotes it keeps around block labels and strings."""
    if isinstance(value, dict):
        return {unquote(key): unquote(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unquote(item) for item in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def load(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return unquote(hcl2.load(handle))


def blocks(module: Path, kind: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(file, label, body) of every `kind` block (variable, provider) of a module."""
    for path in sorted(module.glob("*.tf")):
        for block in load(path).get(kind, []):
            for label, body in block.items():
                yield path.name, label, body


def resources(module: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every managed resource of a module."""
    for path in sorted(module.glob("*.tf")):
        for block in load(path).get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    yield kind, name, body


def modules(projects: dict[str, Path]) -> Iterator[tuple[str, Path]]:
    for key, root in projects.items():
        for module in sorted((root / "deploy").iterdir()):
            if any(module.glob("*.tf")):
                yield key, module


def hcl_string(literal: str) -> str:
    """The value of an HCL quoted string's content (escapes \\\\ and \\")."""
    return re.sub(r"\\(.)", r"\1", literal)


def test_every_image_validation_accepts_real_references_and_rejects_malformed_ones(
    projects: dict[str, Path],
) -> None:
    checked: dict[str, set[str]] = {}
    for key, module in modules(projects):
        for file, name, spec in blocks(module, "variable"):
            if not name.endswith("image"):
                continue
            conditions = [rule["condition"] for rule in spec.get("validation", [])]
            patterns = [
                hcl_string(match[1])
                for condition in conditions
                for match in HCL_REGEX.finditer(condition)
                if match[2] == name
            ]
            assert patterns, f"{key}: {module.name}/{file} variable {name} has no regex validation"
            for pattern in patterns:
                # RE2 and Python agree on this subset; $ must not accept a trailing newline.
                compiled = re.compile(pattern.removesuffix("$") + r"\Z")
                for image in VALID_IMAGES:
                    assert compiled.search(image), f"{module.name} {name} rejects {image}"
                for image in INVALID_IMAGES:
                    assert not compiled.search(image), f"{module.name} {name} accepts {image}"
            checked.setdefault(module.name, set()).add(name)
    assert set(checked) == {
        "aws-ec2",
        "gcp-compute-engine",
        "azure-vm",
        "sagemaker",
        "vertex-ai",
        "azure-ml",
    }
    assert checked["gcp-compute-engine"] == {"image", "capture_sync_image"}


def test_every_variable_that_is_not_a_flag_is_validated(projects: dict[str, Path]) -> None:
    for key, module in modules(projects):
        for file, name, spec in blocks(module, "variable"):
            if spec.get("type") in ("bool", "${bool}"):
                continue
            assert spec.get("validation"), f"{key}: {module.name}/{file} variable {name}"


def test_a_sagemaker_deploy_keeps_the_capacity_and_reregisters_autoscaling(
    projects: dict[str, Path],
) -> None:
    root = projects[variant_id({**HOSTING_VARIANTS[5], "ci_provider": "github"})]
    module = root / "deploy" / "sagemaker"
    found = {(kind, name): body for kind, name, body in resources(module)}
    config = found[("aws_sagemaker_endpoint_configuration", "service")]
    variant = config["production_variants"][0]
    # A new configuration starts with the variant's current count, never simply the minimum.
    assert variant["initial_instance_count"] == "${local.initial_instance_count}"
    lifecycle = config["lifecycle"][0]
    assert "${production_variants[0].initial_instance_count}" in lifecycle["ignore_changes"]
    assert "TF_VAR_instance_count=" in (module / "deploy.sh").read_text()
    # A new instance type deregisters the scalable target (and its policy) before UpdateEndpoint.
    target = found[("aws_appautoscaling_target", "variant")]
    trigger = target["lifecycle"][0]["replace_triggered_by"]
    assert trigger == ["${terraform_data.variant_instance_type}"]
    assert found[("terraform_data", "variant_instance_type")]["input"] == "${var.instance_type}"
    policy = found[("aws_appautoscaling_policy", "invocations")]
    assert policy["lifecycle"][0]["replace_triggered_by"] == [
        "${aws_appautoscaling_target.variant}"
    ]


def test_storage_accounts_closed_to_the_runner_keep_the_provider_off_their_data_plane(
    projects: dict[str, Path],
) -> None:
    for key, module in modules(projects):
        closed = [
            name
            for kind, name, body in resources(module)
            if kind == "azurerm_storage_account"
            and any(rule.get("default_action") == "Deny" for rule in body.get("network_rules", []))
        ]
        if not closed:
            continue
        features = [
            feature
            for _, label, body in blocks(module, "provider")
            if label == "azurerm"
            for feature in body.get("features", [])
        ]
        storage = [block for feature in features for block in feature.get("storage", [])]
        assert any(block.get("data_plane_available") is False for block in storage), (
            f"{key}: {module.name} storage accounts {closed} deny the CI runner's network"
        )


def test_azure_ml_assets_are_never_managed_as_deletable_resources(
    projects: dict[str, Path],
) -> None:
    # Environments, models, data and components can only be archived: deleting them fails.
    assets = re.compile(
        r"Microsoft\.MachineLearningServices/workspaces/(environments|models|data|components)\b"
    )
    for key, module in modules(projects):
        for kind, name, body in resources(module):
            if kind == "azapi_resource":
                assert not assets.match(body["type"]), f"{key}: {module.name} {kind}.{name}"


def test_wait_loops_of_the_deploy_scripts_fail_on_timeout(projects: dict[str, Path]) -> None:
    loop = re.compile(r"^(\s*)for _ in \$\(seq \d+\); do$")
    seen = 0
    for key, root in projects.items():
        for script in sorted((root / "deploy").glob("*/deploy.sh")):
            lines = script.read_text().splitlines()
            for number, line in enumerate(lines):
                start = loop.match(line)
                if not start:
                    continue
                seen += 1
                end = lines.index(f"{start[1]}done", number)
                after = "\n".join(lines[end + 1 : end + 5])
                assert "exit 1" in after and ">&2" in after, (
                    f"{key}: {script.relative_to(root)} line {number + 1}: the loop falls "
                    "through on timeout without an error"
                )
    assert seen


def deploy_section(readme: str) -> str:
    return readme.split("\n## Deploy\n", 1)[1].split("\n## ", 1)[0]


def github_settings(root: Path) -> set[str]:
    text = "\n".join(path.read_text() for path in (root / ".github" / "workflows").glob("*.yml"))
    names = set(re.findall(r"\b(?:secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)", text))
    return names - {"GITHUB_TOKEN"}


def gitlab_settings(root: Path) -> set[str]:
    """Variables the pipeline reads that neither GitLab nor the pipeline itself defines."""
    files = [root / ".gitlab-ci.yml", *sorted((root / ".gitlab" / "ci").glob("*.yml"))]
    defined: set[str] = set()
    used: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("variables", "id_tokens") and isinstance(value, dict):
                    defined.update(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str):
            # Shell assignments (export A=... B=...) define names; \$NAME is the remote shell's.
            defined.update(re.findall(r"(?:^|[\s;(])([A-Z_][A-Z0-9_]*)=", node))
            used.update(re.findall(r"(?<!\\)\$\{?([A-Z_][A-Z0-9_]*)", node))

    for path in files:
        walk(yaml.safe_load(path.read_text()))
    # Predefined by GitLab or by the job images.
    predefined = {name for name in used if name.startswith(("CI_", "GITLAB_"))} | {"PATH"}
    return used - defined - predefined


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_every_ci_setting_the_pipelines_read_is_documented_under_deploy(
    projects: dict[str, Path], answers: dict[str, str]
) -> None:
    root = projects[variant_id(answers)]
    section = deploy_section((root / "README.md").read_text())
    settings = (
        github_settings(root) if answers["ci_provider"] == "github" else gitlab_settings(root)
    )
    assert settings
    missing = sorted(name for name in settings if f"`{name}`" not in section)
    assert not missing, f"README.md's Deploy section does not mention {missing}"


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_the_deploy_section_links_the_guide_next_to_the_deployment_files(
    projects: dict[str, Path], answers: dict[str, str]
) -> None:
    root = projects[variant_id(answers)]
    (target,) = (root / "deploy").iterdir()
    section = deploy_section((root / "README.md").read_text())
    assert f"](deploy/{target.name}/README.md)" in section
    assert (target / "README.md").read_text().startswith("# Deploy ")


@pytest.mark.parametrize("answers", CLOUD_VARIANTS[::2], ids=variant_id)
def test_the_teardown_command_sets_every_required_variable(
    projects: dict[str, Path], answers: dict[str, str]
) -> None:
    root = projects[variant_id(answers)]
    (module,) = (path for path in (root / "deploy").iterdir() if any(path.glob("*.tf")))
    guide = (module / "README.md").read_text()
    teardown = guide.split("\n## Teardown\n", 1)[1].split("\n## ", 1)[0]
    code = "\n".join(re.findall(r"```bash\n(.*?)```", teardown, flags=re.DOTALL))
    (command,) = re.findall(r"terraform destroy(?:[^\n]*\\\n)*[^\n]*", code)
    exported_before = "With the variables of the deploy step exported" in teardown
    for _, name, spec in blocks(module, "variable"):
        if "default" in spec:
            continue
        given = bool(re.search(rf"-var '?{name}=", command)) or f"TF_VAR_{name}=" in teardown
        if exported_before:
            given = given or f"export TF_VAR_{name}=" in guide
        assert given, f"{module.name}: `terraform destroy` in its README would prompt for {name}"
        literal = re.search(rf"-var {name}=([^\s\"'$<]\S*)", command)
        if name == "image" and literal:
            image = literal[1]
            assert re.fullmatch(r"[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[\w][\w.-]*|@.+)", image), (
                f"{module.name}: the teardown's image {image} fails the module's validation"
            )


# The IaaS modules: each VM downloads the drift job's report, which the retrain workflow uploads.

IAAS_MODULES = {"aws": "aws-ec2", "gcp": "gcp-compute-engine", "azure": "azure-vm"}
IAAS_VARIANTS = [
    {"hosting_model": "iaas", "cloud_provider": cloud, "ci_provider": "github"}
    for cloud in IAAS_MODULES
]
DRIFT_REPORT_SCHEMES = {"aws": "s3://", "gcp": "gs://", "azure": "https://"}
TFTPL = re.compile(r"\$\$\{|%%\{|%\{|\$\{([^}]*)\}")


def render_tftpl(text: str, values: dict[str, str]) -> str:
    """A Terraform template of plain interpolations, rendered as templatefile does."""

    def substitute(match: re.Match[str]) -> str:
        token = match[0]
        if token in ("$${", "%%{"):
            return token[1:]
        assert token != "%{", "template directives are not expected in cloud-init"
        assert match[1] in values, f"${{{match[1]}}} is not a variable templatefile passes"
        return values[match[1]]

    return TFTPL.sub(substitute, text)


def cloud_init(module: Path, values: dict[str, str] | None = None) -> dict[str, Any]:
    """The module's cloud-init, rendered with each variable compute.tf passes set to tf-<name>
    unless `values` gives it."""
    call = re.search(
        r'templatefile\("\$\{path\.module\}/cloud-init\.yaml\.tftpl", \{\n(.*?)\n\s*\}\)',
        (module / "compute.tf").read_text(),
        flags=re.DOTALL,
    )
    assert call, f"{module.name}/compute.tf does not render cloud-init.yaml.tftpl"
    names = re.findall(r"^\s*(\w+)\s*=", call[1], flags=re.MULTILINE)
    text = (module / "cloud-init.yaml.tftpl").read_text()
    given = values or {}
    assert set(given) <= set(names), f"compute.tf passes no {sorted(set(given) - set(names))}"
    return yaml.safe_load(
        render_tftpl(text, {name: given.get(name, f"tf-{name}") for name in names})
    )


def unit_settings(content: str) -> dict[str, list[str]]:
    """Key -> values of a systemd unit file, continuation lines joined."""
    settings: dict[str, list[str]] = {}
    for line in content.replace("\\\n", " ").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith(("#", "[")):
            settings.setdefault(key.strip(), []).append(" ".join(value.split()))
    return settings


def docker_run_options(command: str) -> tuple[dict[str, str], list[list[str]]]:
    """The --env NAME=VALUE pairs and the --volume specs of a `docker run` command line."""
    words = shlex.split(command)
    env: dict[str, str] = {}
    volumes: list[list[str]] = []
    for option, value in itertools.pairwise(words):
        if option in ("--env", "-e"):
            name, _, setting = value.partition("=")
            env[name] = setting
        elif option in ("--volume", "-v"):
            volumes.append(value.split(":"))
    return env, volumes


def expand_locals(module: Path, value: str) -> str:
    """A string attribute with the module's string locals it interpolates substituted."""
    known = {
        name: item
        for path in sorted(module.glob("*.tf"))
        for block in load(path).get("locals", [])
        for name, item in block.items()
        if isinstance(item, str)
    }
    local = re.compile(r"\$\{local\.(\w+)\}")
    while match := local.search(value):
        value = value[: match.start()] + known[match[1]] + value[match.end() :]
    return value


@dataclass
class DriftDownload:
    """How a VM gets the drift report: the service's mount, the timer and what it runs."""

    host_dir: str
    container_dir: str
    report: str
    timer: str
    timer_settings: dict[str, list[str]]
    fetch: str
    """The fetch unit's command line and the scripts it runs, joined."""
    script: str
    runcmd: list[str]


def drift_download(module: Path) -> DriftDownload:
    config = cloud_init(module)
    files = {entry["path"]: entry.get("content", "") for entry in config["write_files"]}
    (service,) = [
        settings
        for path, content in files.items()
        if path.endswith(".service")
        and "CAPTURE_DIR=" in " ".join((settings := unit_settings(content)).get("ExecStart", []))
    ]
    env, volumes = docker_run_options(service["ExecStart"][0])
    report = env.get("DRIFT_REPORT", "")
    assert report, f"{module.name}: the service container gets no DRIFT_REPORT"
    mounts = [volume for volume in volumes if report.startswith(volume[1].rstrip("/") + "/")]
    assert mounts, f"{module.name}: DRIFT_REPORT={report} is outside every volume of the container"
    (host_dir, container_dir, *mode) = mounts[0]
    assert mode == ["ro"], f"{module.name}: the service mounts {host_dir} writable"
    timers = {}
    for path, content in files.items():
        if not path.endswith(".timer"):
            continue
        unit = files.get(path.removesuffix(".timer") + ".service", "")
        fetch = " ".join(unit_settings(unit).get("ExecStart", []))
        # The script the unit runs, on the host or mounted into a container (the sync image on COS).
        mounted = {spec[0] for spec in docker_run_options(fetch)[1]}
        scripts = [
            content for path, content in files.items() if path in fetch.split() or path in mounted
        ]
        if host_dir in fetch or any(host_dir in script for script in scripts):
            timers[path] = (unit_settings(content), fetch, "\n".join(scripts))
    assert len(timers) == 1, f"{module.name}: no timer (or several) downloads into {host_dir}"
    ((timer, (settings, fetch, script)),) = timers.items()
    return DriftDownload(
        host_dir, container_dir, report, timer, settings, fetch, script, config["runcmd"]
    )


@pytest.mark.parametrize("answers", IAAS_VARIANTS, ids=variant_id)
def test_iaas_vms_download_the_drift_report_into_a_read_only_mount_of_the_service(
    projects: dict[str, Path], answers: dict[str, str]
) -> None:
    module = projects[variant_id(answers)] / "deploy" / IAAS_MODULES[answers["cloud_provider"]]
    found = drift_download(module)
    # At boot and periodically, started by cloud-init (COS rewrites /etc at every boot).
    assert found.timer_settings.get("OnBootSec") and found.timer_settings.get("OnUnitActiveSec")
    name = Path(found.timer).name
    started = [
        command
        for command in found.runcmd
        if re.match(r"systemctl (enable --now|start) ", command) and name in command.split()
    ]
    assert started, f"{module.name}: cloud-init never starts {name}"
    if "enable" in started[0]:
        assert found.timer_settings.get("WantedBy") == ["timers.target"]
    # The download is renamed over the report inside the mounted directory.
    assert "mktemp --tmpdir=" in found.script and "mv --force" in found.script
    outputs = {label: body for _, label, body in blocks(module, "output")}
    assert "drift_report_uri" in outputs, f"{module.name} has no output drift_report_uri"
    assert outputs["drift_report_uri"].get("description")
    value = expand_locals(module, outputs["drift_report_uri"]["value"])
    assert value.startswith(DRIFT_REPORT_SCHEMES[answers["cloud_provider"]])
    assert value.endswith("/drift.json")


# Stand-ins for the clouds' clients: the report is $STUB_REPORT if that file exists; $STUB_FAIL
# makes the storage service refuse the request.
DRIFT_STUBS = {
    "aws": """#!/bin/bash
if [[ $1 == s3api ]]; then
  [[ -z ${STUB_FAIL:-} ]] || { echo "An error occurred (AccessDenied)" >&2; exit 254; }
  while [[ $# -gt 0 ]]; do [[ $1 == --prefix ]] && prefix=$2; shift; done
  if [[ -f $STUB_REPORT ]]; then echo "$prefix"; else echo None; fi
elif [[ $1 == s3 && $2 == cp ]]; then
  cp "$STUB_REPORT" "${@: -1}"
else
  exit 2
fi
""",
    "curl": """#!/bin/bash
while [[ $# -gt 0 ]]; do [[ $1 == --output ]] && out=$2; shift; done
if [[ -n ${STUB_FAIL:-} ]]; then echo "<Error>denied</Error>" >"$out"; printf 403
elif [[ -f $STUB_REPORT ]]; then cp "$STUB_REPORT" "$out"; printf 200
else echo "<Error>not found</Error>" >"$out"; printf 404
fi
""",
    "gcloud": "#!/bin/bash\necho token\n",
    "managed-identity-token": "#!/bin/bash\necho token\n",
}


@pytest.mark.parametrize("answers", IAAS_VARIANTS, ids=variant_id)
def test_iaas_drift_report_download_tolerates_no_report_and_replaces_it_atomically(
    projects: dict[str, Path], answers: dict[str, str], tmp_path: Path
) -> None:
    module = projects[variant_id(answers)] / "deploy" / IAAS_MODULES[answers["cloud_provider"]]
    found = drift_download(module)
    # The directory the script writes to: the host's, or its mount in the fetch container.
    inside = [spec[1] for spec in docker_run_options(found.fetch)[1] if spec[0] == found.host_dir]
    written = inside[0] if inside else found.host_dir
    drift = tmp_path / "drift"
    drift.mkdir()
    script = tmp_path / "drift-report"
    where = re.compile(rf"(?<![\w/]){re.escape(written)}(?![\w.-])")
    script.write_text(where.sub(str(drift), found.script))
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, content in DRIFT_STUBS.items():
        (stubs / name).write_text(content)
        (stubs / name).chmod(0o755)
    report = tmp_path / "uploaded.json"
    env = {**os.environ, "PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}"}
    env["STUB_REPORT"] = str(report)

    def fetch(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(script)], env={**env, **extra}, capture_output=True, text=True
        )

    # Before the first retrain run: a log line, success, nothing written.
    first = fetch()
    assert first.returncode == 0, first.stderr
    assert "No drift report" in first.stdout
    assert not list(drift.iterdir())
    # The store refusing access is an error, and leaves no temporary file behind.
    report.write_text('{"drift_detected": false}\n')
    refused = fetch(STUB_FAIL="1")
    assert refused.returncode != 0
    assert not list(drift.iterdir())
    # A report replaces the file in one rename, readable by the service's user.
    assert fetch().returncode == 0
    assert [path.name for path in drift.iterdir()] == ["drift.json"]
    assert (drift / "drift.json").read_text() == report.read_text()
    assert (drift / "drift.json").stat().st_mode & 0o777 == 0o644
    # An unchanged report keeps its modification time: the service does not parse it again.
    os.utime(drift / "drift.json", ns=(1_000_000_000, 1_000_000_000))
    assert fetch().returncode == 0
    assert (drift / "drift.json").stat().st_mtime_ns == 1_000_000_000
    report.write_text('{"drift_detected": true}\n')
    assert fetch().returncode == 0
    assert (drift / "drift.json").read_text() == report.read_text()
    assert [path.name for path in drift.iterdir()] == ["drift.json"]


# Azure VMs: every minute each VM turns the service's request histogram into custom metrics of its
# scale set (cloud-init's predict-metrics), which the latency alert watches.

AZURE_VM = {"hosting_model": "iaas", "cloud_provider": "azure", "ci_provider": "github"}
SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"
SCALE_SET_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-demand-forecast-staging"
    "/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-demand-forecast-staging"
)
CLIENT_ID = "11111111-2222-4333-8444-555555555555"
MONITOR_TOKEN = "eyJ0eXAiOiJKV1QiLCJtb25pdG9yaW5nIjp0cnVlfQ.monitoring"
# The buckets of http_request_duration_seconds that the hand computations below assume.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
PREDICT_METRICS = {
    "PredictRequests",
    "PredictServerErrors",
    "PredictLatencyP95Ms",
    "PredictLatencyMs",
}


def duration_buckets(root: Path) -> tuple[float, ...]:
    """The buckets the service's metrics.py declares for http_request_duration_seconds."""
    (source,) = root.glob("src/*/metrics.py")
    declaration = re.search(
        r"HTTP_DURATION = Histogram\((.*?)\n\)", source.read_text(), flags=re.DOTALL
    )
    assert declaration, "metrics.py declares no HTTP_DURATION histogram"
    assert '"http_request_duration_seconds"' in declaration[1]
    assert '["method", "route", "status"]' in declaration[1]
    buckets = re.search(r"buckets=(\([^)]*\))", declaration[1])
    assert buckets, "HTTP_DURATION has no explicit buckets"
    return tuple(ast.literal_eval(buckets[1]))


def exposition(observations: dict[tuple[str, str, str], list[float]]) -> str:
    """/metrics of the service (Prometheus text format) after these request durations, in seconds,
    per (method, route, status), plus series of other metrics that must be ignored."""
    lines = [
        "# HELP http_requests_total HTTP requests by method, route template and status code.",
        "# TYPE http_requests_total counter",
        "# HELP http_request_duration_seconds Time to answer an HTTP request.",
        "# TYPE http_request_duration_seconds histogram",
    ]
    for (method, route, status), values in observations.items():
        labels = f'method="{method}",route="{route}",status="{status}"'
        lines.append(f"http_requests_total{{{labels}}} {float(len(values))}")
        for bound in (*DURATION_BUCKETS, math.inf):
            le = "+Inf" if math.isinf(bound) else str(float(bound))
            count = sum(value <= bound for value in values)
            lines.append(
                f'http_request_duration_seconds_bucket{{le="{le}",{labels}}} {float(count)}'
            )
        lines.append(f"http_request_duration_seconds_count{{{labels}}} {float(len(values))}")
        lines.append(f"http_request_duration_seconds_sum{{{labels}}} {sum(values)!r}")
    lines.append('model_info{trained_at="2024-06-01T00:00:00+00:00",version="1"} 1.0')
    return "\n".join(lines) + "\n"


@dataclass
class FakeAzure:
    """The service's /metrics, IMDS and Azure Monitor's ingestion endpoint on one local server."""

    metrics: str = ""
    metrics_status: int = 200
    ingest_status: int = 200
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/metrics":
                    self.answer(fake.metrics_status, fake.metrics.encode(), "text/plain")
                elif url.path == "/metadata/identity/oauth2/token":
                    query = parse_qs(url.query)
                    fake.token_requests.append(
                        {"query": query, "metadata": self.headers["Metadata"]}
                    )
                    if self.headers["Metadata"] != "true":
                        self.answer(400, b'{"error": "invalid_request"}')
                        return
                    # The identity's token for Azure Monitor; any other request gets another one.
                    wanted = {
                        "resource": ["https://monitoring.azure.com/"],
                        "client_id": [CLIENT_ID],
                    }
                    right = all(query.get(name) == value for name, value in wanted.items())
                    token = MONITOR_TOKEN if right else "a-token-for-something-else"
                    body = {"access_token": token, "expires_in": "86399", "token_type": "Bearer"}
                    self.answer(200, json.dumps(body).encode())
                else:
                    self.answer(404, b"{}")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.posts.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body.decode()}
                )
                failed = fake.ingest_status != 200
                self.answer(fake.ingest_status, b'{"error": "unavailable"}' if failed else b"")

        return Handler


@pytest.fixture
def fake_azure() -> Iterator[tuple[FakeAzure, str]]:
    fake = FakeAzure()
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def azure_vm_module(projects: dict[str, Path]) -> Path:
    return projects[variant_id(AZURE_VM)] / "deploy" / "azure-vm"


def module_locals(module: Path) -> dict[str, Any]:
    return {
        name: value
        for path in sorted(module.glob("*.tf"))
        for block in load(path).get("locals", [])
        for name, value in block.items()
    }


@dataclass
class PredictMetrics:
    """The rendered predict-metrics script, its units, and a way to run it against fakes."""

    script: Path
    files: dict[str, str]
    runcmd: list[str]
    env: dict[str, str]
    state: Path

    def run(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(self.script)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )


def predict_metrics(module: Path, tmp_path: Path, base_url: str) -> PredictMetrics:
    config = cloud_init(
        module,
        {
            "port": "8000",
            "identity_clientid": CLIENT_ID,
            "metrics_region": "westeurope",
            "metrics_resource_id": SCALE_SET_ID,
            "metrics_namespace": module_locals(module)["metric_namespace"],
        },
    )
    files = {entry["path"]: entry.get("content", "") for entry in config["write_files"]}
    script = tmp_path / "predict-metrics"
    script.write_text(files["/usr/local/bin/predict-metrics"])
    state = tmp_path / "state"
    state.mkdir()
    env = {
        name: value
        for name, value in os.environ.items()
        if name.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env.update(
        SERVICE_METRICS_URL=f"{base_url}/metrics",
        IMDS_ENDPOINT=base_url,
        MONITOR_INGESTION_ENDPOINT=base_url,
        STATE_DIRECTORY=str(state),
        NO_PROXY="127.0.0.1",
    )
    return PredictMetrics(script, files, config["runcmd"], env, state / "state.json")


def published(fake: FakeAzure) -> dict[str, dict[str, Any]]:
    """metric -> its data point in the last post, after checking the post against the documented
    contract of custom metrics ingestion (one JSON document per line of an x-ndjson body)."""
    post = fake.posts[-1]
    assert post["path"] == f"{SCALE_SET_ID}/metrics"
    assert post["headers"]["Content-Type"] == "application/x-ndjson"
    assert post["headers"]["Authorization"] == f"Bearer {MONITOR_TOKEN}"
    points: dict[str, dict[str, Any]] = {}
    for line in post["body"].splitlines():
        document = json.loads(line)
        assert set(document) == {"time", "data"}
        stamp = datetime.strptime(document["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs((datetime.now(UTC) - stamp).total_seconds()) < 120
        assert set(document["data"]) == {"baseData"}
        base = document["data"]["baseData"]
        assert set(base) == {"metric", "namespace", "dimNames", "series"}
        assert base["dimNames"] == ["Instance"]
        (series,) = base["series"]
        assert set(series) == {"dimValues", "min", "max", "sum", "count"}
        assert len(series["dimValues"]) == len(base["dimNames"]) and all(series["dimValues"])
        assert isinstance(series["count"], int) and series["count"] >= 1
        for name in ("min", "max", "sum"):
            assert isinstance(series[name], int | float) and series[name] >= 0, (base, name)
        assert series["min"] <= series["sum"] / series["count"] <= series["max"]
        assert base["metric"] not in points, f"{base['metric']} posted twice"
        points[base["metric"]] = {**series, "namespace": base["namespace"]}
    assert set(points) <= PREDICT_METRICS
    return points


PREDICT = ("POST", "/predict")
NOISE = {("GET", "/ready", "200"): [0.001] * 5, ("GET", "/metrics", "200"): [0.002] * 3}


def test_azure_vms_publish_predict_latency_that_the_latency_alert_watches(
    projects: dict[str, Path],
) -> None:
    module = azure_vm_module(projects)
    assert duration_buckets(projects[variant_id(AZURE_VM)]) == DURATION_BUCKETS
    found = {(kind, name): body for kind, name, body in resources(module)}
    known = module_locals(module)
    scale_set = found[("azurerm_linux_virtual_machine_scale_set", "service")]
    # The id the VMs publish to is the scale set's, built without a reference to it (a cycle).
    assert scale_set["name"] == "${local.scale_set_name}"
    assert expand_locals(module, known["scale_set_id"]) == (
        "/subscriptions/${var.subscription_id}/resourceGroups/${azurerm_resource_group.main.name}"
        "/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-${var.name}-${var.environment}"
    )
    postconditions = scale_set["lifecycle"][0]["postcondition"]
    assert any("local.scale_set_id" in check["condition"] for check in postconditions)
    compute = (module / "compute.tf").read_text()
    assert re.search(r"metrics_resource_id\s*=\s*local\.scale_set_id\n", compute)
    assert re.search(r"metrics_region\s*=\s*azurerm_resource_group\.main\.location\n", compute)
    assert re.search(r"metrics_namespace\s*=\s*local\.metric_namespace\n", compute)
    # The VMs' identity may publish metrics of the scale set.
    assert any(
        kind == "azurerm_role_assignment"
        and body["role_definition_name"] == "Monitoring Metrics Publisher"
        and body["scope"] == "${azurerm_linux_virtual_machine_scale_set.service.id}"
        and body["principal_id"] == "${azurerm_user_assigned_identity.vm.principal_id}"
        for (kind, _), body in found.items()
    )
    # The latency alert watches the published p95 of /predict, not the availability test of /ready.
    alerts = [
        body
        for (kind, _), body in found.items()
        if kind == "azurerm_monitor_metric_alert"
        and body["criteria"][0]["metric_namespace"] == "${local.metric_namespace}"
    ]
    (alert,) = alerts
    criteria = alert["criteria"][0]
    assert alert["scopes"] == ["${azurerm_linux_virtual_machine_scale_set.service.id}"]
    assert criteria["metric_name"] == "PredictLatencyP95Ms"
    assert criteria["threshold"] == "${var.latency_threshold_ms}"
    assert criteria["operator"] == "GreaterThan"
    assert criteria["skip_metric_validation"] is True
    assert "availabilityResults/duration" not in (module / "monitoring.tf").read_text()
    assert "ready-failing" in (module / "monitoring.tf").read_text()


def test_azure_vm_predict_metrics_run_every_minute_against_the_real_endpoints(
    projects: dict[str, Path], tmp_path: Path
) -> None:
    found = predict_metrics(azure_vm_module(projects), tmp_path, "http://unused")
    text = found.files["/usr/local/bin/predict-metrics"]
    assert text.startswith("#!/usr/bin/python3\n")
    # Without the test's environment, the script talks to the documented endpoints only.
    assert 'os.environ.get("SERVICE_METRICS_URL", "http://127.0.0.1:8000/metrics")' in text
    assert 'os.environ.get("IMDS_ENDPOINT", "http://169.254.169.254")' in text
    assert (
        'os.environ.get("MONITOR_INGESTION_ENDPOINT", "https://westeurope.monitoring.azure.com")'
        in text
    )
    assert f'RESOURCE_ID = "{SCALE_SET_ID}"' in text
    unit = unit_settings(found.files["/etc/systemd/system/predict-metrics.service"])
    assert unit["ExecStart"] == ["/usr/local/bin/predict-metrics"]
    assert unit["StateDirectory"] == ["predict-metrics"]
    assert "Environment" not in unit and "EnvironmentFile" not in unit
    timer = unit_settings(found.files["/etc/systemd/system/predict-metrics.timer"])
    assert timer["OnUnitActiveSec"] == ["1min"] and timer["AccuracySec"] == ["1s"]
    assert timer["WantedBy"] == ["timers.target"]
    assert any(
        command.startswith("systemctl enable --now ") and "predict-metrics.timer" in command.split()
        for command in found.runcmd
    )


def test_azure_vm_predict_metrics_publish_the_interval_p95_average_and_counts(
    projects: dict[str, Path], tmp_path: Path, fake_azure: tuple[FakeAzure, str]
) -> None:
    fake, base_url = fake_azure
    module = azure_vm_module(projects)
    found = predict_metrics(module, tmp_path, base_url)
    before = {**NOISE, (*PREDICT, "200"): [0.003] * 10}
    fake.metrics = exposition(before)
    # The first reading is the baseline: nothing to publish yet.
    first = found.run()
    assert first.returncode == 0, first.stderr
    assert not fake.posts and found.state.exists()
    # In the next minute: 20 successful predictions, 3 rejected (422) and 2 failed (500).
    fake.metrics = exposition(
        {
            **NOISE,
            ("GET", "/ready", "200"): [0.001] * 9,
            (*PREDICT, "200"): [0.003] * 10 + [0.02] * 10 + [0.07] * 8 + [0.3] * 2,
            (*PREDICT, "422"): [0.001] * 3,
            (*PREDICT, "500"): [1.5] * 2,
        }
    )
    second = found.run()
    assert second.returncode == 0, second.stderr
    assert len(fake.posts) == 1
    points = published(fake)
    assert {point["namespace"] for point in points.values()} == {
        module_locals(module)["metric_namespace"]
    }
    assert points["PredictRequests"]["sum"] == 25
    assert isinstance(points["PredictRequests"]["sum"], int)
    assert isinstance(points["PredictRequests"]["sum"], int)
    assert points["PredictServerErrors"]["sum"] == 2
    # By hand, over the 20 successes of the interval: the 19th (0.95 * 20) lies in the bucket
    # (0.25, 0.5] holding the 19th and 20th, so p95 = 0.25 + 0.25 * (19 - 18) / 2 = 0.375 s.
    assert points["PredictLatencyP95Ms"]["sum"] == pytest.approx(375.0)
    assert points["PredictLatencyP95Ms"]["count"] == 1
    # Average: (10 * 0.02 + 8 * 0.07 + 2 * 0.3) / 20 = 0.068 s; fastest bucket (0.01, 0.025],
    # slowest (0.25, 0.5].
    latency = points["PredictLatencyMs"]
    assert latency["count"] == 20
    assert latency["sum"] / latency["count"] == pytest.approx(68.0)
    assert (latency["min"], latency["max"]) == (pytest.approx(10.0), pytest.approx(500.0))
    # One token, from IMDS, of the user-assigned identity for Azure Monitor.
    (request,) = fake.token_requests
    assert request["metadata"] == "true"
    assert request["query"] == {
        "api-version": ["2018-02-01"],
        "resource": ["https://monitoring.azure.com/"],
        "client_id": [CLIENT_ID],
    }


def test_azure_vm_predict_metrics_skip_restarts_and_publish_no_latency_when_idle(
    projects: dict[str, Path], tmp_path: Path, fake_azure: tuple[FakeAzure, str]
) -> None:
    fake, base_url = fake_azure
    found = predict_metrics(azure_vm_module(projects), tmp_path, base_url)
    fake.metrics = exposition({**NOISE, (*PREDICT, "200"): [0.003] * 50, (*PREDICT, "500"): [0.2]})
    assert found.run().returncode == 0
    # The service restarted: its counters start again from zero, and its 500 series is gone.
    fake.metrics = exposition({**NOISE, (*PREDICT, "200"): [0.003] * 3})
    restarted = found.run()
    assert restarted.returncode == 0, restarted.stderr
    assert not fake.posts, "a counter reset published a (negative) interval"
    # From the new baseline on, the increase is published again.
    fake.metrics = exposition({**NOISE, (*PREDICT, "200"): [0.003] * 3 + [0.004] * 2})
    assert found.run().returncode == 0
    points = published(fake)
    assert points["PredictRequests"]["sum"] == 2
    assert points["PredictLatencyMs"]["count"] == 2
    assert 0 < points["PredictLatencyP95Ms"]["sum"] <= 5.0
    # A minute without requests: counts of 0, and no latency the alert could fire on.
    assert found.run().returncode == 0
    assert len(fake.posts) == 2
    points = published(fake)
    assert set(points) == {"PredictRequests", "PredictServerErrors"}
    assert points["PredictRequests"]["sum"] == points["PredictServerErrors"]["sum"] == 0
    # Only rejected requests (4xx): counted, but no latency either.
    fake.metrics = exposition(
        {**NOISE, (*PREDICT, "200"): [0.003] * 3 + [0.004] * 2, (*PREDICT, "422"): [0.001]}
    )
    assert found.run().returncode == 0
    points = published(fake)
    assert set(points) == {"PredictRequests", "PredictServerErrors"}
    assert points["PredictRequests"]["sum"] == 1


def test_azure_vm_predict_metrics_fail_without_touching_the_state_and_catch_up(
    projects: dict[str, Path], tmp_path: Path, fake_azure: tuple[FakeAzure, str]
) -> None:
    fake, base_url = fake_azure
    found = predict_metrics(azure_vm_module(projects), tmp_path, base_url)
    fake.metrics = exposition({(*PREDICT, "200"): [0.003] * 10})
    assert found.run().returncode == 0
    baseline = found.state.read_bytes()
    # Azure Monitor refuses the post: an error, and the baseline stays.
    fake.metrics = exposition({(*PREDICT, "200"): [0.003] * 10 + [0.02] * 4})
    fake.ingest_status = 503
    refused = found.run()
    assert refused.returncode != 0
    assert "503" in refused.stderr
    assert found.state.read_bytes() == baseline
    # The service's /metrics cannot be read: an error too.
    fake.metrics_status = 500
    unreadable = found.run()
    assert unreadable.returncode != 0
    assert found.state.read_bytes() == baseline
    assert sorted(path.name for path in found.state.parent.iterdir()) == ["state.json"]
    # Once both answer again, the next run publishes everything since the baseline.
    fake.metrics_status, fake.ingest_status = 200, 200
    fake.metrics = exposition({(*PREDICT, "200"): [0.003] * 10 + [0.02] * 4 + [0.07] * 2})
    recovered = found.run()
    assert recovered.returncode == 0, recovered.stderr
    points = published(fake)
    assert points["PredictRequests"]["sum"] == 6
    assert points["PredictLatencyMs"]["count"] == 6
    assert found.state.read_bytes() != baseline
    json.loads(found.state.read_text())
