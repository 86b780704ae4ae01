"""Walking lineage back from a version to the recorded cells that made it.

The plan is the runs to replay, oldest first, and what the first cell must provide: values
loaded from the store at their recorded versions, params, imports, and the files the cells
read (checked against the content they had when the run read them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import NotFoundError
from ..store import ArtifactVersion, Run, Store
from .restore import _RunPlan, is_variable

#: A lineage deeper than this is cut (and said so): a replay is meant to be read.
MAX_RUNS = 200


@dataclass
class FileInput:
    """A file a replayed cell reads: where, the recorded version, and its state on disk now."""

    path: Path
    version: ArtifactVersion
    state: str  # "unchanged", "changed", "missing"


@dataclass
class ReplayPlan:
    target: str
    runs: list[Run] = field(default_factory=list)
    loads: dict[str, ArtifactVersion] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)  # notebook functions: their source
    estimators: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # unfitted
    files: list[FileInput] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # variable -> why nothing provides it
    workdir: Path = field(default_factory=Path.cwd)
    notes: list[str] = field(default_factory=list)


def _stored(version: ArtifactVersion) -> bool:
    return version.metadata.get("stored", True) is not False


def _namespace(store: Store, run: Run) -> tuple[_RunPlan, dict[str, Any]]:
    planner = _RunPlan(store, run, trust=False)
    return planner, run.metadata.get("namespace") or planner.fallback()


def workdir_of(store: Store, run: Run) -> Path:
    """Where the run's notebook ran: relative file names are resolved from there."""
    doc = run.metadata.get("notebook") or {}
    if doc.get("path") and Path(doc["path"]).parent.is_dir():
        return Path(doc["path"]).parent
    return store.root.parent


def _file_state(path: Path, version: ArtifactVersion) -> str:
    from ..store.objects import hash_buffers

    if not path.is_file():
        return "missing"
    return "unchanged" if hash_buffers([path.read_bytes()])[0] == version.oid else "changed"


def _start(store: Store, ref: str) -> tuple[str, Run]:
    try:
        version = store.resolve(ref)
    except NotFoundError:
        if ":" in ref:
            raise
        run = store.get_run(ref)
        return run.ref, run
    if version.run_id is None:
        raise NotFoundError(f"{version.ref} was saved, not made by a recorded cell: nothing to replay")
    return version.ref, store.get_run(version.run_id)


def plan_replay(store: Store, ref: str, *, shortest: bool = False) -> ReplayPlan:
    """The runs that made ``ref`` and what they need; ``shortest`` loads stored intermediates
    instead of replaying the cells that made them."""
    target, last = _start(store, ref)
    if not last.code:
        raise NotFoundError(f"{last.ref} recorded no code (a script's ja.run block): nothing to replay")
    plan = ReplayPlan(target, workdir=workdir_of(store, last))
    wanted: dict[str, Run] = {last.id: last}
    todo = [last]
    while todo:
        run = todo.pop()
        for version in _producers_needed(store, run, shortest):
            if version.run_id in wanted or version.run_id is None:
                continue
            if len(wanted) >= MAX_RUNS:
                plan.notes.append(f"lineage cut at {MAX_RUNS} cells")
                break
            producer = store.get_run(version.run_id)
            if producer.code and producer.status == "ok":
                wanted[producer.id] = producer
                todo.append(producer)
    plan.runs = sorted(wanted.values(), key=lambda r: (r.started_at, r.number))
    _provide(store, plan)
    return plan


def _producers_needed(store: Store, run: Run, shortest: bool) -> list[ArtifactVersion]:
    """The input versions of ``run`` whose producing cells the replay should run."""
    planner, recorded = _namespace(store, run)
    found = []
    for name, entry in (recorded.get("inputs") or {}).items():
        if not isinstance(entry, dict) or not ({"version", "pending"} & set(entry)):
            continue
        version = planner._version(name, entry, "input")
        if version is not None and not (shortest and _stored(version)):
            found.append(version)
    # Files are read by the cells themselves; a file a recorded cell wrote is made by it.
    found += [v for v in planner.inputs if v.codec == "file" and v.run_id]
    return found


def _provide(store: Store, plan: ReplayPlan) -> None:
    """Decide, run by run in order, what the first cell must bind for each input."""
    bound: set[str] = set()  # names an earlier replayed cell binds
    seen_files: set[str] = set()
    for run in plan.runs:
        planner, recorded = _namespace(store, run)
        for name, entry in (recorded.get("inputs") or {}).items():
            if name in bound or name in plan.loads or not is_variable(name):
                continue
            _provide_one(plan, planner, run, name, entry)
        for version in planner.inputs:
            if version.codec == "file" and version.name not in seen_files and not (
                    version.run_id and any(r.id == version.run_id for r in plan.runs)):
                seen_files.add(version.name)
                path = plan.workdir / version.name
                plan.files.append(FileInput(path, version, _file_state(path, version)))
        bound |= set(recorded.get("outputs") or {})
        bound |= {v.name for v in planner.outputs if is_variable(v.name)}


def _provide_one(plan: ReplayPlan, planner: _RunPlan, run: Run, name: str, entry: Any) -> None:
    if not isinstance(entry, dict):
        return
    if "param" in entry:
        if entry["param"] in run.params:
            plan.params[name] = run.params[entry["param"]]
        return
    if "import" in entry:
        plan.imports[name] = entry["import"]
        return
    if "source" in entry:
        plan.definitions[name] = entry["source"]
        for used, spec in (entry.get("imports") or {}).items():
            plan.imports.setdefault(used, spec)
        return
    if "estimator" in entry:
        plan.estimators[name] = (entry["estimator"], entry.get("params") or {})
        return
    if "unstored" in entry:
        plan.missing.setdefault(name, entry["unstored"])
        return
    version = planner._version(name, entry, "input")
    if version is None:
        plan.missing.setdefault(name, "no version was recorded for it")
    elif not _stored(version):
        plan.missing.setdefault(name, version.metadata.get("reason", "recorded for lineage only"))
    else:
        plan.loads[name] = version


def relative(path: Path, start: Path) -> str:
    try:
        return os.path.relpath(path, start)
    except ValueError:  # another drive
        return str(path)
