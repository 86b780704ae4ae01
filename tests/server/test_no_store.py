"""A server whose root has no store: empty lists and clear messages, and no store is created."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_artifacts.store import Store

from .conftest import Fetch, body, populate, validate


async def test_empty_lists_with_message(api: Fetch, jp_root_dir: Path) -> None:
    page = validate(body(await api("runs")), "runs.json")
    assert page["runs"] == [] and page["total"] == 0 and page["store"] is None
    assert "%%track" in page["message"]
    assert validate(body(await api("artifacts")), "artifacts.json")["store"] is None
    assert validate(body(await api("changes")), "changes.json") == {"token": None, "store": None}
    response = await api("runs/run-1")
    assert response.code == 404
    assert "No artifact store" in validate(body(response), "error.json")["message"]
    assert not (jp_root_dir / ".artifacts").exists()


async def test_store_created_later_is_found(api: Fetch, jp_root_dir: Path) -> None:
    assert body(await api("runs"))["total"] == 0
    store = Store.open(jp_root_dir / ".artifacts", create=True)
    try:
        populate(store)
    finally:
        store.close()
    assert body(await api("runs"))["total"] == 3


class TestExplicitStoreDir:
    """``c.JupyterArtifacts.store_dir`` points outside the root dir."""

    @pytest.fixture
    def elsewhere(self, tmp_path: Path) -> Path:
        root = tmp_path / "elsewhere" / "store"
        store = Store.open(root, create=True)
        try:
            populate(store)
        finally:
            store.close()
        return root


    @pytest.fixture
    def jp_server_config(self, elsewhere: Path) -> dict[str, Any]:
        return {
            "ServerApp": {"jpserver_extensions": {"jupyter_artifacts.server": True}},
            "JupyterArtifacts": {"store_dir": str(elsewhere)},
        }


    async def test_explicit_store_dir(self, api: Fetch, elsewhere: Path, jp_root_dir: Path) -> None:
        page = body(await api("runs"))
        assert page["store"] == str(elsewhere) and page["total"] == 3
        assert not (jp_root_dir / ".artifacts").exists()
