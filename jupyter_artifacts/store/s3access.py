"""Talking to an S3-compatible server: the client, its limits, and one-line errors.

Endpoint, region and credentials come only the standard AWS way (``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE`` and the shared config
files, ``AWS_REGION``): nothing here reads, keeps or prints a secret.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import NotFoundError, StoreError
from .writing import Buffer

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0
MAX_ATTEMPTS = 3  # bounded: a dead endpoint fails in seconds, not minutes
PART_SIZE = 16 * 1024 * 1024
THREADS = 8


@dataclass(frozen=True)
class S3Location:
    """``s3://bucket/prefix``: where a store's objects live."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        if not url.startswith("s3://"):
            raise StoreError(f"not an S3 location: {url!r} (expected s3://bucket/prefix)")
        bucket, _, prefix = url[len("s3://"):].partition("/")
        if not bucket or "@" in bucket or ":" in bucket:
            raise StoreError(f"not an S3 location: {url!r} (expected s3://bucket/prefix)")
        return cls(bucket, prefix.strip("/"))

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def objects_prefix(self) -> str:
        return f"{self.prefix}/objects/" if self.prefix else "objects/"

    def key(self, oid: str) -> str:
        return f"{self.objects_prefix}{oid[:2]}/{oid[2:]}"


def make_client() -> Any:
    """An S3 client configured from the environment, with short timeouts and few retries."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise StoreError("S3 objects need boto3: pip install 'jupyter-artifacts[team]'"
                         ) from None
    session = boto3.session.Session()
    # A custom endpoint (MinIO, SeaweedFS, Ceph) often has no region; signing needs one.
    region = session.region_name or "us-east-1"
    config = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                    retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
                    max_pool_connections=2 * THREADS,
                    # Our own BLAKE3 check covers integrity; the SDK's extra CRC pass costs CPU
                    # and some S3-compatible servers reject its trailing checksums.
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required")
    return session.client("s3", region_name=region, config=config)


def transfer_config() -> Any:
    """Multipart, parallel transfers for large objects."""
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE,
                          max_concurrency=THREADS, use_threads=True)


def endpoint_of(client: Any) -> str:
    return str(getattr(getattr(client, "meta", None), "endpoint_url", "") or "AWS S3")


def error_code(exc: BaseException) -> str:
    """The S3 error code of a botocore ClientError ('' for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def is_missing(exc: BaseException) -> bool:
    return error_code(exc) in ("404", "NoSuchKey", "NotFound")


_HINTS = {
    "SignatureDoesNotMatch": "wrong secret key; check AWS_SECRET_ACCESS_KEY or the profile",
    "InvalidAccessKeyId": "unknown access key; check AWS_ACCESS_KEY_ID or the profile",
    "AccessDenied": "access denied; check the credentials and the bucket policy",
    "403": "access denied; check the credentials and the bucket policy",
    "NoSuchBucket": "no such bucket",
}


@contextlib.contextmanager
def s3_errors(client: Any, location: S3Location, action: str,
              oid: str | None = None) -> Iterator[None]:
    """Turn any botocore/boto3 failure into one :class:`StoreError` line (endpoint, bucket,
    S3 error code); a missing object into :class:`NotFoundError`."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("botocore", "boto3", "s3transfer",
                                                      "urllib3"):
            raise
        code = error_code(exc)
        if oid is not None and is_missing(exc):
            raise NotFoundError(f"object {oid[:12]} is missing from {location.url}; "
                                "run jupyter-artifacts verify") from None
        if code:
            detail = f"{code}: {_HINTS.get(code, _message(exc))}"
        elif type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
            detail = "no AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile)"
        elif "Connect" in type(exc).__name__ or "Timeout" in type(exc).__name__:
            detail = f"cannot reach the server ({type(exc).__name__})"
        else:
            detail = f"{type(exc).__name__}: {exc}"
        raise StoreError(f"S3 {action} failed at {endpoint_of(client)}, bucket "
                         f"{location.bucket}: {detail}") from None


def _message(exc: BaseException) -> str:
    response = getattr(exc, "response", {}) or {}
    return str(response.get("Error", {}).get("Message", "") or "error")


class BuffersReader(io.RawIOBase):
    """A seekable read-only stream over in-memory buffers, without joining them."""

    def __init__(self, buffers: Sequence[Buffer]) -> None:
        super().__init__()
        self._views = [memoryview(b).cast("B") for b in buffers]
        self._starts = []
        total = 0
        for view in self._views:
            self._starts.append(total)
            total += view.nbytes
        self.size = total
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        out = memoryview(buffer).cast("B")
        done = 0
        for start, view in zip(self._starts, self._views, strict=True):
            if done == out.nbytes or self._pos >= self.size:
                break
            end = start + view.nbytes
            if self._pos >= end:
                continue
            lo = self._pos - start
            n = min(view.nbytes - lo, out.nbytes - done)
            out[done:done + n] = view[lo:lo + n]
            done += n
            self._pos += n
        return done
