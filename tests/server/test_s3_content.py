"""The content route serves objects of a team store whose objects are on a real S3 server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_artifacts.store import Store
from tests.services.s3 import S3Server

from .conftest import PNG, Fetch, populate


@pytest.fixture
def s3_ids(store_root: Path, s3_url: str, s3_env: S3Server, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A populated store whose ``store.json`` puts its objects on S3."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # the read-only server's cache
    store_root.mkdir(parents=True)
    (store_root / "store.json").write_text(json.dumps({"objects": s3_url}))
    store = Store.open(store_root)
    try:
        return populate(store)
    finally:
        store.close()


async def test_content_of_an_s3_object(api: Fetch, s3_ids: dict[str, Any],
                                       store_root: Path, tmp_path: Path) -> None:
    response = await api("versions/confusion:v1/content")
    assert response.code == 200 and response.body == PNG
    assert response.headers["ETag"] == f'"{s3_ids["png_oid"]}"'
    assert not (store_root / "objects").exists()
    assert any((tmp_path / "xdg" / "jupyter-artifacts").rglob("objects/*/*"))  # cached there
