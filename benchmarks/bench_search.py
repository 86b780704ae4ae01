"""A filtered, metric-ordered search over 100,000 runs in the real schema."""

from __future__ import annotations

import random
import time
import uuid

from _common import emit, median_of, scratch

from jupyter_artifacts.store import Store
from jupyter_artifacts.store.runs import INSERT_PARAM, insert_metrics

RUNS = 100_000


def build(store: Store) -> None:
    """Insert the runs, their params, tags and metrics in one transaction (fast, but real tables)."""
    rng = random.Random(0)
    ids = [uuid.uuid4().hex for _ in range(RUNS)]
    now = time.time()
    with store.catalog.write() as conn:
        conn.executemany(
            "INSERT INTO runs (id, name, status, started_at, ended_at) VALUES (?,?,?,?,?)",
            [(rid, rng.choice(["train", "eval", "sweep"]), rng.choice(["ok", "ok", "ok", "failed"]),
              now - i, now - i + 5) for i, rid in enumerate(ids)],
        )
        conn.executemany(INSERT_PARAM,
                         [(rid, key, str(rng.random())) for rid in ids for key in ("lr", "depth")])
        conn.executemany("INSERT INTO run_tags VALUES (?,?)",
                         [(rid, "sweep-7") for rid in ids if rng.random() < 0.3])
        insert_metrics(conn, [(rid, key, step, rng.random(), now)
                              for rid in ids for key in ("acc", "loss") for step in range(3)])


def main() -> None:
    with scratch() as folder:
        store = Store.open(folder / ".artifacts")
        start = time.perf_counter()
        build(store)
        emit("search_build_100k_runs", time.perf_counter() - start, "s", None)
        queries = {
            "search_100k_status_metric_order": dict(status="ok", order_by="metrics.acc"),
            "search_100k_name_tag_metric_order": dict(name="train", tag="sweep-7", order_by="metrics.acc"),
            "search_100k_metric_order_ascending": dict(order_by="metrics.loss", descending=False),
        }
        for label, query in queries.items():
            page = store.query_runs(limit=100, **query)
            assert len(page.runs) == 100 and page.total > 1000
            seconds = median_of(lambda q=query: store.query_runs(limit=100, **q), 7)
            emit(label, seconds * 1e3, "ms", "< 100 ms (MLflow: 1.5 s over 10,000)", total=page.total)
        store.close()


if __name__ == "__main__":
    main()
