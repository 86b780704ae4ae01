"""A filtered, metric-ordered run search over 1,000,000 runs in a PostgreSQL catalog.

Each run has 10 params and 10 metrics (their per-run summaries, which search reads), bulk
loaded with COPY into the real schema (secondary indexes rebuilt after the load). The
search: a param equality and a metric range, ordered by another metric, top 100. Its first
call (page and exact total) is the median over six filters not seen before (other values of
the param); later calls find the total remembered.

Uses the server at ``$JA_BENCH_PG_URL`` (a database it may fill), else starts a throwaway
one from Debian's binaries as the tests do (tests/services/postgres.py).
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from _common import emit, scratch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jupyter_artifacts.store import Store

RUNS = int(os.environ.get("JA_BENCH_RUNS", 1_000_000))
KEYS = 10
CHUNK = 50_000
FILTER = "params.p0 = 'v3' and metrics.m1 > 0.5"
ORDER = "metrics.m0 DESC"
NEW_VALUES = (4, 5, 6, 7, 8, 3)  # the filter with p0 = 'v4', ..., then 'v3' (FILTER itself)


@contextlib.contextmanager
def database() -> Iterator[str]:
    url = os.environ.get("JA_BENCH_PG_URL")
    if url:
        yield url
        return
    from tests.services.postgres import running_postgres

    with running_postgres() as server:
        yield server.url(server.new_database("bench"))


def _rows(start: int, stop: int, rng: random.Random, now: float) -> tuple[str, str, str]:
    runs, params, metrics = [], [], []
    for n in range(start, stop):
        rid = uuid.UUID(int=rng.getrandbits(128)).hex
        runs.append(f"{rid}\ttrain\tok\t{now - n}\t{now - n + 5}\n")
        # The value and its typed copy (migration 6: what json_extract(value, '$') gives).
        params.append("".join(f'{rid}\tp{k}\t"v{v}"\t"v{v}"\n'
                              for k, v in ((k, rng.randrange(10)) for k in range(KEYS))))
        for k in range(KEYS):
            value = rng.random()
            metrics.append(f"{rid}\tm{k}\t{value}\t9\t{now}\t{value}\t0\t{value}\t9\t10\n")
    return "".join(runs), "".join(params), "".join(metrics)


def load(store: Store, count: int = RUNS) -> None:
    """COPY ``count`` runs, their params and metric summaries in, without secondary indexes
    meanwhile."""
    raw = store.catalog._conn.raw  # type: ignore[attr-defined]
    indexes = [row[0] for row in raw.execute(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN "
        "('runs', 'params', 'metric_summaries') AND indexname NOT IN (SELECT conname FROM "
        "pg_constraint)").fetchall()]
    names = [d.split(" INDEX ", 1)[1].split(" ON ", 1)[0] for d in indexes]
    for name in names:
        raw.execute(f"DROP INDEX {name}")
    rng, now = random.Random(0), time.time()
    # The generated rows are consistent: skip the per-row foreign key triggers while loading.
    raw.execute("SET session_replication_role = replica")
    with raw.transaction():
        for start in range(0, count, CHUNK):
            runs, params, metrics = _rows(start, min(count, start + CHUNK), rng, now)
            with raw.cursor() as cur:
                for sql, data in (
                        ("COPY runs (id, name, status, started_at, ended_at) FROM STDIN", runs),
                        ("COPY params (run_id, key, value, typed_value) FROM STDIN", params),
                        ("COPY metric_summaries (run_id, key, last, last_step, last_time, min, "
                         "step_min, max, step_max, count) FROM STDIN", metrics)):
                    with cur.copy(sql) as copy:
                        copy.write(data)
    raw.execute("SET session_replication_role = DEFAULT")
    raw.execute("SET maintenance_work_mem = '512MB'")
    for definition in indexes:
        raw.execute(definition)
    # What autovacuum does after a bulk insert (autovacuum_vacuum_insert_threshold): without
    # the visibility map an index-only scan reads every matched row from the table too.
    raw.execute("VACUUM (ANALYZE)")


def main() -> None:
    with database() as url, scratch() as folder:
        store = Store.open(folder / ".artifacts", catalog=url)
        start, cpu = time.perf_counter(), time.process_time()
        load(store)
        emit("pg_search_load_1m_runs", time.perf_counter() - start, "s", None,
             runs=RUNS, client_cpu_s=round(time.process_time() - cpu, 1))

        firsts, cpus = [], []
        for value in NEW_VALUES:  # each a filter not seen before: its count is computed
            start, cpu = time.perf_counter(), time.process_time()
            page = store.search_runs(FILTER.replace("'v3'", f"'v{value}'"), order_by=[ORDER],
                                     limit=100)
            firsts.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
            assert len(page.runs) == 100 and page.total > RUNS // 100, page.total
        emit("pg_search_1m_first_call_with_count", sorted(firsts)[len(firsts) // 2] * 1e3, "ms",
             "< 200 ms", min_ms=round(min(firsts) * 1e3, 1), runs=len(firsts),
             total=page.total, client_cpu_ms=round(sorted(cpus)[len(cpus) // 2] * 1e3, 1))
        times = []
        for _ in range(5):  # the count is then remembered until the catalog changes
            start = time.perf_counter()
            store.search_runs(FILTER, order_by=[ORDER], limit=100)
            times.append(time.perf_counter() - start)
        emit("pg_search_1m_page", min(times) * 1e3, "ms", "< 200 ms",
             median_ms=round(sorted(times)[2] * 1e3, 1))
        for label, sql in _explained(store):
            emit(label, sql, "ms", "server execution time (EXPLAIN ANALYZE)")
        store.close()


def _explained(store: Store) -> list[tuple[str, float]]:
    """EXPLAIN ANALYZE's execution times of the page and count queries search runs (on
    PostgreSQL the count runs beside the page, on a second connection: see
    store/catalog_pg_beside.py)."""
    from jupyter_artifacts.store import counts, search
    from jupyter_artifacts.store.dialect_pg import translate

    captured: list[tuple[str, list[object]]] = []
    catalog = store.catalog
    original = catalog.read

    def spy(sql: str, params: object = (), named: bool = False, **hints: bool) -> list[object]:
        captured.append((sql, list(params)))  # type: ignore[call-overload]
        return original(sql, params, named, **hints)

    catalog.read = spy  # type: ignore[method-assign]
    counts._COUNTS.clear()
    try:
        node, where, keys = search.prepare_runs(catalog, FILTER, [ORDER])
        search.run_page_rows(catalog, node, where, keys, 100, 0)
        search.count_runs(catalog, node)
    finally:
        catalog.read = original  # type: ignore[method-assign]
    out = []
    raw = catalog._conn.raw  # type: ignore[attr-defined]
    for label, (sql, params) in zip(("pg_search_1m_page_sql", "pg_search_1m_count_sql"),
                                    captured, strict=False):
        text, values = translate(sql, params)
        # As search runs them: a page without parallel workers (PostgresCatalog.read).
        workers = "0" if label.endswith("page_sql") else "DEFAULT"
        raw.execute(f"SET max_parallel_workers_per_gather = {workers}")
        # TIMING OFF: timing every row of every node adds 10-20% to a count of 600,000 rows.
        plan = raw.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + text,
                           values).fetchone()[0]
        out.append((label, float(plan[0]["Execution Time"])))
    raw.execute("RESET max_parallel_workers_per_gather")
    return out


if __name__ == "__main__":
    main()
