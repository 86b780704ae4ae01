"""Replay: the minimal notebook that makes a version again, and running it to compare.

``replay(REF)`` writes, with nbformat, a notebook of just the recorded cells that produced
REF (oldest first), after a first cell that loads their inputs at the recorded versions and
says what the recorded environment was. With ``execute=True`` it runs that notebook with
nbclient in a fresh kernel against a scratch store, and compares what it made with what was
recorded (see :mod:`.compare`). Exit codes: 0 reproduced exactly, 1 within tolerance,
3 differs, 4 the replay failed to run (2 is the command line's own error).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..store import Run, Store
from ..store.objects import LocalObjectStore
from ..store.store import CATALOG_NAME
from . import compare
from .envexport import package_differences
from .plan import ReplayPlan, plan_replay, relative

EXIT_CODES = {compare.EXACT: 0, compare.CLOSE: 1, compare.DIFFERS: 3, "failed": 4}
_SKIP_KINDS = {"log", "report", "notebook"}  # printed and shown output: compared by eye
_stores: dict[str, Store] = {}
#: Where a recorded store's catalog and objects are, when not in its folder (a team store).
_locations: dict[str, tuple[str | None, str | None]] = {}
#: What names a team store in the environment: the replay's own scratch store must not
#: inherit it, or the replayed runs would be written into the team's catalog.
STORE_ENV = ("JUPYTER_ARTIFACTS_CATALOG", "JUPYTER_ARTIFACTS_OBJECTS")


def recorded_store(path: str, catalog: str | None = None, objects: str | None = None) -> str:
    """Name the store a replay reads its inputs from (for a replay's first cell): its folder,
    and its catalog URL and objects location when they are elsewhere (a team store)."""
    _locations[path] = (catalog, objects)
    return path


def _recorded(store_path: str) -> Store:
    store = _stores.get(store_path)
    if store is None:
        catalog, objects = _locations.get(store_path, (None, None))
        store = _stores[store_path] = Store.open(store_path, create=False, readonly=True,
                                                 catalog=catalog, objects=objects)
    return store


def load_recorded(store_path: str, version_id: str) -> Any:
    """A value at its recorded version, read from ``store_path`` (for a replay's first cell)."""
    from ..codecs import load_version

    store = _recorded(store_path)
    return load_version(store, store.get_version(version_id))


def restore_file(store_path: str, version_id: str, path: str) -> None:
    """Write a file back with its recorded content (it is gone from the disk)."""
    from ..codecs import export_version

    store = _recorded(store_path)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    export_version(store, store.get_version(version_id), path)


def _store_location(store: Store) -> str:
    """The replay's ``RECORDED_STORE = ...`` line: the folder, plus where a team store's
    catalog and objects are (URLs hold no secret: the store refuses those)."""
    root = str(store.root.resolve())
    url = getattr(store.catalog, "url", None)
    catalog = url if isinstance(url, str) else None
    objects = None if store.objects.is_local else store.objects.url
    if catalog is None and objects is None:
        return f"RECORDED_STORE = {root!r}"
    return f"RECORDED_STORE = recorded_store({root!r}, catalog={catalog!r}, objects={objects!r})"


def settle() -> None:
    """Wait until what the replayed cells store in the background (models) is stored."""
    from ..codecs.background import wait_pending

    wait_pending()


def _import_line(name: str, spec: str) -> str:
    module, _, qualname = spec.partition(":")
    if not qualname:
        return f"import {module}" if name == module else f"import {module} as {name}"
    head, _, rest = qualname.partition(".")
    if rest:
        return f"from {module} import {head} as _{name}_owner\n{name} = _{name}_owner.{rest}"
    return f"from {module} import {qualname}" + ("" if name == qualname else f" as {name}")


def _environment_note(store: Store, run: Run) -> list[str]:
    env = store.environment(run.environment_id) if run.environment_id else None
    lines = []
    if env:
        lines.append(f"# Recorded environment: Python {env['python']} on {env['platform']}, "
                     f"{len(env['packages'])} packages")
        lines.append(f"# (jupyter-artifacts show {run.ref} --env -o DIR writes requirements.txt "
                     "and environment.yml)")
    if run.git_commit:
        lines.append(f"# Recorded git commit: {run.git_commit}" + (" (with uncommitted changes)"
                                                                 if run.git_dirty else ""))
    return lines


def setup_source(store: Store, plan: ReplayPlan) -> str:
    """The first cell: imports, params, inputs at their recorded versions, file checks."""
    lines = ["%load_ext jupyter_artifacts",
             "from jupyter_artifacts.reproduce.replay import load_recorded, recorded_store, "
             "restore_file",
             _store_location(store), *_environment_note(store, plan.runs[-1])]
    lines += [_import_line(name, spec) for name, spec in sorted(plan.imports.items())]
    lines += [plan.definitions[name].rstrip("\n") for name in sorted(plan.definitions)]
    lines += [f"{name} = {value!r}" for name, value in sorted(plan.params.items())]
    for name, (spec, params) in sorted(plan.estimators.items()):
        module, _, cls = spec.partition(":")
        args = ", ".join(f"{k}={v!r}" for k, v in params.items())
        lines.append(f"from {module} import {cls} as _{name}_class\n{name} = _{name}_class({args})")
    lines += [f"{name} = load_recorded(RECORDED_STORE, {v.id!r})  # {v.ref}"
              for name, v in sorted(plan.loads.items())]
    for file in plan.files:
        rel = relative(file.path, plan.workdir)
        if file.state == "missing":
            lines.append(f"restore_file(RECORDED_STORE, {file.version.id!r}, {rel!r})"
                         f"  # {file.version.ref}: gone from disk, written back")
        elif file.state == "changed":
            lines.append(f"# {rel} CHANGED since the run read it ({file.version.ref}): "
                         "the replay reads the current file")
        else:
            lines.append(f"# {rel}: unchanged since the run read it ({file.version.ref})")
    lines += [f"# not available: {name} ({why})" for name, why in sorted(plan.missing.items())]
    return "\n".join(lines)


def build_notebook(store: Store, plan: ReplayPlan) -> Any:
    """The replay notebook (nbformat v4)."""
    import nbformat.v4 as v4

    refs = ", ".join(f"{r.ref} ({r.name})" for r in plan.runs)
    cells = [v4.new_markdown_cell(f"# Replay of `{plan.target}`\n\nThe recorded cells that made "
                                  f"it, oldest first: {refs}.\n" + "".join(f"\n{n}" for n in plan.notes)),
             v4.new_code_cell(setup_source(store, plan))]
    for run in plan.runs:
        cell = v4.new_code_cell(f"%%track {run.name}\n{run.code}")
        cell.metadata["jupyter_artifacts"] = {"replay_of": run.id, "run": run.ref}
        cells.append(cell)
    # Models are stored in the background; the comparison reads the store right after.
    cells.append(v4.new_code_cell("from jupyter_artifacts.reproduce.replay import settle\nsettle()"))
    return v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})


@dataclass
class ReplayResult:
    """A written (and maybe executed) replay, and how it compares with the record."""

    target: str
    notebook: Path
    plan: ReplayPlan
    executed: bool = False
    status: str = compare.EXACT
    error: str | None = None
    outcomes: dict[str, list[compare.Outcome]] = field(default_factory=dict)
    packages: list[str] = field(default_factory=list)
    unseeded: dict[str, list[str]] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        if not self.executed:
            return 0
        return EXIT_CODES["failed" if self.error else self.status]

    @property
    def verdict(self) -> str:
        if not self.executed:
            return "written, not executed"
        if self.error:
            return f"the replay failed to run: {self.error}"
        return {compare.EXACT: "reproduced exactly", compare.CLOSE: "reproduced within tolerance",
                compare.DIFFERS: "differs from the record"}[self.status]

    def text(self) -> str:
        lines = [f"replay of {self.target}: {len(self.plan.runs)} cells -> {self.notebook}",
                 f"result: {self.verdict}"]
        for ref, outcomes in self.outcomes.items():
            lines += [f"  {ref} {o.line()}" for o in outcomes if o.status != compare.EXACT]
        lines += [f"  input file changed since the run: {relative(f.path, self.plan.workdir)}"
                  for f in self.plan.files if f.state == "changed"]
        lines += [f"  not available to the replay: {n} ({why})" for n, why in self.plan.missing.items()]
        for ref, reasons in self.unseeded.items():
            lines += [f"  not reproducible: {ref} uses {r}" for r in reasons]
        if self.packages:
            lines.append("  packages that differ from the recorded environment: "
                         + ", ".join(self.packages[:20]) + (" ..." if len(self.packages) > 20 else ""))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "notebook": str(self.notebook), "verdict": self.verdict,
                "status": self.status if self.executed else None, "exit_code": self.exit_code,
                "error": self.error, "cells": [r.ref for r in self.plan.runs],
                "outcomes": {ref: [vars(o) for o in outs] for ref, outs in self.outcomes.items()},
                "changed_files": [str(f.path) for f in self.plan.files if f.state == "changed"],
                "missing": self.plan.missing, "packages": self.packages, "unseeded": self.unseeded}


def replay(ref: str, path: str | os.PathLike[str] = "replay.ipynb", *, store: Store | None = None,
           execute: bool = False, shortest: bool = False, rtol: float = 1e-6,
           pixel_tolerance: float = 0.01, timeout: int = 600) -> ReplayResult:
    """Write the notebook that makes ``ref`` again to ``path``; with ``execute``, run it in a
    fresh kernel against a scratch store and compare (see :class:`ReplayResult`)."""
    import nbformat

    if store is None:
        from ..api import _store

        store = _store()
    plan = plan_replay(store, ref, shortest=shortest)
    nb = build_notebook(store, plan)
    result = ReplayResult(plan.target, Path(path), plan)
    if execute:
        _execute_and_compare(store, nb, result, rtol, pixel_tolerance, timeout)
    nbformat.write(nb, os.fspath(path))
    return result


def _execute_and_compare(store: Store, nb: Any, result: ReplayResult, rtol: float,
                         pixel_tolerance: float, timeout: int) -> None:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    scratch = Path(tempfile.mkdtemp(prefix="ja-replay-"))
    try:
        env = {key: value for key, value in os.environ.items() if key not in STORE_ENV}
        env["JUPYTER_ARTIFACTS_DIR"] = str(scratch / ".artifacts")
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(result.plan.workdir)}})
        try:
            client.execute(env=env)
        except CellExecutionError as exc:
            result.error = f"{exc.ename}: {exc.evalue}"
        result.executed = True
        if (scratch / ".artifacts").is_dir():
            replayed = _scratch_store(scratch / ".artifacts")
            try:
                _compare(store, replayed, result, rtol, pixel_tolerance)
            finally:
                replayed.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _scratch_store(folder: Path) -> Store:
    """The store the replay wrote, a plain folder whatever this process's environment names
    (``$JUPYTER_ARTIFACTS_CATALOG`` would otherwise open the team's catalog instead)."""
    return Store(folder, readonly=True, catalog=str(folder / CATALOG_NAME),
                 objects=LocalObjectStore(folder, readonly=True))


def _compare(store: Store, replayed: Store, result: ReplayResult, rtol: float,
             pixel_tolerance: float) -> None:
    made = replayed.query_runs(descending=False, order_by="number", limit=None).runs
    for recorded, run in zip(result.plan.runs, made, strict=False):
        outcomes = compare_runs((store, recorded), (replayed, run), rtol, pixel_tolerance)
        result.outcomes[recorded.ref] = outcomes
        result.status = compare.worst(result.status, *(o.status for o in outcomes))
        differs = any(o.status != compare.EXACT for o in outcomes)
        if differs and (why := compare.unseeded(recorded.code or "")):
            result.unseeded[recorded.ref] = why
    if len(made) < len(result.plan.runs) and not result.error:
        result.error = f"only {len(made)} of {len(result.plan.runs)} cells ran"
    if made:
        was = store.environment(result.plan.runs[-1].environment_id or "")
        now = replayed.environment(made[-1].environment_id or "")
        if was and now:
            result.packages = package_differences(was["packages"], now["packages"])


def compare_runs(recorded: tuple[Store, Run], replayed: tuple[Store, Run], rtol: float,
                 pixel_tolerance: float) -> list[compare.Outcome]:
    """Every recorded output and metric of a run against the replayed run's."""
    (store_a, a), (store_b, b) = recorded, replayed
    if b.status != "ok":
        return [compare.Outcome("cell", compare.DIFFERS, f"the replayed cell {b.status}: {b.error}")]
    made = {v.name: v for kind, v in store_b.run_events(b.id) if kind == "output"}
    outcomes = []
    for kind, version in store_a.run_events(a.id):
        if kind != "output" or version.kind in _SKIP_KINDS:
            continue
        other = made.get(version.name)
        if other is None:
            said = [w for w in b.metadata.get("warnings", []) if w.startswith(f"{version.name} ")]
            why = f" ({'; '.join(said)})" if said else ""
            outcomes.append(compare.Outcome(version.name, compare.DIFFERS,
                                            f"not made by the replay{why}"))
            continue
        outcomes.append(compare.versions((store_a, version), (store_b, other), rtol, pixel_tolerance))
    outcomes += [compare.metrics(f"metric {key}", value, b.metrics.get(key), rtol)
                 for key, value in a.metrics.items()]
    return outcomes
