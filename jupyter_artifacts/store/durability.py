"""fsyncs put off the path of the thread that wrote: a tracked cell's objects, synced next.

Writing an object durably costs two fsyncs (the file, then its folder): 3-8 ms each on a
common disk, which for a cell that stores a figure, its output and its stdout is most of
what tracking adds to it. Inside :meth:`DeferredSync.deferring` a thread writes and
publishes objects without them, and :meth:`DeferredSync.flush` (run on a background lane
right after the cell) syncs them all, each folder once.

What this trades: nothing for a crashed or killed process (the page cache outlives it, and
every object is still whole before its name appears). After a power loss in the
milliseconds between a cell's end and the flush, an object may be lost while the catalog row
naming it survives; SQLite's own ``synchronous = NORMAL`` has the same window for rows, and
``verify`` names any such object.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class DeferredSync:
    """The fsyncs one object store put off, and which threads are putting them off."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._files: list[Path] = []

    @contextlib.contextmanager
    def deferring(self) -> Iterator[None]:
        """Inside the block, this thread's writes skip their fsyncs (see :meth:`flush`)."""
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield
        finally:
            self._local.depth -= 1

    @property
    def active(self) -> bool:
        return getattr(self._local, "depth", 0) > 0

    def written(self, fh: IO[bytes]) -> None:
        """A temp file is complete: sync it now, unless this thread defers."""
        if not self.active:
            os.fsync(fh.fileno())

    def published(self, path: Path) -> None:
        """An object's file got its name: sync its folder now, or the file and folder later."""
        if self.active:
            with self._lock:
                self._files.append(path)
        else:
            fsync_dir(path.parent)

    def flush(self) -> None:
        """Sync every file put off so far, then each of their folders once."""
        with self._lock:
            files, self._files = self._files, []
        for path in files:
            with contextlib.suppress(OSError):  # gone already (gc): nothing left to make durable
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        for folder in dict.fromkeys(path.parent for path in files):
            fsync_dir(folder)


def fsync_dir(path: Path) -> None:
    """Make a folder's entries durable (a renamed-in file's name); best effort."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
