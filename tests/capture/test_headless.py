"""Tracked cells run headless under nbclient, as papermill and CI run notebooks."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from jupyter_artifacts.store import Store


def execute(cells: list[str], cwd: Path) -> tuple[object, Store]:
    """Run ``%load_ext`` then ``cells`` in a fresh kernel; the executed notebook and its store."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in ["%load_ext jupyter_artifacts", *cells]]
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb, Store.open(cwd / ".artifacts")


@pytest.mark.usefixtures("store_dir")
def test_run_execution_count_is_the_cells(tmp_path: Path) -> None:
    nb, store = execute(["x = 1", "%%track first\ny = x + 1", "z = 3", "%%track second\nw = z * 2"],
                        tmp_path)
    cells = {c.source.splitlines()[0].split()[-1]: c for c in nb.cells if c.source.startswith("%%track")}
    for name in ("first", "second"):
        assert store.get_run(name).execution_count == cells[name].execution_count
    store.close()
