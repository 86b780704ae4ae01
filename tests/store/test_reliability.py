"""Reliability that must hold: concurrent writers, and a writer killed mid-save."""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.store import Store

WORKERS = 4
SAVES = 10
POINTS = 3000


def _worker(root: str, index: int, barrier: mp.synchronize.Barrier) -> None:
    """Save artifacts and log metrics, all at once with the other workers."""
    barrier.wait()
    store = Store.open(root)  # the first openers race to create and migrate the catalog
    with ja.run(f"worker-{index}", store=store):
        for i in range(SAVES):
            ja.save(f"worker {index} save {i}", "shared")
            ja.save({"i": i, "worker": index}, f"own-{index}")
            for step in range(POINTS // SAVES):
                ja.log_metric("loss", float(index * 1000 + i), step=i * (POINTS // SAVES) + step)
    store.close()


def test_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    root = tmp_path / "store"
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    procs = [ctx.Process(target=_worker, args=(str(root), i, barrier)) for i in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
    assert [p.exitcode for p in procs] == [0] * WORKERS  # a "database is locked" would fail one

    store = Store.open(root)
    page = store.query_runs(limit=None)
    assert sorted(r.name for r in page.runs) == [f"worker-{i}" for i in range(WORKERS)]
    assert {r.status for r in page.runs} == {"ok"}
    for run in page.runs:
        assert store.metric_summary(run.id)["loss"]["count"] == POINTS
    shared = store.versions("shared")
    assert [v.version for v in shared] == list(range(1, WORKERS * SAVES + 1))
    for i in range(WORKERS):
        assert len(store.versions(f"own-{i}")) == SAVES
    assert store.verify().ok


_KILLED_WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    import jupyter_artifacts as ja
    ja.open_store(sys.argv[1])
    base = np.ones(300 * 1024 * 1024 // 8)  # 300 MB
    for i in range(50):  # keep saving new content until the parent kills us mid-write
        base[0] = i
        ja.save(base, "big")
""")


def _wait_for_growing_tmp(tmp_dir: Path, proc: subprocess.Popen[bytes]) -> Path:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        for path in tmp_dir.iterdir():
            try:
                before = path.stat().st_size
                time.sleep(0.002)
                if 0 < before < path.stat().st_size:
                    return path
            except FileNotFoundError:
                continue  # published or removed under our feet
        time.sleep(0.001)
    pytest.fail("never saw a temp file growing")


def test_writer_killed_mid_save_leaves_a_sound_store(tmp_path: Path) -> None:
    root = tmp_path / "store"
    Store.open(root).close()
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(root)])
    try:
        partial = _wait_for_growing_tmp(root / "tmp", proc)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    try:
        assert partial.exists() and partial.stat().st_size < 300 * 1024 * 1024

        store = Store.open(root)
        report = store.verify()
        assert report.ok, report.problems
        # Only whole objects are visible, and each has its version: the killed one has neither.
        versions = store.versions("big") if store.list_artifacts() else []
        assert sorted(v.oid for v in versions) == sorted(store.objects.iter_oids())
        assert all(v.size > 300 * 1024 * 1024 for v in versions)

        gc = store.gc()
        assert gc.removed_tmp == 1 and gc.removed_objects == []
        assert not partial.exists()
        assert store.verify().ok
    finally:
        shutil.rmtree(root, ignore_errors=True)  # 300 MB objects: do not leave them behind
