"""The server browsing a team store: the folder's store.json names a PostgreSQL catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_artifacts.store import Store

from .conftest import Fetch, body, populate, validate


@pytest.fixture
def ids(store_root: Path, pg_url: str) -> dict[str, Any]:
    """The usual populated store, its catalog in PostgreSQL (created before the server)."""
    store = Store.open(store_root, create=True, catalog=pg_url)
    try:
        return populate(store)
    finally:
        store.close()


async def test_the_server_reads_a_postgresql_catalog(api: Fetch, ids: dict[str, Any],
                                                     store_root: Path) -> None:
    assert "catalog" in json.loads((store_root / "store.json").read_text())
    assert not (store_root / "catalog.sqlite").exists()
    page = validate(body(await api("runs?sort=-metrics.acc")), "runs.json")
    assert page["total"] == 3
    assert [r["metrics"]["acc"] for r in page["runs"]] == [0.93, 0.88, 0.81]
    assert page["runs"][2]["params"] == {"n_trees": 10, "lr": 0.1}
    found = body(await api("runs?filter=params.n_trees%20%3D%2010"))
    assert [r["id"] for r in found["runs"]] == [ids["first"]]
