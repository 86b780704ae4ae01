"""A local read cache by content id, in front of a remote object store.

The cache is itself a local object folder (``objects/ab/cdef...`` + ``tmp/``), so every
read from it is checked against the content id like any local read, and a fill is
published only when its bytes hashed to the oid asked for. Its size is bounded: after a
fill that takes it over the bound, the least recently used objects (by the later of
atime and mtime; a hit refreshes both) are removed until it is under 90% of the bound.
Several processes may share one cache folder: fills are tmp-then-rename, and a reader
holding an evicted file open keeps reading it (POSIX unlink semantics).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from ..errors import StoreError
from .objects import LocalObjectStore
from .verified import corrupt
from .writing import HashingWriter

CACHE_ENV = "JUPYTER_ARTIFACTS_CACHE"
CACHE_SIZE_ENV = "JUPYTER_ARTIFACTS_CACHE_GB"
DEFAULT_CACHE_GB = 10.0


def default_cache_dir(store_root: Path, url: str, readonly: bool) -> Path:
    """``$JUPYTER_ARTIFACTS_CACHE`` > ``<store>/cache`` (a writable store) >
    ``$XDG_CACHE_HOME/jupyter-artifacts/<location hash>`` (a read-only store: the server)."""
    if env := os.environ.get(CACHE_ENV):
        return Path(env).expanduser()
    if not readonly:
        return Path(store_root) / "cache"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "jupyter-artifacts" / hashlib.sha256(url.encode()).hexdigest()[:16]


def default_cache_bytes() -> int:
    try:
        return int(float(os.environ.get(CACHE_SIZE_ENV, DEFAULT_CACHE_GB)) * 2**30)
    except ValueError:
        raise StoreError(f"${CACHE_SIZE_ENV} must be a number of gigabytes") from None


class ReadCache:
    """Verified local copies of remote objects, bounded in size, evicted least recently used."""

    def __init__(self, folder: Path, max_bytes: int | None = None) -> None:
        self.folder = Path(folder)
        self.max_bytes = default_cache_bytes() if max_bytes is None else max_bytes
        self._local: LocalObjectStore | None = None  # made on first use: nothing local before
        self._lock = threading.Lock()
        self._approx_bytes: int | None = None

    @property
    def local(self) -> LocalObjectStore:
        """The cache folder as a local object store (created on first use)."""
        if self._local is None:
            self._local = LocalObjectStore(self.folder)
        return self._local

    def has(self, oid: str) -> bool:
        """Whether ``oid`` is cached; a hit counts as a use (LRU)."""
        return self.local.touch(oid)

    def fill(self, oid: str, download: Callable[[IO[bytes]], None]) -> None:
        """Cache ``oid`` by calling ``download(sink)``; published only if the bytes hash to
        ``oid`` (else :class:`CorruptObjectError` and nothing is kept)."""
        local = self.local
        tmp_path, fh = local.new_tmp_file()
        sink = HashingWriter(fh, tmp_path)  # type: ignore[arg-type]
        try:
            with fh:
                download(sink)  # type: ignore[arg-type]
                sink.drain()
            actual = sink.digest()
            if actual != oid:
                raise corrupt(oid, actual)
            local.publish_file(tmp_path, oid)
        except BaseException:
            sink.abandon()
            tmp_path.unlink(missing_ok=True)
            raise
        self.added(sink.size, keep=oid)

    def adopt(self, tmp_path: Path, oid: str, size: int) -> None:
        """Keep a spooled temp file (already hashed to ``oid``) as the cached copy."""
        self.local.publish_file(tmp_path, oid)
        self.added(size, keep=oid)

    def added(self, size: int, keep: str) -> None:
        """Account for ``size`` new bytes; evict if over the bound (never ``keep``)."""
        with self._lock:
            if self._approx_bytes is None:
                self._approx_bytes = sum(s.size for s in self.local.iter_stats())
            else:
                self._approx_bytes += size
            if self._approx_bytes > self.max_bytes:
                self._approx_bytes = self._evict(keep)

    def _evict(self, keep: str) -> int:
        entries = []
        for stat in self.local.iter_stats():
            try:
                st = os.lstat(self.local.path(stat.oid))
            except FileNotFoundError:
                continue
            entries.append((max(st.st_atime, st.st_mtime), stat.oid, st.st_size))
        total = sum(e[2] for e in entries)
        target = int(self.max_bytes * 0.9)
        for _, oid, size in sorted(entries):
            if total <= target:
                break
            if oid == keep:
                continue
            with contextlib.suppress(FileNotFoundError):  # another process evicted it first
                self.local.delete(oid)
            total -= size
        return total

    def size_bytes(self) -> int:
        """What the cache holds now (a listing: for tests and reports)."""
        if self._local is None and not self.folder.exists():
            return 0
        return sum(s.size for s in self.local.iter_stats())
