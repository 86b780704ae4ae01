"""Content-addressed, immutable object storage on the local filesystem.

Objects are named by the BLAKE3 digest of their bytes (the *oid*), fanned out as
``objects/ab/cdef...``. Every write goes to a temp file under ``tmp/`` (same filesystem),
is fsynced, and is renamed into place only when whole, so a reader never sees a partial
object and a crash leaves at worst an orphan temp file that :meth:`ObjectStore.clean_tmp`
removes.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import stat
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO

from ..errors import CorruptObjectError, StoreError
from .durability import DeferredSync
from .faults import pause_at
from .objectstore import (
    ObjectStat,
    ObjectStore,
    check_oid,
    hash_buffers,
    is_oid,
    iter_buffers_in_chunks,
)
from .verified import CHUNK, VerifyingReader, corrupt, hasher_for, missing, reflink
from .writing import Buffer, HashingWriter, Progress

HASH_NAME = "blake3"
__all__ = ["HASH_NAME", "LocalObjectStore", "check_oid", "hash_buffers", "iter_buffers_in_chunks"]


class LocalObjectStore(ObjectStore):
    """Immutable blobs under ``root/objects`` addressed by their BLAKE3 digest.

    Every read is checked against the content id (see :class:`VerifyingReader`), opened
    without following a symlink, and only from inside the store: a store is a folder people
    copy and share, so its content is untrusted input.
    """

    def __init__(self, root: Path, *, readonly: bool = False) -> None:
        self.root = Path(root)
        self.objects_dir = self.root / "objects"
        self.tmp_dir = self.root / "tmp"
        self.readonly = readonly
        self.url = str(self.root)
        #: Called with the oid of an object that is absent when it is read; True once it
        #: put the object here (a lazily pulled store fetches it from its remote).
        self.fetch_missing: Callable[[str], bool] | None = None
        self.syncs = DeferredSync()
        if not readonly:
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
        try:
            return os.lstat(self.path(oid)).st_size
        except FileNotFoundError:
            if self._fetched(oid):
                return os.lstat(self.path(oid)).st_size
            raise missing(oid) from None

    def _fetched(self, oid: str) -> bool:
        return self.fetch_missing is not None and self.fetch_missing(oid)

    def deferred_sync(self) -> contextlib.AbstractContextManager[None]:
        return self.syncs.deferring()

    def sync_deferred(self) -> None:
        self.syncs.flush()

    def touch(self, oid: str) -> bool:
        """Mark an existing object as just used (so gc spares it); False if it is absent.

        A save that finds its content already stored calls this before recording a version:
        gc deletes only objects untouched for its grace period, and re-checks after moving
        one aside, so a re-save racing with gc never ends up pointing at a deleted object.
        """
        try:
            os.utime(self.path(oid))
        except FileNotFoundError:
            return False
        except PermissionError:  # another user's object: it exists, gc is theirs to run
            return self.exists(oid)
        return True

    def _open_raw(self, oid: str) -> BinaryIO:
        """Open an object's file: never through a symlink, never outside ``objects/``."""
        path = self.path(oid)
        for folder in (self.objects_dir, path.parent):
            # O_NOFOLLOW guards only the last component: the folders must be real too.
            with contextlib.suppress(FileNotFoundError):
                if stat.S_ISLNK(os.lstat(folder).st_mode):
                    raise CorruptObjectError(f"{folder} is a symlink: refusing to read "
                                             f"object {oid[:12]} through it")
        try:
            # O_NONBLOCK: opening a FIFO planted as an object must not wait for a writer.
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            try:
                fd = os.open(path, flags)
            except FileNotFoundError:
                if not self._fetched(oid):
                    raise
                fd = os.open(path, flags)
        except FileNotFoundError:
            raise missing(oid) from None
        except OSError as exc:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                raise CorruptObjectError(f"object {oid[:12]} is a symlink planted in the store; "
                                         "refusing to follow it (run jupyter-artifacts verify)"
                                         ) from None
            raise StoreError(f"cannot read object {oid[:12]}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise CorruptObjectError(f"object {oid[:12]} is not a regular file "
                                     "(run jupyter-artifacts verify)")
        return os.fdopen(fd, "rb")

    def open(self, oid: str) -> VerifyingReader:
        """Open an object for streaming reads, checked against its oid as it is read.

        :class:`NotFoundError` if it is absent; :class:`CorruptObjectError` (raised before
        the last bytes are handed out) if its bytes do not match.
        """
        fh = self._open_raw(oid)
        return VerifyingReader(fh, oid, os.fstat(fh.fileno()).st_size)

    def read_bytes(self, oid: str) -> bytes:
        """An object's bytes, checked against its oid."""
        with self._open_raw(oid) as fh:
            data = fh.read()
        if (actual := hash_buffers([data])[0]) != oid:
            raise corrupt(oid, actual)
        return data

    def read_buffer(self, oid: str) -> Buffer | mmap.mmap:
        """An object's bytes in a new writable buffer, checked against its oid.

        One read from disk and one hash over memory (all cores): for large objects this is
        much cheaper than :meth:`verified_path`, which reads the file twice. The memory is
        anonymous mmap, not a bytearray, which would first zero every page.
        """
        raw: Any = self._open_raw(oid)  # a buffered file: has readinto
        with raw as fh:
            size = os.fstat(fh.fileno()).st_size
            buf: Any = _anonymous_memory(size) if size else bytearray()
            view = memoryview(buf)
            got = 0
            while got < size and (n := fh.readinto(view[got:])):
                got += n
            whole = got == size and not fh.read(1)
        actual = hash_buffers([buf])[0]
        if not whole or actual != oid:
            raise corrupt(oid, actual)
        return buf

    def verified_path(self, oid: str) -> Path:
        """The object's path, after checking its bytes (for readers that need a file name).

        The file is read-only; never write to it. Prefer :meth:`open` or :meth:`copy_to`.
        """
        self.check(oid)
        return self.path(oid)

    def local_path(self, oid: str) -> Path:
        """The object's file, not re-hashed (for readers of a part of it: a Parquet footer)."""
        return self.path(oid)

    def _copy_stream(self, src: VerifyingReader, dst: IO[bytes]) -> None:
        """Clone the blocks where the filesystem can (still reading them to check)."""
        if reflink(src.raw_fileno(), dst.fileno()):
            src.verify_rest()
        else:
            super()._copy_stream(src, dst)

    # -- writing -------------------------------------------------------------------
    def new_tmp_file(self) -> tuple[Path, IO[bytes]]:
        """A new temp file under ``tmp/`` (same filesystem as the objects), open for writing."""
        # The pid in the name lets gc tell abandoned temp files from live ones.
        path = self.tmp_dir / f"{os.getpid()}-{uuid.uuid4().hex}"
        try:
            return path, open(path, "xb")
        except FileNotFoundError:
            raise StoreError(f"the store at {self.root} was deleted while in use; "
                             "nothing more can be stored (reopen the store)") from None

    def publish_file(self, tmp_path: Path, oid: str) -> bool:
        """Move a whole, fsynced temp file named by its ``oid`` into place; False if it
        already existed (the temp file is removed then)."""
        dest = self.path(oid)
        if self.touch(oid):  # already stored: keep it (and keep gc off it)
            tmp_path.unlink(missing_ok=True)
            return False
        dest.parent.mkdir(exist_ok=True)
        os.chmod(tmp_path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp_path, dest)
        self.syncs.published(dest)
        return True

    def put_buffers(self, buffers: Sequence[Buffer],
                    progress: Progress | None = None) -> tuple[str, int, bool]:
        """Store the concatenation of in-memory buffers.

        The content is hashed first, so storing content that is already present writes
        nothing and costs one hash. Returns ``(oid, size, written)``.
        """
        oid, size = hash_buffers(buffers)
        if self.touch(oid):
            return oid, size, False
        tmp_path, fh = self.new_tmp_file()
        try:
            with fh:
                written = 0
                for chunk in iter_buffers_in_chunks(buffers, 4 * CHUNK):
                    fh.write(chunk)
                    written += chunk.nbytes
                    if progress is not None:
                        progress(written)
                fh.flush()
                pause_at("object-written")
                self.syncs.written(fh)
            pause_at("object-synced")
            published = self.publish_file(tmp_path, oid)
            pause_at("object-published")
            return oid, size, published
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise

    def writer(self, progress: Progress | None = None
               ) -> contextlib.AbstractContextManager[HashingWriter]:
        """Stream an object of unknown content: write to the yielded file, hash on the way.

        After the block, ``writer.oid`` holds the content id. If the block raises, the
        temp file is removed and nothing is published.
        """
        return self.spool(self.publish_file, progress)

    @contextlib.contextmanager
    def spool(self, publish: Callable[[Path, str], object],
              progress: Progress | None = None) -> Iterator[HashingWriter]:
        """Write a temp file through a hashing writer, then hand it and its oid to ``publish``
        (which must move or remove it). A remote store spools here before uploading."""
        tmp_path, fh = self.new_tmp_file()
        writer = HashingWriter(fh, tmp_path, progress)  # type: ignore[arg-type]
        try:
            with fh:
                yield writer
                writer.drain()
                fh.flush()
                pause_at("object-written")
                self.syncs.written(fh)
            pause_at("object-synced")
            writer.oid = writer.digest()
            publish(tmp_path, writer.oid)
            pause_at("object-published")
        except BaseException:
            writer.abandon()
            tmp_path.unlink(missing_ok=True)
            raise

    # -- maintenance ---------------------------------------------------------------
    def rehash(self, oid: str) -> str:
        """Hash an object's bytes as stored, streaming."""
        hasher = hasher_for(self.size(oid))
        with self._open_raw(oid) as fh:
            while chunk := fh.read(CHUNK):
                hasher.update(chunk)
        return str(hasher.hexdigest())

    def check(self, oid: str) -> None:
        """Raise :class:`CorruptObjectError` if the object's bytes do not match its oid."""
        actual = self.rehash(oid)
        if actual != oid:
            raise corrupt(oid, actual)

    def delete(self, oid: str) -> int:
        path = self.path(oid)
        size = path.stat().st_size
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        path.unlink()
        return size

    def delete_if_idle(self, oid: str, idle_since: float) -> int | None:
        """Delete an object unless it was touched after ``idle_since``; return the bytes freed.

        The object is first moved aside (atomically), then its mtime is checked: a writer
        that touched it before the move is seen and the object is put back; one that
        touches it after the move finds it absent and writes it again.
        """
        aside = self.tmp_dir / f"{os.getpid()}-gc-{oid}"
        try:
            os.rename(self.path(oid), aside)
        except FileNotFoundError:
            return None
        st = os.lstat(aside)
        if st.st_mtime > idle_since:
            os.rename(aside, self.path(oid))  # same bytes even if re-published meanwhile
            return None
        aside.unlink()
        return st.st_size

    def clean_tmp(self, older_than: float = 3600.0) -> list[Path]:
        """Remove temp files whose writer process is gone, or that are older than ``older_than`` s.

        Anything else found there (a folder someone made) is left alone.
        """
        removed = []
        now = time.time()
        for path in self.tmp_dir.iterdir():
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            pid_text = path.name.split("-", 1)[0]
            alive = pid_text.isdigit() and _pid_alive(int(pid_text))
            if not alive or now - st.st_mtime > older_than:
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed

    def iter_stats(self) -> Iterator[ObjectStat]:
        """Every stored object: regular files with a content id's name (strays skipped)."""
        for sub, name, is_file in self.iter_entries():
            if is_file and len(sub) == 2 and is_oid(sub + name):
                try:
                    st = os.lstat(self.objects_dir / sub / name)
                except FileNotFoundError:
                    continue
                yield ObjectStat(sub + name, st.st_size, st.st_mtime)

    def iter_oids(self) -> Iterator[str]:
        """Every stored object's id (no stat call per object)."""
        for sub, name, is_file in self.iter_entries():
            if is_file and len(sub) == 2 and is_oid(sub + name):
                yield sub + name

    def mtime(self, oid: str) -> float:
        try:
            return os.lstat(self.path(oid)).st_mtime
        except FileNotFoundError:
            raise missing(oid) from None

    def strays(self) -> Iterator[str]:
        for sub, name, is_file in self.iter_entries():
            if not (is_file and len(sub) == 2 and is_oid(sub + name)):
                where = f"objects/{sub}/{name}" if sub else f"objects/{name}"
                yield f"{where}: unexpected entry in the object folder (not an object)"

    def iter_entries(self) -> Iterator[tuple[str, str, bool]]:
        """``(folder, name, is_regular_file)`` for every entry under ``objects/``.

        A top-level file appears as ``("", name, ...)``; nothing is followed through a symlink.
        """
        if not self.objects_dir.is_dir():
            return
        for sub in sorted(os.scandir(self.objects_dir), key=lambda e: e.name):
            if not sub.is_dir(follow_symlinks=False):
                yield "", sub.name, False
                continue
            for entry in sorted(os.scandir(sub.path), key=lambda e: e.name):
                yield sub.name, entry.name, entry.is_file(follow_symlinks=False)


def _anonymous_memory(size: int) -> mmap.mmap:
    """Private anonymous memory, on huge pages where offered (as NumPy allocates).

    A shared mapping (mmap's default) or a bytearray (zeroed first) made a 1 GB read
    two to four times slower than ``np.load``'s.
    """
    flags = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)
    memory = mmap.mmap(-1, size, flags=flags) if flags else mmap.mmap(-1, size)
    if hasattr(mmap, "MADV_HUGEPAGE"):
        with contextlib.suppress(OSError):
            memory.madvise(mmap.MADV_HUGEPAGE)
    return memory


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
