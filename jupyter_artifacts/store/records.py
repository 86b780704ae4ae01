"""Plain records returned by the store: runs and artifact versions."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any


def loads(text: str | None) -> Any:
    return json.loads(text) if text else {}


def human_size(n: int) -> str:
    """``n`` bytes as people read them: ``512 B``, ``1.5 MB``."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


@dataclass
class ArtifactVersion:
    """One immutable version of a named artifact (``name:vN``)."""

    id: str
    name: str
    version: int
    oid: str
    kind: str
    media_type: str
    codec: str
    size: int
    summary: dict[str, Any]
    metadata: dict[str, Any]
    created_at: float
    run_id: str | None
    aliases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.name}:v{self.version}"

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ArtifactVersion:
        return cls(
            id=row["id"], name=row["name"], version=row["version"], oid=row["oid"],
            kind=row["kind"], media_type=row["media_type"], codec=row["codec"],
            size=row["size"], summary=loads(row["summary"]), metadata=loads(row["metadata"]),
            created_at=row["created_at"], run_id=row["run_id"],
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ref"] = self.ref
        return d


@dataclass
class Run:
    """One execution: a tracked cell or a ``ja.run()`` block."""

    id: str
    number: int
    name: str
    status: str
    started_at: float
    ended_at: float | None
    context_id: str | None
    notebook_path: str | None
    cell_id: str | None
    execution_count: int | None
    code: str | None
    error: str | None
    environment_id: str | None
    git_commit: str | None
    git_dirty: bool | None
    metadata: dict[str, Any]
    tags: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    #: The writing process (None for runs recorded before the store knew it).
    host: str | None = None
    pid: int | None = None
    #: The login name of who made the run (None before the store recorded it).
    username: str | None = None
    heartbeat_at: float | None = None
    process_start: str | None = field(default=None, repr=False)

    @property
    def warnings(self) -> list[str]:
        """What went wrong without failing the run (e.g. metric points that were dropped)."""
        return [str(w) for w in self.metadata.get("warnings", [])]

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at

    @property
    def ref(self) -> str:
        return f"run-{self.number}"

    @property
    def made_by(self) -> str:
        """``user@host`` of who made the run (``-`` when the store did not record it)."""
        if self.host is None:
            return "-"
        return f"{self.username}@{self.host}" if self.username else self.host

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Run:
        dirty = row["git_dirty"]
        # A catalog older than migration 4 opened read-only has no writer columns.
        names = row.keys()  # once: it builds a new list on each call
        writer = {k: row[k] for k in ("host", "pid", "heartbeat_at", "process_start", "username")
                  if k in names}
        return cls(
            id=row["id"], number=row["number"], name=row["name"], status=row["status"],
            started_at=row["started_at"], ended_at=row["ended_at"],
            context_id=row["context_id"], notebook_path=row["notebook_path"],
            cell_id=row["cell_id"], execution_count=row["execution_count"], code=row["code"],
            error=row["error"], environment_id=row["environment_id"],
            git_commit=row["git_commit"], git_dirty=None if dirty is None else bool(dirty),
            metadata=loads(row["metadata"]), **writer,
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["process_start"]  # a token only this store's liveness check reads
        d["duration"] = self.duration
        d["ref"] = self.ref
        return d


@dataclass
class RunPage:
    """One page of a run query and the total number of matches."""

    runs: list[Run]
    total: int
