"""The metric, param and tag keys a store has: for filter checks and key completion."""

from __future__ import annotations

import difflib

from ..errors import UnknownKeyError
from .catalog import Catalog

#: kind -> (table, column) holding the keys; tags are labels whose key is before any '='.
_SOURCES = {"metric": ("metric_summaries", "key"), "param": ("params", "key"),
            "tag": ("run_tags", "tag")}


def _source(kind: str, table: str) -> tuple[str, str]:
    return (table, "tag") if kind == "tag" and table else _SOURCES[kind]


def has_key(catalog: Catalog, kind: str, key: str, table: str = "") -> bool:
    """Whether some run (or version, for ``version_tags``) has ``key``: one index probe."""
    source, column = _source(kind, table)
    if kind == "tag":
        return bool(catalog.scalar(
            f"SELECT EXISTS (SELECT 1 FROM {source} WHERE tag = ?) OR EXISTS "
            f"(SELECT 1 FROM {source} WHERE tag >= ? AND tag < ?)", (key, key + "=", key + ">")))
    return bool(catalog.scalar(f"SELECT EXISTS (SELECT 1 FROM {source} WHERE {column} = ?)",
                               (key,)))


def distinct(catalog: Catalog, table: str, column: str) -> list[str]:
    """The distinct values of an indexed column, one index seek per value (a skip scan).

    ``SELECT DISTINCT`` would read every row: 10 million at a million runs.
    """
    rows = catalog.query(
        f"WITH RECURSIVE k(v) AS (SELECT MIN({column}) FROM {table} UNION ALL "
        f"SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > k.v) FROM k "
        "WHERE k.v IS NOT NULL) SELECT v FROM k WHERE v IS NOT NULL")
    return [str(row[0]) for row in rows]


def tag_keys(labels: list[str]) -> list[str]:
    """The keys of tag labels: ``team=vision`` has the key ``team``, ``baseline`` itself."""
    return sorted({label.split("=", 1)[0] for label in labels})


def list_keys(catalog: Catalog) -> dict[str, list[str]]:
    """The metric, param and tag keys of every run, sorted: completion data for filters."""
    return {
        "metrics": distinct(catalog, "metric_summaries", "key"),
        "params": distinct(catalog, "params", "key"),
        "tags": tag_keys(distinct(catalog, "run_tags", "tag")),
    }


def unknown(catalog: Catalog, kind: str, key: str, position: int | None,
            table: str = "") -> UnknownKeyError:
    """The error for a key nothing has, listing the closest keys that exist."""
    source, column = _source(kind, table)
    known = distinct(catalog, source, column)
    if kind == "tag":
        known = tag_keys(known)
    owner = "version" if table == "version_tags" else "run"
    close = difflib.get_close_matches(key, known, n=5, cutoff=0.6)
    if close:
        hint = f"did you mean {', '.join(close)}?"
    elif known:
        hint = f"the {kind}s are: {', '.join(known[:20])}" + (" ..." if len(known) > 20 else "")
    else:
        hint = f"no {owner} has any {kind} yet"
    message = f"unknown {kind} {key!r} at column {(position or 0) + 1}: {hint}"
    return UnknownKeyError(message, key, close, position)
