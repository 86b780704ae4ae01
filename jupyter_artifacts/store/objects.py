"""Content-addressed, immutable object storage on the local filesystem.

Objects are named by the BLAKE3 digest of their bytes (the *oid*), fanned out as
``objects/ab/cdef...``. Every write goes to a temp file under ``tmp/`` (same filesystem),
is fsynced, and is renamed into place only when whole, so a reader never sees a partial
object and a crash leaves at worst an orphan temp file that :meth:`ObjectStore.clean_tmp`
removes.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, BinaryIO

import blake3

from ..errors import CorruptObjectError, InvalidReferenceError, NotFoundError

HASH_NAME = "blake3"
CHUNK = 8 * 1024 * 1024
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
_HEX = frozenset("0123456789abcdef")
# Below this size threads cost more than they save.
_THREADED_HASH_MIN = 4 * 1024 * 1024

Buffer = bytes | bytearray | memoryview
Progress = Callable[[int], None]
"""Called with the number of bytes written so far."""


def _hasher(expected_size: int = 0) -> Any:
    if expected_size >= _THREADED_HASH_MIN:
        return blake3.blake3(max_threads=blake3.blake3.AUTO)
    return blake3.blake3()


def hash_buffers(buffers: Sequence[Buffer]) -> tuple[str, int]:
    """Return the oid and total size of the concatenation of ``buffers``."""
    total = sum(memoryview(b).nbytes for b in buffers)
    hasher = _hasher(total)
    for buf in buffers:
        hasher.update(memoryview(buf).cast("B"))
    return hasher.hexdigest(), total


def check_oid(oid: str) -> str:
    """Validate an oid's form (64 lowercase hex digits); raise otherwise."""
    if len(oid) != 64 or not set(oid) <= _HEX:
        raise InvalidReferenceError(f"not a content id: {oid!r}")
    return oid


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


class ObjectStore:
    """Immutable blobs under ``root/objects`` addressed by their BLAKE3 digest."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.objects_dir = self.root / "objects"
        self.tmp_dir = self.root / "tmp"
        self.objects_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    # -- paths ---------------------------------------------------------------------
    def path(self, oid: str) -> Path:
        """Return where the object ``oid`` lives (whether or not it exists)."""
        check_oid(oid)
        return self.objects_dir / oid[:2] / oid[2:]

    def exists(self, oid: str) -> bool:
        return self.path(oid).is_file()

    def size(self, oid: str) -> int:
        return self.path(oid).stat().st_size

    def open(self, oid: str) -> BinaryIO:
        """Open an object for reading; :class:`NotFoundError` if it is absent."""
        try:
            return open(self.path(oid), "rb")
        except FileNotFoundError:
            raise NotFoundError(f"object {oid[:12]} is missing from the store") from None

    def read_bytes(self, oid: str) -> bytes:
        with self.open(oid) as fh:
            return fh.read()

    # -- writing -------------------------------------------------------------------
    def _tmp_file(self) -> tuple[Path, IO[bytes]]:
        # The pid in the name lets gc tell abandoned temp files from live ones.
        path = self.tmp_dir / f"{os.getpid()}-{uuid.uuid4().hex}"
        return path, open(path, "xb")

    def _publish(self, tmp_path: Path, oid: str) -> bool:
        """Move a whole, fsynced temp file into place; return False if it already existed."""
        dest = self.path(oid)
        if dest.exists():
            tmp_path.unlink(missing_ok=True)
            return False
        dest.parent.mkdir(exist_ok=True)
        os.chmod(tmp_path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp_path, dest)
        _fsync_dir(dest.parent)
        return True

    def put_buffers(self, buffers: Sequence[Buffer],
                    progress: Progress | None = None) -> tuple[str, int, bool]:
        """Store the concatenation of in-memory buffers.

        The content is hashed first, so storing content that is already present writes
        nothing and costs one hash. Returns ``(oid, size, written)``.
        """
        oid, size = hash_buffers(buffers)
        if self.exists(oid):
            return oid, size, False
        tmp_path, fh = self._tmp_file()
        try:
            with fh:
                written = 0
                for chunk in iter_buffers_in_chunks(buffers, 4 * CHUNK):
                    fh.write(chunk)
                    written += chunk.nbytes
                    if progress is not None:
                        progress(written)
                fh.flush()
                os.fsync(fh.fileno())
            return oid, size, self._publish(tmp_path, oid)
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise

    def put_bytes(self, data: Buffer) -> tuple[str, int, bool]:
        return self.put_buffers([data])

    @contextlib.contextmanager
    def writer(self, progress: Progress | None = None) -> Iterator[HashingWriter]:
        """Stream an object of unknown content: write to the yielded file, hash on the way.

        After the block, ``writer.oid`` holds the content id. If the block raises, the
        temp file is removed and nothing is published.
        """
        tmp_path, fh = self._tmp_file()
        writer = HashingWriter(fh, tmp_path, progress)  # type: ignore[arg-type]
        try:
            with fh:
                yield writer
                writer.drain()
                fh.flush()
                os.fsync(fh.fileno())
            writer.oid = writer.digest()
            self._publish(tmp_path, writer.oid)
        except BaseException:
            writer.abandon()
            tmp_path.unlink(missing_ok=True)
            raise

    def put_stream(self, stream: IO[bytes], progress: Progress | None = None) -> tuple[str, int]:
        """Copy a readable binary stream into the store, chunk by chunk."""
        with self.writer(progress) as w:
            while chunk := stream.read(CHUNK):
                w.write(chunk)
        assert w.oid is not None
        return w.oid, w.size

    def put_file(self, path: str | os.PathLike[str],
                 progress: Progress | None = None) -> tuple[str, int]:
        """Copy a file into the store without loading it whole into memory."""
        with open(path, "rb") as fh:
            return self.put_stream(fh, progress)

    # -- maintenance ---------------------------------------------------------------
    def iter_oids(self) -> Iterator[str]:
        for sub in sorted(self.objects_dir.iterdir()):
            if sub.is_dir() and len(sub.name) == 2:
                for f in sub.iterdir():
                    yield sub.name + f.name

    def rehash(self, oid: str) -> str:
        """Hash an object's bytes as stored, streaming."""
        hasher = _hasher(self.size(oid))
        with self.open(oid) as fh:
            while chunk := fh.read(CHUNK):
                hasher.update(chunk)
        return str(hasher.hexdigest())

    def check(self, oid: str) -> None:
        """Raise :class:`CorruptObjectError` if the object's bytes do not match its oid."""
        actual = self.rehash(oid)
        if actual != oid:
            raise CorruptObjectError(f"object {oid[:12]} hashes to {actual[:12]}")

    def delete(self, oid: str) -> int:
        path = self.path(oid)
        size = path.stat().st_size
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        path.unlink()
        return size

    def clean_tmp(self, older_than: float = 3600.0) -> list[Path]:
        """Remove temp files whose writer process is gone, or that are older than ``older_than`` s."""
        removed = []
        now = time.time()
        for path in self.tmp_dir.iterdir():
            pid_text = path.name.split("-", 1)[0]
            alive = pid_text.isdigit() and _pid_alive(int(pid_text))
            if not alive or now - path.stat().st_mtime > older_than:
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def iter_buffers_in_chunks(buffers: Iterable[Buffer], size: int = CHUNK) -> Iterator[memoryview]:
    """Split buffers into chunks of at most ``size`` bytes (for progress reporting)."""
    for buf in buffers:
        view = memoryview(buf).cast("B")
        for start in range(0, view.nbytes, size):
            yield view[start : start + size]
