"""Garbage collection and verification of a store."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import ArtifactsError

if TYPE_CHECKING:
    from .store import Store

TREE_MEDIA_TYPE = "application/vnd.jupyter-artifacts.tree+json"


@dataclass
class GcReport:
    removed_objects: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    removed_tmp: int = 0


@dataclass
class VerifyReport:
    checked_objects: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def referenced_oids(store: Store) -> set[str]:
    """Every oid reachable from the catalog: versions, their extra objects, tree members."""
    live: set[str] = set()
    for oid, media_type, metadata in store.catalog.query(
        "SELECT oid, media_type, metadata FROM versions"
    ):
        live.add(oid)
        live.update(json.loads(metadata or "{}").get("objects", {}).values())
        if media_type == TREE_MEDIA_TYPE and store.objects.exists(oid):
            manifest = json.loads(store.objects.read_bytes(oid))
            live.update(entry["oid"] for entry in manifest["files"])
    return live


def gc(store: Store, dry_run: bool = False) -> GcReport:
    report = GcReport()
    # Temp files first: a writer that died can never publish them.
    if not dry_run:
        report.removed_tmp = len(store.objects.clean_tmp())
    live = referenced_oids(store)
    # An object published after `live` was read but before its catalog row exists must not
    # be collected: spare objects younger than a grace period.
    grace = time.time() - 600
    for oid in list(store.objects.iter_oids()):
        if oid in live:
            continue
        path = store.objects.path(oid)
        if path.stat().st_mtime > grace:
            continue
        report.removed_objects.append(oid)
        report.freed_bytes += path.stat().st_size
        if not dry_run:
            store.objects.delete(oid)
    return report


def verify(store: Store) -> VerifyReport:
    report = VerifyReport()
    for oid in store.objects.iter_oids():
        report.checked_objects += 1
        try:
            store.objects.check(oid)
        except (ArtifactsError, OSError) as exc:
            report.problems.append(str(exc))
    for oid in sorted(referenced_oids(store)):
        if not store.objects.exists(oid):
            report.problems.append(f"object {oid[:12]} is referenced but missing")
    for (problem,) in store.catalog.query("PRAGMA integrity_check"):
        if problem != "ok":
            report.problems.append(f"catalog: {problem}")
    for row in store.catalog.query("PRAGMA foreign_key_check"):
        report.problems.append(f"catalog: dangling reference in {row[0]} (row {row[1]})")
    return report
