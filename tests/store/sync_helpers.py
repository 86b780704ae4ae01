"""Helpers for the sync tests: team stores, offline histories, what a store holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from jupyter_artifacts.store import Store

# A machine: its own store, offline work, then push, pull, push to the team store.
_MACHINE = """
import sys
from pathlib import Path
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.remotes import add_remote
sys.path.insert(0, sys.argv[5])
from sync_helpers import make_model_versions
store = Store.open(Path(sys.argv[1]))
add_remote(store.root, "team", sys.argv[2], sys.argv[3] if sys.argv[3] != "-" else None)
make_model_versions(store, "model", int(sys.argv[4]), sys.argv[1])
store.push("team")
store.pull("team")
store.push("team")
"""


def run_machines(roots: list[Path], catalog: str, objects: str | None, count: int) -> list[int]:
    """One process per store in ``roots``, all at once; their exit codes."""
    procs = [subprocess.Popen([sys.executable, "-c", _MACHINE, str(root), catalog,
                               objects or "-", str(count), str(Path(__file__).parent)])
             for root in roots]
    return [proc.wait(timeout=300) for proc in procs]


def team_store(folder: Path) -> Path:
    """An empty store folder standing in for a team store; returns its path."""
    root = folder / ".artifacts"
    Store.open(root).close()
    return root


def make_model_versions(store: Store, name: str, count: int, machine: str) -> list[str]:
    """``count`` finished runs, each making a new version of ``name``; their version ids."""
    made = []
    for i in range(count):
        run = store.create_run("train", params={"i": i, "machine": machine})
        store.log_metrics([(run.id, "acc", step, 0.5 + step / 10, float(step)) for step in range(3)])
        oid, size, _ = store.objects.put_bytes(f"{name} {machine} {run.id}".encode())
        version, _ = store.add_version(name, oid=oid, kind="model", media_type="text/plain",
                                       codec="text", size=size, run_id=run.id, tags=[machine])
        store.finish_run(run.id)
        made.append(version.id)
    return made


def ids(store: Store) -> dict[str, set[object]]:
    """Every global id a store holds, table by table (what sync must make equal)."""
    return {
        "runs": {r[0] for r in store.catalog.query("SELECT id FROM runs")},
        "versions": {r[0] for r in store.catalog.query("SELECT id FROM versions")},
        "oids": {r[0] for r in store.catalog.query("SELECT oid FROM versions")},
        "events": {tuple(r) for r in store.catalog.query(
            "SELECT run_id, version_id, type FROM events")},
        "tags": {tuple(r) for r in store.catalog.query("SELECT version_id, tag FROM version_tags")},
    }


def assert_converged(shared: Store, roots: list[Path], versions: int) -> None:
    """Every machine, after one more pull, holds what the team store holds; nothing moves
    any more; the team store numbers the ``versions`` model versions 1..N and verifies."""
    assert [v.version for v in shared.versions("model")] == list(range(1, versions + 1))
    for root in roots:
        local = Store.open(root, create=False)
        local.pull("team")
        assert ids(local) == ids(shared)
        assert [v.version for v in local.versions("model")] == list(range(1, versions + 1))
        assert local.push("team").moved_nothing and local.pull("team").moved_nothing
        local.close()
    assert shared.verify().ok
