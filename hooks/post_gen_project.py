"""Remove the paths of other answers from the new project and write its answers file.

`template_rules` works out the plan from copier.yml as Cookiecutter renders this script, in
Cookiecutter's own process. The script imports only `os` and `sys`: it starts a new interpreter
on every generation, where importing `json`, `pathlib` and `shutil` takes longer than its work.
"""

import os
import sys

# Cookiecutter renders the line below into the literal of a dict (`template_rules`).
PLAN = {{cookiecutter | post_generation_plan}}  # noqa: F821


def remove(path: str) -> None:
    """Delete a file, or a directory and everything in it."""
    if os.path.isdir(path) and not os.path.islink(path):
        for entry in os.scandir(path):
            remove(entry.path)
        os.rmdir(path)
    else:
        os.remove(path)


for path in PLAN["remove"]:
    remove(path)
if PLAN["warning"]:
    print(f"warning: {PLAN['warning']}", file=sys.stderr)
name, content = PLAN["answers_file"]
with open(name, "w", encoding="utf-8") as answers:
    answers.write(content)
