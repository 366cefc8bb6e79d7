"""Fixtures shared by the template tests."""

from pathlib import Path

import pytest

from tests.template import snapshot


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tagged (v1) git snapshot of the template's working tree."""
    return snapshot(tmp_path_factory.mktemp("template"))
