"""The active run: buffered metric logging and run start/end shared by ``ja.run`` and ``%%track``."""

from __future__ import annotations

import atexit
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from .errors import NoActiveRunError
from .store import Run, Store

FLUSH_EVERY = 2000  # points
FLUSH_AFTER = 2.0  # seconds

MetricListener = Callable[[str, "int | None", float], None]

_store_lock = threading.Lock()
_default_store: Store | None = None
_stack: list[ActiveRun] = []


def default_store() -> Store:
    """The store of this process: opened on first use by the usual discovery."""
    global _default_store
    with _store_lock:
        if _default_store is None:
            _default_store = Store.open()
        return _default_store


def set_default_store(store: Store | None) -> None:
    global _default_store
    with _store_lock:
        _default_store = store


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
        self._lock = threading.Lock()
        self._step_counters: dict[str, int] = {}
        self.listeners: list[MetricListener] = []
        self.params: dict[str, Any] = {}

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        value = float(value)
        if step is None:
            step = self._step_counters.get(key, 0)
        self._step_counters[key] = step + 1
        buffer = self._buffer
        buffer.append((self.id, key, step, value, time.time()))
        if len(buffer) >= FLUSH_EVERY or time.monotonic() - self._last_flush > FLUSH_AFTER:
            self.flush()
        if self.listeners:
            for listener in self.listeners:
                listener(key, step, value)

    def log_params(self, params: dict[str, Any]) -> None:
        """Record params; values become JSON-safe (numpy scalars, small containers, reprs)."""
        safe = _json_safe(params)
        self.params.update(safe)
        self.store.log_params(self.id, safe)

    def flush(self) -> None:
        with self._lock:
            rows, self._buffer = self._buffer, []
            self._last_flush = time.monotonic()
        if rows:
            try:
                self.store.log_metrics(rows)
            except BaseException:
                with self._lock:  # keep the points for the next flush
                    self._buffer[:0] = rows
                raise


def _json_safe(params: dict[str, Any]) -> dict[str, Any]:
    # Imported here: the codecs package is not needed to import the API (import time).
    from .codecs.base import json_safe

    return {str(k): json_safe(v) for k, v in params.items()}


def active_run(required: bool = True) -> ActiveRun | None:
    if _stack:
        return _stack[-1]
    if required:
        raise NoActiveRunError(
            "no run is active: track the cell with %%track, or use `with ja.run(): ...`"
        )
    return None


def start_run(
    name: str, *, store: Store | None = None, tags: Iterable[str] = (),
    params: dict[str, Any] | None = None, **fields: Any,
) -> ActiveRun:
    """Create a run and make it the active one (runs nest: the innermost is active)."""
    store = store or default_store()
    run = store.create_run(name, tags=tags, params=_json_safe(params or {}), **fields)
    active = ActiveRun(store, run)
    _stack.append(active)
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
