"""The SQLite catalog: one connection per process, WAL mode, explicit transactions."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import StoreError
from .migrations import migrate

BUSY_TIMEOUT_MS = 60_000


class Catalog:
    """A thread-safe wrapper around one SQLite connection to ``catalog.sqlite``.

    Writes go through :meth:`write`, which opens ``BEGIN IMMEDIATE`` (taking the write
    lock up front, so two writers never deadlock upgrading read locks) and nests with
    savepoints. Each outermost write bumps a change counter that readers poll cheaply.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open catalog {self.path}: {exc}") from exc
        self._lock = threading.RLock()
        self._depth = 0
        conn = self._conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _enable_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            # Up to 64 MB of page cache, allocated only as pages are read: a filtered search
            # over 100,000 runs probes pages across a ~270 MB catalog (60 -> 42 ms CPU).
            conn.execute("PRAGMA cache_size = -65536")
            migrate(conn)
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('changes', '0')")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{self.path} is not a usable catalog: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; nested calls become savepoints."""
        with self._lock:
            conn = self._conn
            if self._depth:
                name = f"sp{self._depth}"
                conn.execute(f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield conn
                except BaseException:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                    raise
                else:
                    conn.execute(f"RELEASE {name}")
                finally:
                    self._depth -= 1
                return
            conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield conn
                conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'changes'")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        with self._lock:
            cur = self._conn.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()

    def read(self, sql: str, params: Any = (), named: bool = False) -> list[Any]:
        """Run a query that cannot write: SQLite refuses any change while it runs.

        For SQL assembled from user input (search filters): even a compiler bug cannot
        change the store. Rows are plain tuples unless ``named`` (then ``sqlite3.Row``).
        """
        with self._lock:
            self._conn.execute("PRAGMA query_only = ON")
            try:
                cur = self._conn.execute(sql, params)
                if named:
                    cur.row_factory = sqlite3.Row
                return cur.fetchall()
            finally:
                self._conn.execute("PRAGMA query_only = OFF")

    def query_one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Any = ()) -> Any:
        with self._lock:
            row = self._conn.execute(sql, params).fetchone()
        return row[0] if row else None


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, retrying while another process holds the lock.

    Changing the journal mode needs an exclusive lock, and SQLite reports "database is
    locked" at once instead of calling the busy handler when several processes create or
    open a new store together, so busy_timeout alone does not cover it.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))  # jitter: racing openers do not collide again
