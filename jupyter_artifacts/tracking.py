"""The active run: buffered metric logging and run start/end shared by ``ja.run`` and ``%%track``."""

from __future__ import annotations

import atexit
import contextlib
import os
import sqlite3
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from . import settings
from .errors import InvalidValueError, NoActiveRunError
from .store import Run, Store
from .store.liveness import HEARTBEAT_EVERY
from .store.validate import (
    INT64_MAX,
    INT64_MIN,
    check_key,
    check_step,
    check_value,
    param_json,
    safe_repr,
)

FLUSH_EVERY = 2000  # points
FLUSH_AFTER = 2.0  # seconds
#: Errors that a single bad point can cause in a batch; the other rows are then written.
ROW_ERRORS = (OverflowError, TypeError, ValueError, sqlite3.InterfaceError, sqlite3.IntegrityError)

MetricListener = Callable[[str, "int | None", float], None]

_store_lock = threading.Lock()
_default_store: Store | None = None
#: What decides which store Store.open() opens: its folder, and the catalog and objects
#: named in the environment.
DiscoveryKey = tuple[Path, str | None, str | None]
#: A store being opened ahead of the first tracked cell, with the discovery it answers.
_prepared: tuple[DiscoveryKey, Future[Store]] | None = None
_stack: list[ActiveRun] = []


def default_store() -> Store:
    """The store of this process: opened on first use by the usual discovery."""
    global _default_store, _prepared
    with _store_lock:
        if _default_store is None:
            prepared, _prepared = _prepared, None
            _default_store = _take_prepared(prepared) or Store.open()
        return _default_store


def set_default_store(store: Store | None) -> None:
    global _default_store, _prepared
    with _store_lock:
        _default_store = store
        prepared, _prepared = _prepared, None
    if prepared is not None:
        prepared[1].add_done_callback(_close_unused)


def prepare_default_store() -> None:
    """Open the store :func:`default_store` would open, on a thread, so that the first
    tracked cell does not wait for it (opening a catalog checks its schema and may migrate
    it: tens of ms, a few hundred on a busy disk). Used only if discovery still gives the
    same store when it is needed. A store that does not exist yet is not created here: the
    notebook may still name another one before its first tracked cell."""
    global _prepared
    with _store_lock:
        if _default_store is not None or _prepared is not None:
            return
        try:
            key = _discovery_key()
        except OSError:  # no working directory: the first cell reports it
            return
        if not key[0].is_dir():
            return
        future: Future[Store] = Future()
        _prepared = (key, future)

    def open_store() -> None:
        try:
            future.set_result(Store.open())
        except BaseException as exc:  # reported by the first tracked cell, which opens again
            future.set_exception(exc)

    threading.Thread(target=open_store, name="jupyter-artifacts-open", daemon=True).start()


def _discovery_key() -> DiscoveryKey:
    """What decides which store :meth:`Store.open` opens now."""
    from .store.config import CATALOG_ENV
    from .store.discovery import resolve_store_dir
    from .store.locations import OBJECTS_ENV

    return (resolve_store_dir(), os.environ.get(CATALOG_ENV), os.environ.get(OBJECTS_ENV))


def _take_prepared(prepared: tuple[DiscoveryKey, Future[Store]] | None) -> Store | None:
    """The store opened ahead, if discovery still leads to it (the notebook may have set
    ``$JUPYTER_ARTIFACTS_DIR`` or changed folder since); else None, and it is closed."""
    if prepared is None:
        return None
    key, future = prepared
    try:
        store = future.result()
    except Exception:
        return None  # opened again on this thread, which raises the error where it belongs
    try:
        if _discovery_key() == key:
            return store
    except OSError:  # the working directory was removed: discovery raises that again
        pass
    store.close()
    return None


def _close_unused(future: Future[Store]) -> None:
    if future.exception() is None:
        future.result().close()


class ActiveRun:
    """A run in progress: params and metrics go to it until it ends.

    Metric points are appended to an in-memory buffer and written in one transaction per
    batch (every ``FLUSH_EVERY`` points or ``FLUSH_AFTER`` seconds, and when the run ends),
    so a training loop can log every step.
    """

    def __init__(self, store: Store, run: Run) -> None:
        self.store = store
        self.run = run
        self.id = run.id
        self._buffer: list[tuple[str, str, int | None, float, float]] = []
        self._last_flush = time.monotonic()
        self.last_beat = time.monotonic()
        self._lock = threading.Lock()
        self._step_counters: dict[str, int] = {}
        self.listeners: list[MetricListener] = []
        self.params: dict[str, Any] = {}
        #: What was lost without failing the run; also stored in the run's metadata.
        self.warnings: list[str] = []

    @property
    def ref(self) -> str:
        """``run-N``, as the CLI and ``ja.get_run`` name it."""
        return self.run.ref

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        """Buffer one point; a bad key, value or step raises ``InvalidValueError`` here."""
        # Checked inline for the common types: this runs once per training step.
        counters = self._step_counters
        if type(key) is not str or key not in counters:
            key = check_key(key)  # once per key: a known key was checked before
        if type(value) is not float:
            value = check_value(value, key)
        if step is None:
            step = counters.get(key, 0)
            if step > INT64_MAX:  # counting on from an explicit step at the very top
                check_step(step)
        elif type(step) is not int or not INT64_MIN <= step <= INT64_MAX:
            step = check_step(step)
        counters[key] = step + 1
        buffer = self._buffer
        buffer.append((self.id, key, step, value, time.time()))
        if len(buffer) >= FLUSH_EVERY or time.monotonic() - self._last_flush > FLUSH_AFTER:
            self.flush()
        if self.listeners:
            for listener in self.listeners:
                listener(key, step, value)

    def log_params(self, params: dict[str, Any], strict: bool = True) -> None:
        """Record params; values become JSON-safe (numpy scalars, small containers, reprs).

        A value too large to be a param raises ``InvalidValueError`` (``strict``), or is
        skipped with a warning (params captured from a notebook's namespace).
        """
        skipped: list[str] = []
        safe = checked_params(params, strict, skipped)
        self.params.update(safe)
        self.store.log_params(self.id, safe)
        for message in skipped:
            self._warn(message, loud=strict)

    def flush(self) -> None:
        """Write the buffered points. Points that cannot be written are dropped, counted and
        noted in the run (a warning, not an exception: the training loop goes on)."""
        with self._lock:
            rows, self._buffer = self._buffer, []
            self._last_flush = time.monotonic()
        if not rows:
            return
        try:
            self.store.log_metrics(rows, heartbeat=self.id)
            self.last_beat = time.monotonic()
        except ROW_ERRORS as exc:
            # Some point is bad: write the others one by one and drop only the bad ones.
            self._dropped(self._write_each(rows), exc)
        except Exception as exc:  # the store failed (disk full, locked, gone): the batch is lost
            self._dropped(len(rows), exc)
        except BaseException:
            with self._lock:  # an interrupt: keep the points for the next flush
                self._buffer[:0] = rows
            raise

    def _write_each(self, rows: list[tuple[str, str, int | None, float, float]]) -> int:
        """Write ``rows`` one at a time; return how many could not be written."""
        failed = 0
        for done, row in enumerate(rows):
            try:
                self.store.log_metrics([row])
            except ROW_ERRORS:
                failed += 1
            except Exception:  # the store itself failed: the rest would only wait and fail
                return failed + len(rows) - done
        return failed

    def _dropped(self, count: int, exc: BaseException) -> None:
        if not count:
            return
        message = f"{count} metric point{'s' * (count != 1)} not stored: {type(exc).__name__}: {exc}"
        self._warn(message, dropped_points=count)

    def _warn(self, message: str, dropped_points: int = 0, loud: bool = True) -> None:
        self.warnings.append(message)
        if loud:  # otherwise the caller shows it (a tracked cell's summary)
            warnings.warn(f"jupyter-artifacts: {self.run.ref}: {message}", RuntimeWarning, stacklevel=4)
        # The store may be what failed; the warning above still tells.
        with contextlib.suppress(Exception):
            self.store.add_run_warning(self.id, message, dropped_points)


def checked_params(params: dict[str, Any], strict: bool = True,
                   skipped: list[str] | None = None) -> dict[str, Any]:
    """Params made JSON-safe and size-checked: too large raises ``InvalidValueError``
    (``strict``) or is left out with a message appended to ``skipped``."""
    safe = {}
    for key, value in _json_safe(params).items():
        try:
            param_json(check_key(key, "param"), value)
        except InvalidValueError as exc:
            if strict:
                raise
            if skipped is not None:
                skipped.append(f"param not recorded: {exc}")
            continue
        safe[key] = value
    return safe


def _json_safe(params: dict[str, Any]) -> dict[str, Any]:
    # Imported here: the codecs package is not needed to import the API (import time).
    from .codecs.base import json_safe

    if not isinstance(params, Mapping):
        raise InvalidValueError(f"params must be a dict, not {type(params).__name__}")
    safe = {}
    for key, value in params.items():
        try:
            key, value = str(key), json_safe(value)
        except Exception:  # a user's __repr__, __str__ or .item() raised: keep what we can
            key = key if isinstance(key, str) else safe_repr(key)
            value = safe_repr(value)
        safe[key] = value
    return safe


def active_run(required: bool = True) -> ActiveRun | None:
    if _stack:
        return _stack[-1]
    if required:
        raise NoActiveRunError(
            "no run is active: track the cell with %%track, or use `with ja.run(): ...`"
        )
    return None


def start_run(
    name: str, *, store: Store | None = None, tags: Iterable[str] | str = (),
    params: dict[str, Any] | None = None, strict_params: bool = True, **fields: Any,
) -> ActiveRun:
    """Create a run and make it the active one (runs nest: the innermost is active).

    ``strict_params=False`` (captured params) skips params too large to record, with a
    warning, instead of raising ``InvalidValueError``.
    """
    store = store or default_store()
    # Checked before the run exists: a bad param leaves no half-made run behind.
    skipped: list[str] = []
    safe = checked_params(params or {}, strict_params, skipped)
    run = store.create_run(name, tags=tags, params=safe, **fields)
    active = ActiveRun(store, run)
    active.params.update(safe)
    for message in skipped:
        active._warn(message, loud=strict_params)
    _stack.append(active)
    _start_heartbeat()
    return active


def end_run(active: ActiveRun, error: BaseException | None = None, status: str | None = None) -> None:
    """Flush and close a run; its status follows from ``error`` unless given."""
    try:
        active.flush()
    finally:
        if active in _stack:
            _stack.remove(active)
        if status is None:
            if error is None:
                status = "ok"
            elif isinstance(error, KeyboardInterrupt):
                status = "interrupted"
            else:
                status = "failed"
        text = "".join(traceback.format_exception(error)) if error is not None else None
        active.store.finish_run(active.id, status, text)
        if url := settings.openlineage_url():  # lineage events, posted off the cell's path
            from .ship.emitter import emit_in_background

            emit_in_background(active.store, active.id, url)


_heartbeat_thread: threading.Thread | None = None


def _start_heartbeat() -> None:
    """Start (once per process) the timer that keeps live runs from looking dead."""
    global _heartbeat_thread
    with _store_lock:
        if _heartbeat_thread is None or not _heartbeat_thread.is_alive():
            # A daemon: it never keeps the process alive, so a script still ends normally.
            _heartbeat_thread = threading.Thread(target=_heartbeat_loop, name="ja-heartbeat",
                                                 daemon=True)
            _heartbeat_thread.start()


def _heartbeat_loop() -> None:
    while True:
        time.sleep(HEARTBEAT_EVERY / 3)
        for active in list(_stack):
            # Metric flushes beat too: only a run quiet for a whole interval costs a write.
            if time.monotonic() - active.last_beat >= HEARTBEAT_EVERY:
                try:
                    active.store.heartbeat(active.id)
                    active.last_beat = time.monotonic()
                except Exception:  # a closed or broken store: the run's end reports it
                    pass


_environment_ids: dict[tuple[str, int], tuple[dict[str, Any], str]] = {}


def environment_id(store: Store) -> str:
    """This process's environment as recorded in ``store``: serialised and hashed once per
    listing of the packages, not once per run."""
    from .environment import python_environment

    env = python_environment()
    key = (str(store.root), id(env))
    known = _environment_ids.get(key)
    if known is None or known[0] is not env:  # the identity check guards against id reuse
        known = (env, store.put_environment(env["python"], env["platform"], env["packages"]))
        _environment_ids[key] = known
    return known[1]


@atexit.register
def _flush_at_exit() -> None:
    # A script that ends without closing its run still keeps every logged point.
    for active in list(_stack):
        try:
            active.flush()
            active.store.finish_run(active.id, "failed", "process exited while the run was active")
        except Exception:
            pass
