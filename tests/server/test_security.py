"""Auth, write guarding, and path traversal: no route reads a file outside the store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from .conftest import HTML, PNG, Fetch, body, validate

SECRET = b"TOP-SECRET-CONTENT-42"

ROUTES = ("runs", "runs/run-1", "runs/run-1/metrics/loss", "artifacts", "artifacts/confusion",
          "versions/confusion:v1", "versions/confusion:v1/content", "lineage/run-1",
          "changes", "status")


@pytest.mark.parametrize("route", ROUTES)
async def test_no_token_is_403(api: Fetch, ids: dict[str, Any], route: str) -> None:
    response = await api(route, auth=False)
    assert response.code == 403
    assert SECRET not in response.body and PNG not in response.body


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_bytes(SECRET)
    return path


def _traversals(secret: Path, store_root: Path) -> list[str]:
    absolute = str(secret)
    encoded = absolute.replace("/", "%2F")
    return [
        "..%2F..%2F..%2Fsecret.txt",
        "..%2Fsecret.txt",
        "%2E%2E%2F%2E%2E%2Fsecret.txt",
        "..%252F..%252Fsecret.txt",
        encoded,
        "%2F%2F" + encoded.lstrip("%2F"),
        "file:" + encoded,
        "..%5C..%5Csecret.txt",
        "catalog.sqlite",
        "..%2Fcatalog.sqlite",
        str(store_root / "catalog.sqlite").replace("/", "%2F"),
        "secret.txt%00.png",
    ]


@pytest.mark.parametrize("template", [
    "versions/{}/content", "versions/{}", "artifacts/{}", "runs/{}", "lineage/{}",
    "runs/run-1/metrics/{}", "versions/confusion:{}/content",
])
async def test_traversal_never_reads_outside_the_store(
    api: Fetch, ids: dict[str, Any], secret_file: Path, store_root: Path, template: str
) -> None:
    for attempt in _traversals(secret_file, store_root):
        response = await api(template.format(attempt))
        assert response.code in (400, 404), (attempt, response.code)
        assert SECRET not in response.body
        assert b"SQLite format" not in response.body


async def test_raw_dotdot_paths_do_not_escape(api: Fetch, ids: dict[str, Any]) -> None:
    # Unencoded ../ is normalised by the client or the router; either way no file leaks.
    for path in ("versions/../../../../etc/passwd/content", "versions/..%2F..%2Fetc%2Fpasswd/content"):
        response = await api(path)
        assert response.code in (400, 403, 404)
        assert b"root:" not in response.body


async def test_object_ids_are_not_refs(api: Fetch, ids: dict[str, Any]) -> None:
    # Content is found through the catalog only; a raw oid is not a version reference.
    response = await api(f"versions/{ids['png_oid']}/content")
    assert response.code == 404


async def test_writes_are_403_by_default(api: Fetch, ids: dict[str, Any]) -> None:
    for path, payload in (("versions/confusion:v1/aliases", b'{"alias": "best"}'),
                          ("versions/confusion:v1/tags", b'{"tags": ["x"]}'),
                          ("runs/run-1/tags", b'{"tags": ["x"]}')):
        response = await api(path, method="POST", body=payload)
        assert response.code == 403, path
    version = body(await api("versions/confusion:v1"))["version"]
    assert version["aliases"] == ["latest"] and version["tags"] == []


@pytest.mark.parametrize("allow_writes", [True])
async def test_writes_when_allowed(api: Fetch, ids: dict[str, Any], allow_writes: bool) -> None:
    reply = await api("versions/confusion:v1/aliases", method="POST", body=b'{"alias": "best"}')
    assert validate(body(reply), "version.json")["version"]["aliases"] == ["best", "latest"]
    assert body(await api("versions/confusion:best"))["version"]["oid"] == ids["png_oid"]
    reply = await api("versions/report:v1/tags", method="POST", body=b'{"tags": ["shap"]}')
    assert body(reply)["version"]["tags"] == ["shap"]
    reply = await api("runs/run-2/tags", method="POST", body=b'{"tags": ["keep"]}')
    assert body(reply)["run"]["tags"] == ["keep", "tuned"] or set(body(reply)["run"]["tags"]) == {
        "keep", "tuned"}
    bad = await api("versions/confusion:v1/aliases", method="POST", body=b'{"alias": "v3"}')
    assert bad.code == 400
    bad = await api("runs/run-2/tags", method="POST", body=b"not json")
    assert bad.code == 400


async def test_html_content_is_sandboxed(api: Fetch, ids: dict[str, Any]) -> None:
    response = await api("versions/report:v1/content")
    assert response.code == 200 and response.body == HTML
    assert response.headers["Content-Type"].startswith("text/html")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def _plant_symlink(store_root: Path, oid: str, target: Path, whole_folder: bool) -> None:
    """Replace an object (or its two-letter folder) by a symlink to ``target``."""
    obj = store_root / "objects" / oid[:2] / oid[2:]
    if whole_folder:
        folder = target.parent / "planted"
        folder.mkdir()
        (folder / oid[2:]).write_bytes(SECRET)  # the object's own name, outside the store
        obj.chmod(0o600)
        obj.unlink()
        obj.parent.rmdir()
        obj.parent.symlink_to(folder)
        return
    obj.chmod(0o600)
    obj.unlink()
    obj.symlink_to(target)


@pytest.mark.parametrize("whole_folder", [False, True])
async def test_content_never_follows_a_symlink_planted_in_objects(
    api: Fetch, ids: dict[str, Any], secret_file: Path, store_root: Path, whole_folder: bool,
) -> None:
    _plant_symlink(store_root, ids["png_oid"], secret_file, whole_folder)
    for path in ("versions/confusion:v1/content", "versions/confusion:v1/content?download=1"):
        response = await api(path)
        assert SECRET not in response.body
        assert response.code != 200
        assert "symlink" in validate(body(response), "error.json")["message"]


async def test_content_of_a_fifo_planted_as_an_object_is_refused_not_hung(
    api: Fetch, ids: dict[str, Any], store_root: Path,
) -> None:
    # Without O_NONBLOCK opening the FIFO waits for a writer and the whole server stalls.
    obj = store_root / "objects" / ids["png_oid"][:2] / ids["png_oid"][2:]
    obj.chmod(0o600)
    obj.unlink()
    os.mkfifo(obj)
    response = await api("versions/confusion:v1/content", request_timeout=20)
    assert response.code != 200
    assert "not a regular file" in validate(body(response), "error.json")["message"]
