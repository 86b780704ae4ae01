"""The SQLite catalog (the embedded default): one connection per process, WAL mode,
explicit transactions.

A catalog is created whole (built in ``tmp/`` and linked into place), so a zero-byte or
garbage ``catalog.sqlite`` is always damage, never a new store, and is never re-created.
Readers open it read-only: no schema creation, no writes (see :class:`Catalog`).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import sqlite3
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from ..errors import StoreError, StoreNotFoundError
from .catalog import Catalog
from .faults import pause_at
from .migrations import LATEST, current_version, migrate

BUSY_TIMEOUT_MS = 60_000
SQLITE_MAGIC = b"SQLite format 3\x00"


def check_catalog_file(path: Path) -> os.stat_result:
    """Raise a clear :class:`StoreError` unless ``path`` looks like a SQLite database."""
    try:
        st = os.stat(path)
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise StoreNotFoundError(f"no catalog at {path}") from None
    except OSError as exc:
        raise StoreError(f"cannot read catalog {path}: {exc.strerror or exc}") from None
    if st.st_size == 0:
        raise StoreError(f"catalog {path} is empty (0 bytes): it is damaged; restore it "
                         "from a backup (it is never re-created over existing objects)")
    if head != SQLITE_MAGIC:
        raise StoreError(f"catalog {path} is not a SQLite database: it is damaged; restore it "
                         "from a backup")
    return st


def _friendly(exc: sqlite3.Error, path: Path) -> StoreError:
    return StoreError(f"catalog {path} cannot be used: {exc}")


def _create(path: Path, tmp_dir: Path) -> None:
    """Build a new catalog aside and link it into place: it never exists half-made."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    staged = tmp_dir / f"{os.getpid()}-catalog-{uuid.uuid4().hex}"
    try:
        conn = sqlite3.connect(staged, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")  # persistent: recorded in the header
            migrate(conn)
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('changes', '0')")
        finally:
            conn.close()
        try:
            os.link(staged, path)  # atomic, and fails if another process created it first
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links: a rename, if still free
            if not path.exists():
                os.replace(staged, path)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{staged}{suffix}").unlink(missing_ok=True)


class SQLiteCatalog(Catalog):
    """A thread-safe wrapper around one SQLite connection to ``catalog.sqlite``.

    Writes go through :meth:`write`, which opens ``BEGIN IMMEDIATE`` (taking the write
    lock up front, so two writers never deadlock upgrading read locks) and nests with
    savepoints. Each outermost write bumps a change counter that readers poll cheaply.

    With ``readonly`` the catalog must exist; it is opened with ``mode=ro`` (or, in a
    folder this process cannot write, as an immutable file or a private copy of it and its
    WAL), and :meth:`write` refuses. An older schema is upgraded only when the file is
    writable (a reader of an old store would otherwise break on every upgrade); a newer
    one is read with a :class:`NewerSchemaWarning` and refused to writers.
    """

    query_errors = (sqlite3.OperationalError,)

    def __init__(self, path: Path, *, readonly: bool = False,
                 tmp_dir: Path | None = None) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.notice = None
        self.where = str(self.path)
        self._copy: Path | None = None
        if not readonly and not self.path.exists():
            _create(self.path, tmp_dir or self.path.parent / "tmp")
        st = check_catalog_file(self.path)
        self._identity = (st.st_dev, st.st_ino)
        self._lock = threading.RLock()
        self._depth = 0
        try:
            self._conn = self._connect()
        except sqlite3.Error as exc:
            raise _friendly(exc, self.path) from None
        try:
            self._prepare()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise _friendly(exc, self.path) from None
        except BaseException:
            self.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        timeout = BUSY_TIMEOUT_MS / 1000
        if not self.readonly:
            return sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=timeout)
        uri = "file:" + urllib.parse.quote(str(self.path))
        try:
            conn = sqlite3.connect(uri + "?mode=ro", uri=True, isolation_level=None,
                                   check_same_thread=False, timeout=timeout)
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            return conn
        except sqlite3.OperationalError:
            # WAL needs a writable -shm beside the file: a read-only folder (an archive,
            # another user's store) cannot give one. Without a WAL the file is complete and
            # can be opened as immutable; with one, read a private copy of both.
            wal = Path(f"{self.path}-wal")
            if not wal.exists() or wal.stat().st_size == 0:
                return sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None,
                                       check_same_thread=False)
            self._copy = Path(tempfile.mkdtemp(prefix="ja-catalog-"))
            shutil.copyfile(self.path, self._copy / "catalog.sqlite")
            shutil.copyfile(wal, self._copy / "catalog.sqlite-wal")
            return sqlite3.connect(self._copy / "catalog.sqlite", isolation_level=None,
                                   check_same_thread=False, timeout=timeout)

    def _prepare(self) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Up to 64 MB of page cache, allocated only as pages are read: a filtered search
        # over 100,000 runs probes pages across a ~270 MB catalog (60 -> 42 ms CPU).
        conn.execute("PRAGMA cache_size = -65536")
        version = current_version(conn)
        if version == 0:
            raise StoreError(f"catalog {self.path} has no jupyter-artifacts schema: it is "
                             "damaged or not a store's catalog")
        self._check_newer(version, LATEST)
        if self.readonly:
            if version < LATEST and self._copy is None and os.access(self.path, os.W_OK) \
                    and os.access(self.path.parent, os.W_OK):
                self._upgrade()
            conn.execute("PRAGMA query_only = ON")
            return
        _enable_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)

    def _upgrade(self) -> None:
        """Migrate an older (valid) schema through a short-lived writable connection."""
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            migrate(conn)
        finally:
            conn.close()

    def close(self) -> None:
        with self._lock:
            if hasattr(self, "_conn"):
                self._conn.close()
            if self._copy is not None:
                shutil.rmtree(self._copy, ignore_errors=True)
                self._copy = None

    def check_alive(self) -> None:
        """Raise :class:`StoreError` if the catalog file was deleted or replaced since opening.

        SQLite keeps writing to an unlinked file without complaint, so a store deleted
        under a live process would otherwise report success while nothing is kept.
        """
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise StoreError(f"the store's catalog {self.path} was deleted while in use; "
                             "nothing more can be recorded (reopen the store)") from None
        if (st.st_dev, st.st_ino) != self._identity:
            raise StoreError(f"the store's catalog {self.path} was replaced while in use; "
                             "reopen the store")

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; nested calls become savepoints.

        If a statement fails and SQLite has already rolled the transaction back (it does on
        a full disk), the original error propagates, not a failed ROLLBACK's.
        """
        if self.readonly:
            raise StoreError(f"the store at {self.path.parent} is open read-only")
        with self._lock:
            conn = self._conn
            if self._depth:
                with self._savepoint(conn.execute, lambda: conn.in_transaction,
                                     (sqlite3.Error,)):
                    yield conn
                return
            self.check_alive()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise _write_error(exc, self.path) from None
            self._depth = 1
            try:
                yield conn
                conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                             "WHERE key = 'changes'")
                pause_at("catalog-begun")
                conn.execute("COMMIT")
                pause_at("catalog-committed")
            except sqlite3.OperationalError as exc:
                _rollback(conn)
                raise _write_error(exc, self.path) from exc
            except BaseException:
                _rollback(conn)
                raise
            finally:
                self._depth = 0

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction (WAL: the first read fixes what every later one sees)."""
        with self._lock:
            if self._conn.in_transaction:  # a write's, or an enclosing snapshot's
                yield
                return
            self._conn.execute("BEGIN")
            try:
                yield
            finally:
                if self._conn.in_transaction:
                    self._conn.execute("COMMIT")  # nothing written: it only ends the read

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        with self._lock, self._reading():
            cur = self._conn.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()

    def read(self, sql: str, params: Any = (), named: bool = False, *,
             page: bool = False) -> list[Any]:
        """Run a query that cannot write: SQLite refuses any change while it runs.

        For SQL assembled from user input (search filters): even a compiler bug cannot
        change the store. Rows are plain tuples unless ``named`` (then ``sqlite3.Row``).
        ``page`` changes nothing here (SQLite runs a query on one thread).
        """
        with self._query_only():
            cur = self._conn.execute(sql, params)
            if named:
                cur.row_factory = sqlite3.Row
            return cur.fetchall()

    def read_floats(self, sql: str, params: Any = ()) -> Any:
        import numpy

        with self._query_only():
            # Straight from the cursor: no list of 1-tuples in between (a tenth of the
            # time of 10,000 rows).
            return numpy.fromiter(chain.from_iterable(self._conn.execute(sql, params)), float)

    @contextlib.contextmanager
    def _query_only(self) -> Iterator[None]:
        with self._lock, self._reading():
            self._conn.execute("PRAGMA query_only = ON")
            try:
                yield
            finally:
                # A read-only catalog stays query-only.
                self._conn.execute(f"PRAGMA query_only = {'ON' if self.readonly else 'OFF'}")

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """Report a damaged catalog (a bad page) as one clear :class:`StoreError`."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if type(exc) is sqlite3.DatabaseError or "disk I/O" in str(exc):
                raise StoreError(f"catalog {self.path} is damaged: {exc}; run "
                                 "jupyter-artifacts verify") from None
            raise

    def change_stamp(self) -> tuple[int, int]:
        """Changes whenever any connection commits to the catalog: SQLite's data_version
        (commits by other connections) and this connection's own total of changed rows."""
        with self._lock:
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            return int(version), self._conn.total_changes

    def query_one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Any = ()) -> Any:
        with self._lock, self._reading():
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


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open; never replace the error that got us here."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def _write_error(exc: sqlite3.OperationalError, path: Path) -> Exception:
    """A one-line store error for failures of the storage itself (full disk, I/O, read-only)."""
    text = str(exc)
    if any(s in text for s in ("full", "disk I/O", "readonly", "read-only", "unable to open")):
        return StoreError(f"cannot write to the catalog {path}: {text}")
    return exc
