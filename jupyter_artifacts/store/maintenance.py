"""Garbage collection and verification of a store.

Both treat the store as untrusted input: damage they exist to report (a garbage tree
manifest, a damaged catalog page, strays in ``objects/``) becomes a line in a report,
never a traceback. gc refuses to run when the catalog cannot be trusted to name every
live object, because then "unreferenced" would mean "lost".
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ArtifactsError, CorruptObjectError, StoreError
from .objectstore import ObjectStat

if TYPE_CHECKING:
    from .objectstore import ObjectStore
    from .store import Store

TREE_MEDIA_TYPE = "application/vnd.jupyter-artifacts.tree+json"
GRACE_SECONDS = 600.0


@dataclass
class GcReport:
    removed_objects: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    removed_tmp: int = 0


@dataclass
class VerifyReport:
    checked_objects: int = 0
    problems: list[str] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)
    """Objects no version references: not damage (a crash mid-save leaves some); gc removes them."""
    unfetched: list[str] = field(default_factory=list)
    """Objects of versions pulled lazily (``pull --lazy``) not fetched yet: they load from the
    remote on first read."""
    deep: bool = True
    """Whether every object's bytes were re-hashed (else their sizes were checked)."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _recorded_sizes(store: Store) -> dict[str, int]:
    """The size the catalog recorded for each version's own object."""
    try:
        return {str(oid): int(size) for oid, size in
                store.catalog.query("SELECT oid, size FROM versions WHERE size IS NOT NULL")}
    except (StoreError, ValueError, TypeError):
        return {}  # a damaged catalog: reported by the catalog checks


def tree_members(objects: ObjectStore, manifest_oid: str) -> list[str]:
    """The member oids a tree manifest lists; :class:`CorruptObjectError` if it is garbage."""
    try:
        manifest = json.loads(objects.read_bytes(manifest_oid))
        return [str(entry["oid"]) for entry in manifest["files"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptObjectError(f"tree manifest {manifest_oid[:12]} is not a valid manifest "
                                 f"({type(exc).__name__})") from None


def version_oids(objects: ObjectStore, oid: str, media_type: str, metadata: dict[str, Any],
                 *, strict: bool = False) -> set[str]:
    """Every object a version needs: its own, its extra objects, a tree's members.

    With ``strict`` a missing or unreadable manifest raises; otherwise its members are
    left out (the caller records the damage).
    """
    needed = {oid}
    extra = metadata.get("objects", {}) if isinstance(metadata, dict) else {}
    if isinstance(extra, dict):
        needed.update(v for v in extra.values() if isinstance(v, str))
    if media_type == TREE_MEDIA_TYPE:
        try:
            needed.update(tree_members(objects, oid))
        except ArtifactsError:
            if strict:
                raise
    return needed


def scan_references(store: Store) -> tuple[set[str], list[str]]:
    """Every oid reachable from the catalog, and the damage that hides some (one line each)."""
    live: set[str] = set()
    damage: list[str] = []
    rows = store.catalog.query("SELECT name, version, oid, media_type, metadata FROM versions")
    for name, number, oid, media_type, metadata in rows:
        try:
            meta = json.loads(metadata or "{}")
        except ValueError:
            damage.append(f"{name}:v{number}: metadata is not valid JSON")
            meta = {}
        live |= version_oids(store.objects, oid, media_type, meta)
        if media_type == TREE_MEDIA_TYPE:
            try:
                tree_members(store.objects, oid)
            except ArtifactsError as exc:
                damage.append(f"{name}:v{number}: {exc}")
    return live, damage


def referenced_oids(store: Store) -> set[str]:
    """Every oid reachable from the catalog: versions, their extra objects, tree members."""
    return scan_references(store)[0]


def _catalog_damage(store: Store) -> list[str]:
    problems = []
    for (problem,) in store.catalog.query("PRAGMA quick_check"):
        if problem != "ok":
            problems.append(f"catalog: {problem}")
    return problems


def gc_blockers(store: Store) -> list[str]:
    """Why gc must not run: anything that would make a live object look unreferenced."""
    try:
        problems = _catalog_damage(store)
        if problems:
            return problems
        _, damage = scan_references(store)
        versions = store.catalog.scalar("SELECT COUNT(*) FROM versions")
    except StoreError as exc:
        return [str(exc)]
    if not versions and (lost := _lost_catalog(store, store.objects.iter_stats())):
        damage.append(lost)
    return damage


def _lost_catalog(store: Store, stats: Iterable[ObjectStat]) -> str | None:
    """The damage line when a catalog with no versions sits beside objects older than it.

    A first save that crashed leaves objects younger than the catalog (orphans gc may
    remove); objects that predate it mean the catalog was lost or replaced.
    """
    born = store.catalog.scalar("SELECT MIN(applied_at) FROM migrations") or 0
    older = 0
    for stat in stats:
        if stat.mtime < born - 1:
            older += 1
    if older:
        return (f"the catalog has no versions but objects/ holds {older} objects older than "
                "it: the catalog was lost or replaced; restore it from a backup")
    return None


def catalog_identity(store: Store) -> str:
    """Which catalog this is, as gc's claim on a shared object area records it (no secret:
    a catalog URL is checked for one when it is configured)."""
    url = getattr(store.catalog, "url", None)
    if isinstance(url, str) and url:
        return url
    return f"sqlite://{socket.gethostname()}{Path(store.root).resolve() / 'catalog.sqlite'}"


def gc(store: Store, dry_run: bool = False) -> GcReport:
    """Delete old objects no version references and abandoned temp files.

    Refuses (:class:`StoreError`) on a store whose catalog cannot be trusted. Deletion
    happens under the catalog's write lock after re-reading the references, and each
    object is moved aside before its age is re-checked, so a save that re-uses an object
    (touching it) while gc runs never ends up pointing at a deleted one.
    """
    if other := store.objects.gc_owner(catalog_identity(store), claim=not dry_run):
        # Another catalog's references are invisible from here: its objects would look unused.
        raise StoreError(f"gc refused: the objects at {store.objects.url} are collected by "
                         f"another catalog ({other}); run gc there")
    if blockers := gc_blockers(store):
        first = blockers[0].removesuffix("; run jupyter-artifacts verify")
        raise StoreError(f"gc refused: {first}"
                         + (f" (and {len(blockers) - 1} more)" if len(blockers) > 1 else "")
                         + "; run jupyter-artifacts verify")
    report = GcReport()
    # Temp files first: a writer that died can never publish them.
    if not dry_run:
        report.removed_tmp = len(store.objects.clean_tmp())
    # An object published after `live` was read but before its catalog row exists must not
    # be collected: spare objects younger than a grace period.
    grace = time.time() - GRACE_SECONDS
    candidates = _idle_unreferenced(store, referenced_oids(store), grace)
    if dry_run:
        for oid, size in candidates:
            report.removed_objects.append(oid)
            report.freed_bytes += size
        return report
    with store.catalog.write():  # no version can be recorded while we delete
        live = referenced_oids(store)
        for oid, _ in candidates:
            if oid in live:
                continue
            freed = store.objects.delete_if_idle(oid, grace)
            if freed is not None:
                report.removed_objects.append(oid)
                report.freed_bytes += freed
    return report


def _idle_unreferenced(store: Store, live: set[str], grace: float) -> list[tuple[str, int]]:
    return [(stat.oid, stat.size) for stat in store.objects.iter_stats()
            if stat.oid not in live and stat.mtime <= grace]


def verify(store: Store, deep: bool | None = None) -> VerifyReport:
    """Check every object, the catalog and what it references; never raises on damage.

    ``deep`` re-hashes every object's bytes; without it, each object's size is checked
    against the catalog. The default is deep on a local folder, and by size on an object
    store, where re-hashing means downloading everything.
    """
    deep = store.objects.is_local if deep is None else deep
    report = VerifyReport(deep=deep)
    report.problems.extend(store.objects.strays())
    stats = []
    sizes = _recorded_sizes(store) if not deep else {}
    for stat in store.objects.iter_stats():
        stats.append(stat)
        report.checked_objects += 1
        if not deep:
            recorded = sizes.get(stat.oid)
            if recorded is not None and recorded != stat.size:
                report.problems.append(f"object {stat.oid[:12]} has {stat.size} bytes, the "
                                       f"catalog says {recorded}: it is damaged (verify --deep)")
            continue
        try:
            store.objects.check(stat.oid)
        except (ArtifactsError, OSError) as exc:
            report.problems.append(str(exc))
    listed = {stat.oid for stat in stats}
    try:
        report.problems.extend(_catalog_damage(store))
        live, damage = scan_references(store)
        report.problems.extend(damage)
        for oid in sorted(live):
            # The listing answers for most; one written since it was made is asked for.
            if oid in listed or store.objects.exists(oid):
                continue
            if getattr(store.objects, "fetch_missing", None) is not None:
                report.unfetched.append(oid)  # a lazy pull's: fetched from its remote when read
            else:
                report.problems.append(f"object {oid[:12]} is referenced but missing")
        for row in store.catalog.query("PRAGMA foreign_key_check"):
            report.problems.append(f"catalog: dangling reference in {row[0]} (row {row[1]})")
        versions = store.catalog.scalar("SELECT COUNT(*) FROM versions")
    except StoreError as exc:
        report.problems.append(str(exc))
        return report
    report.unreferenced = sorted({stat.oid for stat in stats} - live)
    if not versions and (lost := _lost_catalog(store, stats)):
        report.problems.append(lost)
    return report
