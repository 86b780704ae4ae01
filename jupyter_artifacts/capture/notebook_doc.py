"""What a run keeps for reproduction: the notebook document it ran in, and its namespace map.

The notebook file is read (with nbformat) only when its size or modification time changed
since the last tracked cell, and stored as a ``notebook`` version, so each distinct content
is stored once. The run's metadata then says which version: ``{"notebook": {"version": id,
"path": ...}}``. A cell's cost is one ``stat`` when the file did not change.
"""

from __future__ import annotations

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
    import nbformat.reader

    from ..codecs import save_object

    try:
        # Parsed without schema validation: that can take longer than the cell itself.
        nbformat.reader.reads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, nbformat.reader.NotJSONError):
        return None  # not a notebook (or not readable): nothing to keep
    version, _ = save_object(store, path, f"notebooks/{path.name}", kind="notebook")
    return version.id


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
