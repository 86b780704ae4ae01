"""Reading objects safely: every byte handed out is checked against its content id."""

from __future__ import annotations

import io
from typing import Any, BinaryIO

import blake3

from ..errors import CorruptObjectError, NotFoundError

CHUNK = 8 * 1024 * 1024
# Below this size threads cost more than they save.
_THREADED_HASH_MIN = 4 * 1024 * 1024


def hasher_for(expected_size: int = 0) -> Any:
    """A BLAKE3 hasher, multi-threaded for large inputs."""
    if expected_size >= _THREADED_HASH_MIN:
        return blake3.blake3(max_threads=blake3.blake3.AUTO)
    return blake3.blake3()


def missing(oid: str) -> NotFoundError:
    """The error for an object the catalog names but the folder lacks."""
    return NotFoundError(f"object {oid[:12]} is missing from the store; "
                         "run jupyter-artifacts verify")


def corrupt(oid: str, actual: str) -> CorruptObjectError:
    """The error for an object whose bytes do not match its content id."""
    return CorruptObjectError(f"object {oid[:12]} is corrupt: its bytes hash to {actual[:12]}; "
                              "run jupyter-artifacts verify")


_FICLONE = 0x40049409  # Linux ioctl: share the source's blocks copy-on-write (btrfs, xfs)


def reflink(src_fd: int, dst_fd: int) -> bool:
    """Clone a file's blocks where the filesystem supports it; False otherwise."""
    try:
        import fcntl

        fcntl.ioctl(dst_fd, _FICLONE, src_fd)
    except (ImportError, OSError):
        return False
    return True


class VerifyingReader(io.RawIOBase):
    """A read-only stream over an object that hashes as it goes.

    The size is known up front, so the read that reaches the end checks the digest
    *before* returning its bytes: a corrupt object raises :class:`CorruptObjectError`
    instead of handing out its last piece, and a consumer never sees a complete bad object.
    """

    def __init__(self, fh: BinaryIO, oid: str, size: int) -> None:
        super().__init__()
        self._fh: Any = fh  # a buffered file: has readinto
        self.oid = oid
        self.size = size
        self._pos = 0
        self._hasher = hasher_for(size)
        self._checked = False

    def readable(self) -> bool:
        return True

    def raw_fileno(self) -> int:
        return self._fh.fileno()

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = self._fh.readinto(view) or 0
        if n:
            self._hasher.update(view[:n])
            self._pos += n
        if not self._checked and (n == 0 or self._pos >= self.size):
            self._finish()
        return n

    def verify_rest(self) -> None:
        """Read (and check) whatever has not been read yet, discarding it."""
        buf = bytearray(CHUNK)
        while self.readinto(buf):
            pass

    def _finish(self) -> None:
        self._checked = True
        actual = str(self._hasher.hexdigest())
        if self._pos != self.size or actual != self.oid:
            raise corrupt(self.oid, actual)

    def close(self) -> None:
        self._fh.close()
        super().close()
