"""The sidebar browsing a team store: the served folder's store.json names a PostgreSQL catalog."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from jupyter_artifacts.store import Store
from tests.services.postgres import PostgresServer

from .conftest import Lab, running_lab
from .test_lab import ROW, open_sidebar


@pytest.fixture(scope="module")
def team_lab(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer,
             pg_template: str) -> Iterator[Lab]:
    """JupyterLab over a store folder holding only a store.json: its runs are in PostgreSQL."""
    url = postgres.url(postgres.new_database(template=pg_template))

    def fill(root: Path) -> None:
        store = Store.open(root / ".artifacts", create=True, catalog=url)
        try:
            run = store.create_run("team-train", params={"lr": 0.5})
            store.log_metrics([(run.id, "acc", None, 0.77, time.time())])
            store.finish_run(run.id, "ok")
        finally:
            store.close()

    with running_lab(tmp_path_factory.mktemp("team-lab"), fill) as lab:
        yield lab


def test_the_sidebar_lists_a_run_of_a_postgresql_catalog(page: Any, team_lab: Lab) -> None:
    folder = team_lab.root / ".artifacts"
    assert json.loads((folder / "store.json").read_text())["catalog"].startswith("postgresql:")
    assert not (folder / "catalog.sqlite").exists()
    open_sidebar(page, team_lab)
    row = page.locator(ROW).first
    expect(row).to_contain_text("team-train")
    expect(row).to_contain_text("0.77")
    assert page.locator(ROW).count() == 1
