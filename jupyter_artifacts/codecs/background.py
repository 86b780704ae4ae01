"""Work handed off the cell's critical path: one worker thread, flushed before the process ends.

Codecs (a figure's SVG) and capture (a model's skops file) submit jobs here. Each job's
wall time is kept so a run can say what tracking cost it in the background. A headless
kernel (nbclient, papermill) is stopped right after its last cell: :func:`wait_pending`
runs at the kernel's shutdown request and at exit, so nothing queued is lost.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

# One thread per lane: "save" serialises values (skops walks models in Python); "svg" mostly
# waits on the SVG helper process, so a model save and a figure's SVG overlap.
_executors: dict[str, ThreadPoolExecutor] = {}
_lock = threading.Lock()
_pending: set[Future[Any]] = set()
_collectors: list[list[Future[Any]]] = []
_detached: set[Future[Any]] = set()


@contextlib.contextmanager
def collecting() -> Iterator[list[Future[Any]]]:
    """Gather the jobs submitted inside the block (to account them to one cell)."""
    futures: list[Future[Any]] = []
    _collectors.append(futures)
    try:
        yield futures
    finally:
        _collectors.remove(futures)


# While a cell runs, background jobs wait (each up to MAX_HOLD_S after it was submitted).
# A worker thread doing Python work takes the GIL whenever the kernel's main thread releases
# it (every SQLite call, file write or large numpy operation), and the main thread then waits
# up to the interpreter's switch interval (5 ms) to get it back: tens of such waits made a
# tracked cell, and the cell after it, slower than the work itself. Held jobs run in the
# gap between cells (interactively, while the person reads the output); a long cell lets
# them through after MAX_HOLD_S, so nothing waits long for a long cell.
MAX_HOLD_S = 2.0
_idle = threading.Event()
_idle.set()


_hold_listeners: list[Callable[[bool], None]] = []


def hold() -> None:
    """The kernel starts running a cell: jobs submitted from now on wait for :func:`release`."""
    _idle.clear()
    for listener in _hold_listeners:
        listener(True)


def release() -> None:
    """The cell ended: held jobs run."""
    _idle.set()
    for listener in _hold_listeners:
        listener(False)


def release_soon() -> None:
    """:func:`release` once the code running now yields to its event loop (at once without one).

    A kernel sends a cell's ``execute_reply`` after ``post_run_cell`` returns, with no await
    between: jobs released there took the GIL from that last stretch (a figure's pickle, SQLite
    writes) and the reply waited 10-15 ms for them on a heavy figure's cell. Released from the
    kernel's loop, they start once the reply is sent.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # a plain IPython shell, a script: nothing to wait for
        release()
        return
    loop.call_soon(release)


def on_hold(listener: Callable[[bool], None]) -> None:
    """Call ``listener(True)`` at each :func:`hold` and ``listener(False)`` at each
    :func:`release` (the helper process pauses its renders meanwhile)."""
    _hold_listeners.append(listener)


def submit(fn: Callable[..., Any], *args: Any, lane: str = "save",
           hold: bool = True) -> Future[Any]:
    """Run ``fn(*args)`` on ``lane``'s worker thread; the future's ``seconds`` is its wall time.

    ``hold``: while a cell runs, start only when it ends or after :data:`MAX_HOLD_S` (pass
    False for a job that does no Python work to speak of, such as starting a process)."""
    # The future exists before the job can start: a quick job may end before ``submit``
    # returns, and its wall time must be on the future when its callbacks run.
    future: Future[Any] = Future()
    deadline = time.monotonic() + MAX_HOLD_S

    def timed() -> None:
        if not future.set_running_or_notify_cancel():
            return
        if hold:
            _idle.wait(max(0.0, deadline - time.monotonic()))
        start = time.perf_counter()
        try:
            result = fn(*args)
        except BaseException as exc:
            future.seconds = time.perf_counter() - start  # type: ignore[attr-defined]
            future.set_exception(exc)
        else:
            future.seconds = time.perf_counter() - start  # type: ignore[attr-defined]
            future.set_result(result)

    with _lock:
        if lane not in _executors:
            _executors[lane] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ja-{lane}")
        _pending.add(future)
        for futures in _collectors:
            futures.append(future)
        _executors[lane].submit(timed)
    future.add_done_callback(_pending.discard)
    return future


def track(future: Future[Any], detached: bool = False) -> None:
    """Count work done elsewhere (``detached``: by a process that outlives this one, so
    shutdown need not wait for it) as pending, and as the current cell's."""
    with _lock:
        _pending.add(future)
        if detached:
            _detached.add(future)
        for futures in _collectors:
            futures.append(future)
    future.add_done_callback(_pending.discard)
    future.add_done_callback(_detached.discard)


def pending() -> int:
    """How many jobs are queued or running."""
    return len(_pending)


def wait_pending(timeout: float | None = None, detached: bool = True) -> None:
    """Block until every job submitted so far has finished (jobs they submit included);
    with ``detached=False``, until work done elsewhere has only been handed over.

    Held jobs are let through: whoever waits for them wants them done now."""
    release()
    while waiting := [f for f in list(_pending) if detached or f not in _detached]:
        for future in waiting:
            future.exception(timeout=timeout)


#: How long a stopping kernel also waits for work the helper process does for it. Kernel
#: managers (nbclient, papermill) kill a kernel ~5 s after asking it to stop; the helper
#: outlives the kill and finishes anyway, this only makes the common case complete sooner.
DETACHED_GRACE_S = 4.0


def flush_at_exit(grace: float = DETACHED_GRACE_S) -> None:
    """What must happen before this process ends: every job run or handed over, and for up
    to ``grace`` seconds, finished by the helper process too."""
    wait_pending(detached=False)
    deadline = time.monotonic() + grace
    for future in list(_detached):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        with contextlib.suppress(Exception):  # a timeout or a failed job: nothing to wait for
            future.exception(timeout=remaining)


atexit.register(flush_at_exit)
