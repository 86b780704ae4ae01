"""Sync across processes standing in for machines: concurrent pushes, a push killed
half-way then resumed, and the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jupyter_artifacts.cli import main
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.faults import PAUSE_VAR, READY_VAR
from jupyter_artifacts.store.sync_rows import BATCH

from .sync_helpers import assert_converged, ids, make_model_versions, run_machines, team_store

PUSHER = """
import sys
from jupyter_artifacts.store import Store
Store.open(sys.argv[1], create=False).push(sys.argv[2])
"""


def test_machines_pushing_at_once_to_one_team_store_all_converge(tmp_path: Path) -> None:
    team = team_store(tmp_path / "team")
    roots = [tmp_path / f"m{i}" / ".artifacts" for i in range(3)]
    assert run_machines(roots, str(team), None, 4) == [0, 0, 0]
    assert_converged(Store.open(team, create=False), roots, 12)


@pytest.mark.parametrize("phase", ["object-published", "catalog-committed"])
def test_a_push_killed_half_way_resumes_to_a_consistent_team_store(tmp_path: Path,
                                                                  phase: str) -> None:
    team = team_store(tmp_path / "team")
    local = Store.open(tmp_path / "a" / ".artifacts")
    made = make_model_versions(local, "model", BATCH + 20, "a")  # two batches of runs
    ready = tmp_path / "ready"
    env = {**os.environ, PAUSE_VAR: phase, READY_VAR: str(ready)}
    proc = subprocess.Popen([sys.executable, "-c", PUSHER, str(local.root), str(team)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert proc.poll() is None, "the push ended before the pause"
            assert time.monotonic() < deadline, "the push never reached the pause"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    shared = Store.open(team, create=False)
    assert shared.verify().ok  # consistent, if incomplete
    half = ids(shared)
    assert half["versions"] < set(made)
    report = local.push(str(team))
    assert len(report.runs) + len(half["runs"]) == BATCH + 20  # nothing sent twice
    assert ids(shared) == ids(local)
    assert [v.id for v in shared.versions("model")] == made
    assert shared.verify().ok
    assert local.push(str(team)).moved_nothing


def test_the_command_line_adds_remotes_pushes_and_pulls(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    team = team_store(tmp_path / "team")
    a, b = (Store.open(tmp_path / n / ".artifacts") for n in "ab")
    make_model_versions(a, "model", 2, "a")
    for store in (a, b):
        assert main(["remote", "add", "team", "--catalog", str(team), "--store", str(store.root)]) == 0
    assert main(["--store", str(a.root), "remote", "list"]) == 0
    assert main(["--store", str(a.root), "push"]) == 0
    assert main(["--store", str(b.root), "pull", "team", "--lazy"]) == 0
    out = capsys.readouterr().out
    assert f"team  {team.resolve()}  {team.resolve() / 'objects'}" in out
    assert "pushed to 'team': 2 runs, 2 versions, 2 objects" in out
    assert "pulled from 'team': 2 runs, 2 versions, objects on first load" in out
    assert main(["--store", str(b.root), "runs"]) == 0
    runs = capsys.readouterr().out
    assert "BY" in runs.splitlines()[0] and "@" in runs
    assert main(["--store", str(b.root), "--json", "pull"]) == 0
    assert '"runs": []' in capsys.readouterr().out
    assert main(["--store", str(b.root), "remote", "remove", "team"]) == 0
    assert main(["--store", str(b.root), "push"]) == 2
    assert capsys.readouterr().err.strip().startswith("jupyter-artifacts: no remote configured")


def test_the_command_line_reports_an_unreachable_remote_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = Store.open(tmp_path / "a" / ".artifacts")
    make_model_versions(a, "model", 1, "a")
    assert main(["--store", str(a.root), "push", str(tmp_path / "gone" / ".artifacts")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be reached: no store at" in err
    assert main(["--store", str(a.root), "remote", "add", "t", "--catalog",
                 "postgresql://ann:pw@db/x", "--objects", "s3://b/x"]) == 2
    assert "holds a password" in capsys.readouterr().err


def test_a_new_machine_starts_with_remote_add_then_pull(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    team = team_store(tmp_path / "team")
    a = Store.open(tmp_path / "a" / ".artifacts")
    made = make_model_versions(a, "model", 2, "a")
    a.push(str(team))
    fresh = tmp_path / "new" / ".artifacts"
    assert main(["remote", "add", "team", "--catalog", str(team), "--store", str(fresh)]) == 0
    assert main(["pull", "--store", str(fresh)]) == 0
    assert [v.id for v in Store.open(fresh, create=False).versions("model")] == made
    assert main(["ls", "--store", str(tmp_path / "other")]) == 2  # other commands never create
    assert not (tmp_path / "other").exists()
