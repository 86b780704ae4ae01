"""Local-first sync: push a local store's history to a team store, pull the team's back.

Identity is global: run and version ids are uuid4 hex made offline without colliding, so a
sync is the difference of two id sets, table by table, and re-running it moves nothing.
``run-17`` and ``name:vN`` are each store's own views:

- **numbers**: a store gives the runs and versions it receives its own next numbers, in
  the order they were made (``started_at`` / ``created_at``, then id). Two machines that each
  made ``model:v1..v3`` offline both push: the team store keeps all six, as ``model:v1..v6``;
  each keeps its global id. ``latest`` is the newest version made (``created_at``, then
  id), so stores that hold the same versions agree on it whatever their numbers.
- **what moves**: finished runs (ok, failed, interrupted) with their params, metrics and
  summaries, tags, contexts and environments; the versions those runs made (and versions
  made outside runs) with their objects (a figure's SVG, a folder's files too), tags and
  lineage events; aliases. Runs still running (or dead) stay until they end, unless
  ``everything`` (``--all``) takes them as they stand; once they end, the next sync
  replaces them with their finished state (row, params, metrics, tags).
- **order**: objects first, then the catalog rows that reference them, in batches of
  :data:`~.sync_rows.BATCH`, one transaction each. A sync killed at any point leaves a
  consistent target; running it again finishes the job.
- **aliases**: merged against the value both sides agreed on at the last sync (kept per
  remote in ``remotes.json``). An alias moved on one side follows on the other. Moved on
  both (a conflict): the team store's wins. A push leaves the team's alias and reports the
  conflict; a pull moves the local alias to the team's and reports the value it replaced.
- **lazy pulls** copy the catalog rows only; objects come from the remote on first read,
  and stay (see :class:`~.remotes.LazyFetcher`). A plain pull from that remote later
  fetches every object still left, and the store then works offline.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import RemoteError
from . import remotes as _remotes
from . import sync_rows as rows
from .maintenance import version_oids
from .records import human_size as _size
from .records import loads

if TYPE_CHECKING:
    from .store import Store

OBJECT_THREADS = 8


@dataclass
class SyncReport:
    """What a push or pull moved."""

    direction: str
    remote: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    """``{"id", "ref", "name", "by"}``: each run moved, with its number in the target."""
    versions: list[dict[str, Any]] = field(default_factory=list)
    """``{"id", "ref", "source_ref", "by"}``: each version moved, as the target numbers it."""
    objects: int = 0
    object_bytes: int = 0
    links: int = 0
    """Lineage events (run -> version links) and tags added apart from their runs."""
    aliases: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    unfinished: int = 0
    """Runs left behind because they are still running (or dead); ``--all`` takes them."""
    finished: int = 0
    """Runs the target had as running (sent with ``--all``) that finished since: updated."""
    lazy: bool = False

    @property
    def moved_nothing(self) -> bool:
        return not (self.runs or self.versions or self.objects or self.links or self.aliases
                    or self.finished)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> list[str]:
        """Readable lines: totals, then who made what (``user@host``), then conflicts."""
        verb, where = ("pushed to", self.remote) if self.direction == "push" else ("pulled from",
                                                                               self.remote)
        objects = ("objects on first load" if self.lazy else
                   f"{self.objects} objects ({_size(self.object_bytes)})")
        lines = [f"{verb} {where}: {len(self.runs)} runs, {len(self.versions)} versions, "
                 f"{objects}" + (f", {self.links} links and tags" if self.links else "")]
        makers = sorted({item["by"] for item in (*self.runs, *self.versions)})
        for by in makers:
            made_runs = [r["ref"] for r in self.runs if r["by"] == by]
            made = [v["ref"] for v in self.versions if v["by"] == by]
            parts = [f"{len(made_runs)} runs ({_some(made_runs)})" if made_runs else "",
                     f"{len(made)} versions ({_some(made)})" if made else ""]
            lines.append(f"  {by}: " + ", ".join(p for p in parts if p))
        renumbered = [v for v in self.versions if v["ref"] != v["source_ref"]]
        if renumbered:
            lines.append("  numbered here: " + _some([f"{v['source_ref']} -> {v['ref']}"
                                                      for v in renumbered]))
        lines += [f"  alias {a}" for a in self.aliases]
        lines += [f"  conflict: {c}" for c in self.conflicts]
        if self.finished:
            lines.append(f"  {self.finished} runs sent while running are now finished there")
        if self.unfinished:
            lines.append(f"  {self.unfinished} unfinished runs not sent (--all sends them)")
        return lines


def _some(items: list[str], n: int = 6) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def _by(row: dict[str, Any] | None) -> str:
    if not row or not row.get("host"):
        return "-"
    return f"{row['username']}@{row['host']}" if row.get("username") else str(row["host"])


def transfer(source: Store, target: Store, *, direction: str, remote: _remotes.Remote,
             everything: bool = False, lazy: bool = False) -> SyncReport:
    """Copy to ``target`` what ``source`` has and it lacks (see the module docstring)."""
    report = SyncReport(direction, remote.label.removeprefix("remote "), lazy=lazy)
    src, tgt = source.catalog, target.catalog
    target_status: dict[str, str] = {row[0]: row[1] for row in tgt.query("SELECT id, status FROM runs")}
    target_runs = set(target_status)
    movable, unfinished, ended = [], 0, []
    for run_id, status, started_at in src.query("SELECT id, status, started_at FROM runs"):
        if run_id in target_runs:
            if target_status[run_id] == "running" and status != "running":
                ended.append(run_id)  # sent with --all while running; finished since
            continue
        if status == "running" and not everything:
            unfinished += 1
        else:
            movable.append((started_at, run_id))
    report.unfinished = unfinished
    run_ids = [run_id for _, run_id in sorted(movable)]
    have_runs = target_runs | set(run_ids)
    target_versions = rows.ids(tgt, "SELECT id FROM versions")
    version_ids = [vid for _, vid in sorted(
        (created, vid) for vid, run_id, created in src.query(
            "SELECT id, run_id, created_at FROM versions")
        if vid not in target_versions and (run_id is None or run_id in have_runs))]
    have_versions = target_versions | set(version_ids)

    # Rows that runs point at first (foreign keys), then runs, then versions and objects.
    for table in ("contexts", "environments"):
        rows.copy_by_id(src, tgt, table)
    copied = rows.copy_runs(src, tgt, run_ids)
    report.finished = rows.refresh_runs(src, tgt, ended)
    makers = {row["id"]: _by(row) for row in copied}
    report.runs = [{"id": r["id"], "ref": f"run-{r['number']}", "name": r["name"],
                    "by": makers[r["id"]]} for r in copied]
    _copy_versions(source, target, version_ids, report, lazy)
    _copy_late_objects(source, target, target_versions, report, lazy)
    report.links += rows.copy_pairs(
        src, tgt, "run_tags", ("run_id", "tag"), (), lambda r: r[0] in have_runs)
    report.links += rows.copy_pairs(
        src, tgt, "version_tags", ("version_id", "tag"), (), lambda r: r[0] in have_versions)
    report.links += rows.copy_pairs(
        src, tgt, "events", ("run_id", "version_id", "type"), ("time",),
        lambda r: r[0] in have_runs and r[1] in have_versions)
    _merge_aliases(source, target, remote, report, have_versions)
    return report


def _copy_versions(source: Store, target: Store, version_ids: list[str], report: SyncReport,
                   lazy: bool) -> None:
    src = source.catalog
    makers: dict[str, str] = {}
    for chunk in rows.chunks(version_ids):
        versions = rows.rows_in(src, "versions", "id", chunk, order="created_at, id")
        run_ids = sorted({v["run_id"] for v in versions if v["run_id"]})
        makers.update({r["id"]: _by(r) for r in rows.rows_in(src, "runs", "id", run_ids)})
        if not lazy:  # objects before the rows that reference them
            needed: set[str] = set()
            for version in versions:
                needed |= version_oids(source.objects, version["oid"], version["media_type"],
                                       loads(version["metadata"]), strict=True)
            _copy_objects(source, target, sorted(needed), report)
        with target.catalog.write() as conn:
            placed = rows.insert_versions(conn, versions)
        before = {v["id"]: f"{v['name']}:v{v['version']}" for v in versions}
        report.versions += [{"id": v["id"], "ref": f"{v['name']}:v{v['version']}",
                             "source_ref": before[v["id"]],
                             "by": makers.get(v["run_id"] or "", "-")} for v in placed]


def _copy_objects(source: Store, target: Store, oids: list[str], report: SyncReport) -> None:
    """Copy the objects the target lacks, several at once: on an object store each check
    and each upload is a network round trip, which threads overlap."""
    def send(oid: str) -> int | None:
        return None if target.objects.exists(oid) else _remotes.copy_object(source, target, oid)

    with ThreadPoolExecutor(max_workers=OBJECT_THREADS, thread_name_prefix="ja-sync") as pool:
        for size in pool.map(send, oids):
            if size is not None:
                report.object_bytes += size
                report.objects += 1


def _copy_late_objects(source: Store, target: Store, shared: set[str], report: SyncReport,
                       lazy: bool) -> None:
    """Secondary objects attached to a version after it was synced (a figure's SVG is made
    in the background, maybe after its run ended and was pushed): send them too."""
    query = "SELECT id, metadata, summary FROM versions WHERE metadata LIKE '%\"objects\"%'"
    theirs = {row[0]: row for row in target.catalog.query(query)}
    for row in source.catalog.query(query):
        if row[0] not in shared:
            continue
        extra = loads(row[1]).get("objects") or {}
        there = theirs.get(row[0])
        meta, summary = (loads(there[1]), loads(there[2])) if there else ({}, {})
        missing = {k: v for k, v in extra.items() if k not in meta.get("objects", {})}
        if not missing:
            continue
        if not lazy:
            _copy_objects(source, target, sorted(set(missing.values())), report)
        sizes = loads(row[2])
        meta.setdefault("objects", {}).update(missing)
        summary.update({f"{k}_size": sizes[f"{k}_size"] for k in missing if f"{k}_size" in sizes})
        if not there:  # the target's row lacked "objects": read what else it holds
            current = rows.rows_in(target.catalog, "versions", "id", [row[0]])[0]
            meta, summary = ({**loads(current["metadata"]), "objects": missing},
                             {**loads(current["summary"]), **summary})
        with target.catalog.write() as conn:
            conn.execute("UPDATE versions SET metadata = ?, summary = ? WHERE id = ?",
                         (_json(meta), _json(summary), row[0]))
        report.links += len(missing)


def _fetch_left_objects(source: Store, target: Store, report: SyncReport) -> None:
    """A plain pull after a lazy one from the same remote: fetch every object the lazy pull
    left for first load that the remote has (what neither has is for ``verify`` to report)."""
    needed: set[str] = set()
    for oid, media_type, metadata in target.catalog.query(
            "SELECT oid, media_type, metadata FROM versions"):
        needed |= version_oids(source.objects, oid, media_type, loads(metadata))
    absent = [oid for oid in sorted(needed) if not target.objects.exists(oid)]
    _copy_objects(source, target, [oid for oid in absent if source.objects.exists(oid)], report)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _merge_aliases(source: Store, target: Store, remote: _remotes.Remote, report: SyncReport,
                   have_versions: set[str]) -> None:
    """Three-way merge of aliases against the agreed base (see the module docstring)."""
    ours, theirs, base = rows.aliases(source.catalog), rows.aliases(target.catalog), remote.aliases
    pull = report.direction == "pull"  # the source is the team store
    moves: dict[str, str] = {}
    clashes: list[tuple[str, str, str]] = []  # (key, local version id, team version id)
    agreed = {k: v for k, v in base.items() if ours.get(k) == theirs.get(k) == v}
    for key, wanted in sorted(ours.items()):
        there = theirs.get(key)
        if wanted not in have_versions:
            continue
        if there == wanted:
            agreed[key] = wanted
        elif there is None and wanted == base.get(key):
            agreed[key] = wanted  # only the target removed it: the other direction carries that
        elif there is None or there == base.get(key):
            moves[key] = agreed[key] = wanted
        elif wanted == base.get(key):
            continue  # only the target moved it: the other direction carries that
        elif pull:  # the team's wins
            moves[key] = agreed[key] = wanted
            clashes.append((key, there, wanted))
        else:
            clashes.append((key, wanted, there))
    removals, removal_clashes = _removed_aliases(ours, theirs, base, pull)
    if moves or removals:
        with target.catalog.write() as conn:
            for key, version_id in moves.items():
                rows.set_alias(conn, key, version_id)
            for key in removals:
                rows.remove_alias(conn, key)
    refs = rows.version_refs(target.catalog, [*moves.values(), *(c[1] for c in clashes),
                                              *(c[2] for c in clashes)])
    report.aliases = [f"{key} -> {refs.get(v, v[:12])}" for key, v in sorted(moves.items())]
    report.aliases += [f"{key} removed" for key in removals]
    report.conflicts = [_conflict(c, refs, pull, report.remote) for c in clashes]
    report.conflicts += [f"{key} was removed on {report.remote} but moved here: removed here too"
                         if pull else f"{key} was removed here but moved on {report.remote}: "
                         f"{report.remote} keeps it (pull takes it)" for key in removal_clashes]
    for key in removals:
        agreed.pop(key, None)
    remote.aliases = agreed


def _removed_aliases(ours: dict[str, str], theirs: dict[str, str], base: dict[str, str],
                     pull: bool) -> tuple[list[str], list[str]]:
    """Aliases the source removed since the last sync, to remove on the target too; and
    those the target moved meanwhile (a conflict: on a pull the team's removal wins)."""
    removals, clashes = [], []
    for key, agreed in sorted(base.items()):
        there = theirs.get(key)
        if key in ours or there is None:
            continue  # kept by the source, or removed on both sides
        if there == agreed:
            removals.append(key)
        else:
            clashes.append(key)
            if pull:
                removals.append(key)
    return removals, clashes


def _conflict(c: tuple[str, str, str], refs: dict[str, str], pull: bool, remote: str) -> str:
    key, mine, team = c
    here, there = refs.get(mine, mine[:12]), refs.get(team, team[:12])
    if pull:
        return f"{key} was {here} here and is {there} on {remote}: now {there} here, as there"
    return f"{key} is {there} on {remote} but {here} here: {remote} keeps {there} (pull takes it)"


def push(store: Store, remote: str | None = None, *, everything: bool = False) -> SyncReport:
    """Send what ``store`` has and the remote lacks; see the module docstring."""
    target_remote = _remotes.find_remote(store.root, remote)
    target = _remotes.open_remote(target_remote, store.root)
    try:
        report = transfer(store, target, direction="push", remote=target_remote,
                          everything=everything)
    finally:
        target.close()
    _remotes.save_state(store.root, target_remote)
    return report


def pull(store: Store, remote: str | None = None, *, lazy: bool = False,
         everything: bool = False) -> SyncReport:
    """Take what the remote has and ``store`` lacks; ``lazy``: objects on first load."""
    source_remote = _remotes.find_remote(store.root, remote)
    if lazy and source_remote.name == source_remote.catalog:
        raise RemoteError("a lazy pull needs a named remote, to fetch objects from later: "
                          "jupyter-artifacts remote add NAME --catalog URL")
    source = _remotes.open_remote(source_remote, store.root, readonly=True)
    try:
        report = transfer(source, store, direction="pull", remote=source_remote,
                          everything=everything, lazy=lazy)
        if not lazy and source_remote.lazy:
            _fetch_left_objects(source, store, report)
            source_remote.lazy = False  # all here now: the store works offline
    finally:
        source.close()
    if lazy:
        source_remote.lazy = True
    _remotes.save_state(store.root, source_remote)
    if lazy:
        _remotes.attach_lazy_fetcher(store)
    return report


__all__ = ["RemoteError", "SyncReport", "pull", "push", "transfer"]
