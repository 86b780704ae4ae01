"""The first tracked cell finds its store and git state made ready when the extension loaded."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_artifacts import tracking
from jupyter_artifacts.capture import session as session_module
from jupyter_artifacts.store import ENV_VAR, Store
from tests.recording import record_calls

from .conftest import run


@pytest.fixture
def store_dir(store_dir: Path) -> Path:
    """A store that exists before the extension loads (a new one is made by the first cell)."""
    Store.open(store_dir).close()
    return store_dir


def _prepared_store() -> Store:
    assert tracking._prepared is not None, "loading the extension opened no store ahead"
    return tracking._prepared[1].result(timeout=30)


def test_the_first_tracked_cell_uses_the_store_opened_when_the_extension_loaded(
        shell: InteractiveShell, store_dir: Path) -> None:
    prepared = _prepared_store()
    run(shell, "%%track\nx = 1\n")
    assert tracking.default_store() is prepared
    assert [r.name for r in prepared.search_runs().runs] == ["x"]


def test_a_store_named_after_the_extension_loaded_is_the_one_used(
        shell: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = _prepared_store()
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv(ENV_VAR, str(elsewhere))  # what a notebook's first cell may do
    run(shell, "%%track\nx = 1\n")
    used = tracking.default_store()
    assert used is not prepared and used.root == elsewhere.resolve()
    assert [r.name for r in used.search_runs().runs] == ["x"]
    assert Store.open(prepared.root, readonly=True).search_runs().total == 0


def test_a_store_set_by_hand_wins_over_the_one_opened_ahead(shell: InteractiveShell,
                                                           tmp_path: Path) -> None:
    mine = Store.open(tmp_path / "mine")
    tracking.set_default_store(mine)
    run(shell, "%%track\nx = 1\n")
    assert [r.name for r in mine.search_runs().runs] == ["x"]


def test_git_is_asked_off_the_first_cell(store_dir: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    calls = record_calls(monkeypatch, session_module, "git_state")
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_artifacts")
    try:
        run(ip, "%%track\nx = 1\n")
        run(ip, "%%track\ny = 2\n")
    finally:
        ip.run_line_magic("unload_ext", "jupyter_artifacts")
        ip.reset(new_session=False)
    asked_on = [thread for thread, _ in calls]
    assert asked_on and threading.main_thread().name not in asked_on
    assert len(asked_on) == 1  # kept for the next cells too (refreshed after GIT_TTL)


def test_loading_the_extension_creates_no_store(tmp_path: Path) -> None:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_artifacts")
    try:
        assert tracking._prepared is None and not (tmp_path / ".artifacts").exists()
        run(ip, "%%track\nx = 1\n")
        assert (tmp_path / ".artifacts" / "catalog.sqlite").exists()
    finally:
        ip.run_line_magic("unload_ext", "jupyter_artifacts")
        ip.reset(new_session=False)


FIRST_CELL_IN_LAB = """
import json, os, sys
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
ip.run_line_magic("load_ext", "jupyter_artifacts")
ip.run_cell("%%track first\\nx = 1\\n", store_history=True)
from jupyter_artifacts import tracking
run = tracking.default_store().get_run("first")
print(json.dumps({"nbformat": "nbformat" in sys.modules, "jsonschema": "jsonschema" in sys.modules,
                  "notebook": run.metadata.get("notebook", {}).get("path")}))
"""


def test_the_notebook_a_kernel_runs_is_kept_without_importing_nbformat(tmp_path: Path) -> None:
    """JupyterLab tells the kernel its notebook; the first tracked cell stores that file.
    nbformat (with jsonschema) took 1.5-2 s to import on that cell: a JSON check does."""
    import json
    import os
    import sys

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nbformat.write(new_notebook(cells=[new_code_cell("%%track first\nx = 1")]),
                   tmp_path / "analysis.ipynb")
    env = {**os.environ, "JPY_SESSION_NAME": "analysis.ipynb", "MPLBACKEND": "agg",
           "JUPYTER_ARTIFACTS_DIR": str(tmp_path / ".artifacts")}
    out = subprocess.run([sys.executable, "-c", FIRST_CELL_IN_LAB], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"nbformat": False, "jsonschema": False,
                    "notebook": str((tmp_path / "analysis.ipynb").resolve())}
