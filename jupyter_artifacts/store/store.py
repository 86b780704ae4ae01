"""The `Store` facade: every upper layer reads and writes the store through it."""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import InvalidReferenceError, NotFoundError, StoreError, StoreNotFoundError
from . import keys as _keys
from . import lineage as _lineage
from . import liveness, maintenance, refs
from . import runs as _runs
from . import search as _search
from . import table as _table
from .catalog import open_catalog
from .config import read_config, write_config
from .discovery import find_store_dir, resolve_store_dir
from .locations import objects_location
from .objectstore import ObjectStore
from .records import ArtifactVersion, Run, RunPage
from .remotes import REMOTES_FILE, attach_lazy_fetcher
from .s3objects import open_objects
from .validate import check_tags, value_json

CATALOG_NAME = "catalog.sqlite"
RUN_STATUSES = ("running", "ok", "failed", "interrupted")
#: What readers may also see: a run stored as running whose writer is gone (store/liveness.py).
DERIVED_STATUSES = ("dead",)


def _has_objects(root: Path) -> bool:
    try:
        with os.scandir(root / "objects") as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    with os.scandir(entry.path) as inner:
                        if any(True for _ in inner):
                            return True
        return False
    except OSError:
        return False


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _has_catalog(root: Path) -> bool:
    """Whether the folder has a catalog: its SQLite file, or a team catalog it names."""
    return (root / CATALOG_NAME).exists() or read_config(root).catalog is not None


class Store:
    """A catalog (the folder's SQLite file, or PostgreSQL) plus immutable content-addressed
    objects (the folder's ``objects/``, or where its ``store.json`` says).

    ``catalog``: a ``postgresql://`` URL overriding ``store.json`` and the environment
    (see :mod:`.config`). ``objects``: ``s3://bucket/prefix`` or an object store already
    opened (else ``$JUPYTER_ARTIFACTS_OBJECTS``, then ``store.json``; see :mod:`.locations`).
    """

    def __init__(self, root: Path, *, readonly: bool = False, catalog: str | None = None,
                 objects: str | ObjectStore | None = None) -> None:
        self.root = Path(root)
        self.readonly = readonly
        config = read_config(self.root)
        url = catalog or config.catalog
        if url:
            # The catalog first: wrong credentials or a server down leave nothing behind.
            self.catalog = open_catalog(url, readonly=readonly)
            try:
                self.objects: ObjectStore = objects if isinstance(objects, ObjectStore) else \
                    open_objects(self.root, objects_location(self.root, objects),
                                 readonly=readonly)
            except BaseException:
                self.catalog.close()
                raise
            return
        if not readonly and not (self.root / CATALOG_NAME).exists() and _has_objects(self.root):
            # Objects with no catalog: the catalog was lost. A new, empty one would make every
            # object look unreferenced (and gc would delete them all).
            raise StoreError(f"the store at {self.root} has objects but no {CATALOG_NAME}: "
                             "its catalog is missing; restore it from a backup")
        self.objects = objects if isinstance(objects, ObjectStore) else \
            open_objects(self.root, objects_location(self.root, objects), readonly=readonly)
        self.catalog = open_catalog(self.root / CATALOG_NAME, readonly=readonly,
                                    tmp_dir=self.root / "tmp")
        if (self.root / REMOTES_FILE).exists():  # objects of a lazy pull come on first read
            attach_lazy_fetcher(self)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        create: bool = True,
        start: str | os.PathLike[str] | None = None,
        readonly: bool = False,
        catalog: str | None = None,
        objects: str | ObjectStore | None = None,
    ) -> Store:
        """Open (or create) a store: explicit path > $JUPYTER_ARTIFACTS_DIR > nearest
        ``.artifacts/`` walking up from ``start`` > ``./.artifacts``.

        ``readonly`` (for readers: listing, verify, the server) never creates a store or
        writes to it, and works on a folder this process cannot write (an archive).
        ``catalog``: a ``postgresql://`` URL (else ``store.json`` or
        ``$JUPYTER_ARTIFACTS_CATALOG`` may name one; see :mod:`.config`).
        """
        create = create and not readonly
        root = resolve_store_dir(path, start) if create else (
            Path(path).resolve() if path is not None else find_store_dir(start)
        )
        if catalog is not None and root is not None:
            store = cls(root, readonly=readonly, catalog=catalog, objects=objects)
            if create:  # once the catalog opened: a wrong URL leaves nothing behind
                root.mkdir(parents=True, exist_ok=True)
                write_config(root, catalog)
            return store
        if root is not None and not create and not _has_catalog(root) and _has_objects(root):
            raise StoreError(f"the store at {root} has objects but no {CATALOG_NAME}: its "
                             "catalog is missing; restore it from a backup")
        if root is None or (not create and not _has_catalog(root)):
            raise StoreNotFoundError(f"no store found{f' at {root}' if root else ''}")
        if not isinstance(objects, ObjectStore):
            # Before anything local is made: wrong credentials leave no empty store behind.
            objects = open_objects(root, objects_location(root, objects), readonly=readonly)
        if create:
            root.mkdir(parents=True, exist_ok=True)
        return cls(root, readonly=readonly, objects=objects)

    def close(self) -> None:
        self.catalog.close()

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    def change_token(self) -> str:
        """A cheap token that changes whenever any process commits to the catalog, or the
        writer of a running run dies (nothing is written then, but its status changes)."""
        changes = self.catalog.scalar("SELECT value FROM meta WHERE key = 'changes'")
        dead = liveness.dead_run_ids(self.catalog)
        return f"{changes}.{len(dead)}" if dead else str(changes)

    # -- contexts and environments -------------------------------------------------
    def ensure_context(
        self, context_id: str, kind: str = "session", name: str | None = None,
        notebook_path: str | None = None,
    ) -> str:
        with self.catalog.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO contexts (id, kind, name, notebook_path, created_at) "
                "VALUES (?,?,?,?,?)",
                (context_id, kind, name, notebook_path, time.time()),
            )
        return context_id

    def put_environment(self, python: str, platform: str, packages: dict[str, str]) -> str:
        """Record an environment once; runs with the same one share its id."""
        body = _json({"python": python, "platform": platform, "packages": packages})
        env_id = hashlib.sha256(body.encode()).hexdigest()[:32]
        if not self.catalog.scalar("SELECT 1 FROM environments WHERE id = ?", (env_id,)):
            with self.catalog.write() as conn:
                conn.execute(
                    "INSERT OR IGNORE INTO environments VALUES (?,?,?,?,?)",
                    (env_id, python, platform, _json(packages), time.time()),
                )
        return env_id

    def environment(self, env_id: str) -> dict[str, Any] | None:
        row = self.catalog.query_one("SELECT * FROM environments WHERE id = ?", (env_id,))
        if row is None:
            return None
        return {"id": row["id"], "python": row["python"], "platform": row["platform"],
                "packages": json.loads(row["packages"]), "created_at": row["created_at"]}

    # -- runs ----------------------------------------------------------------------
    def create_run(
        self, name: str, *, tags: Iterable[str] | str = (), params: dict[str, Any] | None = None,
        started_at: float | None = None, **fields: Any,
    ) -> Run:
        """Insert a run in status ``running``; ``fields`` fill the optional columns.

        This process is recorded as the run's writer, with a first heartbeat.
        """
        allowed = {"context_id", "notebook_path", "cell_id", "execution_count", "code",
                   "environment_id", "git_commit", "git_dirty", "metadata", "status", "ended_at"}
        if unknown := set(fields) - allowed:
            raise TypeError(f"unknown run fields: {sorted(unknown)}")
        tags = check_tags(tags)
        if "metadata" in fields:
            fields["metadata"] = _json(fields["metadata"] or {})
        run_id = uuid.uuid4().hex
        writer = liveness.this_writer()
        now = time.time()
        cols = {"id": run_id, "name": name or "run", "status": "running",
                "started_at": started_at or now, "host": writer.host, "pid": writer.pid,
                "username": writer.user, "process_start": writer.process_start, "heartbeat_at": now, **fields}
        with self.catalog.write() as conn:
            conn.execute(
                f"INSERT INTO runs ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                list(cols.values()),
            )
            conn.executemany("INSERT OR IGNORE INTO run_tags VALUES (?,?)",
                             [(run_id, t) for t in tags])
            if params:
                self.log_params(run_id, params)
        return self.get_run(run_id)

    def finish_run(self, run_id: str, status: str = "ok", error: str | None = None,
                   ended_at: float | None = None) -> None:
        if status not in RUN_STATUSES:
            raise InvalidReferenceError(f"unknown run status {status!r}")
        with self.catalog.write() as conn:
            conn.execute("UPDATE runs SET status = ?, error = ?, ended_at = ? WHERE id = ?",
                         (status, error, ended_at or time.time(), run_id))

    def update_run(self, run_id: str, **fields: Any) -> None:
        allowed = {"name", "code", "notebook_path", "cell_id", "execution_count",
                   "environment_id", "git_commit", "git_dirty", "metadata"}
        if unknown := set(fields) - allowed:
            raise TypeError(f"unknown run fields: {sorted(unknown)}")
        if "metadata" in fields:
            fields["metadata"] = _json(fields["metadata"])
        if fields:
            with self.catalog.write() as conn:
                sets = ", ".join(f"{k} = ?" for k in fields)
                conn.execute(f"UPDATE runs SET {sets} WHERE id = ?", [*fields.values(), run_id])

    def log_params(self, run_id: str, params: dict[str, Any]) -> None:
        with self.catalog.write() as conn:
            conn.executemany(_runs.INSERT_PARAM,
                             [(run_id, str(k), value_json(v)) for k, v in params.items()])

    def log_metrics(self, rows: Sequence[tuple[str, str, int | None, float, float]],
                    heartbeat: str | None = None) -> None:
        """Write a batch of ``(run_id, key, step, value, time)`` points in one transaction;
        ``heartbeat``: a run whose writer shows life in the same transaction."""
        if rows:
            with self.catalog.write() as conn:
                _runs.insert_metrics(conn, rows)
                if heartbeat:
                    self._beat(conn, heartbeat)

    def heartbeat(self, run_id: str) -> None:
        """Note that the writer of ``run_id`` is alive (see :mod:`.liveness`)."""
        with self.catalog.write() as conn:
            self._beat(conn, run_id)

    @staticmethod
    def _beat(conn: Any, run_id: str) -> None:
        conn.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (time.time(), run_id))

    def add_run_warning(self, run_id: str, message: str, dropped_points: int = 0) -> None:
        """Record in the run's metadata that something was lost without failing the run."""
        with self.catalog.write() as conn:
            row = conn.execute("SELECT metadata FROM runs WHERE id = ?", (run_id,)).fetchone()
            metadata = json.loads(row[0]) if row and row[0] else {}
            metadata["warnings"] = [*metadata.get("warnings", []), message][-20:]
            if dropped_points:
                metadata["dropped_metric_points"] = metadata.get("dropped_metric_points", 0) + dropped_points
            conn.execute("UPDATE runs SET metadata = ? WHERE id = ?", (_json(metadata), run_id))

    def add_run_tags(self, run_ref: str, tags: Iterable[str]) -> None:
        run_id = self.resolve_run_id(run_ref)
        tags = check_tags(tags)
        with self.catalog.write() as conn:
            conn.executemany("INSERT OR IGNORE INTO run_tags VALUES (?,?)",
                             [(run_id, t) for t in tags])

    def resolve_run_id(self, ref: str) -> str:
        return refs.resolve_run_id(self.catalog, ref)

    def get_run(self, ref: str) -> Run:
        run_id = self.resolve_run_id(ref)
        row = self.catalog.query_one("SELECT * FROM runs WHERE id = ?", (run_id,))
        if row is None:
            raise NotFoundError(f"no run matches {ref!r}")
        run = Run.from_row(row)
        _runs.hydrate(self.catalog, [run])
        return run

    def query_runs(self, **filters: Any) -> RunPage:
        """Filter, order and page runs; see :func:`jupyter_artifacts.store.runs.query_runs`."""
        return _runs.query_runs(self.catalog, **filters)

    def search_runs(
        self, filter: str | None = None, *, order_by: Sequence[str] | str | None = None,
        descending: bool = True, limit: int | None = 100, offset: int = 0,
    ) -> RunPage:
        """Runs matching an MLflow-style ``filter``, ordered, paged, with the total.

        ``order_by`` items are ``"metrics.acc DESC"``, ``"params.lr"``, ``"start_time"``...
        (a bare string uses ``descending``). See :mod:`jupyter_artifacts.store.query` for
        the language; a bad filter raises :class:`~jupyter_artifacts.errors.FilterError`.
        """
        return _search.search_runs(self.catalog, filter, order_by, descending, limit, offset)

    def run_table(
        self, filter: str | None = None, *, order_by: Sequence[str] | str | None = None,
        descending: bool = True, limit: int | None = None, offset: int = 0,
    ) -> _table.RunTable:
        """Like :meth:`search_runs`, as columns and long param/metric rows for a table."""
        return _table.run_table(self.catalog, filter, order_by, descending, limit, offset)

    def search_versions(self, filter: str | None = None, *, limit: int | None = 100,
                        offset: int = 0, order_by: Sequence[str] | str | None = None,
                        ) -> tuple[list[ArtifactVersion], int]:
        """Artifact versions matching ``filter`` (``kind = 'model' and run.metrics.acc > 0.9``)
        in ``order_by`` order (``["run.metrics.acc DESC"]``; newest first by default), and
        how many match."""
        ids, total = _search.version_ids(self.catalog, filter, limit, offset, order_by)
        return [self.get_version(version_id) for version_id in ids], total

    def keys(self) -> dict[str, list[str]]:
        """The metric, param and tag keys runs have (completion data for filters)."""
        return _keys.list_keys(self.catalog)

    def metric_summary(self, run_ref: str) -> dict[str, dict[str, Any]]:
        return _runs.metric_summary(self.catalog, self.resolve_run_id(run_ref))

    def metric_series(self, run_ref: str, key: str) -> list[tuple[int | None, float, float]]:
        return _runs.metric_series(self.catalog, self.resolve_run_id(run_ref), key)

    def metric_series_minmax(
        self, run_ref: str, key: str, buckets: int
    ) -> list[tuple[int | None, float, float]] | None:
        """A long series reduced in SQLite to each step bucket's min and max points (for
        drawing); None when some points have no step."""
        return _runs.metric_series_minmax(self.catalog, self.resolve_run_id(run_ref), key, buckets)

    def run_events(self, run_ref: str) -> list[tuple[str, ArtifactVersion]]:
        rows = self.catalog.query(
            "SELECT e.type AS event_type, v.* FROM events e JOIN versions v ON v.id = e.version_id "
            "WHERE e.run_id = ? ORDER BY e.type, v.name",
            (self.resolve_run_id(run_ref),),
        )
        return [(row["event_type"], self._hydrate_version(ArtifactVersion.from_row(row)))
                for row in rows]

    # -- artifact versions ---------------------------------------------------------
    def add_version(
        self, name: str, *, oid: str, kind: str, media_type: str, codec: str, size: int,
        summary: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None,
        run_id: str | None = None, tags: Iterable[str] = (),
    ) -> tuple[ArtifactVersion, bool]:
        """Record ``oid`` as the next version of ``name`` unless it equals the latest.

        The object must already be in the object store (objects before catalog rows, so a
        crash never leaves a row pointing at nothing). Returns ``(version, created)``.
        """
        refs.check_name(name)
        tags = check_tags(tags)
        now = time.time()
        with self.catalog.write() as conn:
            # Checked under the write lock, which gc holds while it deletes: once this
            # passes, no object of this version can vanish before the row is committed.
            for needed in maintenance.version_oids(
                self.objects, oid, media_type, metadata or {}, strict=True
            ):
                if not self.objects.exists(needed):
                    raise NotFoundError(f"object {needed[:12]} is not in the store")
            latest = conn.execute(
                "SELECT v.id, v.oid FROM aliases a JOIN versions v ON v.id = a.version_id "
                "WHERE a.name = ? AND a.alias = 'latest'", (name,),
            ).fetchone()
            if latest and latest[1] == oid:
                version_id, created = latest[0], False
            else:
                version_id, created = uuid.uuid4().hex, True
                number = conn.execute(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE name = ?", (name,)
                ).fetchone()[0]
                conn.execute(
                    "INSERT INTO artifacts (name, kind, created_at, updated_at) VALUES (?,?,?,?) "
                    "ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at, "
                    "kind = excluded.kind", (name, kind, now, now),
                )
                conn.execute(
                    "INSERT INTO versions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (version_id, name, number, oid, kind, media_type, codec, size,
                     _json(summary or {}), _json(metadata or {}), now, run_id),
                )
                conn.execute("INSERT OR REPLACE INTO aliases VALUES (?, 'latest', ?)",
                             (name, version_id))
            conn.executemany("INSERT OR IGNORE INTO version_tags VALUES (?,?)",
                             [(version_id, t) for t in tags])
            if run_id:
                self._record_event(conn, run_id, version_id, "output")
        return self.get_version(version_id), created

    def set_version_object(self, version_id: str, key: str, oid: str, size: int) -> None:
        """Attach a secondary object made after the version was recorded (a figure's SVG).

        The object must be in the object store already, as for :meth:`add_version`.
        """
        if not self.objects.exists(oid):
            raise NotFoundError(f"object {oid[:12]} is not in the store")
        with self.catalog.write() as conn:
            row = conn.execute("SELECT metadata, summary FROM versions WHERE id = ?",
                               (version_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no artifact version {version_id!r}")
            metadata, summary = json.loads(row[0] or "{}"), json.loads(row[1] or "{}")
            metadata.setdefault("objects", {})[key] = oid
            summary[f"{key}_size"] = size
            conn.execute("UPDATE versions SET metadata = ?, summary = ? WHERE id = ?",
                         (_json(metadata), _json(summary), version_id))

    def record_event(self, run_id: str, version_ref: str, event_type: str) -> None:
        """Link a run to a version as ``input`` or ``output``."""
        version_id = self.resolve(version_ref).id
        with self.catalog.write() as conn:
            self._record_event(conn, run_id, version_id, event_type)

    @staticmethod
    def _record_event(conn: Any, run_id: str, version_id: str, event_type: str) -> None:
        conn.execute("INSERT OR IGNORE INTO events VALUES (?,?,?,?)",
                     (run_id, version_id, event_type, time.time()))

    def get_version(self, version_id: str) -> ArtifactVersion:
        row = self.catalog.query_one("SELECT * FROM versions WHERE id = ?", (version_id,))
        if row is None:
            raise NotFoundError(f"no artifact version {version_id!r}")
        return self._hydrate_version(ArtifactVersion.from_row(row))

    def _hydrate_version(self, version: ArtifactVersion) -> ArtifactVersion:
        version.aliases = [r[0] for r in self.catalog.query(
            "SELECT alias FROM aliases WHERE version_id = ? ORDER BY alias", (version.id,))]
        version.tags = [r[0] for r in self.catalog.query(
            "SELECT tag FROM version_tags WHERE version_id = ? ORDER BY tag", (version.id,))]
        return version

    def resolve(self, ref: str) -> ArtifactVersion:
        """Resolve ``name``, ``name:vN``, ``name:<alias>`` or a unique version-id prefix."""
        return self.get_version(refs.resolve_version_id(self.catalog, ref))

    def versions(self, name: str) -> list[ArtifactVersion]:
        rows = self.catalog.query("SELECT * FROM versions WHERE name = ? ORDER BY version", (name,))
        if not rows:
            raise NotFoundError(f"no artifact named {name!r}")
        return [self._hydrate_version(ArtifactVersion.from_row(r)) for r in rows]

    def list_artifacts(self, kind: str | None = None, search: str | None = None) -> list[dict[str, Any]]:
        """One row per artifact name: kind, latest version number, count, aliases."""
        where, params = [], []
        if kind:
            where.append("a.kind = ?")
            params.append(kind)
        if search:
            where.append("a.name LIKE ? ESCAPE '\\'")  # "train_set" is not a pattern
            params.append(f"%{_runs.escape_like(search)}%")
        sql = (
            "SELECT a.name, a.kind, a.created_at, a.updated_at, COUNT(v.id) AS versions, "
            "MAX(v.version) AS latest, (SELECT group_concat(alias, ',') FROM aliases x "
            "WHERE x.name = a.name) AS aliases FROM artifacts a JOIN versions v ON v.name = a.name "
            f"{'WHERE ' + ' AND '.join(where) if where else ''} "
            "GROUP BY a.name ORDER BY a.updated_at DESC"
        )
        return [
            {"name": r["name"], "kind": r["kind"], "latest": r["latest"], "versions": r["versions"],
             "aliases": sorted((r["aliases"] or "").split(",")) if r["aliases"] else [],
             "created_at": r["created_at"], "updated_at": r["updated_at"]}
            for r in self.catalog.query(sql, params)
        ]

    def set_alias(self, ref: str, alias: str) -> ArtifactVersion:
        """Point ``name:<alias>`` at the version ``ref`` names (moving it if it existed)."""
        _check_user_alias(alias)
        version = self.resolve(ref)
        with self.catalog.write() as conn:
            conn.execute("INSERT OR REPLACE INTO aliases VALUES (?,?,?)",
                         (version.name, alias, version.id))
        return self.get_version(version.id)

    def remove_alias(self, ref: str) -> ArtifactVersion:
        """Remove the alias ``name:<alias>``; returns the version it pointed at."""
        name, sep, alias = ref.rpartition(":")
        if not sep or not name:
            raise InvalidReferenceError(f"{ref!r} is not NAME:ALIAS")
        _check_user_alias(alias)
        with self.catalog.write() as conn:
            row = conn.execute("DELETE FROM aliases WHERE name = ? AND alias = ? "
                               "RETURNING version_id", (name, alias)).fetchone()
        if row is None:
            raise NotFoundError(f"no alias {ref!r}")
        return self.get_version(row[0])

    def add_version_tags(self, ref: str, tags: Iterable[str]) -> ArtifactVersion:
        version = self.resolve(ref)
        tags = check_tags(tags)
        with self.catalog.write() as conn:
            conn.executemany("INSERT OR IGNORE INTO version_tags VALUES (?,?)",
                             [(version.id, t) for t in tags])
        return self.get_version(version.id)

    # -- content fingerprints: skip re-encoding content already stored -------------
    def lookup_fingerprint(self, codec: str, fingerprint: str) -> str | None:
        oid = self.catalog.scalar(
            "SELECT oid FROM fingerprints WHERE codec = ? AND fingerprint = ?", (codec, fingerprint))
        # Touched, not just tested: gc spares an object used since it started looking.
        return oid if oid and self.objects.touch(oid) else None

    def remember_fingerprint(self, codec: str, fingerprint: str, oid: str) -> None:
        with self.catalog.write() as conn:
            conn.execute("INSERT OR REPLACE INTO fingerprints VALUES (?,?,?)",
                         (codec, fingerprint, oid))

    def find_versions_by_oid(self, oid: str) -> list[ArtifactVersion]:
        rows = self.catalog.query("SELECT * FROM versions WHERE oid = ? ORDER BY created_at DESC",
                                  (oid,))
        return [ArtifactVersion.from_row(r) for r in rows]

    # -- lineage and maintenance ---------------------------------------------------
    def lineage(self, ref: str, depth: int = 3) -> dict[str, Any]:
        """The graph around a version or run: upstream and downstream, stale marked."""
        return _lineage.lineage(self, ref, depth)

    def is_stale(self, ref: str) -> bool:
        return _lineage.is_stale(self, self.resolve(ref).id)

    def gc(self, dry_run: bool = False) -> maintenance.GcReport:
        """Delete objects no version references and abandoned temp files."""
        return maintenance.gc(self, dry_run=dry_run)

    def verify(self, deep: bool | None = None) -> maintenance.VerifyReport:
        """Check every object and the catalog's references (see :func:`.maintenance.verify`:
        ``deep`` re-hashes objects, the default on a local folder)."""
        return maintenance.verify(self, deep=deep)

    # -- sync with a team store (store/sync.py) --------------------------------------
    def push(self, remote: str | None = None, *, everything: bool = False) -> Any:
        """Send the runs and versions the remote lacks; returns a :class:`~.sync.SyncReport`."""
        from .sync import push

        return push(self, remote, everything=everything)

    def pull(self, remote: str | None = None, *, lazy: bool = False,
             everything: bool = False) -> Any:
        """Take what the remote has and this store lacks (``lazy``: objects on first load)."""
        from .sync import pull

        return pull(self, remote, lazy=lazy, everything=everything)


def _check_user_alias(alias: str) -> None:
    """An alias a person may set or remove: well formed, and not the automatic ``latest``."""
    refs.check_alias(alias)
    if alias == "latest":
        raise InvalidReferenceError("'latest' is managed automatically")
