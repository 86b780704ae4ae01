"""Preview data of one artifact version, built from its summary (and cheap reads of its bytes)."""

from __future__ import annotations

import base64
import json
from typing import Any

from ..store import ArtifactVersion, Store

#: Larger HTML reports are not inlined into the notebook (they would bloat it).
MAX_INLINE_REPORT = 2_000_000
MAX_INLINE_IMAGE = 5_000_000


def version_preview(store: Store, ref: str) -> dict[str, Any]:
    """What the Artifacts tab shows for a version: ``{"type": ..., ...}`` plus a load snippet.

    ``type`` is one of figure, dataframe, array, model, text, report, metrics, file, other.
    """
    version = store.resolve(ref)
    summary = version.summary
    base: dict[str, Any] = {
        "ref": version.ref, "kind": version.kind, "media_type": version.media_type, "size": version.size,
        "aliases": list(version.aliases), "tags": list(version.tags), "run_id": version.run_id,
        "snippet": f"ja.load({json.dumps(version.ref)})", "summary": summary,
    }
    stype = summary.get("type")
    if version.media_type == "image/png":
        return {**base, "type": "figure", "png_base64": image_b64(store, version),
                "title": summary.get("title", "")}
    if stype in ("DataFrame", "Series"):
        return {**base, "type": "dataframe", "shape": summary.get("shape"),
                "columns": summary.get("columns", []), "dtypes": summary.get("dtypes", {}),
                "head": summary.get("head", [])}
    if stype == "ndarray":
        return {**base, "type": "array"}
    if version.kind == "model":
        return {**base, "type": "model", "class": summary.get("class") or summary.get("type"),
                "params": summary.get("params", {})}
    if version.media_type == "text/html":
        html = store.objects.read_bytes(version.oid).decode(errors="replace") \
            if version.size <= MAX_INLINE_REPORT else None
        return {**base, "type": "report", "html": html}
    if stype == "metrics":
        return {**base, "type": "metrics", "values": summary.get("values", {})}
    if "preview" in summary:
        return {**base, "type": "text", "text": summary["preview"]}
    return {**base, "type": "other"}


def image_b64(store: Store, version: ArtifactVersion) -> str | None:
    """The PNG of a figure version as base64 (None when too large to inline)."""
    if version.size > MAX_INLINE_IMAGE:
        return None
    return base64.b64encode(store.objects.read_bytes(version.oid)).decode()


def parquet_stats(store: Store, version: ArtifactVersion) -> dict[str, dict[str, Any]]:
    """Per-column min/max/null count from the Parquet footer: no data pages are read.

    The DataFrame summary has no statistics, but Parquet keeps them per row group in its
    footer, so they cost a few kilobytes of reading whatever the table's size.
    """
    if version.media_type != "application/vnd.apache.parquet":
        return {}
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(store.objects.local_path(version.oid)).metadata
    stats: dict[str, dict[str, Any]] = {}
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c in range(group.num_columns):
            col = group.column(c)
            s = col.statistics
            if s is None:
                continue
            entry = stats.setdefault(col.path_in_schema, {"min": None, "max": None, "nulls": 0})
            entry["nulls"] += s.null_count or 0
            if s.has_min_max:
                entry["min"] = s.min if entry["min"] is None else min(entry["min"], s.min)
                entry["max"] = s.max if entry["max"] is None else max(entry["max"], s.max)
    return {k: {kk: _plain(vv) for kk, vv in v.items()} for k, v in stats.items()
            if not k.startswith("__index_level")}


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, int | float | str) or value is None:
        return value
    return str(value)
