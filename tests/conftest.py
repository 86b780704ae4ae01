"""Shared fixtures: a fresh store per test, a real IPython shell with the extension loaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_artifacts import tracking
from jupyter_artifacts.store import Store

# pytest reads `pytest_plugins` only in the top conftest: tests/server uses jp_fetch & co.
pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty store folder that the API and the kernel hooks use by default."""
    path = tmp_path / ".artifacts"
    monkeypatch.setenv("JUPYTER_ARTIFACTS_DIR", str(path))
    monkeypatch.chdir(tmp_path)
    tracking.set_default_store(None)
    yield path
    tracking.set_default_store(None)


@pytest.fixture
def store(store_dir: Path) -> Store:
    return tracking.default_store()
