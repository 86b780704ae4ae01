"""Reading from an untrusted store: corrupt bytes, missing objects, planted symlinks, escapes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.errors import CorruptObjectError, InvalidReferenceError, NotFoundError
from jupyter_artifacts.store import Store

pytestmark = pytest.mark.both_catalogs  # each test runs on SQLite and on PostgreSQL


def _flip_a_bit(store: Store, oid: str, offset: int = -1) -> None:
    path = store.objects.path(oid)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    data = bytearray(path.read_bytes())
    data[offset] ^= 1
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("value", [
    "some notes", {"acc": 0.9}, np.arange(1000), np.arange(3 * 1024 * 1024, dtype=np.uint8),
])
def test_load_never_returns_corrupt_bytes(store: Store, value: object) -> None:
    version = ja.save(value, "thing")
    _flip_a_bit(store, version.oid)
    with pytest.raises(CorruptObjectError, match="corrupt"):
        ja.load("thing")


def test_a_streamed_read_raises_before_handing_out_the_last_bytes(store: Store) -> None:
    oid, _, _ = store.objects.put_bytes(b"x" * 1000)
    _flip_a_bit(store, oid, offset=500)
    with store.objects.open(oid) as fh:
        assert len(fh.read(400)) == 400  # before the end: nothing known yet
        with pytest.raises(CorruptObjectError):
            fh.read(1000)  # the read that reaches the end checks first


def test_export_of_a_corrupt_object_leaves_no_file(store: Store, tmp_path: Path) -> None:
    version = ja.save("report text", "report")
    _flip_a_bit(store, version.oid)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(CorruptObjectError):
        ja.export("report", out)
    assert list(out.iterdir()) == []


def test_a_missing_object_is_a_clear_not_found(store: Store) -> None:
    for value, name in (("text", "t"), (np.arange(10), "arr")):
        version = ja.save(value, name)
        store.objects.delete(version.oid)
        with pytest.raises(NotFoundError, match="missing from the store; run jupyter-artifacts "
                                                "verify"):
            ja.load(name)


def test_a_symlink_planted_in_objects_is_refused(store: Store, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    version = ja.save("public", "doc")
    path = store.objects.path(version.oid)
    path.unlink()
    path.symlink_to(secret)
    with pytest.raises(CorruptObjectError, match="symlink"):
        store.objects.read_bytes(version.oid)
    # A fan-out folder swapped for a symlink to elsewhere is refused too.
    fanout = path.parent
    moved = tmp_path / "elsewhere"
    fanout.rename(moved)
    fanout.symlink_to(moved)
    with pytest.raises(CorruptObjectError, match="symlink"):
        store.objects.open(version.oid)


def _planted_filename(store: Store, name: str, filename: str) -> None:
    with store.catalog.write() as conn:
        conn.execute("UPDATE versions SET metadata = ? WHERE name = ?",
                     (json.dumps({"filename": filename}), name))


@pytest.mark.parametrize("filename", ["../escaped.txt", "../../escaped.txt", "/tmp/escaped.txt",
                                      "..", "sub/../../escaped.txt"])
def test_export_never_writes_outside_the_target_folder(
    store: Store, tmp_path: Path, filename: str
) -> None:
    source = tmp_path / "data.txt"
    source.write_text("payload")
    ja.save(source, "data")
    _planted_filename(store, "data", filename)
    out = tmp_path / "deep" / "out"
    out.mkdir(parents=True)
    written = ja.export("data", out)
    assert written.parent == out and written.read_text() == "payload"
    assert not (tmp_path / "deep" / "escaped.txt").exists()
    assert not (tmp_path / "escaped.txt").exists()


def _tree(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha")
    (folder / "sub" / "b.txt").write_text("beta")
    return folder


def test_exported_and_loaded_folders_are_copies_not_links_into_the_store(
    store: Store, tmp_path: Path
) -> None:
    version = ja.save(_tree(tmp_path), "logs")
    members = json.loads(store.objects.read_bytes(version.oid))["files"]
    exported = ja.export("logs", tmp_path / "exported")
    loaded = ja.load("logs")
    for folder in (exported, loaded):
        for entry in members:
            copy = folder / entry["path"]
            assert copy.stat().st_ino != store.objects.path(entry["oid"]).stat().st_ino
    (exported / "a.txt").write_text("edited")  # editing the export leaves the store intact
    assert store.verify().ok
    assert ja.load("logs").joinpath("a.txt").read_text() == "alpha"


def test_a_manifest_with_escaping_paths_is_refused(store: Store, tmp_path: Path) -> None:
    oid, _, _ = store.objects.put_bytes(b"evil")
    manifest = json.dumps({"files": [{"path": "../../evil.txt", "oid": oid, "size": 4}]})
    moid, _, _ = store.objects.put_bytes(manifest.encode())
    store.add_version("tree", oid=moid, kind="directory", codec="directory", size=4,
                      media_type="application/vnd.jupyter-artifacts.tree+json")
    with pytest.raises(CorruptObjectError, match="outside the tree"):
        ja.export("tree", tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_a_save_rejected_for_its_name_leaves_no_object(store: Store) -> None:
    with pytest.raises(InvalidReferenceError):
        ja.save(np.arange(100_000), "bad:name")
    assert list(store.objects.iter_oids()) == []
