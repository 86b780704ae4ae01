"""The environment a run records: listed once, listed again after a package install."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_artifacts import environment, tracking
from jupyter_artifacts.environment import python_environment
from jupyter_artifacts.store import Store


def test_listing_is_reused_until_the_import_path_changes(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    first = python_environment()
    assert python_environment() is first
    (site / "newpkg-1.0.dist-info").mkdir()  # what `%pip install` does to the folder
    os.utime(site, ns=(0, os.stat(site).st_mtime_ns + 1_000_000_000))
    assert python_environment() is not first
    assert "pytest" in python_environment()["packages"]


def test_a_folder_without_metadata_is_skipped_with_importlib_metadata_loaded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("importlib_metadata")  # mlflow and opentelemetry import it: its finder raises
    site = tmp_path / "site-packages"
    (site / "halfway-1.0.dist-info").mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    assert "pytest" in python_environment()["packages"]


def test_runs_share_one_environment_row(store: Store) -> None:
    first, second = tracking.environment_id(store), tracking.environment_id(store)
    assert first == second
    assert store.catalog.scalar("SELECT COUNT(*) FROM environments") == 1
    assert store.environment(first)["python"] == sys.version.split()[0]  # type: ignore[index]


def test_a_file_written_in_the_working_directory_does_not_force_a_relisting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", ["", str(tmp_path), *sys.path])
    first = python_environment()
    (tmp_path / "predictions.csv").write_text("a\n1\n")  # what a notebook's cell does
    os.utime(tmp_path, ns=(0, os.stat(tmp_path).st_mtime_ns + 1_000_000_000))
    assert python_environment() is first


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own, and no listing held in memory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(environment, "_cached", None)
    return tmp_path / "cache"


def _no_listing() -> dict[str, Any]:
    raise AssertionError("listed the installed packages again")


def test_a_new_process_reads_the_listing_an_earlier_one_kept(cache_home: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    code = "from jupyter_artifacts.environment import python_environment; python_environment()"
    subprocess.run([sys.executable, "-c", code], check=True,
                   env={**os.environ, "XDG_CACHE_HOME": str(cache_home)})
    monkeypatch.setattr(environment, "_list_environment", _no_listing)
    assert environment.environment_ready()  # a kernel's first cell finds it at once
    assert "pytest" in python_environment()["packages"]


def test_a_changed_import_path_is_listed_again(cache_home: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    python_environment()
    monkeypatch.setattr(environment, "_cached", None)
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    assert not environment.environment_ready()
    assert "pytest" in python_environment()["packages"]


def test_a_damaged_listing_on_disk_is_listed_again(cache_home: Path) -> None:
    python_environment()
    (kept,) = (cache_home / "jupyter-artifacts" / "environments").iterdir()
    kept.write_text('{"python": "3", "platform": "x", "packages": {"evil": 1}}')
    environment._cached = None
    assert not environment.environment_ready()
    listing = python_environment()
    assert "pytest" in listing["packages"] and "evil" not in listing["packages"]


@given(text=st.one_of(st.text(), st.recursive(
    st.none() | st.booleans() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)).map(json.dumps)))
@settings(max_examples=100, deadline=None)
def test_any_file_in_the_cache_reads_as_a_listing_or_none(text: str) -> None:
    before = os.environ.get("XDG_CACHE_HOME")
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_CACHE_HOME"] = folder
        try:
            token = environment._site_token()
            path = environment._listing_file(token)
            path.parent.mkdir(parents=True)
            path.write_text(text)
            listing = environment._read_listing(token)
        finally:
            if before is None:
                del os.environ["XDG_CACHE_HOME"]
            else:
                os.environ["XDG_CACHE_HOME"] = before
    assert listing is None or all(isinstance(v, str) for v in listing["packages"].values())
