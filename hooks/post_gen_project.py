"""Apply copier.yml's path rules to the new project and record its answers for `copier update`."""

import json
import sys
from pathlib import Path

TEMPLATE_ROOT = Path(r"""{{ template_root() }}""")
COOKIECUTTER = json.loads(r"""{{ cookiecutter | tojson }}""")

sys.path.insert(0, str(TEMPLATE_ROOT))
from hooks.template_rules import post_gen  # noqa: E402

sys.exit(post_gen(COOKIECUTTER, TEMPLATE_ROOT, Path.cwd()))
