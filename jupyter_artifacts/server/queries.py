"""Store reads that build whole REST payloads; handlers run them in a worker thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import NotFoundError
from ..store import Store
from . import payloads


def runs_page(store: Store, *, limit: int, offset: int, **filters: Any) -> dict[str, Any]:
    """One page of runs as list rows, with the total number of matches."""
    page = store.query_runs(limit=limit, offset=offset, **filters)
    return {"runs": [payloads.run_row(run) for run in page.runs], "total": page.total,
            "limit": limit, "offset": offset, "store": str(store.root)}


def search_page(store: Store, search: str | None, order_by: Any, descending: bool, *,
                limit: int, offset: int) -> dict[str, Any]:
    """One page of the runs a filter-language expression matches, with the total."""
    page = store.search_runs(search or None, order_by=order_by, descending=descending,
                             limit=limit, offset=offset)
    return {"runs": [payloads.run_row(run) for run in page.runs], "total": page.total,
            "limit": limit, "offset": offset, "store": str(store.root)}


def version_page(store: Store, search: str, limit: int) -> dict[str, Any]:
    """The artifact versions a filter matches, newest first, with the total."""
    found, total = store.search_versions(search or None, limit=limit)
    return {"versions": [v.to_dict() for v in found], "total": total, "limit": limit,
            "store": str(store.root)}


def notebook_in_root(notebook_path: str | None, root_dir: Path) -> str | None:
    """The notebook's path relative to the server's root, if it lies inside it (to open it).

    Kernels record absolute paths (or paths relative to the root, as JupyterLab names a
    session); anything outside the root cannot be opened from the browser, so it is None.
    """
    if not notebook_path:
        return None
    root = root_dir.resolve()
    path = Path(notebook_path)
    full = (path if path.is_absolute() else root / path).resolve()
    try:
        return full.relative_to(root).as_posix()
    except ValueError:
        return None


def run_detail(store: Store, ref: str, root_dir: Path) -> dict[str, Any]:
    """A run in full with metric summaries, inputs, outputs and environment."""
    run = store.get_run(ref)
    events = store.run_events(run.id)
    return {
        "notebook": notebook_in_root(run.notebook_path, root_dir),
        "run": run.to_dict(),
        "metrics": store.metric_summary(run.id),
        "inputs": [v.to_dict() for kind, v in events if kind == "input"],
        "outputs": [v.to_dict() for kind, v in events if kind == "output"],
        "environment": store.environment(run.environment_id) if run.environment_id else None,
    }


def metric_series(store: Store, ref: str, key: str, max_points: int) -> dict[str, Any]:
    """A metric's points, downsampled to at most ``max_points`` (0: all)."""
    run = store.get_run(ref)
    points = store.metric_series(run.id, key)
    if not points and key not in run.metrics:
        raise NotFoundError(f"run {run.ref} has no metric {key!r}")
    kept = payloads.downsample(points, max_points)
    return {"run_id": run.id, "key": key, "count": len(points),
            "downsampled": len(kept) < len(points), "points": [list(p) for p in kept]}


def artifacts(store: Store, kind: str | None, search: str | None) -> dict[str, Any]:
    """One row per artifact name."""
    return {"artifacts": store.list_artifacts(kind=kind, search=search), "store": str(store.root)}


def artifact_versions(store: Store, name: str) -> dict[str, Any]:
    """Every version of one artifact, oldest first."""
    return {"name": name, "versions": [v.to_dict() for v in store.versions(name)]}
