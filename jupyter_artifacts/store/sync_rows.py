"""Catalog rows for sync: diff two catalogs by global ids and copy rows across.

Every query here is plain SQL both catalogs speak (``ON CONFLICT DO NOTHING``, no
``INSERT OR ...``), one query per table and side for a diff, ``IN (...)`` batches for
copies: a sync with nothing new costs a handful of queries whatever the store's size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .catalog import Catalog
from .runs import INSERT_PARAM

BATCH = 500
"""Rows (runs or versions) copied per target transaction: a killed sync loses at most one."""

# The tables that travel with their run: written while it ran, fixed once it finished.
RUN_CHILDREN = ("params", "metrics", "metric_summaries", "run_tags")


# Metric columns that may hold NaN: SQLite keeps it as the text 'NaN' (it would turn a NaN
# REAL into NULL), PostgreSQL as a float NaN. Rows are converted for the target's spelling.
_NAN_COLUMNS = {"metrics": ("value",), "metric_summaries": ("last", "min", "max")}


def _nan_spelling(catalog: Catalog) -> Any:
    return float("nan") if getattr(catalog, "dialect", "sqlite") == "postgresql" else "NaN"


def _is_nan(value: Any) -> bool:
    return value == "NaN" or (isinstance(value, float) and value != value)


def for_target(target: Catalog, table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with NaN metric values spelled as ``target`` keeps them."""
    columns = _NAN_COLUMNS.get(table)
    if not columns:
        return rows
    nan = _nan_spelling(target)
    return [{**row, **{c: nan for c in columns if _is_nan(row[c])}}
            if any(_is_nan(row[c]) for c in columns) else row for row in rows]


def chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def as_dict(row: Any) -> dict[str, Any]:
    return dict(zip(row.keys(), tuple(row), strict=True))


def ids(catalog: Catalog, sql: str) -> set[Any]:
    """The first column of every row (a tuple of the columns when there are several)."""
    return {row[0] if len(row) == 1 else tuple(row) for row in catalog.query(sql)}


def rows_in(catalog: Catalog, table: str, column: str, keys: Sequence[Any],
            order: str = "") -> list[dict[str, Any]]:
    """Every row of ``table`` whose ``column`` is one of ``keys``, as dicts."""
    if not keys:
        return []
    marks = ",".join("?" * len(keys))
    sql = f"SELECT * FROM {table} WHERE {column} IN ({marks}){' ORDER BY ' + order if order else ''}"
    return [as_dict(row) for row in catalog.query(sql, list(keys))]


def insert(conn: Any, table: str, rows: Iterable[dict[str, Any]], skip: Iterable[str] = ()) -> int:
    """Insert dict rows (all with the same keys) unless their key is there already."""
    rows = list(rows)
    if not rows:
        return 0
    if table == "params":  # the typed value is the target's own reading of the JSON value
        conn.executemany(INSERT_PARAM, [(r["run_id"], r["key"], r["value"]) for r in rows])
        return len(rows)
    cols = [c for c in rows[0] if c not in set(skip)]
    conn.executemany(
        f"INSERT INTO {table} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))}) "
        "ON CONFLICT DO NOTHING", [[row[c] for c in cols] for row in rows])
    return len(rows)


def copy_by_id(source: Catalog, target: Catalog, table: str) -> int:
    """Copy the rows of an id-keyed table (contexts, environments) the target lacks."""
    missing = sorted(ids(source, f"SELECT id FROM {table}") - ids(target, f"SELECT id FROM {table}"))
    copied = 0
    for chunk in chunks(missing):
        rows = rows_in(source, table, "id", chunk)
        with target.write() as conn:
            copied += insert(conn, table, rows)
    return copied


def copy_runs(source: Catalog, target: Catalog, run_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Copy whole runs (params, metrics, summaries, tags) in batches, one transaction each.

    The target numbers them (``run-N``) in the order given. Runs another sync copied
    meanwhile are skipped (checked inside the transaction). Returns the rows copied, with
    the target's ``number``.
    """
    copied: list[dict[str, Any]] = []
    for chunk in chunks(run_ids):
        runs = {row["id"]: row for row in rows_in(source, "runs", "id", chunk)}
        children = {table: for_target(target, table, rows_in(source, table, "run_id", chunk))
                    for table in RUN_CHILDREN}
        with target.write() as conn:
            there = _present(conn, "runs", chunk)
            fresh = [runs[i] for i in chunk if i in runs and i not in there]
            insert(conn, "runs", fresh, skip=("number",))
            keep = {row["id"] for row in fresh}
            for table, rows in children.items():
                insert(conn, table, (r for r in rows if r["run_id"] in keep))
            numbers = dict(conn.execute(
                f"SELECT id, number FROM runs WHERE id IN ({','.join('?' * len(keep))})",
                list(keep)).fetchall()) if keep else {}
        copied += [{**row, "number": numbers[row["id"]]} for row in fresh]
    return copied


def refresh_runs(source: Catalog, target: Catalog, run_ids: Sequence[str]) -> int:
    """Rewrite runs the target holds as still running with their finished state (a run
    sent with ``--all`` that ended since): its row and the rows that travel with it."""
    refreshed = 0
    for chunk in chunks(run_ids):
        runs = rows_in(source, "runs", "id", chunk)
        children = {table: for_target(target, table, rows_in(source, table, "run_id", chunk))
                    for table in RUN_CHILDREN}
        with target.write() as conn:
            marks = ",".join("?" * len(chunk))
            stale = {row[0] for row in conn.execute(
                f"SELECT id FROM runs WHERE status = 'running' AND id IN ({marks})",
                list(chunk)).fetchall()}
            fresh = [run for run in runs if run["id"] in stale and run["status"] != "running"]
            if not fresh:
                continue
            keys = [run["id"] for run in fresh]
            cols = [c for c in fresh[0] if c not in ("id", "number")]
            conn.executemany(f"UPDATE runs SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
                             [[*(run[c] for c in cols), run["id"]] for run in fresh])
            marks = ",".join("?" * len(keys))
            kept = set(keys)
            for table in RUN_CHILDREN:
                conn.execute(f"DELETE FROM {table} WHERE run_id IN ({marks})", keys)
                insert(conn, table, (r for r in children[table] if r["run_id"] in kept))
            refreshed += len(fresh)
    return refreshed


def _present(conn: Any, table: str, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    rows = conn.execute(f"SELECT id FROM {table} WHERE id IN ({','.join('?' * len(keys))})",
                        list(keys)).fetchall()
    return {row[0] for row in rows}


def insert_versions(conn: Any, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert versions the target lacks, numbering each after the target's last version of
    its name, in the order given; ``latest`` is the newest made. Returns them, renumbered."""
    there = _present(conn, "versions", [row["id"] for row in rows])
    fresh = [row for row in rows if row["id"] not in there]
    names = sorted({row["name"] for row in fresh})
    if not names:
        return []
    last = dict(conn.execute(
        f"SELECT name, MAX(version) FROM versions WHERE name IN ({','.join('?' * len(names))}) "
        "GROUP BY name", names).fetchall())
    placed = []
    for row in fresh:
        number = (last.get(row["name"]) or 0) + 1
        last[row["name"]] = number
        placed.append({**row, "version": number})
    conn.executemany(
        "INSERT INTO artifacts (name, kind, created_at, updated_at) VALUES (?,?,?,?) "
        "ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at "
        "WHERE excluded.updated_at > artifacts.updated_at",
        [(row["name"], row["kind"], row["created_at"], row["created_at"]) for row in placed])
    insert(conn, "versions", placed)
    # ``latest``: the newest version made (created_at, then id), wherever it was made, so
    # every store that has the same versions agrees on it.
    marks = ",".join("?" * len(names))
    newest = conn.execute(
        f"SELECT v.name, v.id FROM versions v WHERE v.name IN ({marks}) AND NOT EXISTS ("
        "SELECT 1 FROM versions w WHERE w.name = v.name AND (w.created_at > v.created_at "
        "OR (w.created_at = v.created_at AND w.id > v.id)))", names).fetchall()
    conn.executemany(
        "INSERT INTO aliases (name, alias, version_id) VALUES (?, 'latest', ?) "
        "ON CONFLICT (name, alias) DO UPDATE SET version_id = excluded.version_id",
        [(row[0], row[1]) for row in newest])
    return placed


def copy_pairs(source: Catalog, target: Catalog, table: str, cols: Sequence[str],
               extra: Sequence[str], allowed: Any) -> int:
    """Copy the rows of a link table (tags, lineage events) the target lacks.

    ``cols`` make a row's identity; ``extra`` columns are copied along; ``allowed(row)``
    says whether what the row points at is in the target.
    """
    key_sql = ", ".join(cols)
    have = ids(target, f"SELECT {key_sql} FROM {table}")
    rows = [row for row in source.query(f"SELECT {', '.join([*cols, *extra])} FROM {table}")
            if (tuple(row[:len(cols)]) if len(cols) > 1 else row[0]) not in have]
    wanted = [as_dict(row) for row in rows if allowed(row)]
    for chunk in chunks(wanted, 5 * BATCH):
        with target.write() as conn:
            insert(conn, table, chunk)
    return len(wanted)


def aliases(catalog: Catalog) -> dict[str, str]:
    """``"name:alias" -> version id`` for every alias but the automatic ``latest``."""
    return {f"{row[0]}:{row[1]}": row[2] for row in catalog.query(
        "SELECT name, alias, version_id FROM aliases WHERE alias != 'latest'")}


def set_alias(conn: Any, key: str, version_id: str) -> None:
    name, _, alias = key.rpartition(":")
    conn.execute("INSERT INTO aliases (name, alias, version_id) VALUES (?,?,?) "
                 "ON CONFLICT (name, alias) DO UPDATE SET version_id = excluded.version_id",
                 (name, alias, version_id))


def remove_alias(conn: Any, key: str) -> None:
    name, _, alias = key.rpartition(":")
    conn.execute("DELETE FROM aliases WHERE name = ? AND alias = ?", (name, alias))


def version_refs(catalog: Catalog, version_ids: Iterable[str]) -> dict[str, str]:
    """``id -> name:vN`` in this catalog."""
    keys = sorted(set(version_ids))
    return {row["id"]: f"{row['name']}:v{row['version']}"
            for chunk in chunks(keys) for row in rows_in(catalog, "versions", "id", chunk)}
