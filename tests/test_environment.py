"""The environment a run records: listed once, listed again after a package install."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from jupyter_artifacts import tracking
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
