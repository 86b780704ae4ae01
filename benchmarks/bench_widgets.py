"""Widget benchmarks: prints one JSON line per measurement (not a test; nothing asserts time).

    python benchmarks/bench_widgets.py [--runs 100000] [--compare-runs 20] [--steps 10000]

Targets (issue 4): the panel opens "instantly" on 100,000 runs; comparing 20 runs with
10,000 steps each opens in under a second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from jupyter_artifacts.graph import build_lineage
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.runs import INSERT_PARAM
from jupyter_artifacts.widgets import compare, panel
from jupyter_artifacts.widgets.graph import lineage_svg


def timed(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, float, Any]:
    """Median and best wall time of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), result


def emit(name: str, seconds: float, best: float, **extra: Any) -> None:
    print(json.dumps({"bench": name, "median_s": round(seconds, 4), "best_s": round(best, 4), **extra}))
    sys.stdout.flush()


def fill_runs(store: Store, count: int) -> None:
    base = time.time() - count
    rows = [(uuid.uuid4().hex, f"sweep-{i % 97}", "ok", base + i, base + i + 5) for i in range(count)]
    with store.catalog.write() as conn:
        conn.executemany("INSERT INTO runs (id, name, status, started_at, ended_at) VALUES (?,?,?,?,?)", rows)
        conn.executemany(INSERT_PARAM, [(r[0], "lr", "0.01") for r in rows])


def fill_curves(store: Store, runs: int, steps: int, keys: tuple[str, ...]) -> list[str]:
    refs = []
    for i in range(runs):
        run = store.create_run(f"long-{i}", params={"lr": 10.0 ** -(i % 5), "seed": i})
        now = time.time()
        store.log_metrics([(run.id, key, s, 1.0 / (1 + s * (i + 1) / 1000) + (0.1 if key == "acc" else 0),
                            now + s) for key in keys for s in range(steps)])
        store.finish_run(run.id)
        refs.append(run.ref)
    return refs


def fill_lineage(store: Store, trainings: int) -> str:
    """raw -> 5 feature runs -> features -> ``trainings`` runs -> model, metrics, roc each."""
    def put(name: str, data: bytes, run_id: str, kind: str) -> str:
        oid, size, _ = store.objects.put_bytes(data)
        version, _ = store.add_version(name, oid=oid, kind=kind, media_type="application/json",
                                       codec="json", size=size, run_id=run_id)
        return version.ref

    raw = put("raw", b"raw", store.create_run("prepare").id, "dataset")
    features = []
    for f in range(5):
        run = store.create_run(f"features-{f}")
        store.record_event(run.id, raw, "input")
        features.append(put(f"features/{f}", f"f{f}".encode(), run.id, "features"))
    for i in range(trainings):
        run = store.create_run("train")
        for ref in (features[i % 5], features[(i + 1) % 5]):
            store.record_event(run.id, ref, "input")
        for name, kind in (("model", "model"), ("metrics", "metrics"), ("roc", "figure")):
            put(name, f"{name}{i}".encode(), run.id, kind)
    return raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--compare-runs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / ".artifacts")
        fill_runs(store, args.runs)
        med, best, p = timed(lambda: panel(store))
        emit("panel_open", med, best, runs=args.runs, rows_built=len(p.page["rows"]))
        med, best, _ = timed(lambda: p.goto(p.page["pages"] // 2))
        emit("panel_page_middle", med, best, runs=args.runs)
        p.f_name.value = ""
        p.sort.value = "params.lr"  # re-queries once; the timed part is the page query itself
        med, best, _ = timed(p.load_page)
        emit("panel_sort_by_param", med, best, runs=args.runs)
        store.close()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / ".artifacts")
        root = fill_lineage(store, 45)
        med, best, graph = timed(lambda: build_lineage(store, root), repeat=3)
        emit("lineage_query", med, best, nodes=len(graph.nodes), edges=len(graph.edges))
        med, best, svg = timed(lambda: lineage_svg(graph.graph()), repeat=3)
        emit("lineage_layout_svg", med, best, nodes=len(graph.nodes), svg_bytes=len(svg))
        store.close()
    for keys in (("loss",), ("loss", "acc")):
        with tempfile.TemporaryDirectory() as tmp:
            store = Store.open(Path(tmp) / ".artifacts")
            refs = fill_curves(store, args.compare_runs, args.steps, keys)
            def open_compare(s: Store = store, r: list[str] = refs) -> Any:
                return compare(*r, store=s)

            med, best, view = timed(open_compare, repeat=5)
            drawn = sum(len(s["x"]) for k in view.data["curves"]["series"].values() for s in k)
            emit("compare_open", med, best, runs=args.compare_runs, steps=args.steps, metrics=len(keys),
                 points_stored=len(keys) * args.compare_runs * args.steps, points_drawn=drawn)
            store.close()


if __name__ == "__main__":
    main()
