"""Objects in an S3-compatible bucket, with a local read cache by content id.

Keys are ``<prefix>/objects/ab/cdef...``. A put hashes first, then asks the server (HEAD)
whether the object is there with the right size and uploads only if not, so the same
content put from many machines is stored once. Large objects go up and down as parallel
multipart transfers. Every read is served from the local cache (:mod:`.readcache`), which a
miss fills with a download checked against the content id, so a corrupt object on the
server is caught before any byte of it is used.

gc safety against writers on other machines: S3 has no atomic rename, so a writer that
re-uses a stored object refreshes its LastModified (:meth:`S3ObjectStore.touch`, a copy in
place when it is older than a quarter of the grace period), and gc deletes an object only
when (1) it was unreferenced when listed, (2) it is still unreferenced on a re-read of the
catalog made under the catalog's write lock, and (3) a HEAD made just before the DELETE
still shows it older than the grace period. A version row is only written after checking,
under that same lock, that its objects exist, so the worst a race can do is make a save
fail with "object is not in the store", never leave a row pointing at nothing.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from ..errors import NotFoundError, StoreError
from .objects import LocalObjectStore
from .objectstore import ObjectStat, ObjectStore, check_oid, hash_buffers, is_oid
from .readcache import ReadCache, default_cache_dir
from .s3access import (
    BuffersReader,
    S3Location,
    is_missing,
    make_client,
    s3_errors,
    transfer_config,
)
from .verified import CHUNK, VerifyingReader, hasher_for
from .writing import Buffer, HashingWriter, Progress

#: How old an object must be before a re-use refreshes its LastModified (gc's grace is 600 s).
TOUCH_AFTER = 150.0
#: Multipart uploads left by a killed writer are aborted by gc after this long.
STALE_UPLOAD = 24 * 3600.0


class S3ObjectStore(ObjectStore):
    """Content-addressed objects under ``s3://bucket/prefix/objects/``."""

    is_local = False

    def __init__(self, url: str, cache: ReadCache, *, readonly: bool = False,
                 client: Any = None) -> None:
        self.location = S3Location.parse(url)
        self.url = self.location.url
        self.cache = cache
        self.readonly = readonly
        self.client = client if client is not None else make_client()
        self._transfer = transfer_config()

    @property
    def tmp_dir(self) -> Path:  # type: ignore[override]
        return self.cache.local.tmp_dir

    def _errors(self, action: str, oid: str | None = None) -> Any:
        return s3_errors(self.client, self.location, action, oid)

    def check_access(self) -> None:
        """One cheap request that fails clearly on wrong credentials, a missing bucket or an
        unreachable endpoint (called when a store is opened, before anything local)."""
        with self._errors("access check"):
            self.client.list_objects_v2(Bucket=self.location.bucket,
                                        Prefix=self.location.objects_prefix, MaxKeys=1)

    def _writable(self) -> None:
        if self.readonly:
            raise StoreError(f"the objects at {self.url} are open read-only")

    # -- primitives ----------------------------------------------------------------
    def _head(self, oid: str) -> dict[str, Any] | None:
        check_oid(oid)
        try:
            with self._errors("HEAD", oid):
                return dict(self.client.head_object(Bucket=self.location.bucket,
                                                    Key=self.location.key(oid)))
        except NotFoundError:
            return None

    def exists(self, oid: str) -> bool:
        return self._head(oid) is not None

    def size(self, oid: str) -> int:
        head = self._head(oid)
        if head is None:
            from .verified import missing

            raise missing(oid)
        return int(head["ContentLength"])

    def mtime(self, oid: str) -> float:
        head = self._head(oid)
        if head is None:
            from .verified import missing

            raise missing(oid)
        return float(head["LastModified"].timestamp())

    def touch(self, oid: str) -> bool:
        """True if stored; an object older than :data:`TOUCH_AFTER` gets a fresh LastModified
        (a server-side copy onto itself) so a concurrent gc spares it."""
        head = self._head(oid)
        if head is None:
            return False
        self._refresh(oid, head)
        return True

    def _refresh(self, oid: str, head: dict[str, Any]) -> None:
        if not self.readonly and time.time() - head["LastModified"].timestamp() > TOUCH_AFTER:
            key = self.location.key(oid)
            with self._errors("touch (copy in place)", oid):
                self.client.copy({"Bucket": self.location.bucket, "Key": key},
                                 self.location.bucket, key, Config=self._transfer,
                                 ExtraArgs={"MetadataDirective": "REPLACE",
                                            "Metadata": {"touched": str(int(time.time()))}})

    def _present(self, oid: str, size: int) -> bool:
        """Whether the server has ``oid`` whole already (then a put is skipped)."""
        head = self._head(oid)
        if head is None or int(head["ContentLength"]) != size:
            return False
        self._refresh(oid, head)
        return True

    def _upload(self, oid: str, source: IO[bytes] | Path, progress: Progress | None) -> None:
        sent = 0

        def callback(n: int) -> None:
            nonlocal sent
            sent += n
            if progress is not None:
                progress(sent)

        with self._errors("upload", oid):
            if isinstance(source, Path):
                self.client.upload_file(str(source), self.location.bucket,
                                        self.location.key(oid), Config=self._transfer,
                                        Callback=callback)
            else:
                self.client.upload_fileobj(source, self.location.bucket, self.location.key(oid),
                                           Config=self._transfer, Callback=callback)

    def put_buffers(self, buffers: Sequence[Buffer],
                    progress: Progress | None = None) -> tuple[str, int, bool]:
        self._writable()
        oid, size = hash_buffers(buffers)
        if self._present(oid, size):
            return oid, size, False
        self._upload(oid, BuffersReader(buffers), progress)  # type: ignore[arg-type]
        return oid, size, True

    def writer(self, progress: Progress | None = None
               ) -> contextlib.AbstractContextManager[HashingWriter]:
        """Spool to the cache's temp folder while hashing, then upload the file (in parallel
        parts) and keep it as the cached copy."""
        self._writable()

        def publish(tmp_path: Path, oid: str) -> None:
            size = tmp_path.stat().st_size
            if not self._present(oid, size):
                self._upload(oid, tmp_path, None)
            self.cache.adopt(tmp_path, oid, size)

        return self.cache.local.spool(publish, progress)

    def put_file(self, path: str | os.PathLike[str],
                 progress: Progress | None = None) -> tuple[str, int]:
        """Hash the file where it is, then upload it from there (no spooled copy)."""
        self._writable()
        size = os.stat(path).st_size
        hasher = hasher_for(size)
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                hasher.update(chunk)
        oid = str(hasher.hexdigest())
        if not self._present(oid, size):
            self._upload(oid, Path(path), progress)
        return oid, size

    def _download(self, oid: str, sink: IO[bytes]) -> None:
        with self._errors("download", oid):
            self.client.download_fileobj(self.location.bucket, self.location.key(oid), sink,
                                         Config=self._transfer)

    def _cached(self, oid: str) -> LocalObjectStore:
        """The cache, holding ``oid`` (a hit makes no request to the server)."""
        check_oid(oid)
        if not self.cache.has(oid):
            self.cache.fill(oid, lambda sink: self._download(oid, sink))
        return self.cache.local

    def open(self, oid: str) -> VerifyingReader:
        return self._cached(oid).open(oid)

    def read_buffer(self, oid: str) -> Any:
        return self._cached(oid).read_buffer(oid)

    def read_bytes(self, oid: str) -> bytes:
        return self._cached(oid).read_bytes(oid)

    def verified_path(self, oid: str) -> Path:
        return self._cached(oid).verified_path(oid)

    def local_path(self, oid: str) -> Path:
        return self._cached(oid).path(oid)  # checked when it was fetched

    def check(self, oid: str) -> None:
        """Re-hash the object as the server holds it (not the cached copy)."""
        hasher = hasher_for(self.size(oid))

        class _Sink:
            def write(self, data: bytes) -> int:
                hasher.update(data)
                return len(data)

        self._download(oid, _Sink())  # type: ignore[arg-type]
        if (actual := str(hasher.hexdigest())) != oid:
            from .verified import corrupt

            raise corrupt(oid, actual)

    # -- listing and deleting ------------------------------------------------------
    def _list(self) -> Iterator[dict[str, Any]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.location.bucket, Prefix=self.location.objects_prefix)
        with self._errors("listing"):
            for page in pages:
                yield from page.get("Contents", [])

    @staticmethod
    def _oid_of(rest: str) -> str | None:
        sub, _, name = rest.partition("/")
        return sub + name if len(sub) == 2 and is_oid(sub + name) else None

    def iter_stats(self) -> Iterator[ObjectStat]:
        start = len(self.location.objects_prefix)
        for item in self._list():
            if oid := self._oid_of(item["Key"][start:]):
                yield ObjectStat(oid, int(item["Size"]), item["LastModified"].timestamp())

    def gc_owner(self, owner: str, *, claim: bool = True) -> str | None:
        """The catalog named in ``<prefix>/gc-owner`` if it is not ``owner``; the first gc
        writes it. Several catalogs may share a bucket's objects (local stores pointing at
        the team's objects), but only one may delete from it."""
        key = f"{self.location.prefix}/gc-owner" if self.location.prefix else "gc-owner"
        with self._errors("reading gc-owner"):
            try:
                body = self.client.get_object(Bucket=self.location.bucket, Key=key)["Body"]
                current: str | None = body.read().decode(errors="replace")
            except Exception as exc:
                if not is_missing(exc):
                    raise
                current = None
        if current is None:
            if claim:
                with self._errors("writing gc-owner"):
                    self.client.put_object(Bucket=self.location.bucket, Key=key,
                                           Body=owner.encode())
            return None
        return None if current == owner else current

    def strays(self) -> Iterator[str]:
        start = len(self.location.objects_prefix)
        for item in self._list():
            if not self._oid_of(item["Key"][start:]):
                yield f"{self.url}/{item['Key']}: unexpected key in the object area (not an object)"

    def delete(self, oid: str) -> int:
        self._writable()
        size = self.size(oid)
        with self._errors("delete", oid):
            self.client.delete_object(Bucket=self.location.bucket, Key=self.location.key(oid))
        return size

    def delete_if_idle(self, oid: str, idle_since: float) -> int | None:
        """Delete unless a HEAD made now shows it touched after ``idle_since``."""
        self._writable()
        head = self._head(oid)
        if head is None or head["LastModified"].timestamp() > idle_since:
            return None
        with self._errors("delete", oid):
            self.client.delete_object(Bucket=self.location.bucket, Key=self.location.key(oid))
        return int(head["ContentLength"])

    def clean_tmp(self, older_than: float = 3600.0) -> list[Path]:
        """Abandoned local spool files, and multipart uploads a killed writer left behind."""
        removed = self.cache.local.clean_tmp(older_than) if self.cache.folder.exists() else []
        cutoff = time.time() - STALE_UPLOAD
        with self._errors("listing uploads"):
            uploads = self.client.list_multipart_uploads(
                Bucket=self.location.bucket, Prefix=self.location.objects_prefix)
            for upload in uploads.get("Uploads", []):
                if upload["Initiated"].timestamp() < cutoff:
                    self.client.abort_multipart_upload(Bucket=self.location.bucket,
                                                       Key=upload["Key"],
                                                       UploadId=upload["UploadId"])
        return removed


def open_objects(root: Path, location: str | None, *, readonly: bool = False) -> ObjectStore:
    """The object store for a store folder: the folder's own ``objects/`` when ``location``
    is None or a path, an S3 bucket (checked reachable first) for ``s3://...``."""
    if location is None:
        return LocalObjectStore(root, readonly=readonly)
    if location.startswith("s3://"):
        url = S3Location.parse(location).url
        objects = S3ObjectStore(url, ReadCache(default_cache_dir(root, url, readonly)),
                                readonly=readonly)
        objects.check_access()
        return objects
    if "://" in location:
        raise StoreError(f"unsupported objects location {location.split('://')[0]}://... "
                         "(use s3://bucket/prefix or a folder)")
    return LocalObjectStore(Path(location).expanduser(), readonly=readonly)
