"""gc never deletes what a version needs; verify and gc report damage instead of dying on it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from jupyter_artifacts.cli import main
from jupyter_artifacts.errors import StoreError
from jupyter_artifacts.store import Store, maintenance

pytestmark = pytest.mark.both_catalogs  # each test runs on SQLite and on PostgreSQL

TREE = "application/vnd.jupyter-artifacts.tree+json"


def _age(store: Store, oid: str, seconds: float = 3600) -> None:
    then = time.time() - seconds
    os.utime(store.objects.path(oid), (then, then))


def _text_version(store: Store, name: str, data: bytes) -> str:
    oid, size, _ = store.objects.put_bytes(data)
    store.add_version(name, oid=oid, kind="text", media_type="text/plain", codec="text", size=size)
    return oid


def test_resaving_an_old_unreferenced_object_protects_it_from_gc(store: Store) -> None:
    _text_version(store, "keep", b"keep")
    old, _, _ = store.objects.put_bytes(b"old content")
    _age(store, old)
    oid, size, written = store.objects.put_bytes(b"old content")  # a re-save finds it
    assert oid == old and not written
    store.gc()
    version, _ = store.add_version("again", oid=oid, kind="text", media_type="text/plain",
                                   codec="text", size=size)
    assert store.objects.read_bytes(version.oid) == b"old content"


def test_gc_racing_a_resave_never_deletes_the_new_versions_object(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _text_version(store, "keep", b"keep")
    old, _, _ = store.objects.put_bytes(b"old content")
    _age(store, old)
    real = maintenance._idle_unreferenced

    def candidates_then_a_save(*args: object) -> list[tuple[str, int]]:
        found = real(*args)  # type: ignore[arg-type]
        assert old in [oid for oid, _ in found]
        # The worst moment: gc has chosen its victims; a save now re-uses one and commits.
        _text_version(store, "again", b"old content")
        return found

    monkeypatch.setattr(maintenance, "_idle_unreferenced", candidates_then_a_save)
    report = store.gc()
    assert old not in report.removed_objects
    assert store.verify().ok


def test_verify_reports_unreferenced_objects_without_failing(store: Store) -> None:
    _text_version(store, "keep", b"keep")
    orphan, _, _ = store.objects.put_bytes(b"orphan")
    report = store.verify()
    assert report.ok and report.unreferenced == [orphan]


def test_an_empty_catalog_beside_older_objects_fails_verify_and_blocks_gc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "store"
    store = Store.open(root)
    oid = _text_version(store, "a", b"precious")
    store.close()
    # The catalog replaced by an empty one (restored wrongly, or copied without it).
    (root / "catalog.sqlite").rename(tmp_path / "lost.sqlite")
    objects = root / "objects"
    objects.rename(tmp_path / "objects")
    Store.open(root).close()
    (root / "objects").rmdir()
    (tmp_path / "objects").rename(objects)
    fresh = Store.open(root)
    _age(fresh, oid)
    assert any("lost or replaced" in p for p in fresh.verify().problems)
    with pytest.raises(StoreError, match="gc refused"):
        fresh.gc()
    assert main(["--store", str(root), "gc"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert fresh.objects.exists(oid)


def test_a_first_save_that_crashed_leaves_orphans_gc_may_remove(store: Store) -> None:
    orphan, _, _ = store.objects.put_bytes(b"crashed before its catalog row")
    report = store.verify()
    assert report.ok and report.unreferenced == [orphan]
    assert store.gc(dry_run=True).removed_objects == []  # young: inside the grace period


def _tree_version(store: Store) -> tuple[str, str]:
    member, _, _ = store.objects.put_bytes(b"member file")
    manifest = json.dumps({"files": [{"path": "f.txt", "oid": member, "size": 11}]}).encode()
    moid, _, _ = store.objects.put_bytes(manifest)
    store.add_version("tree", oid=moid, kind="directory", media_type=TREE, codec="directory",
                      size=11)
    _age(store, member)
    _age(store, moid)
    return moid, member


def test_a_missing_manifest_blocks_gc_and_keeps_the_members(store: Store) -> None:
    moid, member = _tree_version(store)
    store.objects.delete(moid)
    with pytest.raises(StoreError, match="gc refused"):
        store.gc()
    assert store.objects.exists(member)
    assert not store.verify().ok


def test_a_garbage_manifest_is_reported_not_a_traceback(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    moid, member = _tree_version(store)
    # A shared store's catalog may point a tree at any object: here, one that is not JSON.
    garbage, _, _ = store.objects.put_bytes(b"{not json")
    with store.catalog.write() as conn:
        conn.execute("UPDATE versions SET oid = ? WHERE oid = ?", (garbage, moid))
    report = store.verify()
    assert any("not a valid manifest" in p for p in report.problems)
    with pytest.raises(StoreError, match="gc refused"):
        store.gc()
    assert store.objects.exists(member)
    assert main(["--store", str(store.root), "verify"]) == 1
    assert "not a valid manifest" in capsys.readouterr().out


def test_gc_tolerates_strays_in_tmp_and_objects_and_verify_reports_them(store: Store) -> None:
    _text_version(store, "keep", b"keep")
    (store.objects.tmp_dir / "someones-folder").mkdir()
    (store.objects.objects_dir / "README").write_text("stray")
    (store.objects.objects_dir / "zz").mkdir()
    (store.objects.objects_dir / "zz" / "notes.txt").write_text("stray")
    (store.objects.objects_dir / "ab" / ("c" * 62)).mkdir(parents=True)
    store.gc()
    assert (store.objects.tmp_dir / "someones-folder").is_dir()
    problems = store.verify().problems
    assert len(problems) == 3 and all("unexpected entry" in p for p in problems)


def test_a_damaged_catalog_page_is_one_line_from_verify_and_gc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "store"
    store = Store.open(root)
    for i in range(300):
        _text_version(store, f"artifact-{i}", f"content {i}".encode() * 20)
    store.close()
    catalog = root / "catalog.sqlite"
    data = bytearray(catalog.read_bytes())
    page = 4096
    data[-page * 8 :] = b"\xff" * (page * 8)  # trash the last pages: table data, not schema
    catalog.write_bytes(bytes(data))
    assert main(["--store", str(root), "verify"]) in (1, 2)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "catalog" in captured.out + captured.err
    assert main(["--store", str(root), "gc"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
