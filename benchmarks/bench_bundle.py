"""Bundling a scikit-learn model (target: under 2 s plus the time to copy its bytes), and
re-exporting unchanged runs to MLflow (target: 10,000 runs in under 2 s, writing nothing).

    python benchmarks/bench_bundle.py [--runs 10000] [--skip-mlflow]

Prints JSON lines; CPU time (time.process_time) next to wall time, as the machine is shared.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import emit, scratch

import jupyter_artifacts as ja
from jupyter_artifacts.ship.bundle import bundle
from jupyter_artifacts.store import Store


def timed(fn: object) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()  # type: ignore[operator]
    return time.perf_counter() - wall, time.process_time() - cpu, result


def bench_bundle(folder: Path) -> None:
    from sklearn.ensemble import RandomForestClassifier

    store = ja.open_store(folder / ".artifacts")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(10_000, 20)), columns=[f"f{i}" for i in range(20)])
    y = (X.f0 + X.f1 > 0).astype(int)
    ja.save(X, "X_train")
    with ja.run("train"):
        model = RandomForestClassifier(n_estimators=100, random_state=0).fit(ja.load("X_train"), y)
        ja.save(model, "model")
    version = store.resolve("model")
    copy_wall, _, _ = timed(lambda: store.objects.copy_to(version.oid, folder / "copy.skops"))
    for onnx in (True, False):
        results = [timed(functools.partial(bundle, store, "model", folder / f"b-{onnx}-{i}", onnx=onnx))
                   for i in range(3)]
        wall, cpu, _ = min(results, key=lambda r: r[0])
        emit(f"bundle_sklearn_rf100{'_onnx' if onnx else ''}", wall, "s",
             target="< 2 s + copy", cpu_s=round(cpu, 3), copy_s=round(copy_wall, 4),
             minus_copy_s=round(wall - copy_wall, 3), model_bytes=version.size,
             first_s=round(results[0][0], 3))


def bench_reexport(folder: Path, n: int) -> None:
    from jupyter_artifacts.ship.mlflow_export import export_runs

    store = Store.open(folder / ".artifacts")
    start = time.time() - n
    for i in range(n):
        run = store.create_run(f"trial-{i}", tags=["sweep"], params={"lr": 0.001 * i, "depth": i % 7,
                                                                     "model": "rf"},
                               started_at=start + i)
        store.log_metrics([(run.id, "loss", s, 1 / (s + 1 + i), start + i + s) for s in range(3)]
                          + [(run.id, "acc", None, 0.5 + i / (2 * n), start + i + 3)])
        store.finish_run(run.id, "ok", ended_at=start + i + 4)
    db = folder / "mlflow.db"
    uri = f"sqlite:///{db}"
    wall, cpu, report = timed(lambda: export_runs(store, uri))
    emit("mlflow_first_export", wall, "s", cpu_s=round(cpu, 2), runs=n,
         created=report.created)  # type: ignore[attr-defined]
    before = os.stat(db).st_mtime_ns, os.stat(db).st_size
    wall, cpu, report = timed(lambda: export_runs(store, uri))
    after = os.stat(db).st_mtime_ns, os.stat(db).st_size
    emit("mlflow_reexport_unchanged", wall, "s", target="< 2 s for 10000 runs", cpu_s=round(cpu, 2),
         runs=n, unchanged=report.unchanged, database_written=before != after)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--skip-mlflow", action="store_true")
    args = parser.parse_args()
    with scratch() as folder:
        bench_bundle(folder)
    if not args.skip_mlflow:
        with scratch() as folder:
            bench_reexport(folder, args.runs)


if __name__ == "__main__":
    sys.exit(main())
