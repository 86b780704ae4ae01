"""Fault injection: SIGKILL at every phase of a save, a full disk, damaged files.

Afterwards `verify` passes, nothing a version references is lost, and every error a user
sees is one clear line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.cli import main
from jupyter_artifacts.errors import ArtifactsError
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.faults import PAUSE_VAR, PHASES, READY_VAR

from .tmpfs import mounted_tmpfs

SAVER = """
import sys
import numpy as np
import jupyter_artifacts as ja
ja.open_store(sys.argv[1])
ja.save(np.arange(int(sys.argv[2])), "new")
ja.save("second", "notes")
"""


def _kill_at(root: Path, phase: str, tmp_path: Path, n: int) -> None:
    ready = tmp_path / f"ready-{phase}"
    env = {**os.environ, PAUSE_VAR: phase, READY_VAR: str(ready)}
    proc = subprocess.Popen([sys.executable, "-c", SAVER, str(root), str(n)], env=env)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, f"the saver exited before reaching {phase}"
            assert time.monotonic() < deadline, f"the saver never reached {phase}"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("n", [1000, 2_000_000])  # in-memory put and a multi-piece one
def test_sigkill_at_any_phase_of_a_save_loses_nothing(tmp_path: Path, phase: str, n: int) -> None:
    root = tmp_path / ".artifacts"
    store = Store.open(root)
    ja.open_store(root)
    kept = ja.save(np.arange(500), "kept")
    ja.save("first", "notes")
    _kill_at(root, phase, tmp_path, n)
    report = store.verify()
    assert report.ok, report.problems
    np.testing.assert_array_equal(ja.load("kept"), np.arange(500))
    assert ja.load("notes") == "first"
    if "new" in ja.artifacts()["name"].tolist():  # committed before the kill: whole
        np.testing.assert_array_equal(ja.load("new"), np.arange(n))
    store.gc()
    assert store.verify().ok and store.objects.exists(kept.oid)
    # The store keeps working: the same save completes now.
    ja.save(np.arange(n), "new")
    np.testing.assert_array_equal(ja.load("new"), np.arange(n))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk", "4m") as mount:
        yield mount


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # full
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_shows_the_real_error_and_loses_nothing(
    small_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = small_disk / ".artifacts"
    store = ja.open_store(root)
    ja.save(np.arange(1000), "kept")
    with pytest.raises((ArtifactsError, OSError)) as too_big:
        ja.save(np.arange(2_000_000), "too-big")  # 16 MB on a 4 MB disk
    assert "No space left" in str(too_big.value) or "full" in str(too_big.value)
    filler = _fill(small_disk)
    messages = []
    for attempt in range(50):  # catalog writes: one of them meets the full disk
        try:
            with ja.run(f"run-{attempt}"):
                ja.log_metric("loss", 0.5)
                ja.save(f"notes {attempt}" * 100, "notes")
        except (ArtifactsError, OSError) as exc:
            messages.append(str(exc))
            break
    assert messages, "the disk never filled up"
    assert "cannot rollback" not in messages[0]
    assert "full" in messages[0] or "No space left" in messages[0]
    filler.unlink()
    assert store.verify().ok
    np.testing.assert_array_equal(ja.load("kept"), np.arange(1000))
    assert main(["--store", str(root), "verify"]) == 0
    assert list(store.objects.tmp_dir.iterdir()) == []  # failed writes leave no temp file


@pytest.mark.parametrize("target", ["catalog", "object"])
def test_corrupted_catalog_and_objects_give_one_clear_line(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / ".artifacts"
    ja.open_store(root)
    version = ja.save("precious", "doc")
    store = Store.open(root)
    path = root / "catalog.sqlite" if target == "catalog" else store.objects.path(version.oid)
    store.close()
    path.chmod(0o644)
    path.write_bytes(b"\x00garbage" * 7)
    for command in (["ls"], ["show", "doc"], ["export", "doc", "-o", str(tmp_path / "out")]):
        main(["--store", str(root), *command])
        captured = capsys.readouterr()
        if target == "catalog" or command[0] == "export":
            assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
            assert ("damaged" if target == "catalog" else "corrupt") in captured.err
    assert not (tmp_path / "out").exists()
