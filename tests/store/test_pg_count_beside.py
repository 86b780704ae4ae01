"""A PostgreSQL search counts its total on a second connection while the page reads,
in the page's own snapshot (store/catalog_pg_beside.py), against a real server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_artifacts.errors import StoreError
from jupyter_artifacts.store import Store, counts
from jupyter_artifacts.store.catalog_pg import PostgresCatalog
from tests.services.postgres import PostgresServer, free_port


@pytest.fixture
def reader(pg_url: str, tmp_path: Path) -> Iterator[Store]:
    """A store holding three runs with ``p = 1``; no count remembered."""
    store = Store.open(tmp_path / "reader", catalog=pg_url)
    for i in range(3):
        store.create_run(f"r{i}", params={"p": 1})
    counts._COUNTS.clear()
    yield store
    store.close()


def _beside(store: Store) -> Any:
    catalog = store.catalog
    assert isinstance(catalog, PostgresCatalog)
    return catalog._beside


def _count_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "jupyter-artifacts-count"]


def _backends(postgres: PostgresServer, url: str) -> int:
    db = url.split("///", 1)[1].split("?", 1)[0]
    return int(postgres.psql("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = "
                             f"'{db}' AND application_name = 'jupyter-artifacts'"))


def test_the_count_runs_while_the_page_reads(reader: Store,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    beside = _beside(reader)
    page_reading = threading.Event()
    counted: list[str] = []
    read, count = reader.catalog.read, beside._read

    def page_read(sql: str, params: Any = (), named: bool = False, *, page: bool = False) -> Any:
        if page:
            page_reading.set()
        return read(sql, params, named, page=page)

    def counted_after_the_page_started(*args: Any) -> Any:
        # Counting first and then reading the page would leave this waiting (in vain).
        assert page_reading.wait(30), "the page did not read while the count ran"
        counted.append(args[1])
        return count(*args)

    monkeypatch.setattr(reader.catalog, "read", page_read)
    monkeypatch.setattr(beside, "_read", counted_after_the_page_started)
    page = reader.search_runs("params.p = 1", order_by=["start_time"])
    assert (len(page.runs), page.total) == (3, 3)
    assert [sql.startswith("SELECT COUNT(*)") for sql in counted] == [True]
    assert not _count_threads()


def test_the_count_sees_the_pages_snapshot_under_a_concurrent_writer(
        reader: Store, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = Store.open(tmp_path / "writer", catalog=pg_url)
    beside = _beside(reader)
    count = beside._read

    def commit_then_count(*args: Any) -> Any:
        # Committed after the page's snapshot began, before the count's statement starts.
        writer.create_run("late", params={"p": 1})
        return count(*args)

    monkeypatch.setattr(beside, "_read", commit_then_count)
    page = reader.search_runs("params.p = 1", limit=None)
    assert (len(page.runs), page.total) == (3, 3)  # one state: the rows are the total
    monkeypatch.undo()
    page = reader.search_runs("params.p = 1", limit=None)  # the late run, not a stale total
    assert (len(page.runs), page.total) == (4, 4)
    writer.close()


def test_a_dropped_second_connection_is_reopened(reader: Store, pg_url: str,
                                                 postgres: PostgresServer) -> None:
    assert reader.search_runs("params.p = 1").total == 3
    pid = _beside(reader)._conn.raw.info.backend_pid
    postgres.psql(f"SELECT pg_terminate_backend({pid})")  # as a restart or idle timeout would
    reader.create_run("r3", params={"p": 1})
    assert reader.search_runs("params.p = 1").total == 4
    assert _beside(reader)._conn.raw.info.backend_pid != pid


def test_closing_the_catalog_closes_the_second_connection(
        reader: Store, pg_url: str, postgres: PostgresServer) -> None:
    assert _backends(postgres, pg_url) == 1
    assert reader.search_runs("params.p = 1").total == 3
    assert _backends(postgres, pg_url) == 2  # opened by the first count, then kept
    side = _beside(reader)._conn.raw
    reader.close()
    assert side.closed
    # A closed connection's server process leaves pg_stat_activity a moment after the close.
    deadline = time.monotonic() + 5
    while _backends(postgres, pg_url) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _backends(postgres, pg_url) == 0


def test_a_failing_page_cancels_and_waits_for_the_count(
        reader: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    beside = _beside(reader)
    count = beside._read
    started = threading.Event()

    def slow_count(snapshot: str, sql: str, params: Any) -> Any:
        started.set()  # a count that would run for minutes unless cancelled
        return count(snapshot, "SELECT COUNT(*) FROM generate_series(1, 1e12)", ())

    def broken_page(*args: Any, **kwargs: Any) -> Any:
        assert started.wait(30)
        raise KeyboardInterrupt

    monkeypatch.setattr(beside, "_read", slow_count)
    monkeypatch.setattr(reader.catalog, "read", broken_page)
    with pytest.raises(KeyboardInterrupt):
        reader.search_runs("params.p = 1")
    assert not _count_threads()
    monkeypatch.undo()
    assert reader.search_runs("params.p = 1").total == 3  # both connections still work


def test_inside_a_write_the_count_sees_the_writes_own_rows(reader: Store) -> None:
    with reader.catalog.write():
        reader.create_run("uncommitted", params={"p": 1})
        page = reader.search_runs("params.p = 1", limit=None)
        assert (len(page.runs), page.total) == (4, 4)
    assert _beside(reader)._conn is None  # nothing ran beside: only this connection sees it


def test_a_second_connection_that_cannot_open_is_one_clear_line(
        reader: Store, pg_url: str) -> None:
    catalog = reader.catalog
    assert isinstance(catalog, PostgresCatalog)
    # The server went away between the catalog's open and the first count.
    catalog.url = pg_url.replace(pg_url.split("port=", 1)[1].split("&", 1)[0], str(free_port()))
    with pytest.raises(StoreError, match="cannot open the catalog") as info:
        reader.search_runs("params.p = 1")
    assert "\n" not in str(info.value)
    assert not _count_threads()


def test_a_read_only_store_counts_beside_read_only(reader: Store, pg_url: str,
                                                   tmp_path: Path) -> None:
    store = Store.open(tmp_path / "ro", catalog=pg_url, readonly=True)
    assert store.search_runs("params.p = 1").total == 3
    side = _beside(store)._conn.raw
    assert side.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
    store.close()


def test_a_server_that_cannot_export_its_snapshot_counts_on_one_connection(
        reader: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_artifacts.store import catalog_pg

    # A hot standby refuses pg_export_snapshot() ("cannot be used during recovery").
    monkeypatch.setattr(catalog_pg, "IN_RECOVERY", "SELECT true")
    page = reader.search_runs("params.p = 1", limit=None)
    assert (len(page.runs), page.total) == (3, 3)
    assert _beside(reader)._conn is None
