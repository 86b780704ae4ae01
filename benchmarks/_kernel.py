"""Timing cells in a real kernel under nbclient: per-cell times from nbclient's own records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient


def cell_seconds(cell: Any) -> float | None:
    """From the kernel receiving the cell to its execute_reply (our hooks included)."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = dt.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def run_cells(sources: list[str], cwd: Path, timeout: int = 600) -> Any:
    """Execute ``sources`` as a fresh notebook in a python3 kernel; returns the notebook."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    return run_notebook(nb, cwd, timeout)


def run_notebook(nb: Any, cwd: Path, timeout: int = 600) -> Any:
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb
