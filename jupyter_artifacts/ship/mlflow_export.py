"""``jupyter-artifacts export --to mlflow URI``: runs into an MLflow tracking store, idempotently.

Each exported MLflow run carries our global run id (:data:`RUN_ID_TAG`) and a digest of what
was written (:data:`DIGEST_TAG`). Exporting again reads the experiment's runs in one search,
skips those whose digest is unchanged, and brings the others up to date: missing params,
metric points and artifacts are added, tags and status set; nothing is ever duplicated.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .mlflow_common import (
    CODE_ARTIFACT,
    DEFAULT_EXPERIMENT,
    DIGEST_TAG,
    REF_TAG,
    RUN_ID_TAG,
    TO_MLFLOW_STATUS,
    client,
    experiment_id,
    exported_index,
    mlflow_errors,
    param_text,
    tag_to_mlflow,
)

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Run, Store

# MLflow takes up to 1000 entities per log_batch call, at most 100 of them params and 100 tags.
_METRICS_PER_BATCH = 800
_PARAMS_PER_BATCH = 100
_MAX_PARAM = 6000


@dataclass
class ExportReport:
    """How many runs were created, updated or left as they were, and what could not go."""

    tracking_uri: str
    experiment_id: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        head = (f"exported to {self.tracking_uri} (experiment {self.experiment_id}): "
                f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged")
        return "\n".join([head, *(f"note: {n}" for n in self.notes)])


@dataclass
class _Snapshot:
    """One of our runs as it will look in MLflow, with the digest of that look."""

    run: Run
    outputs: list[ArtifactVersion]
    inputs: list[ArtifactVersion]
    summary: dict[str, dict[str, Any]]
    digest: str = ""


def _snapshot(store: Store, run: Run) -> _Snapshot:
    events = store.run_events(run.id)
    snap = _Snapshot(run, [v for t, v in events if t == "output"],
                     [v for t, v in events if t == "input"], store.metric_summary(run.id))
    body = {"name": run.name, "status": run.status, "started": run.started_at, "ended": run.ended_at,
            "tags": sorted(run.tags), "params": run.params, "code": run.code,
            "notebook": run.notebook_path, "git": run.git_commit,
            "metrics": {k: [s.get("count"), s.get("last"), s.get("last_step")]
                        for k, s in snap.summary.items()},
            "outputs": sorted(v.oid for v in snap.outputs), "inputs": sorted(v.oid for v in snap.inputs)}
    snap.digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return snap


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def _tags(snap: _Snapshot) -> dict[str, str]:
    run = snap.run
    tags = dict(tag_to_mlflow(t) for t in run.tags)
    tags.update({RUN_ID_TAG: run.id, REF_TAG: run.ref, "mlflow.runName": run.name})
    if run.notebook_path:
        tags["mlflow.source.name"] = run.notebook_path
    if run.git_commit:
        tags["mlflow.source.git.commit"] = run.git_commit
    return tags


def _metrics(store: Store, snap: _Snapshot, existing: set[tuple[str, int, int, float]]) -> list[Any]:
    """Metric points MLflow lacks (``existing``: the (key, step, ms, value) it has)."""
    from mlflow.entities import Metric

    points = []
    for key in snap.summary:
        for i, (step, value, t) in enumerate(store.metric_series(snap.run.id, key)):
            point = (key, step if step is not None else i, _ms(t) or 0, float(value))
            if point not in existing:
                points.append(Metric(key, point[3], point[2], point[1]))
    return points


def _params(snap: _Snapshot, existing: dict[str, str], notes: list[str]) -> list[Any]:
    from mlflow.entities import Param

    params = []
    for key, value in snap.run.params.items():
        text = param_text(value)
        if len(text) > _MAX_PARAM:
            notes.append(f"{snap.run.ref}: param {key!r} is longer than MLflow keeps; not exported")
        elif key not in existing:
            params.append(Param(key, text))
        elif existing[key] != text:  # MLflow params cannot change once logged
            notes.append(f"{snap.run.ref}: param {key!r} changed; MLflow keeps the first value")
    return params


def _artifacts(mlflow: Any, store: Store, snap: _Snapshot, run_id: str, present: set[str]) -> None:
    """Upload the run's stored outputs and its code that MLflow does not have yet."""
    from ..codecs import export_version

    with tempfile.TemporaryDirectory(prefix="ja-export-") as tmp:
        if snap.run.code and CODE_ARTIFACT not in present:
            code = Path(tmp) / CODE_ARTIFACT
            code.write_text(snap.run.code)
            mlflow.log_artifact(run_id, str(code))
        for version in snap.outputs:
            folder = version.name.replace("/", "_")
            if folder in present or version.codec == "lineage-only":
                continue
            target = Path(tmp) / folder
            target.mkdir()
            path = export_version(store, version, target)
            mlflow.log_artifacts(run_id, str(target), artifact_path=folder) if path.is_dir() \
                else mlflow.log_artifact(run_id, str(path), artifact_path=folder)


def _write(mlflow: Any, store: Store, snap: _Snapshot, exp_id: str, existing: Any,
           notes: list[str]) -> None:
    from mlflow.entities import RunTag

    if existing is None:
        # Our id from the first write: an export cut short finds this run again, not a new one.
        run_id = mlflow.create_run(exp_id, start_time=_ms(snap.run.started_at), run_name=snap.run.name,
                                   tags={RUN_ID_TAG: snap.run.id}).info.run_id
        have_params: dict[str, str] = {}
        have_points: set[tuple[str, int, int, float]] = set()
        present: set[str] = set()
    else:
        run_id = existing.info.run_id
        have_params = dict(existing.data.params)
        have_points = {(m.key, m.step, m.timestamp, float(m.value)) for key in existing.data.metrics
                       for m in mlflow.get_metric_history(run_id, key)}
        present = {Path(f.path).name for f in mlflow.list_artifacts(run_id)}
    _artifacts(mlflow, store, snap, run_id, present)
    status = TO_MLFLOW_STATUS.get(snap.run.status, "FINISHED")
    if status == "RUNNING":
        mlflow.update_run(run_id, status=status)
    else:
        mlflow.set_terminated(run_id, status=status, end_time=_ms(snap.run.ended_at))
    tags = [RunTag(k, v[:8000]) for k, v in _tags(snap).items()]
    # The digest goes in the last batch: an export cut short is redone, never taken as done.
    for batch in _batches(_params(snap, have_params, notes), _metrics(store, snap, have_points),
                          tags, RunTag(DIGEST_TAG, snap.digest)):
        mlflow.log_batch(run_id, **batch)


def _batches(params: list[Any], metrics: list[Any], tags: list[Any], last: Any) -> list[dict[str, Any]]:
    """Params, metrics and tags in as few ``log_batch`` calls as MLflow's limits allow
    (100 params, 100 tags, 1000 entities a call); ``last`` ends the final batch."""
    def chunks(items: list[Any], size: int) -> list[list[Any]]:
        return [items[i:i + size] for i in range(0, len(items), size)]

    p, m, t = chunks(params, _PARAMS_PER_BATCH), chunks(metrics, _METRICS_PER_BATCH), chunks(tags, 99)
    batches = [{"params": p[i] if i < len(p) else [], "metrics": m[i] if i < len(m) else [],
                "tags": t[i] if i < len(t) else []} for i in range(max(len(p), len(m), len(t), 1))]
    batches[-1]["tags"] = [*batches[-1]["tags"], last]
    return batches


def export_runs(store: Store, tracking_uri: str, filter: str | None = None, *,
                experiment: str = DEFAULT_EXPERIMENT) -> ExportReport:
    """Write the runs matching ``filter`` to the MLflow experiment ``experiment`` at ``tracking_uri``."""
    mlflow = client(tracking_uri)
    with mlflow_errors(tracking_uri):
        return _export(mlflow, store, tracking_uri, filter, experiment)


def _export(mlflow: Any, store: Store, tracking_uri: str, filter: str | None,
            experiment: str) -> ExportReport:
    exp_id = experiment_id(mlflow, experiment)
    report = ExportReport(tracking_uri, exp_id)
    exported = exported_index(mlflow, exp_id)  # one look-up for all the runs
    for run in store.search_runs(filter, limit=None, order_by="started_at", descending=False).runs:
        snap = _snapshot(store, run)
        mlflow_id, digest = exported.get(run.id, (None, None))
        if mlflow_id is not None and digest == snap.digest:
            report.unchanged += 1
            continue
        existing = mlflow.get_run(mlflow_id) if mlflow_id is not None else None
        _write(mlflow, store, snap, exp_id, existing, report.notes)
        if existing is None:
            report.created += 1
        else:
            report.updated += 1
    return report
