"""What a run keeps for reproduction: the notebook document it ran in, and its namespace map.

The notebook file is read only when its size or modification time changed
since the last tracked cell, and stored as a ``notebook`` version, so each distinct content
is stored once. The run's metadata then says which version: ``{"notebook": {"version": id,
"path": ...}}``. A cell's cost is one ``stat`` when the file did not change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ArtifactsError

if TYPE_CHECKING:
    from ..store import Store
    from .cellrun import CellRun

#: Run metadata keys this module writes.
NOTEBOOK_KEY = "notebook"
NAMESPACE_KEY = "namespace"


def locate(path: str | None) -> Path | None:
    """The notebook file the kernel was told of: Jupyter gives a path relative to the
    server's root, and starts the kernel in the notebook's folder."""
    if not path or not path.endswith(".ipynb"):
        return None
    for candidate in (Path(path), Path.cwd() / path, Path.cwd() / Path(path).name):
        if candidate.is_file():
            return candidate.resolve()
    return None


class NotebookDocuments:
    """Remembers, per store and file, the notebook version its last read content became."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], tuple[int, int, str]] = {}

    def remember(self, store: Store, path: str | None) -> dict[str, str] | None:
        """The ``{"version", "path"}`` record of the notebook at ``path`` (None if unknown)."""
        found = locate(path)
        if found is None:
            return None
        st = found.stat()
        key = (str(store.root), str(found))
        seen = self._seen.get(key)
        if seen is not None and seen[:2] == (st.st_size, st.st_mtime_ns):
            return {"version": seen[2], "path": str(found)}
        version_id = _store_notebook(store, found)
        if version_id is None:
            return None
        self._seen[key] = (st.st_size, st.st_mtime_ns, version_id)
        return {"version": version_id, "path": str(found)}


def _store_notebook(store: Store, path: Path) -> str | None:
    from ..codecs import save_object

    try:
        if not is_notebook_document(path.read_bytes()):
            return None  # not a notebook: nothing to keep
    except OSError:
        return None
    version, _ = save_object(store, path, f"notebooks/{path.name}", kind="notebook")
    return version.id


def is_notebook_document(data: bytes) -> bool:
    """Whether ``data`` is a notebook file: JSON, an object with an integer ``nbformat``
    and a list of ``cells`` (or of ``worksheets``, as versions 2 and 3 had).

    Not ``nbformat`` itself: it imports jsonschema, 1.5-2 s of CPU that fell on the first
    tracked cell of every notebook opened in JupyterLab (the kernel knows its file there).
    The file is stored as it is; whoever loads it reads it with nbformat.
    """
    try:
        doc = json.loads(data)
    except ValueError:  # UnicodeDecodeError included
        return False
    if not isinstance(doc, dict) or type(doc.get("nbformat")) is not int:
        return False
    return isinstance(doc.get("cells"), list) or isinstance(doc.get("worksheets"), list)


def record_for_reproduction(cell: CellRun, documents: NotebookDocuments) -> None:
    """Put the namespace map and the notebook document on the run's metadata (in memory:
    the cost record written next saves them in the same catalog write)."""
    if cell.active is None:
        return
    metadata = cell.active.run.metadata
    metadata[NAMESPACE_KEY] = cell.namespace.as_metadata()
    try:
        doc = documents.remember(cell.store, cell.notebook)
    except (ArtifactsError, OSError, ValueError) as exc:
        cell.warn("notebook document not kept", exc)
        return
    if doc is not None:
        metadata[NOTEBOOK_KEY] = doc


def output_marker(run_id: str) -> dict[str, Any]:
    """The output metadata that links a cell's output to its run in a saved ``.ipynb``."""
    return {"jupyter_artifacts": {"run": run_id}}


def show_marker(run_id: str) -> None:
    """An output with no data, only the run id: a cell shown with no summary (``--quiet``)
    still names its run in a saved notebook, and shows nothing more."""
    from IPython.display import display

    display({}, raw=True, metadata=output_marker(run_id))
