"""Apply copier.yml's path rules to the new project and record its answers for `copier update`.

The plan was worked out from copier.yml as Cookiecutter rendered this script (`template_rules`).
"""

import json
import sys
from pathlib import Path

TEMPLATE_ROOT = Path(r"""{{ template_root() }}""")
PLAN = json.loads(r"""{{ cookiecutter | post_generation_plan | tojson }}""")

sys.path.insert(0, str(TEMPLATE_ROOT))
from hooks.project_paths import apply  # noqa: E402

sys.exit(apply(PLAN, Path.cwd()))
