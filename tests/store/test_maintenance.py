"""Garbage collection (grace period, temp files) and verification."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest

from jupyter_artifacts.store import Store

pytestmark = pytest.mark.both_catalogs  # each test runs on SQLite and on PostgreSQL


def _age(store: Store, oid: str, seconds: float = 3600) -> None:
    then = time.time() - seconds
    os.utime(store.objects.path(oid), (then, then))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_gc_removes_old_unreferenced_objects_only(store: Store) -> None:
    kept, size, _ = store.objects.put_bytes(b"kept")
    store.add_version("a", oid=kept, kind="text", media_type="text/plain", codec="text", size=size)
    orphan, _, _ = store.objects.put_bytes(b"orphan")
    young, _, _ = store.objects.put_bytes(b"young orphan")
    _age(store, kept)
    _age(store, orphan)
    report = store.gc()
    assert report.removed_objects == [orphan]
    assert report.freed_bytes == len(b"orphan")
    assert set(store.objects.iter_oids()) == {kept, young}  # young: inside the grace period


def test_gc_dry_run_deletes_nothing(store: Store) -> None:
    kept, size, _ = store.objects.put_bytes(b"kept")
    store.add_version("a", oid=kept, kind="text", media_type="text/plain", codec="text", size=size)
    orphan, _, _ = store.objects.put_bytes(b"orphan")
    _age(store, orphan)
    assert store.gc(dry_run=True).removed_objects == [orphan]
    assert store.objects.exists(orphan)


def test_gc_removes_abandoned_temp_files_but_not_live_ones(store: Store) -> None:
    abandoned = store.objects.tmp_dir / f"{_dead_pid()}-deadbeef"
    abandoned.write_bytes(b"partial")
    live = store.objects.tmp_dir / f"{os.getpid()}-cafe"
    live.write_bytes(b"in flight")
    assert store.gc().removed_tmp == 1
    assert not abandoned.exists() and live.exists()


def test_verify_passes_on_a_healthy_store(store: Store) -> None:
    oid, size, _ = store.objects.put_bytes(b"fine")
    store.add_version("a", oid=oid, kind="text", media_type="text/plain", codec="text", size=size)
    report = store.verify()
    assert report.ok and report.checked_objects == 1


def test_verify_detects_a_corrupted_object(store: Store) -> None:
    oid, size, _ = store.objects.put_bytes(b"original")
    store.add_version("a", oid=oid, kind="text", media_type="text/plain", codec="text", size=size)
    path = store.objects.path(oid)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    path.write_bytes(b"tampered")
    report = store.verify()
    assert not report.ok
    assert any(oid[:12] in p for p in report.problems)


def test_verify_detects_a_missing_object(store: Store) -> None:
    oid, size, _ = store.objects.put_bytes(b"soon gone")
    store.add_version("a", oid=oid, kind="text", media_type="text/plain", codec="text", size=size)
    store.objects.delete(oid)
    report = store.verify()
    assert report.problems == [f"object {oid[:12]} is referenced but missing"]
