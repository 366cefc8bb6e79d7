"""Reject invalid answers before Cookiecutter writes a file; the rules live in copier.yml."""

import json
import sys
from pathlib import Path

TEMPLATE_ROOT = Path(r"""{{ template_root() }}""")
COOKIECUTTER = json.loads(r"""{{ cookiecutter | tojson }}""")

sys.path.insert(0, str(TEMPLATE_ROOT))
from hooks.template_rules import pre_gen  # noqa: E402

sys.exit(pre_gen(COOKIECUTTER, TEMPLATE_ROOT))
