"""Filtered, ordered run search and the runs table at scale (issue 13's targets).

The catalog is generated with bulk SQL (recursive CTEs) straight into the real tables,
not through the API: ``N`` runs with 10 params and 10 metric summaries each.
Run: ``python benchmarks/bench_query.py [--runs 100000 1000000] [--frame-runs 10000 100000]``
(the default is 100,000 only: the million-run catalog takes 2.7 GB and minutes to build).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from collections.abc import Callable
from typing import Any

from _common import emit, median_of, scratch

from jupyter_artifacts.store import Store, counts
from jupyter_artifacts.store.catalog_sqlite import SQLiteCatalog

FILTER = "params.model = 'rf' and metrics.m0 > 0.9"
ORDER = ["metrics.m1 DESC"]


def build(store: Store, runs: int) -> None:
    """``runs`` runs, params p0..p8 (numbers) and model (4 values), metrics m0..m9 in [0, 1).

    Straight into the catalog file with SQLite's journal off (a scratch store: a crash just
    loses it), rows in primary-key order so every insert appends.
    """
    path = store.catalog.path
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -1000000"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO runs (id, name, status, started_at, ended_at, notebook_path) "
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
        "SELECT lower(hex(randomblob(16))), 'train-' || (i % 50), "
        "CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'ok' END, 1.7e9 + i, 1.7e9 + i + 5, "
        "'nb-' || (i % 20) || '.ipynb' FROM c", (runs,))
    conn.execute(
        "INSERT INTO params (run_id, key, value, typed_value) "
        "WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 9) "
        "SELECT id, key, value, json_extract(value, '$') FROM (SELECT r.id AS id, "
        "CASE WHEN k.j = 9 THEN 'model' ELSE 'p' || k.j END AS key, "
        "CASE WHEN k.j < 9 THEN CAST((abs(random()) % 1000) / 100.0 AS TEXT) "
        "ELSE json_quote(CASE r.number % 4 WHEN 0 THEN 'rf' WHEN 1 THEN 'lr' WHEN 2 THEN 'svm' "
        "ELSE 'knn' END) END AS value FROM runs r, k ORDER BY r.id, 2)")
    conn.execute(
        "INSERT INTO metric_summaries (run_id, key, last, last_step, last_time, min, "
        "step_min, max, step_max, count) "
        "WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 9) "
        "SELECT run_id, key, v, 9, 1.7e9, v, 0, v, 9, 10 FROM (SELECT r.id AS run_id, "
        "'m' || k.j AS key, (abs(random()) % 100000) / 100000.0 AS v FROM runs r, k "
        "ORDER BY r.id, 2)")
    conn.execute("INSERT INTO run_tags SELECT id, 'sweep-7' FROM runs WHERE number % 3 = 0 "
                 "ORDER BY id")
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    store.catalog = SQLiteCatalog(path)


def cpu_median(fn: Callable[[], Any], repeat: int) -> float:
    """The median CPU time of ``fn()`` in seconds: on a shared, loaded machine the wall
    clock also counts the time other processes held the cores."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def bench_filter(runs: int, target_ms: float) -> None:
    with scratch() as folder:
        store = Store.open(folder / ".artifacts")
        start = time.perf_counter()
        build(store, runs)
        emit(f"query_build_{runs}_runs", time.perf_counter() - start, "s", None)
        page = store.search_runs(FILTER, order_by=ORDER, limit=100)
        assert len(page.runs) == 100, page.total
        query = lambda: store.search_runs(FILTER, order_by=ORDER, limit=100)  # noqa: E731

        def uncounted() -> None:  # the same, with the total counted again (a changed store)
            counts._COUNTS.clear()
            query()

        seconds = median_of(query, 7)
        emit(f"query_{runs}_param_eq_metric_range_top100", seconds * 1e3, "ms",
             f"< {target_ms:.0f} ms", total=page.total, filter=FILTER, order_by=ORDER,
             cpu_ms=round(cpu_median(query, 7) * 1e3, 1),
             uncounted_ms=round(median_of(uncounted, 7) * 1e3, 1),
             uncounted_cpu_ms=round(cpu_median(uncounted, 7) * 1e3, 1))
        store.close()


def wall_and_cpu(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``fn()``, from the same ``repeat`` calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls), statistics.median(cpus)


def bench_frame(runs: int, repeat: int = 9) -> None:
    """``ja.runs(limit=None)``: every run as a DataFrame with its params and metrics."""
    import pandas as pd

    import jupyter_artifacts as ja
    from jupyter_artifacts import tracking

    with scratch() as folder:
        store = Store.open(folder / ".artifacts")
        build(store, runs)
        tracking.set_default_store(store)
        frame = ja.runs(limit=None)
        assert len(frame) == runs and isinstance(frame, pd.DataFrame), frame.shape
        wall, cpu = wall_and_cpu(lambda: ja.runs(limit=None), repeat)
        emit(f"runs_frame_{runs}_runs_10_params_10_metrics", wall * 1e3, "ms",
             "< 100 ms" if runs <= 10_000 else None, columns=len(frame.columns),
             cpu_ms=round(cpu * 1e3, 1), repeat=repeat)
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, nargs="*", default=[100_000],
                        help="catalog sizes; add 1000000 for the large target (2.7 GB, minutes)")
    parser.add_argument("--frame-runs", type=int, nargs="*", default=[10_000],
                        help="catalog sizes for the DataFrame of every run (add 100000)")
    args = parser.parse_args()
    for runs in args.frame_runs:
        bench_frame(runs)
    for runs in args.runs:
        bench_filter(runs, 30 if runs <= 100_000 else 300 * runs / 1_000_000)


if __name__ == "__main__":
    main()
