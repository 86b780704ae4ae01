"""The content-addressed object folder: fan-out, stored once, read-only, published when whole."""

from __future__ import annotations

import stat

import blake3
import pytest

from jupyter_artifacts.errors import InvalidReferenceError, NotFoundError
from jupyter_artifacts.store import Store


def test_put_bytes_is_content_addressed_and_fanned_out(store: Store) -> None:
    oid, size, written = store.objects.put_bytes(b"hello")
    assert oid == blake3.blake3(b"hello").hexdigest()
    assert (size, written) == (5, True)
    path = store.objects.path(oid)
    assert path == store.root / "objects" / oid[:2] / oid[2:]
    assert path.read_bytes() == b"hello"


def test_same_content_is_stored_once(store: Store) -> None:
    first = store.objects.put_bytes(b"same")
    second = store.objects.put_buffers([b"sa", b"me"])
    assert second == (first[0], 4, False)
    assert list(store.objects.iter_oids()) == [first[0]]


def test_objects_are_read_only(store: Store) -> None:
    oid, _, _ = store.objects.put_bytes(b"frozen")
    mode = store.objects.path(oid).stat().st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_streamed_object_is_hashed_on_the_way(store: Store, tmp_path) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(b"x" * (9 * 1024 * 1024 + 7))  # more than one chunk
    oid, size = store.objects.put_file(src)
    assert oid == blake3.blake3(src.read_bytes()).hexdigest()
    assert size == src.stat().st_size
    assert not any(store.objects.tmp_dir.iterdir())


def test_failed_stream_publishes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.objects.writer() as sink:
        sink.write(b"half")
        raise RuntimeError("writer died")
    assert list(store.objects.iter_oids()) == []
    assert not any(store.objects.tmp_dir.iterdir())


def test_missing_object_and_bad_oid(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.objects.read_bytes("0" * 64)
    with pytest.raises(InvalidReferenceError):
        store.objects.path("../../etc/passwd")
