"""A store written by an older schema opens, is migrated and loses nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
from psycopg.types.string import StrDumper

from jupyter_artifacts.store import Store
from jupyter_artifacts.store.catalog_pg import PgConnection
from jupyter_artifacts.store.migrations import LATEST, migrate
from tests.services.postgres import PostgresServer

# (run id, name, [(step, value, time)]): the last point by time is not the largest step or value.
RUNS = [
    ("a" * 32, "first", [(0, 0.5, 10.0), (1, 0.9, 11.0), (2, 0.7, 12.0)]),
    ("b" * 32, "second", [(0, 0.6, 20.0), (1, 0.95, 21.0)]),
    ("c" * 32, "third", [(0, 0.1, 30.0)]),
]


def _old_store(root: Path) -> None:
    root.mkdir()
    conn = sqlite3.connect(root / "catalog.sqlite", isolation_level=None)
    assert migrate(conn, target=1) == [1]
    for number, (run_id, name, points) in enumerate(RUNS, start=1):
        conn.execute("INSERT INTO runs (id, name, status, started_at) VALUES (?,?,'ok',?)",
                     (run_id, name, float(number)))
        conn.execute("INSERT INTO params VALUES (?, 'lr', ?)", (run_id, str(number / 10)))
        conn.executemany("INSERT INTO metrics VALUES (?, 'acc', ?, ?, ?)",
                         [(run_id, *p) for p in points])
    conn.close()


def test_old_schema_is_migrated_without_loss(tmp_path: Path) -> None:
    root = tmp_path / "old"
    _old_store(root)
    store = Store.open(root)
    assert store.catalog.scalar("SELECT MAX(version) FROM migrations") == LATEST
    assert store.catalog.scalar("SELECT value FROM meta WHERE key = 'schema_version'") == str(LATEST)
    assert store.catalog.scalar("SELECT COUNT(*) FROM metrics") == 6
    page = store.query_runs(order_by="metrics.acc")
    assert [r.name for r in page.runs] == ["second", "first", "third"]  # 0.95, 0.7, 0.1
    assert page.runs[1].params == {"lr": 0.1}
    # Migration 6 copied the params with their typed value, indexed, and kept the cascade.
    assert store.catalog.read("SELECT typed_value FROM params ORDER BY run_id") == [
        (0.1,), (0.2,), (0.3,)]
    assert [r.name for r in store.search_runs("params.lr >= 0.2", order_by=["params.lr"]).runs] \
        == ["second", "third"]
    names = {r[0] for r in store.catalog.read("SELECT name FROM sqlite_master")}
    assert {"params_key_run", "params_key_typed"} <= names and "params_key_value" not in names
    assert "CASCADE" in store.catalog.scalar(
        "SELECT sql FROM sqlite_master WHERE name = 'params'")
    summary = store.metric_summary("a" * 32)["acc"]
    assert (summary["last"], summary["last_step"], summary["count"]) == (0.7, 2, 3)
    assert (summary["min"], summary["step_min"], summary["max"], summary["step_max"]) == (0.5, 0, 0.9, 1)


def test_migrated_store_keeps_working_and_migrates_once(tmp_path: Path) -> None:
    root = tmp_path / "old"
    _old_store(root)
    Store.open(root).close()
    store = Store.open(root)
    assert [r[0] for r in store.catalog.query("SELECT version FROM migrations ORDER BY version")] == list(
        range(1, LATEST + 1))
    store.log_metrics([("c" * 32, "acc", 1, 0.99, 31.0)])
    assert store.query_runs(order_by="metrics.acc").runs[0].name == "third"


def test_a_postgresql_catalog_of_an_older_schema_is_migrated(postgres: PostgresServer,
                                                             tmp_path: Path) -> None:
    """A team store made before migration 8 gains its metric range index and keeps its runs."""
    url = postgres.url(postgres.new_database("old"))
    raw = psycopg.connect(url, autocommit=True)
    raw.adapters.register_dumper(str, StrDumper)
    conn = PgConnection(raw)
    assert migrate(conn, target=7) == list(range(1, 8))
    for number, (run_id, name, points) in enumerate(RUNS, start=1):
        conn.execute("INSERT INTO runs (id, name, status, started_at) VALUES (?,?,'ok',?)",
                     (run_id, name, float(number)))
        conn.execute("INSERT INTO metric_summaries (run_id, key, last, last_time, min, max, "
                     "count) VALUES (?, 'acc', ?, 1, 0, 1, 1)", (run_id, points[-1][1]))
    raw.close()
    store = Store.open(tmp_path / ".artifacts", catalog=url)
    assert store.catalog.scalar("SELECT MAX(version) FROM migrations") == LATEST
    indexes = {row[0] for row in store.catalog.read(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'metric_summaries'")}
    assert "metric_summaries_key_last_run" in indexes
    assert "metric_summaries_key_last" not in indexes
    page = store.search_runs("metrics.acc > 0.5", order_by=["metrics.acc DESC"])
    assert ([r.name for r in page.runs], page.total) == (["second", "first"], 2)  # 0.95, 0.7
    store.close()
