"""The comparison view model: params, metrics, curves, matched artifacts and code of 2+ runs."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Any

from ..errors import InvalidReferenceError
from ..store import ArtifactVersion, Store
from .preview import image_b64, parquet_stats
from .series import MAX_POINTS
from .viewmodels import metric_curves, metric_table


def compare_params(store: Store, run_refs: Sequence[str], *, only_differing: bool = True) -> dict[str, Any]:
    """Params as rows ``{"key", "values": [per run], "differs"}``; equal ones hidden by default."""
    runs = [store.get_run(ref) for ref in run_refs]
    keys = sorted({k for r in runs for k in r.params})
    missing = object()
    rows = []
    for key in keys:
        values = [r.params.get(key, missing) for r in runs]
        differs = len({json.dumps(v, sort_keys=True, default=str) if v is not missing else "\0"
                       for v in values}) > 1
        if differs or not only_differing:
            rows.append({"key": key, "values": [None if v is missing else v for v in values],
                         "differs": differs})
    return {"runs": [r.ref for r in runs], "rows": rows, "only_differing": only_differing,
            "hidden": len(keys) - len(rows)}


def compare_metrics(store: Store, run_refs: Sequence[str]) -> dict[str, Any]:
    """Per metric, each run's last/min/max and the best run (by the metric's direction)."""
    table = metric_table(store, run_refs)
    by_key: dict[str, dict[str, Any]] = {}
    for row in table["rows"]:
        entry = by_key.setdefault(row["key"], {"key": row["key"], "lower_is_better": row["lower_is_better"],
                                               "cells": {}, "best_run": None})
        entry["cells"][row["run"]] = {k: row[k] for k in ("last", "min", "max", "best_step")}
        if row["is_best"]:
            entry["best_run"] = row["run"]
    return {"runs": table["runs"], "rows": [by_key[k] for k in sorted(by_key)]}


def _outputs(store: Store, run_ref: str) -> dict[str, ArtifactVersion]:
    return {v.name: v for etype, v in store.run_events(run_ref) if etype == "output"}


def compare_artifacts(store: Store, run_refs: Sequence[str]) -> list[dict[str, Any]]:
    """Outputs matched by name across runs, with a kind-specific comparison for each name."""
    runs = [store.get_run(ref) for ref in run_refs]
    outputs = [_outputs(store, r.id) for r in runs]
    names = sorted({n for out in outputs for n in out})
    matched = []
    for name in names:
        versions = [out.get(name) for out in outputs]
        present = [v for v in versions if v is not None]
        kind = present[0].kind
        entry: dict[str, Any] = {"name": name, "kind": kind,
                                 "refs": [v.ref if v else None for v in versions],
                                 "same_content": len({v.oid for v in present}) == 1 and len(present) > 1}
        if present[0].media_type == "image/png":
            entry.update(type="figure", images=[image_b64(store, v) if v else None for v in versions])
        elif present[0].summary.get("type") in ("DataFrame", "Series"):
            entry.update(type="dataframe", **_diff_frames(store, versions))
        elif kind == "model":
            entry.update(type="model", **_diff_models(versions))
        else:
            entry["type"] = "other"
        matched.append(entry)
    return matched


def _diff_frames(store: Store, versions: list[ArtifactVersion | None]) -> dict[str, Any]:
    """Schema, row count and footer statistics of each run's DataFrame, against the first."""
    base = next(v for v in versions if v is not None)
    base_dtypes = base.summary.get("dtypes", {})
    per_run: list[dict[str, Any] | None] = []
    for v in versions:
        if v is None:
            per_run.append(None)
            continue
        dtypes = v.summary.get("dtypes", {})
        per_run.append({
            "shape": v.summary.get("shape"),
            "added": sorted(set(dtypes) - set(base_dtypes)),
            "removed": sorted(set(base_dtypes) - set(dtypes)),
            "retyped": sorted(c for c in set(dtypes) & set(base_dtypes) if dtypes[c] != base_dtypes[c]),
            "stats": parquet_stats(store, v),
        })
    return {"frames": per_run}


def _diff_models(versions: list[ArtifactVersion | None]) -> dict[str, Any]:
    present = [v for v in versions if v is not None]
    keys = sorted({k for v in present for k in v.summary.get("params", {})})
    rows = []
    for key in keys:
        values = [v.summary.get("params", {}).get(key) if v else None for v in versions]
        rows.append({"key": key, "values": values,
                     "differs": len({json.dumps(x, sort_keys=True, default=str) for x in values}) > 1})
    return {"classes": [v.summary.get("class") if v else None for v in versions], "params": rows}


def compare_code(store: Store, run_refs: Sequence[str]) -> list[dict[str, Any]]:
    """Unified diff of each run's cell source against the first run's."""
    runs = [store.get_run(ref) for ref in run_refs]
    base = runs[0]
    diffs = []
    for run in runs[1:]:
        lines = list(difflib.unified_diff(
            (base.code or "").splitlines(), (run.code or "").splitlines(),
            fromfile=base.ref, tofile=run.ref, lineterm="",
        ))
        diffs.append({"from": base.ref, "to": run.ref, "lines": lines, "identical": not lines,
                      "missing": base.code is None and run.code is None})
    return diffs


def comparison(
    store: Store, run_refs: Sequence[str], *, only_differing: bool = True, x_axis: str = "step",
    max_points: int = MAX_POINTS,
) -> dict[str, Any]:
    """Everything the compare widget shows, as plain data."""
    if len(run_refs) < 2:
        raise InvalidReferenceError("compare needs at least two runs")
    refs = [store.get_run(ref).ref for ref in run_refs]
    return {
        "runs": [{"ref": r.ref, "name": r.name, "status": r.status} for r in map(store.get_run, refs)],
        "params": compare_params(store, refs, only_differing=only_differing),
        "metrics": compare_metrics(store, refs),
        "curves": metric_curves(store, refs, x_axis=x_axis, max_points=max_points),
        "artifacts": compare_artifacts(store, refs),
        "code": compare_code(store, refs),
    }
