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


@pytest.mark.usefixtures("store_dir")
def test_the_cells_result_is_shown_and_recorded(tmp_path: Path) -> None:
    nb, store = execute(["import pandas as pd\ndf = pd.DataFrame({'a': [1, 2], 'b': ['x', 'y']})",
                         "%%track peek\ndf.head()", "%%track hush\ndf.head();"], tmp_path)
    peek, hush = nb.cells[2], nb.cells[3]
    shown = [o for o in peek.outputs if o.output_type == "execute_result"]
    assert len(shown) == 1 and shown[0].execution_count == peek.execution_count
    recorded = store.objects.read_bytes(store.resolve("peek/result").oid).decode()
    assert recorded == shown[0].data["text/html"]
    assert not [o for o in hush.outputs if o.output_type == "execute_result"]
    assert not [v for _, v in store.run_events("hush") if v.name.startswith("hush/")]
    store.close()
