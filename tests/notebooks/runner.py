"""Executing notebooks headless with nbclient, tracked or not, and normalising their outputs."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
# Warnings name the kernel's temp file for the cell (pid, hash of the code, line): a
# tracked cell has its own, so compare without them.
_CELL_FILE = re.compile(r"/tmp/ipykernel_\d+/\d+\.py:\d+")


def execute(nb: Any, cwd: Path, timeout: int = 300, record_timing: bool = False) -> Any:
    """Run every cell of ``nb`` in a fresh python3 kernel with ``cwd`` as working directory
    (``record_timing``: nbclient keeps each cell's message times in its metadata)."""
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=record_timing,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def tracked(nb: Any) -> Any:
    """A copy of ``nb`` with every code cell under ``%%track`` and the extension loaded first."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "code" and not cell.source.lstrip().startswith(("%", "!")):
            cell.source = "%%track\n" + cell.source
    out.cells.insert(0, nbformat.v4.new_code_cell("%load_ext jupyter_artifacts"))
    return out


def user_outputs(cell: Any) -> list[tuple[str, str]]:
    """A cell's outputs as the user sees them, without the tracker's own summary/live curve."""
    shown = []
    for output in cell.get("outputs", []):
        if output.get("metadata", {}).get("jupyter_artifacts"):
            continue
        kind = output["output_type"]
        if kind == "stream":
            # How a stream is cut into messages depends on flush timing: compare it joined.
            text = _CELL_FILE.sub("<cell>", _ADDRESS.sub("", output["text"]))
            name = f"stream:{output['name']}"
            if shown and shown[-1][0] == name:
                shown[-1] = (name, shown[-1][1] + text)
            else:
                shown.append((name, text))
        elif kind in ("display_data", "execute_result"):
            data = output["data"]
            body = "image" if "image/png" in data else _ADDRESS.sub("", str(data.get("text/plain", "")))
            shown.append((kind, body))
        elif kind == "error":
            shown.append(("error", output["ename"]))
    return shown


def images(nb: Any) -> int:
    return sum(body == "image" for cell in nb.cells for _, body in user_outputs(cell))
