"""The catalog's schema as an ordered list of migrations.

Each migration runs inside its own transaction together with the row that records it, so
a store is always at exactly one recorded schema version. Append new migrations; never
edit one that has shipped.

SQLite and PostgreSQL catalogs share this history (same versions, same names): a
migration's SQL is SQLite's, which the PostgreSQL connection translates (types, identity
columns; see :mod:`.dialect_pg`), plus that dialect's support functions in migration 1.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: sqlite3.Connection, or the PostgreSQL catalog's connection (catalog_pg.PgConnection).
Connection = Any


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _run_script(conn: Connection, script: str) -> None:
    # Not executescript(): it commits first, which would break the migration's transaction.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _initial(conn: Connection) -> None:
    _run_script(conn,
        """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE contexts (
            id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT, notebook_path TEXT,
            created_at REAL NOT NULL, metadata TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE environments (
            id TEXT PRIMARY KEY, python TEXT, platform TEXT, packages TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE TABLE runs (
            number INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            context_id TEXT REFERENCES contexts(id),
            status TEXT NOT NULL,
            started_at REAL NOT NULL,
            ended_at REAL,
            notebook_path TEXT,
            cell_id TEXT,
            execution_count INTEGER,
            code TEXT,
            error TEXT,
            environment_id TEXT REFERENCES environments(id),
            git_commit TEXT,
            git_dirty INTEGER,
            metadata TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX runs_started ON runs(started_at);
        CREATE INDEX runs_name ON runs(name);
        CREATE INDEX runs_status ON runs(status);
        CREATE INDEX runs_notebook ON runs(notebook_path);
        CREATE TABLE run_tags (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            PRIMARY KEY (run_id, tag)
        ) WITHOUT ROWID;
        CREATE INDEX run_tags_tag ON run_tags(tag);
        CREATE TABLE params (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (run_id, key)
        ) WITHOUT ROWID;
        CREATE TABLE metrics (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            step INTEGER,
            value REAL NOT NULL,
            time REAL NOT NULL
        );
        CREATE INDEX metrics_run_key ON metrics(run_id, key, step);
        CREATE TABLE artifacts (
            name TEXT PRIMARY KEY, kind TEXT NOT NULL,
            created_at REAL NOT NULL, updated_at REAL NOT NULL
        );
        CREATE TABLE versions (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL REFERENCES artifacts(name),
            version INTEGER NOT NULL,
            oid TEXT NOT NULL,
            kind TEXT NOT NULL,
            media_type TEXT NOT NULL,
            codec TEXT NOT NULL,
            size INTEGER NOT NULL,
            summary TEXT NOT NULL DEFAULT '{}',
            metadata TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL,
            run_id TEXT REFERENCES runs(id),
            UNIQUE (name, version)
        );
        CREATE INDEX versions_oid ON versions(oid);
        CREATE INDEX versions_run ON versions(run_id);
        CREATE TABLE version_tags (
            version_id TEXT NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            PRIMARY KEY (version_id, tag)
        ) WITHOUT ROWID;
        CREATE TABLE aliases (
            name TEXT NOT NULL, alias TEXT NOT NULL,
            version_id TEXT NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
            PRIMARY KEY (name, alias)
        ) WITHOUT ROWID;
        CREATE TABLE events (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            version_id TEXT NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
            type TEXT NOT NULL CHECK (type IN ('input', 'output')),
            time REAL NOT NULL,
            PRIMARY KEY (run_id, version_id, type)
        ) WITHOUT ROWID;
        CREATE INDEX events_version ON events(version_id);
        CREATE TABLE fingerprints (
            codec TEXT NOT NULL, fingerprint TEXT NOT NULL, oid TEXT NOT NULL,
            PRIMARY KEY (codec, fingerprint)
        ) WITHOUT ROWID;
        """
    )
    if getattr(conn, "dialect", "sqlite") == "postgresql":
        from .dialect_pg import SUPPORT

        for statement in SUPPORT:
            conn.execute(statement)


def _metric_summaries(conn: Connection) -> None:
    # A per-(run, key) summary turns "order 100,000 runs by a metric" into an index walk.
    _run_script(conn,
        """
        CREATE TABLE metric_summaries (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            last REAL NOT NULL, last_step INTEGER, last_time REAL NOT NULL,
            min REAL NOT NULL, step_min INTEGER,
            max REAL NOT NULL, step_max INTEGER,
            count INTEGER NOT NULL,
            PRIMARY KEY (run_id, key)
        ) WITHOUT ROWID;
        CREATE INDEX metric_summaries_key_last ON metric_summaries(key, last);
        """
    )
    conn.execute(
        """
        INSERT INTO metric_summaries
        WITH ordered AS (
            SELECT run_id, key, step, value, time,
                ROW_NUMBER() OVER (PARTITION BY run_id, key ORDER BY time DESC, rowid DESC) AS nl,
                ROW_NUMBER() OVER (PARTITION BY run_id, key ORDER BY value, time) AS nmin,
                ROW_NUMBER() OVER (PARTITION BY run_id, key ORDER BY value DESC, time) AS nmax,
                COUNT(*) OVER (PARTITION BY run_id, key) AS n
            FROM metrics
        )
        SELECT run_id, key,
            MAX(CASE WHEN nl = 1 THEN value END), MAX(CASE WHEN nl = 1 THEN step END),
            MAX(CASE WHEN nl = 1 THEN time END),
            MAX(CASE WHEN nmin = 1 THEN value END), MAX(CASE WHEN nmin = 1 THEN step END),
            MAX(CASE WHEN nmax = 1 THEN value END), MAX(CASE WHEN nmax = 1 THEN step END),
            MAX(n)
        FROM ordered GROUP BY run_id, key
        """
    )


def _param_value_index(conn: Connection) -> None:
    # Sorting 100,000 runs by a param walks this index instead of parsing every param's JSON.
    conn.execute("CREATE INDEX params_key_value ON params(key, json_extract(value, '$'))")


def _run_writer(conn: Connection) -> None:
    # Who writes a run and when it last showed life: a reader can then tell a run whose
    # process was killed (still "running") from a live one. See store/liveness.py.
    _run_script(conn,
        """
        ALTER TABLE runs ADD COLUMN host TEXT;
        ALTER TABLE runs ADD COLUMN pid INTEGER;
        ALTER TABLE runs ADD COLUMN process_start TEXT;
        ALTER TABLE runs ADD COLUMN heartbeat_at REAL
        """
    )


def _covering_indexes(conn: Connection) -> None:
    # Each key's values in run id order straight from an index: the runs table reads a
    # column per key without touching the rows, and a param condition is checked (and its
    # matches counted) without reading the params rows.
    _run_script(conn,
        """
        CREATE INDEX params_key_run ON params(key, run_id, value);
        CREATE INDEX metric_summaries_key_run ON metric_summaries(key, run_id, last)
        """
    )


def _typed_param_values(conn: Connection) -> None:
    # A param's value as SQL compares it (json_extract(value, '$'): a number, text or NULL),
    # stored once at write time. SQLite cannot read an expression index as a covering index,
    # so each match of params_key_value cost a row lookup (1 us) and every condition parsed
    # JSON; (key, typed_value, run_id) lists a condition's runs from the index alone. No
    # declared type: the column keeps whatever json_extract gives (numbers sort before text).
    if getattr(conn, "dialect", "sqlite") == "postgresql":
        # There the value is jsonb (dialect_pg's json_extract), compared by its operators.
        _run_script(conn,
            """
            ALTER TABLE params ADD COLUMN typed_value jsonb;
            UPDATE params SET typed_value = json_extract(value, '$');
            CREATE INDEX params_key_typed ON params(key, typed_value, run_id);
            DROP INDEX params_key_value
            """
        )
        return
    # The table is copied in key order rather than updated in place: widening every row of
    # a WITHOUT ROWID table splits its pages (11 s against 4 s for 1,000,000 params).
    _run_script(conn,
        """
        CREATE TABLE params_typed (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            typed_value,
            PRIMARY KEY (run_id, key)
        ) WITHOUT ROWID;
        INSERT INTO params_typed
            SELECT run_id, key, value, json_extract(value, '$') FROM params ORDER BY run_id, key;
        DROP TABLE params;
        ALTER TABLE params_typed RENAME TO params;
        CREATE INDEX params_key_run ON params(key, run_id, value);
        CREATE INDEX params_key_typed ON params(key, typed_value, run_id)
        """
    )


def _run_user(conn: Connection) -> None:
    # Who made a run (the login name beside the host): once stores sync, a team store shows
    # whose runs it received. "username", not "user": USER is a reserved word in PostgreSQL.
    conn.execute("ALTER TABLE runs ADD COLUMN username TEXT")


def _metric_range_runs(conn: Connection) -> None:
    # A metric range's runs straight from its index. SQLite's (key, last) index already
    # ends with the run id (an index of a WITHOUT ROWID table holds its primary key), so
    # there this migration changes nothing; PostgreSQL's read each match's row (or walked
    # every run of the key in (key, run_id, last)) to learn its run: a count of "metrics.m1
    # > 0.5" over 1,000,000 runs scanned twice the entries it needed.
    if getattr(conn, "dialect", "sqlite") != "postgresql":
        return
    _run_script(conn,
        """
        CREATE INDEX metric_summaries_key_last_run ON metric_summaries(key, last) INCLUDE (run_id);
        DROP INDEX metric_summaries_key_last
        """
    )


MIGRATIONS: list[Migration] = [
    Migration(1, "initial schema", _initial),
    Migration(2, "metric summaries for fast metric-ordered search", _metric_summaries),
    Migration(3, "index params by numeric value for param-ordered search", _param_value_index),
    Migration(4, "record the writer (host, pid) and heartbeat of each run", _run_writer),
    Migration(5, "covering (key, run_id, value) indexes on params and metric summaries",
              _covering_indexes),
    Migration(6, "params keep their typed value in an indexed column", _typed_param_values),
    Migration(7, "record the user who made each run", _run_user),
    Migration(8, "metric ranges list their runs from an index on PostgreSQL", _metric_range_runs),
]
LATEST = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    has = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='migrations'"
    ).fetchone()
    if not has:
        return 0
    row = conn.execute("SELECT MAX(version) FROM migrations").fetchone()
    return int(row[0] or 0)


def migrate(conn: Connection, target: int = LATEST) -> list[int]:
    """Apply every migration above the recorded version up to ``target``; return those applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``). ``BEGIN IMMEDIATE``
    serialises concurrent openers: the second one sees the first's recorded version.
    """
    applied = []
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    for migration in MIGRATIONS:
        if migration.version > target:
            break
        conn.execute("BEGIN IMMEDIATE")
        try:
            if current_version(conn) >= migration.version:
                conn.execute("COMMIT")
                continue
            migration.apply(conn)
            conn.execute(
                "INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, time.time()),
            )
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(migration.version),),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may already have rolled back (a full disk)
                with contextlib.suppress(Exception):  # sqlite3 or psycopg
                    conn.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied
