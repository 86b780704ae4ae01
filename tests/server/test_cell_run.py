"""``GET cells/<cell_id>?notebook=PATH``: from a saved notebook's cell to its run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from .conftest import Fetch, body, validate


def _saved_notebook(root: Path, run_id: str) -> str:
    cell = new_code_cell("%%track train\nmodel.fit(X, y)")
    cell.outputs = [new_output("display_data", data={"text/plain": "train [run-1] ok"},
                               metadata={"jupyter_artifacts": {"run": run_id}})]
    other = new_code_cell("print('untracked')")
    (root / "nb").mkdir(exist_ok=True)
    nbformat.write(new_notebook(cells=[cell, other]), root / "nb" / "saved.ipynb")
    return str(cell.id)


async def test_a_cell_leads_to_its_run(api: Fetch, ids: dict[str, Any], jp_root_dir: Path) -> None:
    cell_id = _saved_notebook(jp_root_dir, ids["first"])
    detail = validate(body(await api(f"cells/{cell_id}?notebook=nb/saved.ipynb")), "run.json")
    assert detail["run"]["id"] == ids["first"]
    # A cell with no run, an unknown cell, no notebook, a path outside the root.
    assert (await api("cells/nope?notebook=nb/saved.ipynb")).code == 404
    assert (await api(f"cells/{cell_id}")).code == 400
    assert (await api(f"cells/{cell_id}?notebook=../outside.ipynb")).code == 400
    (jp_root_dir / "broken.ipynb").write_text("{not json")
    assert (await api(f"cells/{cell_id}?notebook=broken.ipynb")).code == 404
