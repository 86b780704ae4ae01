"""The content route over an untrusted store: corrupt bytes, planted symlinks, huge numbers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from jupyter_artifacts.store import Store

from .conftest import Fetch, body


def _object_path(store_root: Path, oid: str) -> Path:
    store = Store.open(store_root, create=False)
    try:
        return store.objects.path(oid)
    finally:
        store.close()


def _save_blob(store_root: Path, name: str, blob: bytes) -> str:
    store = Store.open(store_root, create=False)
    try:
        oid, size, _ = store.objects.put_bytes(blob)
        store.add_version(name, oid=oid, kind="model", media_type="application/octet-stream",
                          codec="bytes", size=size)
        return oid
    finally:
        store.close()


def _flip_last_byte(path: Path) -> None:
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))


async def test_a_corrupt_small_object_is_an_error_not_data(
    api: Fetch, ids: dict[str, Any], store_root: Path
) -> None:
    _flip_last_byte(_object_path(store_root, ids["png_oid"]))
    response = await api("versions/confusion:v1/content")
    assert response.code == 500
    assert body(response)["error"] == "CorruptObjectError"


async def test_a_corrupt_large_object_is_never_served_whole(
    api: Fetch, ids: dict[str, Any], store_root: Path
) -> None:
    blob = os.urandom(17 * 1024 * 1024)  # above the read-whole size: streamed
    oid = _save_blob(store_root, "weights", blob)
    _flip_last_byte(_object_path(store_root, oid))
    try:
        response = await api("versions/weights/content")
    except Exception:  # the connection is dropped before the last chunk
        return
    assert response.code != 200 or len(response.body) < len(blob)


async def test_a_symlink_planted_in_objects_is_refused(
    api: Fetch, ids: dict[str, Any], store_root: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"the user's private key")
    path = _object_path(store_root, ids["png_oid"])
    path.chmod(0o644)
    path.unlink()
    path.symlink_to(secret)
    response = await api("versions/confusion:v1/content")
    assert response.code >= 400 and b"private key" not in response.body


@pytest.mark.parametrize("path", [
    "versions/confusion:v99999999999999999999/content",
    "versions/confusion:v99999999999999999999",
    "runs/run-99999999999999999999",
])
async def test_huge_numbers_are_404_not_500(api: Fetch, ids: dict[str, Any], path: str) -> None:
    response = await api(path)
    assert response.code == 404


async def test_an_empty_object_keeps_its_media_type(
    api: Fetch, ids: dict[str, Any], store_root: Path
) -> None:
    _save_blob(store_root, "empty", b"")
    response = await api("versions/empty/content")
    assert response.code == 200 and response.body == b""
    assert response.headers["Content-Type"] == "application/octet-stream"
