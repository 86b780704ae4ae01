"""From a notebook cell to its run: the run id its outputs carry, else the catalog's record."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import NotFoundError
from ..store import Run, Store

#: The output metadata key whose ``{"run": id}`` links a saved cell's output to its run.
MARK = "jupyter_artifacts"


def _run_ids_of(cell: Any) -> list[str]:
    ids = []
    for output in cell.get("outputs", []):
        mark = (output.get("metadata") or {}).get(MARK)
        if isinstance(mark, dict) and isinstance(mark.get("run"), str):
            ids.append(mark["run"])
    return ids


def _body(source: str) -> str:
    """A cell's code without its ``%%track`` lines (the code a run records)."""
    lines = source.splitlines(keepends=True)
    while lines and lines[0].startswith("%%track"):
        lines.pop(0)
    return "".join(lines)


def find_cell(notebook: str | os.PathLike[str], cell_id: str) -> Any:
    """The cell of ``notebook`` with this id (or this index, for old notebooks without ids)."""
    import nbformat

    try:
        nb = nbformat.read(os.fspath(notebook), as_version=4)
    except (OSError, ValueError) as exc:  # not JSON, not a notebook
        raise NotFoundError(f"{Path(notebook).name} is not a readable notebook ({exc})") from None
    for cell in nb.cells:
        if cell.get("id") == cell_id:
            return cell
    if cell_id.isdigit() and int(cell_id) < len(nb.cells):
        return nb.cells[int(cell_id)]
    raise NotFoundError(f"{notebook} has no cell {cell_id!r}")


def run_for_cell(notebook: str | os.PathLike[str], cell_id: str, *, store: Store | None = None) -> Run:
    """The run a notebook cell was recorded as: the one its saved outputs name, else the
    latest run of that notebook with this cell id or this cell's code."""
    if store is None:
        from .. import tracking

        store = tracking.default_store()
    path = Path(notebook)
    cell = find_cell(path, cell_id) if path.is_file() else None
    if cell is not None:
        for run_id in reversed(_run_ids_of(cell)):
            try:
                return store.get_run(run_id)
            except NotFoundError:
                continue  # recorded in another store
    code = _body(cell.source) if cell is not None else None
    page = store.query_runs(notebook=path.name, limit=1000)
    for run in page.runs:  # newest first
        if run.cell_id == cell_id or (code is not None and run.code == code):
            return run
    raise NotFoundError(f"no run of {path.name} was recorded for cell {cell_id!r}")
