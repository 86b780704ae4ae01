"""The catalog interface: every SQL statement of the store runs through a :class:`Catalog`.

Two implementations share one schema history (:mod:`.migrations`) and one SQL text per
query, written in SQLite's dialect:

- :class:`~.catalog_sqlite.SQLiteCatalog`: ``catalog.sqlite`` in the store folder (the
  embedded default; its speed is what the benchmarks measure);
- :class:`~.catalog_pg.PostgresCatalog`: a PostgreSQL database named by a libpq URL (a
  team store), which translates the few SQLite-only spellings in :mod:`.dialect_pg`.

Where a query truly differs, the module that owns it keeps both texts side by side and
picks one by :attr:`Catalog.dialect`.
"""

from __future__ import annotations

import abc
import contextlib
import warnings
from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from ..errors import StoreError

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


class NewerSchemaWarning(UserWarning):
    """A catalog was written by a newer jupyter-artifacts; it is read, never written."""


class Catalog(abc.ABC):
    """All SQL of a store: thread-safe, one connection per process.

    ``write()`` is a transaction (nested calls become savepoints) that excludes every other
    writer of the store, on any machine: the version numbering and gc's "no version is
    recorded while objects are deleted" rely on it. Each outermost write bumps the
    ``changes`` counter in ``meta``. Reads see committed data; rows support ``row[0]``,
    ``row["column"]`` and ``row.keys()``.
    """

    #: :data:`SQLITE` or :data:`POSTGRESQL`
    dialect: str = SQLITE
    #: Opened for reading only: no schema is created or migrated, nothing is written.
    readonly: bool = False
    #: A warning to show the user (a schema newer than this code), or None.
    notice: str | None = None
    #: Where the catalog is, for messages (a path, or a URL without any password).
    where: str = ""
    #: Errors meaning "this query could not run" (too complex, out of range, cancelled),
    #: as opposed to a broken store: a search reports them as a bad filter.
    query_errors: tuple[type[Exception], ...] = ()

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection."""

    @abc.abstractmethod
    def check_alive(self) -> None:
        """Raise :class:`~jupyter_artifacts.errors.StoreError` if the catalog vanished."""

    @abc.abstractmethod
    @contextlib.contextmanager
    def write(self) -> Iterator[Any]:
        """A write transaction yielding a connection with ``execute`` / ``executemany``."""

    #: How many :meth:`write` blocks are open on this catalog's connection.
    _depth = 0

    @contextlib.contextmanager
    def _savepoint(self, execute: Callable[[str], Any], in_transaction: Callable[[], bool],
                   errors: tuple[type[Exception], ...]) -> Iterator[None]:
        """A :meth:`write` inside another: a savepoint, rolled back to if the block raises
        (unless the database already ended the whole transaction, as SQLite does on a full
        disk: then the block's own error is the one to see)."""
        name = f"sp{self._depth}"
        execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield
        except BaseException:
            if in_transaction():
                with contextlib.suppress(*errors):
                    execute(f"ROLLBACK TO SAVEPOINT {name}")
                    execute(f"RELEASE SAVEPOINT {name}")
            raise
        else:
            execute(f"RELEASE SAVEPOINT {name}")
        finally:
            self._depth -= 1

    @abc.abstractmethod
    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside the block, from this thread, all see one state of the catalog: a
        result read in several queries (a page, then its values) cannot mix rows from
        before and after another writer's commit. Inside a write, that write's state."""
        yield

    @abc.abstractmethod
    def query(self, sql: str, params: Any = ()) -> list[Any]:
        """All rows of ``sql`` (named rows)."""

    @abc.abstractmethod
    def read(self, sql: str, params: Any = (), named: bool = False, *,
             page: bool = False) -> list[Any]:
        """Rows of a query that the database itself prevents from writing (for SQL built
        from user input); plain tuples unless ``named``. ``page``: the query stops after a
        page of rows (a hint for the planner)."""

    @contextlib.contextmanager
    def beside(self, sql: str, params: Any = ()) -> Iterator[Callable[[], list[Any]]]:
        """A :meth:`read` whose rows the function yielded gives, free to run while the
        block goes on reading (PostgreSQL: on a second connection, in the block's
        :meth:`snapshot`, so it reads the same state). Here it has run before the block."""
        rows = self.read(sql, params)
        yield lambda: rows

    def read_floats(self, sql: str, params: Any = ()) -> Any:
        """The one column of a :meth:`read` query as a numpy float array (text such as
        SQLite's ``'NaN'`` read as float)."""
        import numpy

        rows = self.read(sql, params)
        return numpy.fromiter(chain.from_iterable(rows), float, len(rows))

    @abc.abstractmethod
    def scalar(self, sql: str, params: Any = ()) -> Any:
        """The first column of the first row, or None."""

    @abc.abstractmethod
    def change_stamp(self) -> Any:
        """A cheap value that differs after any process committed a change."""

    def _check_newer(self, version: int, latest: int) -> None:
        """Refuse to write a schema newer than this code knows; read it with a warning."""
        if version <= latest:
            return
        self.notice = (f"catalog {self.where} was written by a newer jupyter-artifacts "
                       f"(schema v{version}; this one knows v{latest}): upgrade "
                       "jupyter-artifacts to write to it")
        if not self.readonly:
            raise StoreError(self.notice)
        warnings.warn(self.notice + "; reading it read-only", NewerSchemaWarning, stacklevel=5)

    def query_one(self, sql: str, params: Any = ()) -> Any:
        """The first row, or None."""
        rows = self.query(sql, params)
        return rows[0] if rows else None


def is_catalog_url(text: str | None) -> bool:
    """Whether ``text`` names a PostgreSQL catalog (a libpq URL)."""
    return bool(text) and str(text).startswith(("postgresql://", "postgres://"))


def open_catalog(location: str | Path, *, readonly: bool = False,
                 tmp_dir: Path | None = None) -> Catalog:
    """The catalog at ``location``: a PostgreSQL URL, or the path of ``catalog.sqlite``."""
    if isinstance(location, str) and is_catalog_url(location):
        try:
            from .catalog_pg import PostgresCatalog  # psycopg: only for team stores
        except ImportError as exc:
            raise StoreError(f"a PostgreSQL catalog needs psycopg ({exc}): "
                             "pip install 'jupyter-artifacts[team]'") from None

        return PostgresCatalog(location, readonly=readonly)
    from .catalog_sqlite import SQLiteCatalog

    return SQLiteCatalog(Path(location), readonly=readonly, tmp_dir=tmp_dir)
