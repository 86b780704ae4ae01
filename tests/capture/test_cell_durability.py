"""A tracked cell's objects are synced to disk right after the cell, not on its path."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_artifacts.store import Store
from tests.recording import record_fsyncs

from .conftest import run


def test_the_cells_objects_are_synced_off_the_main_thread(shell: InteractiveShell, store_dir: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    run(shell, "%%track warm\nprint('warm')")  # the store exists: creating it syncs on its own
    synced = record_fsyncs(monkeypatch)
    run(shell, "%%track report\nimport matplotlib.pyplot as plt\n"
               "plt.plot([1, 3, 2]); plt.title('loss')\nprint('trained and plotted')")
    store = Store.open(store_dir, create=False)
    outputs = [v for kind, v in store.run_events("report") if kind == "output"]
    assert {"report/stdout", "loss"} <= {v.name for v in outputs}
    objects_dir = str(store_dir / "objects")
    object_syncs = [(name, path) for name, path in synced if path.startswith(objects_dir)]
    for version in outputs:
        path = str(store.objects.path(version.oid))  # type: ignore[attr-defined]
        assert path in {p for _, p in object_syncs}, f"{version.name} was never synced"
    assert object_syncs and all(name != "MainThread" for name, _ in object_syncs)
    store.close()


def test_background_jobs_wait_for_the_cell_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_artifacts.codecs import background

    ran = threading.Event()
    background.hold()
    try:
        future = background.submit(ran.set, lane="test-hold")
        assert not ran.wait(0.3)  # held while the cell runs
        unheld = background.submit(lambda: None, lane="test-unheld", hold=False)
        unheld.result(timeout=5)  # a job that asks not to be held runs at once
    finally:
        background.release()
    future.result(timeout=5)
    assert ran.is_set()


def test_a_held_job_runs_anyway_after_max_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_artifacts.codecs import background

    monkeypatch.setattr(background, "MAX_HOLD_S", 0.2)
    background.hold()
    try:
        background.submit(lambda: None, lane="test-hold").result(timeout=5)  # a long cell
    finally:
        background.release()


def test_waiting_for_jobs_lets_held_ones_through() -> None:
    from jupyter_artifacts.codecs import background

    background.hold()
    done = background.submit(lambda: 42, lane="test-hold")
    background.wait_pending(timeout=5)
    assert done.result(timeout=0) == 42


def test_a_cell_holds_background_work_until_it_ends(shell: InteractiveShell) -> None:
    run(shell, "from jupyter_artifacts.codecs import background as _bg\nimport threading, time\n"
               "ran = threading.Event()\njob = _bg.submit(ran.set, lane='test-cell')\n"
               "time.sleep(0.3)\nheld = not ran.is_set()")
    assert shell.user_ns["held"], "a job ran while the cell was running"
    shell.user_ns["job"].result(timeout=5)  # and once it ended


def test_the_wait_for_the_last_cells_figure_counts_in_the_next_cells_cost(
        shell: InteractiveShell, store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from jupyter_artifacts.codecs import figures

    real = figures.snapshot

    def slow(fig: object) -> bytes:
        time.sleep(0.4)  # a figure of many artists pickles slowly
        return real(fig)

    monkeypatch.setattr(figures, "snapshot", slow)
    shell.run_cell("%%track plot\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3])")
    run(shell, "%%track after\nx = 1")
    store = Store.open(store_dir, create=False)
    cost = store.get_run("after").metadata["tracking_cost"]
    assert cost["critical_ms"] >= 300, cost  # it waited for the figure's copy, for tracking
    store.close()
