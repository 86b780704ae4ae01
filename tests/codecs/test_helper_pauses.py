"""The helper process pauses its renders while the kernel runs a cell, and only then."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_artifacts.busyflag import BusyFlag, Pauser
from jupyter_artifacts.codecs import background
from jupyter_artifacts.codecs.svgworker import SvgWorker, snapshot
from jupyter_artifacts.store import Store


def _figure() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 3, 2])
    ax.set_title("paused")
    return fig


def _svg_job(store: Store, name: str) -> tuple[dict[str, Any], Any]:
    import matplotlib.pyplot as plt

    from jupyter_artifacts.codecs import save_object

    fig = _figure()
    version, _ = save_object(store, fig, name)
    background.wait_pending()  # the codec's own SVG: not what this test waits for
    payload = snapshot(fig)
    plt.close(fig)
    return {"job": "svg", "store": str(store.root), "objects": store.objects.url,
            "version": version.id}, payload


def test_a_render_waits_while_a_cell_runs_and_goes_on_after(tmp_path: Path) -> None:
    store = Store.open(tmp_path / ".artifacts")
    worker = SvgWorker()
    worker.start()
    job, payload = _svg_job(store, "fig")
    background.hold()  # a cell starts
    try:
        answer = worker.hand_over(job, payload)
        time.sleep(1.5)  # a render of this figure takes well under a second
        assert not answer.done()
    finally:
        background.release()  # the cell ends
    assert answer.result(timeout=60)["ok"]
    worker_proc = worker._proc
    assert worker_proc is not None
    worker_proc.stdin.close()  # type: ignore[union-attr]
    worker_proc.wait(timeout=60)


def test_a_render_handed_over_by_a_kernel_that_is_gone_is_finished(tmp_path: Path) -> None:
    store = Store.open(tmp_path / ".artifacts")
    worker = SvgWorker()
    worker.start()
    job, payload = _svg_job(store, "fig")
    background.hold()
    try:
        worker.hand_over(job, payload)
        proc = worker._proc
        assert proc is not None and proc.stdin is not None
        proc.stdin.close()  # the kernel stops while its cell runs
        proc.wait(timeout=60)
    finally:
        background.release()
    version = store.resolve("fig")
    assert "svg" in store.get_version(version.id).metadata["objects"]


def test_pauses_add_up_to_a_bound_per_render(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_artifacts import busyflag

    monkeypatch.setattr(busyflag, "MAX_PAUSE_S", 0.2)
    flag = BusyFlag()
    pauser = Pauser(flag.path)
    assert not Path(flag.path).exists()  # the helper removed the name once mapped
    flag.set(True)
    pauser.new_job()
    start = time.monotonic()
    for _ in range(5):
        pauser.wait()  # a long cell: the render goes on after the bound, not five times it
    assert time.monotonic() - start < 1.0
    flag.set(False)
    pauser.new_job()
    start = time.monotonic()
    pauser.wait()
    assert time.monotonic() - start < 0.1
    flag.set(True)
    flag.close()  # the kernel leaves in the middle of a cell
    pauser.new_job()
    start = time.monotonic()
    pauser.wait()
    assert time.monotonic() - start < 0.1


def test_the_helper_imports_only_while_the_kernel_is_between_cells(tmp_path: Path) -> None:
    """A helper started during a cell reads the jobs handed over at once (a hand-over never
    waits on a full pipe), but imports its modules (a second of CPU beside the cell) only
    once the cell has ended."""
    import os
    import subprocess
    import sys
    import threading

    from jupyter_artifacts.helperboot import BOOT, frame

    (tmp_path / "probe_helper.py").write_text(
        "import time\n"
        "def serve(jobs, stdout, pauser):\n"
        "    started = time.monotonic()\n"
        "    header, stream, _ = jobs.get()\n"
        "    import probe_heavy\n"
        "    print(started, header['n'], len(stream), flush=True)\n"
        "    assert jobs.get() is None\n")  # as the helper does: until the kernel is gone
    (tmp_path / "probe_heavy.py").write_text("VALUE = 1\n")
    flag = BusyFlag()
    flag.set(True)  # a cell runs
    proc = subprocess.Popen([sys.executable, "-c", BOOT, "probe_helper", flag.path],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert proc.stdin is not None and proc.stdout is not None
    stdin = proc.stdin
    try:
        def hand_over() -> None:  # 2 MB: far more than a pipe holds
            stdin.write(frame(b'{"n": 7}') + frame(b"x" * 2_000_000))
            stdin.flush()

        writer = threading.Thread(target=hand_over)
        writer.start()
        writer.join(timeout=20)
        assert not writer.is_alive(), "the hand-over waited for the helper's imports"
        time.sleep(0.5)
        ended = time.monotonic()
        flag.set(False)  # the cell ends
        started, n, size = proc.stdout.readline().split()
        assert float(started) >= ended  # the worker was imported only after the cell
        assert (int(n), int(size)) == (7, 2_000_000)
        stdin.close()
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        flag.close()


def test_imports_wait_no_longer_than_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys

    from jupyter_artifacts import busyflag
    from jupyter_artifacts.helperboot import ImportsWhenIdle

    monkeypatch.setattr(busyflag, "MAX_PAUSE_S", 0.3)
    flag = BusyFlag()
    pauser = Pauser(flag.path)
    flag.set(True)
    finder = ImportsWhenIdle(pauser.wait)
    sys.meta_path.insert(0, finder)
    try:
        start = time.monotonic()
        importlib.import_module("json.tool")  # not imported yet: waits, up to the bound
        assert 0.25 < time.monotonic() - start < 2.0
    finally:
        sys.meta_path.remove(finder)
        flag.close()
