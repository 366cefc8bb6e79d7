"""Copier migration task: bring back files an update deleted although the team had edited them.

Copier removes every file the previous answers generated and the new ones do not, even when the
team changed it (for example `deploy/compose/compose.yaml` when moving from on-prem to IaaS). This
task runs after `copier update`, while the project still holds the pre-update commit in `HEAD`:
it renders the previous template version with the previous answers, and restores from `HEAD`
every deleted file whose committed content differs from that pristine render.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import copier
import yaml

ANSWERS_FILE = ".copier-answers.yml"


def git(*args: str) -> bytes:
    return subprocess.run(["git", *args], capture_output=True, check=True).stdout


def deleted_files() -> list[str]:
    """Tracked files that the update removed from the working tree (paths relative to cwd)."""
    return git("ls-files", "--deleted", "-z").decode().split("\0")[:-1]


def previous_answers() -> dict:
    return yaml.safe_load(git("show", f"HEAD:./{ANSWERS_FILE}"))


def pristine_copy(answers: dict, destination: Path) -> Path:
    """The project as the previous template version generated it for the previous answers."""
    copier.run_copy(
        answers["_src_path"],
        destination,
        data={key: value for key, value in answers.items() if not key.startswith("_")},
        vcs_ref=answers["_commit"],
        defaults=True,
        quiet=True,
        skip_tasks=True,
        unsafe=True,
    )
    return destination


def edited(relpath: str, pristine: Path) -> bool:
    generated = pristine / relpath
    return not generated.is_file() or generated.read_bytes() != git("show", f"HEAD:./{relpath}")


def main() -> int:
    deleted = deleted_files()
    if not deleted:
        return 0
    with tempfile.TemporaryDirectory(prefix="keep-edited-") as scratch:
        pristine = pristine_copy(previous_answers(), Path(scratch) / "project")
        kept = [relpath for relpath in deleted if edited(relpath, pristine)]
    if kept:
        git("checkout", "HEAD", "--", *kept)
        print(
            "The new answers no longer generate these files, but you had changed them, so they "
            "were kept. Move what you still need, then delete them:",
            *(f"  {relpath}" for relpath in kept),
            sep="\n",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
