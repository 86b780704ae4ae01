"""The PostgreSQL catalog of a team store: many writers on many machines, one database.

The URL is libpq's (``postgresql://host[:port]/db``); the password comes from the standard
places libpq reads (``PGPASSWORD``, ``~/.pgpass``, a service file), never from the store:
a URL carrying one is refused. Writers exclude each other with a transaction-level advisory
lock (as SQLite's ``BEGIN IMMEDIATE`` does), taken after ``BEGIN``; readers never wait.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from psycopg.types.string import StrDumper

from ..errors import StoreError, StoreNotFoundError
from .catalog import POSTGRESQL, Catalog
from .catalog_pg_beside import BesideReader
from .config import check_catalog_url
from .dialect_pg import translate
from .faults import pause_at
from .migrations import LATEST, current_version, migrate

CONNECT_TIMEOUT_S = 10
# pg_advisory_*lock keys: one for the store's writers, one for schema migrations.
WRITE_LOCK = 0x6A61_0001
MIGRATE_LOCK = 0x6A61_0002
IN_RECOVERY = "SELECT pg_is_in_recovery()"  # a standby: no snapshot can be exported


def describe(url: str) -> str:
    """``postgresql://user@host:port/db`` for messages: whatever the URL says, no password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unparsable URL)"
    host = info.get("host") or "localhost"
    port = f":{info['port']}" if info.get("port") else ""
    user = f"{info['user']}@" if info.get("user") else ""
    return f"postgresql://{user}{host}{port}/{info.get('dbname') or ''}"


def check_url(url: str) -> None:
    """Refuse a catalog URL that carries a password (it would end up in files and logs)."""
    try:
        psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise StoreError(f"invalid PostgreSQL catalog URL {describe(url)}: {exc}") from None
    check_catalog_url(url, f"the catalog {describe(url)}")


class Row(tuple):
    """A result row readable by position and by column name, like ``sqlite3.Row``."""

    _index: dict[str, int]

    def __new__(cls, values: Any, index: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _rows(cursor: Any) -> Any:
    names = [col.name for col in cursor.description or ()]
    index = {name: i for i, name in enumerate(names)}
    return lambda values: Row(values, index)


def _reason(exc: Exception) -> str:
    """libpq's reason in one line: 'connection to server at "h", port 5432 failed: FATAL:
    password authentication failed for user "u"' -> the part after 'failed: '."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    reason = lines[0].rsplit(" failed: ", 1)[-1]
    return " ".join(reason.replace("FATAL:", "").split())


class CatalogValueError(ValueError):
    """A value PostgreSQL cannot store (out of range, bad text, a broken constraint): as a
    ValueError, a bad metric point is dropped alone, as with SQLite's errors."""


_ROW_ERRORS = (psycopg.errors.DataError, psycopg.errors.IntegrityError)


class PgConnection:
    """What ``Catalog.write()`` yields: ``execute`` / ``executemany`` taking SQLite's SQL."""

    dialect = POSTGRESQL
    query_errors = (psycopg.errors.DataError, psycopg.errors.ProgramLimitExceeded,
                    psycopg.errors.QueryCanceled)
    native_nan = True  # a float column holds NaN itself (SQLite needs the text 'NaN')

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.raw = conn
        self.writing = False  # inside Catalog.write()
        self.statements = 0  # run while writing: counted into change_stamp

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Any = ()) -> psycopg.Cursor[Any]:
        if sql.strip() == "BEGIN IMMEDIATE":  # migrations.migrate: exclusive, as in SQLite
            self.raw.execute("BEGIN")
            return self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        text, values = translate(sql, params)
        self.statements += self.writing
        cur = self.raw.cursor(row_factory=_rows)
        try:
            return cur.execute(text, values)
        except _ROW_ERRORS as exc:
            raise CatalogValueError(f"{type(exc).__name__}: {exc}") from exc

    def executemany(self, sql: str, rows: Any) -> None:
        rows = list(rows)
        if not rows:
            return
        text, _ = translate(sql, rows[0])
        self.statements += self.writing
        with self.raw.cursor() as cur:
            try:
                cur.executemany(text, [translate(sql, row)[1] for row in rows])
            except _ROW_ERRORS as exc:
                raise CatalogValueError(f"{type(exc).__name__}: {exc}") from exc


class PostgresCatalog(Catalog):
    """A catalog in a PostgreSQL database; see the module docstring.

    A new (empty) database gets the whole schema history on the first writable open; a
    read-only open never creates nor migrates anything, and runs every statement in a
    read-only session.
    """

    dialect = POSTGRESQL

    def __init__(self, url: str, *, readonly: bool = False) -> None:
        check_url(url)
        self.url = url
        self.where = describe(url)
        self.readonly = readonly
        self.notice = None
        self._lock = threading.RLock()
        self._depth = 0
        self._snapshot = False
        self._standby: bool | None = None  # whether the server is a standby (see _export)
        self._beside = BesideReader(lambda: PgConnection(self._connect(readonly=True)))
        self._conn = PgConnection(self._connect())
        try:
            self._prepare()
        except BaseException:
            self.close()
            raise

    def _connect(self, readonly: bool = False) -> psycopg.Connection[Any]:
        try:
            raw = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                  application_name="jupyter-artifacts")
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the catalog {self.where}: {_reason(exc)}") from None
        raw.adapters.register_dumper(str, StrDumper)  # text, so jsonb operators resolve
        if self.readonly or readonly:
            raw.execute("SET default_transaction_read_only = on")
        return raw

    def _reconnect_if_lost(self) -> None:
        """A server restart or a dropped connection: connect again before the next
        statement (never inside a transaction, whose work is gone with the connection)."""
        if self._depth == 0 and self._conn.raw.broken:
            self._conn.raw.close()
            self._conn.raw = self._connect()
            self._standby = None  # perhaps another server now (a failover)

    def _prepare(self) -> None:
        conn = self._conn
        version = current_version(conn)
        if version == 0 and self.readonly:
            raise StoreNotFoundError(f"no jupyter-artifacts catalog in {self.where} (a "
                                     "read-only open creates none)")
        self._check_newer(version, LATEST)
        if self.readonly or version == LATEST:
            return
        # Several machines may open a new team store at once: one migrates, the others
        # then find it done (migrate() re-checks the version under the write lock too).
        conn.raw.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK,))
        try:
            migrate(conn)
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('changes', '0')")
        finally:
            conn.raw.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK,))

    def close(self) -> None:
        with self._lock:
            if hasattr(self, "_conn"):
                self._conn.raw.close()
            self._beside.close()

    def check_alive(self) -> None:
        """Reconnect after a lost connection; a dropped database or a server that stays
        down is then the one-line error of :meth:`_connect`."""
        with self._lock:
            if self._conn.raw.closed and not self._conn.raw.broken:
                raise StoreError(f"the connection to the catalog {self.where} is closed")
            self._reconnect_if_lost()

    @contextlib.contextmanager
    def write(self) -> Iterator[PgConnection]:
        """A transaction holding the store's write lock; nested calls become savepoints."""
        if self.readonly:
            raise StoreError(f"the store with the catalog {self.where} is open read-only")
        with self._lock:
            conn = self._conn
            if self._depth:
                with self._savepoint(conn.raw.execute, lambda: conn.in_transaction,
                                     (psycopg.Error,)):
                    yield conn
                return
            self.check_alive()
            try:
                self._retrying(lambda: conn.raw.execute("BEGIN"))
                conn.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            except psycopg.OperationalError as exc:
                self._rollback()
                raise StoreError(f"cannot write to the catalog {self.where}: "
                                 f"{_reason(exc)}") from None
            self._depth = 1
            conn.writing = True
            try:
                yield conn
                conn.raw.execute("UPDATE meta SET value = (value::bigint + 1)::text "
                                 "WHERE key = 'changes'")
                pause_at("catalog-begun")
                conn.raw.execute("COMMIT")
                pause_at("catalog-committed")
            except BaseException:
                self._rollback()
                raise
            finally:
                self._depth = 0
                conn.writing = False

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            with contextlib.suppress(psycopg.Error):
                self._conn.raw.execute("ROLLBACK")

    def _retrying(self, statement: Any) -> Any:
        """Run ``statement()``; once more on a new connection if the server dropped this one
        (a restart) while no transaction was open."""
        with self._lock:
            self._reconnect_if_lost()
            try:
                return statement()
            except psycopg.OperationalError:
                if self._depth or self._snapshot or not self._conn.raw.broken:
                    raise
                self._reconnect_if_lost()
                return statement()

    def query(self, sql: str, params: Any = ()) -> list[Any]:
        return self._retrying(lambda: list(self._conn.execute(sql, params).fetchall()))

    def read(self, sql: str, params: Any = (), named: bool = False, *,
             page: bool = False) -> list[Any]:
        """A query in a read-only transaction: PostgreSQL refuses any change.

        ``page``: the query stops after a page of rows; it runs without parallel workers.
        The planner halves a walk's cost with two workers, but starting them and merging
        their sorted streams costs more than the walk: 41-77 ms against 15-22 ms for the
        first 100 of 1,000,000 runs in a metric's order.
        """
        def statement() -> list[Any]:
            if self._snapshot and page:  # the setting is the page's alone, as below
                self._conn.raw.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                rows = self._conn.execute(sql, params).fetchall()
                self._conn.raw.execute("SET LOCAL max_parallel_workers_per_gather TO DEFAULT")
                return rows
            if self._depth or self._snapshot or (self.readonly and not page):
                return self._conn.execute(sql, params).fetchall()
            self._conn.raw.execute("BEGIN READ ONLY")
            try:
                if page:
                    self._conn.raw.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                return self._conn.execute(sql, params).fetchall()
            finally:
                self._rollback()

        rows = self._retrying(statement)
        return list(rows) if named else [tuple(row) for row in rows]

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One REPEATABLE READ, READ ONLY transaction for the reads inside the block."""
        with self._lock:
            if self._depth or self._snapshot:
                yield
                return
            self._retrying(lambda: self._conn.raw.execute(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            self._snapshot = True
            try:
                yield
            finally:
                self._snapshot = False
                self._rollback()

    @contextlib.contextmanager
    def beside(self, sql: str, params: Any = ()) -> Iterator[Callable[[], list[Any]]]:
        """Inside a :meth:`snapshot`: the read runs on a second connection in the same
        snapshot while this one goes on (see :mod:`.catalog_pg_beside`). Inside a write,
        whose changes only this connection sees, or on a server that cannot export its
        snapshot (a hot standby), it runs here first."""
        with self._lock:
            exported = self._export() if self._snapshot and not self._depth else None
            if exported is None:
                with super().beside(sql, params) as rows:
                    yield rows
                return
            with self._beside.reading(exported, sql, params) as rows:
                yield rows

    def _export(self) -> str | None:
        """This snapshot's name for another connection to read in, or None on a standby
        in recovery, which refuses to export one (asked once per connection)."""
        if self._standby is None:
            row = self._conn.raw.execute(IN_RECOVERY).fetchone()
            self._standby = bool(row and row[0])
        if self._standby:
            return None
        row = self._conn.raw.execute("SELECT pg_export_snapshot()").fetchone()
        return str(row[0]) if row else None

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self._retrying(lambda: self._conn.execute(sql, params).fetchone())
        return row[0] if row else None

    def change_stamp(self) -> Any:
        """The store's change counter (every committed write bumps it, from any process)
        and the statements this connection ran (its own writes inside a transaction)."""
        with self._lock:
            statements = self._conn.statements
            return self.scalar("SELECT value FROM meta WHERE key = 'changes'"), statements
