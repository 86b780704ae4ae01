"""The helper process's first steps, before it imports anything heavy.

The helper (see :mod:`jupyter_artifacts.codecs.svgworker`) starts when a kernel hands over
its first figure or model, and imports about a second of CPU's worth of modules (numpy,
matplotlib, the codecs; skops with the first model). Even at the lowest priority those
imports slowed the cell that ran beside them by 60-110 ms on a two-core machine (a BLAS
call in the cell waits for its worker thread on the core they hold). So, in this order:

1. lower the process's priority (``BOOT`` does, before any other import);
2. start reading jobs from the kernel, so a hand-over never waits on a full pipe;
3. put :class:`ImportsWhenIdle` first on ``sys.meta_path``: every module imported from then
   on first waits until the kernel is between cells (the byte :class:`Pauser` reads), so
   the imports happen in the gaps between cells, one module at a time;
4. import the worker and serve.

The waits are bounded as a render's are (``MAX_PAUSE_S`` per job) and end at once when the
kernel is gone, and whoever waits for the helper's work (``wait_pending``, a model read
again) first lets the byte go: nothing waits on a cell that waits on the helper.

Only the standard library and two small modules of ours are imported here (the package's
``__init__`` is light on purpose).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import json
import queue
import signal
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from typing import IO, Any

from .busyflag import Pauser

HEADER = struct.Struct(">Q")

#: A job as read from the kernel: its JSON header, the pickle stream, out-of-band buffers.
RawJob = tuple[dict[str, Any], bytearray, tuple[bytearray, ...]]


def frame(data: bytes) -> bytes:
    """``data`` with its 8-byte big-endian length in front."""
    return HEADER.pack(len(data)) + data


def read_exact(stream: IO[bytes], n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise EOFError("helper pipe closed")
    return data


def read_frame(stream: Any) -> bytearray:
    """One length-prefixed frame, read into a bytearray: arrays unpickled on it are writable,
    as they were in the kernel (rendering or storing may change one in place)."""
    (size,) = HEADER.unpack(read_exact(stream, HEADER.size))
    buffer = bytearray(size)
    view, done = memoryview(buffer), 0
    while done < size:
        got = stream.readinto(view[done:])
        if not got:
            raise EOFError("helper pipe closed")
        done += got
    return buffer


class ImportsWhenIdle(importlib.abc.MetaPathFinder):
    """A finder that finds nothing: it only makes each import wait for ``wait()`` first
    (modules already imported never reach ``sys.meta_path``)."""

    def __init__(self, wait: Callable[[], None]) -> None:
        self.wait = wait

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: Any = None) -> None:
        self.wait()
        return None


def receive(stdin: IO[bytes], jobs: queue.Queue[RawJob | None], pauser: Pauser) -> None:
    """Read every job as it comes, so the kernel's hand-over never waits for a render
    (or for this process's imports); ``None`` once the kernel is gone."""
    try:
        while True:
            header = json.loads(read_frame(stdin))
            stream = read_frame(stdin)
            buffers = tuple(read_frame(stdin) for _ in range(int(header.get("buffers", 0))))
            jobs.put((header, stream, buffers))
    except (EOFError, OSError, ValueError):
        pauser.kernel_gone.set()  # nobody left to wait for: finish everything now
        jobs.put(None)


def main(argv: list[str]) -> None:
    """The helper's entry point. ``argv``: the module that serves (its ``serve(jobs,
    stdout, pauser)``), then the busy flag's path ("" for none)."""
    with contextlib.suppress(ValueError):  # not the main thread: a test calling main()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the kernel's interrupts are not ours
    module, busy_path = argv[0], argv[1] if len(argv) > 1 else ""
    pauser = Pauser(busy_path or None)
    jobs: queue.Queue[RawJob | None] = queue.Queue()
    threading.Thread(target=receive, args=(sys.stdin.buffer, jobs, pauser), daemon=True,
                     name="ja-helper-receive").start()
    sys.meta_path.insert(0, ImportsWhenIdle(pauser.wait))
    importlib.import_module(module).serve(jobs, sys.stdout.buffer, pauser)


#: ``python -c`` code that starts a helper: ``[python, -c, BOOT, module, busy_path]``.
#: The priority is lowered before anything else is imported, this module's stdlib too.
BOOT = ("from jupyter_artifacts.priority import lower_priority\nlower_priority()\n"
        "import sys\nfrom jupyter_artifacts.helperboot import main\nmain(sys.argv[1:])\n")
