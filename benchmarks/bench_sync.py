"""Local-first sync at scale (issue 10): a push and a pull with nothing new over 10,000 runs.

A local store of ``N`` finished runs (10 params, 3 metric points + summaries, a tag, an
output version each; 100 distinct objects) is built with bulk SQL, pushed once to an empty
team store (the full copy is reported too), then pushed and pulled again with nothing new:
target under 2 s and 0 object bytes. Wall and CPU time (the machine may be shared).
Run: ``python benchmarks/bench_sync.py [--runs 10000] [--repeat 3]``; against a team store on
servers: ``--catalog postgresql://host/db --objects s3://bucket/prefix`` (an empty catalog;
credentials from PG*/AWS_*), else a team store folder made in a scratch folder.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from collections.abc import Callable
from typing import Any

from _common import emit, scratch

from jupyter_artifacts.store import Store
from jupyter_artifacts.store.remotes import add_remote

OBJECTS = 100


def build(store: Store, runs: int) -> Store:
    """``runs`` finished runs, each with params, metrics, a tag and one output version."""
    oids = [store.objects.put_bytes(f"object {i}".encode() * 100)[0] for i in range(OBJECTS)]
    path = store.catalog.path
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.execute("CREATE TEMP TABLE objs (k INTEGER PRIMARY KEY, oid TEXT)")
    conn.executemany("INSERT INTO objs VALUES (?, ?)", enumerate(oids))
    conn.execute(
        "INSERT INTO runs (id, name, status, started_at, ended_at, host, pid, username) "
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
        "SELECT lower(hex(randomblob(16))), 'train-' || (i % 50), 'ok', 1.7e9 + i, "
        "1.7e9 + i + 5, 'bench-host', 1, 'bench' FROM c", (runs,))
    conn.execute(
        "INSERT INTO params (run_id, key, value) "
        "WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 9) "
        "SELECT r.id, 'p' || k.j, CAST(abs(random()) % 1000 AS TEXT) FROM runs r, k")
    conn.execute(
        "INSERT INTO metrics (run_id, key, step, value, time) "
        "WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 2) "
        "SELECT r.id, 'loss', k.j, 1.0 / (k.j + 1), 1.7e9 FROM runs r, k")
    conn.execute(
        "INSERT INTO metric_summaries SELECT id, 'loss', 0.33, 2, 1.7e9, 0.33, 2, 1.0, 0, 3 "
        "FROM runs")
    conn.execute("INSERT INTO run_tags SELECT id, 'sweep' FROM runs")
    conn.execute("INSERT INTO artifacts SELECT 'model-' || k, 'model', 1.7e9, 1.7e9 FROM objs")
    conn.execute(
        "INSERT INTO versions (id, name, version, oid, kind, media_type, codec, size, "
        "created_at, run_id) SELECT lower(hex(randomblob(16))), 'model-' || (r.number % ?), "
        "1 + r.number / ?, o.oid, 'model', 'text/plain', 'text', 900, r.started_at, r.id "
        "FROM runs r JOIN objs o ON o.k = r.number % ?", (OBJECTS, OBJECTS, OBJECTS))
    conn.execute("INSERT INTO events SELECT run_id, id, 'output', created_at FROM versions")
    conn.execute("INSERT INTO aliases SELECT name, 'latest', id FROM versions v WHERE version = "
                 "(SELECT MAX(version) FROM versions w WHERE w.name = v.name)")
    conn.execute("COMMIT")
    conn.close()
    return Store.open(store.root, create=False)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds of ``fn()``, and its last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def bench(runs: int, repeat: int, catalog: str | None, objects: str | None) -> None:
    with scratch() as folder:
        local = Store.open(folder / "local" / ".artifacts")
        local = build(local, runs)
        if catalog is None:
            catalog = str(folder / "team" / ".artifacts")
            Store.open(catalog).close()
        add_remote(local.root, "team", catalog, objects)
        wall, cpu, report = timed(lambda: local.push("team"), 1)
        team = "+".join("folder" if not url or "://" not in url else url.split("://")[0]
                        for url in (catalog, objects))  # catalog+objects, e.g. postgresql+s3
        emit("sync_first_push", wall, "s", None, team=team, cpu_s=round(cpu, 3), runs=len(report.runs),
             versions=len(report.versions), objects=report.objects,
             object_bytes=report.object_bytes)
        for name, step in (("push", local.push), ("pull", local.pull)):
            wall, cpu, report = timed(lambda step=step: step("team"), repeat)  # type: ignore[misc]
            assert report.moved_nothing, report.summary()
            emit(f"sync_{name}_nothing_new", wall, "s", "< 2 s", team=team, cpu_s=round(cpu, 3),
                 runs=runs,
                 object_bytes=report.object_bytes)
        local.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--catalog", help="the team store's catalog URL (default: a folder)")
    parser.add_argument("--objects", help="the team store's objects URL")
    args = parser.parse_args()
    bench(args.runs, args.repeat, args.catalog, args.objects)


if __name__ == "__main__":
    main()
