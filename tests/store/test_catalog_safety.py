"""A damaged catalog is never mistaken for an empty one; readers never write; writes fail loudly."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.cli import main
from jupyter_artifacts.errors import NotFoundError, StoreError
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.catalog import NewerSchemaWarning
from jupyter_artifacts.store.migrations import LATEST

from .tmpfs import mounted_tmpfs


def _saved_store(root: Path) -> Store:
    store = Store.open(root)
    oid, size, _ = store.objects.put_bytes(b"precious")
    store.add_version("a", oid=oid, kind="text", media_type="text/plain", codec="text", size=size)
    return store


@pytest.mark.parametrize("damage", [b"", b"garbage that is not a database" * 10])
def test_a_zero_byte_or_garbage_catalog_is_never_recreated(
    tmp_path: Path, damage: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / ".artifacts"
    _saved_store(root).close()
    (root / "catalog.sqlite").write_bytes(damage)
    for command in (["ls"], ["verify"], ["gc"], ["runs"]):
        assert main(["--store", str(root), *command]) == 2
        err = capsys.readouterr().err
        assert "damaged" in err and err.count("\n") == 1  # one clear line
    with pytest.raises(StoreError, match="damaged"):
        Store.open(root)  # a writer neither
    assert (root / "catalog.sqlite").read_bytes() == damage


def test_a_missing_catalog_beside_objects_is_damage_not_a_new_store(tmp_path: Path) -> None:
    root = tmp_path / ".artifacts"
    _saved_store(root).close()
    (root / "catalog.sqlite").unlink()
    for readonly in (False, True):
        with pytest.raises(StoreError, match="catalog is missing"):
            Store.open(root, readonly=readonly)
    assert not (root / "catalog.sqlite").exists()


def test_read_commands_never_write_to_the_catalog(tmp_path: Path) -> None:
    root = tmp_path / ".artifacts"
    _saved_store(root).close()
    before = (root / "catalog.sqlite").read_bytes()
    for command in (["ls"], ["runs"], ["show", "a"], ["verify"]):
        assert main(["--store", str(root), *command]) == 0
    assert (root / "catalog.sqlite").read_bytes() == before
    store = Store.open(root, readonly=True)
    with pytest.raises(StoreError, match="read-only"):
        store.set_alias("a:v1", "best")


def _bump_schema(root: Path, version: int) -> None:
    conn = sqlite3.connect(root / "catalog.sqlite")
    conn.execute("INSERT INTO migrations VALUES (?, 'from the future', 0)", (version,))
    conn.commit()
    conn.close()


def test_a_newer_schema_is_read_with_a_warning_and_refused_to_writers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / ".artifacts"
    _saved_store(root).close()
    _bump_schema(root, LATEST + 1)
    with pytest.warns(NewerSchemaWarning):
        assert [v.ref for v in Store.open(root, readonly=True).versions("a")] == ["a:v1"]
    with pytest.raises(StoreError, match="newer jupyter-artifacts"):
        Store.open(root)
    assert main(["--store", str(root), "ls"]) == 0
    assert "warning: " in capsys.readouterr().err
    assert main(["--store", str(root), "alias", "a:v1", "best"]) == 2
    assert "newer jupyter-artifacts" in capsys.readouterr().err


@pytest.fixture
def read_only_copy(tmp_path: Path) -> Iterator[Path]:
    """A store on a read-only mount (as root, chmod alone does not stop writes)."""
    with mounted_tmpfs(tmp_path / "ro", "8m") as mount:
        live = tmp_path / "live"
        store = _saved_store(live)
        # A second writer keeps its change in the WAL (no checkpoint): copied now, the store
        # is a snapshot of a live one, as an archive or an rsync copy often is.
        other = Store.open(live)
        other.catalog.scalar("PRAGMA wal_autocheckpoint = 0")
        oid, size, _ = other.objects.put_bytes(b"in the wal")
        other.add_version("b", oid=oid, kind="text", media_type="text/plain", codec="text",
                          size=size)
        shutil.copytree(live, mount / ".artifacts")
        assert (mount / ".artifacts" / "catalog.sqlite-wal").stat().st_size > 0
        store.close()
        other.close()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount / ".artifacts"


def test_a_read_only_store_can_be_listed_and_read(
    read_only_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--store", str(read_only_copy), "ls"]) == 0
    listing = capsys.readouterr().out
    assert "a " in listing and "b " in listing  # also what only the WAL holds
    assert main(["--store", str(read_only_copy), "verify"]) == 0
    store = Store.open(read_only_copy, readonly=True)
    assert store.objects.read_bytes(store.resolve("b").oid) == b"in the wal"
    store.close()


def test_a_failed_write_reports_the_real_error_not_a_failed_rollback(tmp_path: Path) -> None:
    store = _saved_store(tmp_path / ".artifacts")
    # A full disk, at a true seam: SQLite's page limit fails the write with SQLITE_FULL,
    # after which SQLite has already rolled the transaction back itself.
    run_id = store.create_run("r").id
    pages = store.catalog.scalar("PRAGMA page_count")
    store.catalog.scalar(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError, match="full"):
        store.log_metrics([(run_id, "k", i, 1.0, 0.0) for i in range(20000)])
    store.catalog.scalar("PRAGMA max_page_count = 1073741823")
    assert store.create_run("after").status == "running"  # the connection is still usable


def test_writes_to_a_deleted_store_fail_clearly(tmp_path: Path) -> None:
    root = tmp_path / ".artifacts"
    store = _saved_store(root)
    ja.open_store(root)
    shutil.rmtree(root)
    with pytest.raises(StoreError, match="deleted while in use"):
        store.create_run("lost")
    with pytest.raises(StoreError, match="deleted while in use"):
        ja.save("some text", "notes")


@pytest.mark.parametrize("ref", ["a:v99999999999999999999", "a:v" + "9" * 5000])
def test_huge_version_numbers_are_not_found(tmp_path: Path, ref: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / ".artifacts"
    store = _saved_store(root)
    with pytest.raises(NotFoundError):
        store.resolve(ref)
    for run_ref in ("run-99999999999999999999", "99999999999999999999", "run-" + "9" * 5000):
        with pytest.raises(NotFoundError):
            store.get_run(run_ref)
    assert main(["--store", str(root), "show", "run-99999999999999999999"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jupyter-artifacts: no ") and err.count("\n") == 1


def test_a_reader_upgrades_an_older_valid_schema_only(tmp_path: Path) -> None:
    root = tmp_path / ".artifacts"
    _saved_store(root).close()
    conn = sqlite3.connect(root / "catalog.sqlite")
    conn.execute("DROP INDEX params_key_run")
    conn.execute("DELETE FROM migrations WHERE version = 5")
    conn.commit()
    conn.close()
    store = Store.open(root, readonly=True)  # an upgraded package reading its old store
    assert store.catalog.scalar("SELECT MAX(version) FROM migrations") == LATEST
    assert [v.ref for v in store.versions("a")] == ["a:v1"]


def test_a_view_given_a_path_never_creates_or_writes_a_store(tmp_path: Path) -> None:
    from jupyter_artifacts.errors import StoreNotFoundError
    from jupyter_artifacts.widgets.base import resolve_store

    with pytest.raises(StoreNotFoundError):
        resolve_store(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()
    root = tmp_path / ".artifacts"
    _saved_store(root).close()
    assert resolve_store(root).readonly
