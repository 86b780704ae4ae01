"""The lineage graph: runs and artifact versions linked by input/output events."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError

if TYPE_CHECKING:
    from .store import Store


def _inputs_of_producer(store: Store, version_id: str) -> list[tuple[str, str, int]]:
    """(input version id, its name, its version number) for the run that produced a version."""
    rows = store.catalog.query(
        "SELECT i.version_id, v.name, v.version FROM events o "
        "JOIN events i ON i.run_id = o.run_id AND i.type = 'input' "
        "JOIN versions v ON v.id = i.version_id "
        "WHERE o.version_id = ? AND o.type = 'output'",
        (version_id,),
    )
    return [(r[0], r[1], r[2]) for r in rows]


def is_stale(store: Store, version_id: str, _seen: set[str] | None = None) -> bool:
    """True when an input this version was made from (directly or upstream) has a newer version."""
    seen = _seen if _seen is not None else set()
    if version_id in seen:
        return False
    seen.add(version_id)
    for input_id, name, number in _inputs_of_producer(store, version_id):
        newest = store.catalog.scalar("SELECT MAX(version) FROM versions WHERE name = ?", (name,))
        if newest is not None and newest > number:
            return True
        if is_stale(store, input_id, seen):
            return True
    return False


def _neighbours(store: Store, node: str) -> list[tuple[str, str, str]]:
    """Edges touching ``node`` as (source, target, type); nodes are 'run:<id>' / 'version:<id>'."""
    kind, _, ident = node.partition(":")
    col = "run_id" if kind == "run" else "version_id"
    rows = store.catalog.query(f"SELECT run_id, version_id, type FROM events WHERE {col} = ?", (ident,))
    edges = []
    for run_id, version_id, etype in rows:
        if etype == "input":
            edges.append((f"version:{version_id}", f"run:{run_id}", "input"))
        else:
            edges.append((f"run:{run_id}", f"version:{version_id}", "output"))
    return edges


def lineage(store: Store, ref: str, depth: int = 3) -> dict[str, Any]:
    """Breadth-first graph around a version or run ref, ``depth`` hops up- and downstream."""
    try:
        start = f"version:{store.resolve(ref).id}"
    except NotFoundError:
        start = f"run:{store.resolve_run_id(ref)}"
    seen = {start: 0}
    edges: set[tuple[str, str, str]] = set()
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if seen[node] >= depth * 2:
            continue
        for edge in _neighbours(store, node):
            edges.add(edge)
            for other in edge[:2]:
                if other not in seen:
                    seen[other] = seen[node] + 1
                    queue.append(other)
    nodes = [_describe(store, node) for node in seen]
    return {
        "root": start,
        "nodes": nodes,
        "edges": [{"source": s, "target": t, "type": e} for s, t, e in sorted(edges)],
    }


def _describe(store: Store, node: str) -> dict[str, Any]:
    kind, _, ident = node.partition(":")
    if kind == "run":
        run = store.get_run(ident)
        return {"id": node, "type": "run", "label": f"{run.name} ({run.ref})", "ref": run.ref,
                "status": run.status, "started_at": run.started_at}
    version = store.get_version(ident)
    newest = store.catalog.scalar("SELECT MAX(version) FROM versions WHERE name = ?", (version.name,))
    return {"id": node, "type": "version", "label": version.ref, "ref": version.ref,
            "kind": version.kind, "latest": newest == version.version,
            "stale": is_stale(store, version.id)}
