"""Streaming writes into the store: hash and write on a shared I/O thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import blake3

Buffer = bytes | bytearray | memoryview
Progress = Callable[[int], None]
"""Called with the number of bytes written so far."""
WRITE_BATCH = 8 * 1024 * 1024  # streamed writes are hashed and written in pieces this big
MAX_IN_FLIGHT = 4  # pieces queued for the I/O thread before the writer waits (bounds memory)

_io_lock = threading.Lock()
_io: ThreadPoolExecutor | None = None


def _io_executor() -> ThreadPoolExecutor:
    """The one thread that writes and hashes streamed objects, started on first use."""
    global _io
    with _io_lock:
        if _io is None:
            _io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ja-io")
        return _io

class HashingWriter:
    """A binary file-like object that hashes what it writes to a temp file.

    Use through :meth:`ObjectStore.writer`; the object is published by the context
    manager only when the block ends without error.
    """

    def __init__(self, fh: BinaryIO, tmp_path: Path,
                 progress: Progress | None = None) -> None:
        self._fh = fh
        self.tmp_path = tmp_path
        self._progress = progress
        self._hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
        # Writers such as pyarrow send many small pieces; hashing each one on its own pays
        # BLAKE3's thread start-up every time (it tripled the cost of a 1 GB DataFrame).
        self._pending = bytearray()
        self._in_flight: list[Future[None]] = []
        self.size = 0
        self.closed = False
        self.oid: str | None = None

    def write(self, data: Buffer) -> int:
        view = memoryview(data).cast("B")
        n = view.nbytes
        self._pending += view  # a copy: the caller may reuse its buffer once we return
        self.size += n
        if len(self._pending) >= WRITE_BATCH:
            self.drain(wait=False)
        return n

    def drain(self, wait: bool = True) -> None:
        """Hand what is batched to the I/O thread; with ``wait``, until all of it is on disk.

        Writing and hashing happen on one shared I/O thread (both release the GIL), so the
        caller, e.g. pyarrow encoding the next row group, keeps going meanwhile.
        """
        if self._pending:
            chunk, self._pending = self._pending, bytearray()
            self._in_flight.append(_io_executor().submit(self._write_and_hash, chunk))
        while self._in_flight and (wait or len(self._in_flight) > MAX_IN_FLIGHT):
            self._in_flight.pop(0).result()
        if self._progress is not None:
            self._progress(self.size)

    def _write_and_hash(self, chunk: bytearray) -> None:
        self._fh.write(chunk)
        self._hasher.update(chunk)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self.drain()
        self._fh.flush()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        # Libraries such as pyarrow close the sink they wrote to; publishing happens later.
        self.closed = True

    def digest(self) -> str:
        self.drain()
        return str(self._hasher.hexdigest())

    def abandon(self) -> None:
        """Wait for queued pieces without raising (the write failed; the file is dropped)."""
        for future in self._in_flight:
            future.exception()
        self._in_flight = []
