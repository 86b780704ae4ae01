"""Shared fixtures: a real store in a temporary folder, and no leakage between tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_artifacts import tracking
from jupyter_artifacts.store import ENV_VAR, Store

# pytest reads `pytest_plugins` only in the top conftest: tests/server uses jp_fetch & co.
pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's store, another test's default store or active run."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    tracking.set_default_store(None)
    yield
    tracking._stack.clear()
    tracking.set_default_store(None)


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The store folder that discovery finds (for kernels and subprocesses too)."""
    path = tmp_path / ".artifacts"
    monkeypatch.setenv(ENV_VAR, str(path))
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store, also the default store of the API."""
    s = Store.open(tmp_path / ".artifacts")
    tracking.set_default_store(s)
    yield s
    s.close()
