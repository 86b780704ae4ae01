"""Helpers for the sync tests: team stores, offline histories, what a store holds."""

from __future__ import annotations

from pathlib import Path

from jupyter_artifacts.store import Store


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
