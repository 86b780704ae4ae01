"""Runs whose writing process is gone read as ``dead``, everywhere, without readers writing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import jupyter_artifacts as ja
from jupyter_artifacts import tracking
from jupyter_artifacts.cli import main
from jupyter_artifacts.store import Store, liveness

pytestmark = pytest.mark.both_catalogs  # each test runs on SQLite and on PostgreSQL

VICTIM = """
import sys, time
import jupyter_artifacts as ja
with ja.run("victim", tags=["doomed"]) as run:
    for step in range(5):
        ja.log_metric("loss", 1.0 / (step + 1))
    ja.log_param("lr", 0.1)
    run.flush()
    print("started", flush=True)
    time.sleep(600)
"""


def _gone_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _set_writer(store: Store, run_id: str, **cols: object) -> None:
    with store.catalog.write() as conn:
        sets = ", ".join(f"{k} = ?" for k in cols)
        conn.execute(f"UPDATE runs SET {sets} WHERE id = ?", [*cols.values(), run_id])


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_run_killed_mid_way_reads_dead_everywhere(
    store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proc = subprocess.Popen([sys.executable, "-c", VICTIM], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        store = Store.open(store_dir, create=False)
        tracking.set_default_store(store)
        run = store.get_run("victim")
        assert (run.status, run.host, run.pid) == ("running", socket.gethostname(), proc.pid)
        assert run.heartbeat_at is not None
        token = store.change_token()
        changes = store.catalog.scalar("SELECT value FROM meta WHERE key = 'changes'")
        os.kill(proc.pid, signal.SIGKILL)
        for _ in range(200):  # wait for the signal to land (not for any timeout)
            stat = liveness._proc_stat(proc.pid)
            if stat is None or stat[0] == "Z":
                break
            time.sleep(0.05)
        # Not yet reaped by its parent (this test): a zombie is dead too.
        assert store.get_run("victim").status == "dead"
    finally:
        proc.kill()
        proc.wait()
    assert store.get_run(run.id).status == "dead"
    assert store.change_token() != token  # the sidebar's poll notices the death
    # Readers derive it: nothing was written.
    assert store.catalog.scalar("SELECT value FROM meta WHERE key = 'changes'") == changes
    assert store.catalog.scalar("SELECT status FROM runs WHERE id = ?", (run.id,)) == "running"

    assert store.query_runs(status="dead").total == 1
    assert store.query_runs(status="running").total == 0
    frame = ja.runs()
    assert list(frame["status"]) == ["dead"]
    assert list(ja.runs(status="dead")["run"]) == [run.ref]
    assert ja.get_run(run.ref).status == "dead"
    assert store.metric_summary(run.id)["loss"]["count"] == 5  # what was flushed is kept
    assert main(["runs", "--store", str(store_dir)]) == 0
    assert "dead" in capsys.readouterr().out
    assert main(["show", run.ref, "--store", str(store_dir)]) == 0
    out = capsys.readouterr().out
    assert "[dead]" in out and f"pid {proc.pid}" in out
    assert main(["--json", "runs", "--status", "dead", "--store", str(store_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["runs"][0]["status"] == "dead"


def test_a_live_run_of_this_process_is_running(store: Store) -> None:
    with ja.run("alive") as active:
        assert store.get_run(active.id).status == "running"
        assert store.query_runs(status="running").total == 1
        assert store.query_runs(status="dead").total == 0
    assert store.get_run(active.id).status == "ok"


def test_a_reused_pid_is_not_the_writer(store: Store) -> None:
    run = store.create_run("old")
    # This very process holds the pid, but it is not the process that started the run.
    _set_writer(store, run.id, process_start="another-boot/123")
    expected = "dead" if liveness.process_start(os.getpid()) else "running"  # no /proc: unknown
    assert store.get_run(run.id).status == expected


def test_a_gone_pid_on_this_host_is_dead(store: Store) -> None:
    run = store.create_run("gone")
    _set_writer(store, run.id, pid=_gone_pid(), process_start=None)
    assert store.get_run(run.id).status == "dead"
    from jupyter_artifacts.widgets import html, viewmodels  # ja.panel() shows it too

    page = viewmodels.runs_page(store, status="dead")
    assert page["total"] == 1 and page["rows"][0]["status"] == "dead"
    assert html.STATUS_COLOURS["dead"] == html.BAD
    store.finish_run(run.id, "failed")
    assert store.get_run(run.id).status == "failed"  # only runs stored as running can be dead


@pytest.mark.parametrize("age, expected", [(10.0, "running"), (liveness.STALE_AFTER + 60, "dead")])
def test_another_hosts_run_is_judged_by_its_heartbeat(store: Store, age: float, expected: str) -> None:
    run = store.create_run("remote")
    _set_writer(store, run.id, host="some-other-host", pid=1, heartbeat_at=time.time() - age)
    assert store.get_run(run.id).status == expected


def test_runs_recorded_before_writers_were_known(store: Store) -> None:
    fresh, old = store.create_run("fresh"), store.create_run("old", started_at=1000.0)
    for run in (fresh, old):
        _set_writer(store, run.id, host=None, pid=None, process_start=None, heartbeat_at=None)
    assert store.get_run(fresh.id).status == "running"
    assert store.get_run(old.id).status == "dead"


def test_heartbeats_come_with_flushes(store: Store) -> None:
    with ja.run("train") as active:
        _set_writer(store, active.id, heartbeat_at=1.0)
        ja.log_metric("loss", 1.0)
        active.flush()
        assert store.get_run(active.id).heartbeat_at > time.time() - 60


def test_the_heartbeat_timer_beats_for_a_quiet_run(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracking, "HEARTBEAT_EVERY", 0.3)
    with ja.run("quiet") as active:
        _set_writer(store, active.id, heartbeat_at=1.0)
        active.last_beat = 0.0
        tracking._start_heartbeat()
        deadline = time.monotonic() + 30
        while store.get_run(active.id).heartbeat_at == 1.0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.get_run(active.id).heartbeat_at > 1.0
    assert tracking._heartbeat_thread is not None and tracking._heartbeat_thread.daemon


def test_a_script_with_a_live_run_still_exits(store_dir: Path) -> None:
    script = "import jupyter_artifacts as ja\nr = ja.run('x')\nr.__enter__()\nja.log_metric('a', 1.0)\n"
    result = subprocess.run([sys.executable, "-c", script], timeout=60, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    store = Store.open(store_dir, create=False)
    assert store.get_run("x").status == "failed"  # closed at exit, not left running


class _RawCatalog:
    """Reads a catalog file as it is, without migrating it (as a read-only open does)."""

    def __init__(self, path: Path) -> None:
        import sqlite3

        self.conn = sqlite3.connect(path)
        self.conn.row_factory = sqlite3.Row

    def query(self, sql: str, params: object = ()) -> list[object]:
        return self.conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


def test_a_catalog_from_before_writers_were_recorded_still_reads(tmp_path: Path) -> None:
    import sqlite3

    from jupyter_artifacts.store import Run
    from jupyter_artifacts.store.migrations import migrate

    path = tmp_path / "catalog.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=3)
    conn.execute("INSERT INTO runs (id, name, status, started_at) VALUES (?, 'old', 'running', 1000.0)",
                 ("a" * 32,))
    conn.close()
    catalog = _RawCatalog(path)
    assert liveness.dead_run_ids(catalog) == ["a" * 32]  # type: ignore[arg-type]
    run = Run.from_row(catalog.query("SELECT * FROM runs")[0])  # type: ignore[arg-type]
    assert (run.host, run.pid, run.heartbeat_at) == (None, None, None)
    assert "process_start" not in run.to_dict()


def test_filters_and_run_tables_see_dead_runs(store: Store) -> None:
    alive, gone = store.create_run("alive"), store.create_run("gone")
    _set_writer(store, gone.id, pid=_gone_pid(), process_start=None)
    assert [r.id for r in store.search_runs("status = 'dead'").runs] == [gone.id]
    assert [r.id for r in store.search_runs("status = 'running'").runs] == [alive.id]
    assert [r.id for r in store.search_runs("attributes.status IN ('dead', 'ok')").runs] == [gone.id]
    frame = ja.runs(order_by="name")
    assert dict(zip(frame["name"], frame["status"], strict=True)) == {"alive": "running", "gone": "dead"}
    assert list(ja.runs(status="dead")["name"]) == ["gone"]
