"""`copier update` on real git repositories: template upgrades and hosting-model migrations."""

import shutil
from pathlib import Path

import copier
import pytest

from tests.template import (
    HOSTING_VARIANTS,
    commit_all,
    git,
    render_cookiecutter,
    render_copier,
    snapshot,
    tree,
    variant_id,
    without_commit,
)

pytestmark = pytest.mark.slow

PACKAGE = "src/demand_forecast"
USER_FUNCTION = (
    '\n\ndef weekly_total(units: list[int]) -> int:\n    """Team code."""\n    return sum(units)\n'
)
TEMPLATE_TARGET = (
    "\nclean: ## Remove build and test caches\n\trm -rf .pytest_cache .ruff_cache dist\n"
)
README_LINE = "make test                     # pytest: data, training quality floor, API behaviour"


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template repository with tags v1 (the working tree) and v2 (a later improvement)."""
    template = snapshot(tmp_path_factory.mktemp("versioned"))
    project_dir = template / "{{cookiecutter.project_slug}}"
    with (project_dir / "Makefile").open("a") as makefile:
        makefile.write(TEMPLATE_TARGET)
    readme = project_dir / "README.md"
    readme.write_text(readme.read_text().replace(README_LINE, README_LINE + " (verbose)"))
    commit_all(template, "Template v2")
    git("tag", "v2", cwd=template)
    git("checkout", "--quiet", "v1", cwd=template)
    return template


def generate(engine: str, template: Path, destination: Path, answers: dict) -> Path:
    """A project generated at template v1 and committed, as a team would start."""
    if engine == "cookiecutter":
        project = render_cookiecutter(template, destination, answers)
    else:
        project = render_copier(template, destination / "project", answers)
    commit_all(project, "Generated project", init=True)
    return project


def edit(project: Path, relpath: str, change) -> None:
    path = project / relpath
    path.write_text(change(path.read_text()))


def update(project: Path, vcs_ref: str = "v2", **data: str) -> None:
    """`copier update --trust --defaults`: the trust is for the keep-edited-files migration."""
    copier.run_update(
        project, data=data, defaults=True, overwrite=True, quiet=True, vcs_ref=vcs_ref, unsafe=True
    )


@pytest.mark.parametrize("engine", ["cookiecutter", "copier"])
def test_update_right_after_generation_changes_nothing(
    versions: Path, tmp_path: Path, engine: str
) -> None:
    project = generate(engine, versions, tmp_path, {})
    update(project, vcs_ref="v1")
    assert git("status", "--porcelain", cwd=project) == ""


def test_update_of_a_cookiecutter_project_from_an_untagged_template_changes_nothing(
    tmp_path: Path,
) -> None:
    template = tmp_path / "untagged"
    shutil.copytree(snapshot(tmp_path / "tagged"), template)
    git("tag", "--delete", "v1", cwd=template)
    project = generate("cookiecutter", template, tmp_path, {})
    update(project, vcs_ref="HEAD")
    assert git("status", "--porcelain", cwd=project) == ""


@pytest.mark.parametrize("engine", ["cookiecutter", "copier"])
@pytest.mark.parametrize("hosting", HOSTING_VARIANTS, ids=variant_id)
def test_upgrade_keeps_user_edits_and_equals_fresh_copy_plus_edits(
    versions: Path, tmp_path: Path, engine: str, hosting: dict
) -> None:
    project = generate(engine, versions, tmp_path, hosting)
    edit(project, f"{PACKAGE}/data.py", lambda text: text + USER_FUNCTION)
    commit_all(project, "Team code")

    update(project)

    fresh = render_copier(versions, tmp_path / "fresh", hosting, vcs_ref="v2")
    edit(fresh, f"{PACKAGE}/data.py", lambda text: text + USER_FUNCTION)
    assert tree(project) == tree(fresh)
    assert TEMPLATE_TARGET in (project / "Makefile").read_text()


@pytest.mark.parametrize("engine", ["cookiecutter", "copier"])
def test_overlapping_edit_gives_conflict_markers(
    versions: Path, tmp_path: Path, engine: str
) -> None:
    project = generate(engine, versions, tmp_path, {})
    edit(project, "README.md", lambda text: text.replace(README_LINE, README_LINE + " (ours)"))
    commit_all(project, "Team README")

    update(project)

    readme = (project / "README.md").read_text()
    assert "<<<<<<< before updating" in readme
    assert README_LINE + " (ours)" in readme
    assert README_LINE + " (verbose)" in readme


MIGRATIONS = [
    (source, target)
    for source in HOSTING_VARIANTS
    for target in HOSTING_VARIANTS
    if source != target
]


@pytest.mark.parametrize(
    ("source", "target"),
    MIGRATIONS,
    ids=[f"{variant_id(s)}-to-{variant_id(t)}" for s, t in MIGRATIONS],
)
def test_hosting_migration_equals_fresh_target_plus_user_edits(
    versions: Path, tmp_path: Path, source: dict, target: dict
) -> None:
    project = generate("copier", versions, tmp_path, source)
    edit(project, f"{PACKAGE}/data.py", lambda text: text + USER_FUNCTION)
    edit(project, "tests/test_data.py", lambda text: text.replace("seed=7", "seed=11"))
    commit_all(project, "Team code")

    update(project, vcs_ref="v1", **target)

    fresh = render_copier(versions, tmp_path / "fresh", target)
    edit(fresh, f"{PACKAGE}/data.py", lambda text: text + USER_FUNCTION)
    edit(fresh, "tests/test_data.py", lambda text: text.replace("seed=7", "seed=11"))
    assert without_commit(tree(project)) == without_commit(tree(fresh))
    leftovers = [name for name in tree(project) if name.endswith((".rej", ".orig"))]
    assert leftovers == []


@pytest.mark.parametrize(
    ("source", "target"),
    list(zip(HOSTING_VARIANTS, HOSTING_VARIANTS[1:] + HOSTING_VARIANTS[:1], strict=True)),
    ids=variant_id,
)
def test_migration_keeps_an_edited_file_of_the_old_hosting_model(
    versions: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], source: dict, target: dict
) -> None:
    project = generate("copier", versions, tmp_path, source)
    (script,) = (
        path.relative_to(project).as_posix() for path in project.glob("deploy/*/deploy.sh")
    )
    edit(project, script, lambda text: text + "# Team: keep the GPU host pinned\n")
    commit_all(project, "Team deploy change")
    edited = (project / script).read_text()

    update(project, vcs_ref="v1", **target)

    assert (project / script).read_text() == edited
    assert script in capfd.readouterr().err
    status = git("status", "--porcelain", cwd=project).splitlines()
    assert not any(script in line for line in status)
    assert (
        f"hosting_model: {target['hosting_model']}" in (project / ".copier-answers.yml").read_text()
    )


def test_update_without_trust_is_refused_before_touching_the_project(
    versions: Path, tmp_path: Path
) -> None:
    project = generate("copier", versions, tmp_path, {})
    with pytest.raises(copier.errors.UnsafeTemplateError, match="migrations"):
        copier.run_update(project, defaults=True, overwrite=True, quiet=True, vcs_ref="v2")
    assert git("status", "--porcelain", cwd=project) == ""
