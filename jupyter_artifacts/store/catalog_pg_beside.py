"""A PostgreSQL catalog's second connection: one read running beside the first's reads.

A search's first call for a filter reads a page (30 ms over 1,000,000 runs) and counts
its matches exactly (170 ms): one after the other on one connection they cost their sum,
on two connections at once about the larger. The count then reads in the page's own
snapshot, exported by the first connection (``pg_export_snapshot``) and imported here
(``SET TRANSACTION SNAPSHOT``): the total is of exactly the rows the page was drawn from,
whatever another writer commits meanwhile.

The connection is opened on first use, read-only, and reopened once when the server
dropped it (as the first one is); each read is one thread, always joined before the
snapshot it reads ends.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import psycopg
from psycopg import sql as pgsql

CANCEL_EVERY_S = 0.05


class _Connection(Protocol):
    raw: psycopg.Connection[Any]

    def execute(self, sql: str, params: Any = ()) -> psycopg.Cursor[Any]: ...


class BesideReader:
    """The second connection of one catalog; ``connect()`` opens a read-only one."""

    def __init__(self, connect: Callable[[], _Connection]) -> None:
        self._connect = connect
        self._conn: _Connection | None = None
        self._lock = threading.Lock()  # one read at a time on this connection

    @contextlib.contextmanager
    def reading(self, snapshot: str, sql: str, params: Any = ()
                ) -> Iterator[Callable[[], list[Any]]]:
        """Start ``sql`` in the exported ``snapshot``; the function yielded waits for its
        rows (or raises its error). The exporting transaction must stay open until the
        block ends, which waits for the read (and cancels it if the block raised)."""
        outcome: dict[str, Any] = {}
        thread = threading.Thread(target=self._run, args=(snapshot, sql, params, outcome),
                                  name="jupyter-artifacts-count", daemon=True)
        thread.start()

        def rows() -> list[Any]:
            thread.join()
            if "error" in outcome:
                raise outcome["error"]
            return list(outcome["rows"])

        try:
            yield rows
        except BaseException:
            self._cancel(thread)
            raise
        finally:
            thread.join()

    def _run(self, snapshot: str, sql: str, params: Any, outcome: dict[str, Any]) -> None:
        try:
            with self._lock:
                outcome["rows"] = self._read(snapshot, sql, params)
        except BaseException as exc:  # handed to the thread that waits for the rows
            outcome["error"] = exc

    def _read(self, snapshot: str, sql: str, params: Any) -> list[tuple[Any, ...]]:
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                try:
                    conn.raw.execute(pgsql.SQL("SET TRANSACTION SNAPSHOT {}").format(snapshot))
                    return [tuple(row) for row in conn.execute(sql, params).fetchall()]
                finally:
                    if not conn.raw.broken:
                        with contextlib.suppress(psycopg.Error):
                            conn.raw.execute("ROLLBACK")
            except psycopg.OperationalError:
                # A server restart or a dropped connection: once more on a new one (a read
                # loses nothing); any other failure is the query's own.
                if attempt == 2 or not conn.raw.broken:
                    raise
        raise AssertionError("unreachable")

    def _connection(self) -> _Connection:
        if self._conn is not None and self._conn.raw.broken:
            self._conn.raw.close()
            self._conn = None
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _cancel(self, thread: threading.Thread) -> None:
        """Stop a read nobody waits for any more (the block failed or was interrupted):
        again until it ends, as a cancel that comes before its statement starts is lost."""
        while thread.is_alive():
            conn = self._conn
            if conn is not None and not conn.raw.closed:
                with contextlib.suppress(psycopg.Error):
                    conn.raw.cancel_safe(timeout=5)
            thread.join(CANCEL_EVERY_S)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.raw.close()
                self._conn = None
