"""View models: pure functions from a :class:`Store` to plain data (dicts and lists).

No ipywidgets here, so these are tested as data and reused by the static HTML fallbacks.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ..store import Run, Store
from ..store.filters import combine, simple_filter
from .series import MAX_POINTS, lower_is_better, read_display_series

PAGE_SIZE = 25
#: Param and metric columns picked for the runs table when the caller chooses none.
DEFAULT_EXTRA_COLUMNS = 4
SORT_COLUMNS = ("started_at", "name", "status", "duration", "number")


def run_row(run: Run) -> dict[str, Any]:
    """One runs-table row: the run's own columns, its params and its last metric values."""
    return {
        "id": run.id, "ref": run.ref, "number": run.number, "name": run.name, "status": run.status,
        "started_at": run.started_at, "started": _clock(run.started_at), "duration": run.duration,
        "tags": list(run.tags), "notebook": run.notebook_path, "params": dict(run.params),
        "metrics": dict(run.metrics),
    }


def runs_page(
    store: Store, *, page: int = 0, page_size: int = PAGE_SIZE, name: str | None = None,
    tag: str | None = None, status: str | None = None, notebook: str | None = None,
    order_by: str = "started_at", descending: bool = True,
    param_columns: Sequence[str] | None = None, metric_columns: Sequence[str] | None = None,
    filter: str | None = None,
) -> dict[str, Any]:
    """One page of the runs table from a single paged store query (so 100,000 runs open at once).

    ``order_by`` is a run column or ``params.<key>`` / ``metrics.<key>``. Param and metric
    columns default to the first keys seen on the page. ``filter`` is a filter-language
    expression (``metrics.acc > 0.9 and params.model = 'rf'``); a bad one raises
    :class:`~jupyter_artifacts.errors.FilterError`.
    """
    if filter and filter.strip():
        result = store.search_runs(
            combine(simple_filter(name, tag, status, notebook), filter), order_by=order_by,
            descending=descending, limit=page_size, offset=page * page_size)
    else:
        result = store.query_runs(
            name=name or None, tag=tag or None, status=status or None, notebook=notebook or None,
            order_by=order_by, descending=descending, limit=page_size, offset=page * page_size,
        )
    rows = [run_row(r) for r in result.runs]
    pages = max(1, -(-result.total // page_size))
    return {
        "rows": rows, "total": result.total, "page": page, "pages": pages, "page_size": page_size,
        "param_columns": list(param_columns) if param_columns is not None else _keys(rows, "params"),
        "metric_columns": list(metric_columns) if metric_columns is not None else _keys(rows, "metrics"),
        "order_by": order_by, "descending": descending,
    }


def parse_columns(text: str) -> tuple[list[str] | None, list[str] | None]:
    """``"lr, params.seed, metrics.loss"`` -> (param keys, metric keys); (None, None) if empty.

    Bare names are params; ``metrics.`` names are metrics.
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        return None, None
    params = [n.removeprefix("params.") for n in names if not n.startswith("metrics.")]
    metrics = [n.removeprefix("metrics.") for n in names if n.startswith("metrics.")]
    return params, metrics


def sort_options(page: dict[str, Any]) -> list[str]:
    """What the runs table can be sorted by: run columns, then the page's params and metrics."""
    keys = {k for row in page["rows"] for k in row["params"]}
    metrics = {k for row in page["rows"] for k in row["metrics"]}
    return [*SORT_COLUMNS, *(f"metrics.{k}" for k in sorted(metrics)), *(f"params.{k}" for k in sorted(keys))]


def _keys(rows: list[dict[str, Any]], field: str) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row[field]))
    return sorted(seen)[:DEFAULT_EXTRA_COLUMNS]


def _clock(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else ""


def metric_table(store: Store, run_refs: Sequence[str]) -> dict[str, Any]:
    """Last/min/max/best step per (run, metric), with the best run per metric marked.

    "Best" is the minimum for error-like names (loss, error, mse, mae, rmse) and the maximum
    otherwise; the per-run best step follows the same rule.
    """
    runs = [store.get_run(ref) for ref in run_refs]
    rows: list[dict[str, Any]] = []
    keys: dict[str, None] = {}
    for run in runs:
        for key, s in store.metric_summary(run.id).items():
            keys[key] = None
            lower = lower_is_better(key)
            rows.append({
                "run": run.ref, "run_id": run.id, "name": run.name, "key": key, "last": s["last"],
                "min": s["min"], "max": s["max"], "count": s["count"], "lower_is_better": lower,
                "best": s["min"] if lower else s["max"],
                "best_step": s["step_min"] if lower else s["step_max"], "is_best": False,
            })
    best_by_key: dict[str, dict[str, Any]] = {}
    for row in rows:
        current = best_by_key.get(row["key"])
        better = current is None or (
            row["best"] < current["best"] if row["lower_is_better"] else row["best"] > current["best"]
        )
        if better:
            best_by_key[row["key"]] = row
    if len(runs) > 1:
        for row in best_by_key.values():
            row["is_best"] = True
    return {"runs": [r.ref for r in runs], "keys": sorted(keys), "rows": rows}


def metric_curves(
    store: Store, run_refs: Sequence[str], keys: Sequence[str] | None = None, *, x_axis: str = "step",
    smoothing: float = 0.0, max_points: int = MAX_POINTS,
) -> dict[str, Any]:
    """Display-ready curves: ``{"keys": [...], "series": {key: [{run, label, x, y}]}}``.

    Each series is downsampled to at most ``max_points`` points (min/max kept per bucket);
    ``keys`` defaults to the metrics every run has (the union when there is a single run).
    """
    runs = [store.get_run(ref) for ref in run_refs]
    per_run = {run.id: store.metric_summary(run.id) for run in runs}
    if keys is None:
        key_sets = [set(s) for s in per_run.values()]
        common = set.intersection(*key_sets) if key_sets else set()
        keys = sorted(common if len(runs) > 1 else set().union(*key_sets))
    series: dict[str, list[dict[str, Any]]] = {}
    for key in keys:
        series[key] = []
        for run in runs:
            if key not in per_run[run.id]:
                continue
            points = read_display_series(store, run.id, key, count=per_run[run.id][key]["count"],
                                         x_axis=x_axis, smoothing=smoothing, max_points=max_points)
            series[key].append({"run": run.ref, "label": f"{run.ref} {run.name}", **points,
                                "stored_points": per_run[run.id][key]["count"]})
    return {"keys": list(keys), "x_axis": x_axis, "series": series,
            "lower_is_better": {k: lower_is_better(k) for k in keys}}


def artifact_list(store: Store, search: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Artifact names with kind, latest version, version count and aliases."""
    return store.list_artifacts(kind=kind or None, search=search or None)


def version_list(store: Store, name: str) -> list[dict[str, Any]]:
    """Every version of ``name``, newest first, with aliases and staleness."""
    out = []
    for v in reversed(store.versions(name)):
        out.append({"id": v.id, "ref": v.ref, "version": v.version, "aliases": list(v.aliases),
                    "kind": v.kind, "size": v.size, "created": _clock(v.created_at),
                    "stale": store.is_stale(v.id)})
    return out
