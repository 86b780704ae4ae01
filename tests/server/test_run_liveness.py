"""The REST payloads report a run whose writer is gone as ``dead``, and the change token moves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from jupyter_artifacts.store import Store

from .conftest import Fetch, body, validate


def _dead_run(store_root: Path) -> str:
    """A run stored as running whose process (on this host) has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    store = Store.open(store_root, create=False)
    try:
        run = store.create_run("crashed", params={"lr": 0.5})
        with store.catalog.write() as conn:
            conn.execute("UPDATE runs SET pid = ?, process_start = NULL WHERE id = ?", (proc.pid, run.id))
        return run.id
    finally:
        store.close()


async def test_dead_runs_in_lists_details_and_filters(
    api: Fetch, ids: dict[str, Any], store_root: Path
) -> None:
    token = body(await api("changes"))["token"]
    dead = _dead_run(store_root)
    assert body(await api("changes"))["token"] != token
    page = validate(body(await api("runs")), "runs.json")
    by_id = {r["id"]: r for r in page["runs"]}
    assert by_id[dead]["status"] == "dead"
    assert by_id[ids["third"]]["status"] == "running"  # written by this live process
    assert isinstance(by_id[dead]["pid"], int) and by_id[dead]["host"]
    detail = validate(body(await api(f"runs/{dead}")), "run.json")
    assert detail["run"]["status"] == "dead"
    dead_page = validate(body(await api("runs?status=dead")), "runs.json")
    assert [r["id"] for r in dead_page["runs"]] == [dead] and dead_page["total"] == 1
    running = validate(body(await api("runs?status=running")), "runs.json")
    assert [r["id"] for r in running["runs"]] == [ids["third"]]
