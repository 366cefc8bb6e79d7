"""What the Cookiecutter post-generation hook does to the new project, with the standard library.

The hook's plan (paths to delete, answers file to write) is worked out from copier.yml by
`template_rules` while Cookiecutter renders the hook, in Cookiecutter's own process, so the hook's
process starts without importing Jinja or YAML.
"""

from __future__ import annotations

import fnmatch
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def matches(relpath: str, pattern: str) -> bool:
    """Gitignore-style matching of the simple patterns used in `_exclude`."""
    pattern = pattern.rstrip("/")
    if "/" in pattern:
        return fnmatch.fnmatchcase(relpath, pattern.lstrip("/"))
    return any(fnmatch.fnmatchcase(part, pattern) for part in relpath.split("/"))


def remove_excluded(project_dir: Path, patterns: list[str]) -> None:
    """Delete every path under project_dir that an `_exclude` pattern matches."""
    for path in sorted(project_dir.rglob("*"), reverse=True):
        if not path.exists() and not path.is_symlink():
            continue
        relpath = path.relative_to(project_dir).as_posix()
        if any(matches(relpath, pattern) for pattern in patterns):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def apply(plan: Mapping[str, Any], project_dir: Path) -> int:
    """Drop the paths of other answers and write the answers file for `copier update`."""
    remove_excluded(project_dir, plan["exclude"])
    if plan["warning"]:
        print(f"warning: {plan['warning']}", file=sys.stderr)
    name, content = plan["answers_file"]
    (project_dir / name).write_text(content)
    return 0
