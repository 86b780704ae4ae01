"""The object-store interface: immutable blobs named by the BLAKE3 digest of their bytes.

Codecs, the server, gc and verify use objects only through :class:`ObjectStore`; two
implementations exist, a local folder (:mod:`.objects`) and an S3 bucket with a local read
cache (:mod:`.s3objects`). A subclass supplies the primitives (put buffers, stream into a
writer, open a verified reader, exists, size, stat listing, delete); the conveniences
(put bytes/stream/file, read bytes/buffer, a verified path, a checked copy) are built on
them here, and a backend overrides one where it has a faster way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import InvalidReferenceError
from .verified import CHUNK, VerifyingReader, hasher_for
from .writing import Buffer, HashingWriter, Progress

_HEX = frozenset("0123456789abcdef")


def hash_buffers(buffers: Sequence[Buffer]) -> tuple[str, int]:
    """Return the oid and total size of the concatenation of ``buffers``."""
    total = sum(memoryview(b).nbytes for b in buffers)
    hasher = hasher_for(total)
    for buf in buffers:
        hasher.update(memoryview(buf).cast("B"))
    return hasher.hexdigest(), total


def check_oid(oid: str) -> str:
    """Validate an oid's form (64 lowercase hex digits); raise otherwise."""
    if len(oid) != 64 or not set(oid) <= _HEX:
        raise InvalidReferenceError(f"not a content id: {oid!r}")
    return oid


def is_oid(name: str) -> bool:
    """Whether ``name`` has a content id's form (for listings that may hold strays)."""
    return len(name) == 64 and set(name) <= _HEX


def iter_buffers_in_chunks(buffers: Iterable[Buffer], size: int = CHUNK) -> Iterator[memoryview]:
    """Split buffers into chunks of at most ``size`` bytes (for progress reporting)."""
    for buf in buffers:
        view = memoryview(buf).cast("B")
        for start in range(0, view.nbytes, size):
            yield view[start : start + size]


@dataclass(frozen=True)
class ObjectStat:
    """What a listing tells about one object without reading it."""

    oid: str
    size: int
    mtime: float
    """When it was last written or touched (seconds since the epoch): gc's age."""


class ObjectStore(ABC):
    """Immutable, content-addressed blobs; every read is checked against the content id."""

    #: Where the objects live, for messages and for helper processes (``s3://...`` or a path).
    url: str
    #: A local folder for in-flight files (same filesystem as anything published locally).
    tmp_dir: Path
    readonly: bool = False

    # -- primitives ----------------------------------------------------------------
    @abstractmethod
    def exists(self, oid: str) -> bool:
        """Whether the object is stored."""

    @abstractmethod
    def size(self, oid: str) -> int:
        """The object's size in bytes; :class:`NotFoundError` if it is absent."""

    @abstractmethod
    def open(self, oid: str) -> VerifyingReader:
        """A stream over the object's bytes, checked against ``oid`` as it is read.

        :class:`NotFoundError` if it is absent; :class:`CorruptObjectError` (raised before
        the last bytes are handed out) if its bytes do not match.
        """

    @abstractmethod
    def put_buffers(self, buffers: Sequence[Buffer],
                    progress: Progress | None = None) -> tuple[str, int, bool]:
        """Store the concatenation of in-memory buffers; ``(oid, size, written)``.

        Idempotent: content already stored is not written again (``written`` is False).
        """

    @abstractmethod
    def writer(self, progress: Progress | None = None
               ) -> contextlib.AbstractContextManager[HashingWriter]:
        """Stream an object of unknown content: write to the yielded file, hash on the way.

        After the block, ``writer.oid`` holds the content id. If the block raises, nothing
        is published.
        """

    @abstractmethod
    def touch(self, oid: str) -> bool:
        """Mark an existing object as just used, so gc spares it; False if it is absent.

        A save that finds its content already stored calls this before recording a
        version: gc deletes only objects untouched for its grace period.
        """

    @abstractmethod
    def iter_stats(self) -> Iterator[ObjectStat]:
        """Every stored object with its size and age (strays skipped)."""

    @abstractmethod
    def delete(self, oid: str) -> int:
        """Delete an object unconditionally; the bytes freed."""

    @abstractmethod
    def delete_if_idle(self, oid: str, idle_since: float) -> int | None:
        """Delete an object unless it was touched after ``idle_since``; the bytes freed."""

    # -- conveniences built on the primitives -------------------------------------
    def iter_oids(self) -> Iterator[str]:
        """Every stored object's id."""
        for stat in self.iter_stats():
            yield stat.oid

    @abstractmethod
    def mtime(self, oid: str) -> float:
        """When the object was last written or touched (gc's age); NotFoundError if absent."""

    def gc_owner(self, owner: str, *, claim: bool = True) -> str | None:
        """The other catalog that collects this object area, if not ``owner`` (then gc must
        not run from ``owner``: it cannot see that catalog's references). With ``claim``,
        an unclaimed area is claimed for ``owner``. A local folder has one catalog."""
        return None

    def strays(self) -> Iterator[str]:
        """One line per entry in the object area that is not an object (verify reports them)."""
        return iter(())

    def clean_tmp(self, older_than: float = 3600.0) -> list[Path]:
        """Remove abandoned in-flight files; the ones removed."""
        return []

    #: Reading every object is cheap (a local folder), not a download of the whole store.
    is_local = True

    def deferred_sync(self) -> contextlib.AbstractContextManager[None]:
        """Inside the block, this thread's writes put off their fsyncs until
        :meth:`sync_deferred` (see :mod:`.durability`); a remote store has none to put off."""
        return contextlib.nullcontext()

    def sync_deferred(self) -> None:
        """Make durable what was written inside :meth:`deferred_sync` blocks so far."""
        return None

    def put_bytes(self, data: Buffer) -> tuple[str, int, bool]:
        """Store one buffer; ``(oid, size, written)``."""
        return self.put_buffers([data])

    def put_stream(self, stream: IO[bytes], progress: Progress | None = None) -> tuple[str, int]:
        """Copy a readable binary stream into the store, chunk by chunk."""
        with self.writer(progress) as w:
            while chunk := stream.read(CHUNK):
                w.write(chunk)
        if w.oid is None:  # the writer's block ended without publishing
            raise RuntimeError("object writer finished without a content id")
        return w.oid, w.size

    def put_file(self, path: str | os.PathLike[str],
                 progress: Progress | None = None) -> tuple[str, int]:
        """Copy a file into the store without loading it whole into memory."""
        with open(path, "rb") as fh:
            return self.put_stream(fh, progress)

    def read_bytes(self, oid: str) -> bytes:
        """An object's bytes, checked against its oid."""
        with self.open(oid) as fh:
            return fh.read()

    def read_buffer(self, oid: str) -> Any:
        """An object's bytes in a writable buffer, checked against its oid."""
        with self.open(oid) as fh:
            buf = bytearray(fh.size)
            view = memoryview(buf)
            got = 0
            while got < fh.size and (n := fh.readinto(view[got:])):
                got += n
            fh.verify_rest()
        return buf

    @abstractmethod
    def verified_path(self, oid: str) -> Path:
        """A read-only local file holding the object's bytes, checked (for readers that need
        a file name: netCDF, a stored file). Never write to it; prefer :meth:`open`."""

    def local_path(self, oid: str) -> Path:
        """A read-only local file holding the object, for readers that look at a part of it
        (a Parquet footer). Not re-hashed here where that costs a full read."""
        return self.verified_path(oid)

    def check(self, oid: str) -> None:
        """Raise :class:`CorruptObjectError` if the object's bytes do not match its oid."""
        with self.open(oid) as fh:
            fh.verify_rest()

    def copy_to(self, oid: str, target: Path) -> None:
        """Copy an object to ``target`` (never a link into the store), checking its bytes.

        The copy is written beside ``target`` and renamed into place only when it matched,
        so a corrupt object leaves no file behind.
        """
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            with self.open(oid) as src, open(partial, "xb") as dst:
                self._copy_stream(src, dst)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    def _copy_stream(self, src: VerifyingReader, dst: IO[bytes]) -> None:
        shutil.copyfileobj(src, dst, CHUNK)


__all__ = ["HashingWriter", "ObjectStat", "ObjectStore", "check_oid", "hash_buffers",
           "is_oid", "iter_buffers_in_chunks"]
