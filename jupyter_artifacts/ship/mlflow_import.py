"""``jupyter-artifacts import --from mlflow URI``: an MLflow history into the store, idempotently.

Each imported run is labelled ``mlflow.run_id=<id>`` (:data:`IMPORTED_TAG`): importing again
finds the runs already brought in with one search of the store and only adds what they lack
(new params, tags, metric points, artifacts). Runs that came from this store (exported, with
our run id tag) are skipped. Artifacts become versions: a top-level file or folder of a run's
artifacts is the artifact of that name, so ``model/`` logged by each run is ``model:v1, v2...``.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .mlflow_common import (
    CODE_ARTIFACT,
    FROM_MLFLOW_STATUS,
    IMPORTED_TAG,
    RUN_ID_TAG,
    all_experiments,
    all_runs,
    client,
    mlflow_errors,
    tag_from_mlflow,
)

if TYPE_CHECKING:
    from ..store import Run, Store

_SYSTEM_TAGS = {"mlflow.runName", "mlflow.source.name", "mlflow.source.git.commit", "mlflow.user",
                "mlflow.source.type", "mlflow.log-model.history", "mlflow.note.content"}


@dataclass
class ImportReport:
    """How many MLflow runs were created, found already imported, or skipped as this store's own."""

    tracking_uri: str
    created: int = 0
    existing: int = 0
    skipped_own: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        head = (f"imported from {self.tracking_uri}: {self.created} created, {self.existing} "
                f"already here (brought up to date), {self.skipped_own} skipped (exported from "
                "this store)")
        return "\n".join([head, *(f"note: {n}" for n in self.notes)])


def artifact_name(path: str) -> str:
    """An MLflow artifact path as an artifact name: letters, digits and ``_ . - /`` only."""
    name = re.sub(r"[^A-Za-z0-9_.\-/]", "_", path).strip("/") or "artifact"
    return "/".join(part if part not in ("", ".", "..") else "_" for part in name.split("/"))


def _imported(store: Store) -> tuple[dict[str, Run], set[str]]:
    """Our runs imported before (by MLflow run id), and the ids of all our runs."""
    runs = store.search_runs(None, limit=None).runs
    prefix = f"{IMPORTED_TAG}="
    by_mlflow = {t[len(prefix):]: r for r in runs for t in r.tags if t.startswith(prefix)}
    return by_mlflow, {r.id for r in runs}


def _metrics(mlflow: Any, store: Store, source: Any, run_id: str) -> None:
    rows = []
    for key in source.data.metrics:
        have = {(step, value) for step, value, _ in store.metric_series(run_id, key)}
        for m in mlflow.get_metric_history(source.info.run_id, key):
            if (m.step, float(m.value)) not in have:
                rows.append((run_id, key, int(m.step), float(m.value), m.timestamp / 1000))
    store.log_metrics(rows)


def _artifacts(mlflow: Any, store: Store, source: Any, run_id: str) -> None:
    from ..codecs import save_object

    have = {v.name for t, v in store.run_events(run_id) if t == "output"}
    if store.get_run(run_id).code:
        have.add(CODE_ARTIFACT)
    entries = [e for e in mlflow.list_artifacts(source.info.run_id)
               if artifact_name(e.path) not in have]
    if not entries:
        return
    with tempfile.TemporaryDirectory(prefix="ja-import-") as tmp:
        for entry in entries:
            local = Path(mlflow.download_artifacts(source.info.run_id, entry.path, tmp))
            if entry.path == CODE_ARTIFACT and local.is_file():
                store.update_run(run_id, code=local.read_text(errors="replace"))
                continue
            inside = list(local.iterdir()) if local.is_dir() else []
            # A folder of one file (how export writes a version) is that file's artifact.
            content = inside[0] if len(inside) == 1 and inside[0].is_file() else local
            save_object(store, content, artifact_name(entry.path), run_id=run_id)


def _create(store: Store, source: Any, experiment: Any) -> Run:
    info, tags = source.info, source.data.tags
    context = store.ensure_context(f"mlflow:{experiment.experiment_id}", kind="experiment",
                                   name=experiment.name)
    labels = [f"{IMPORTED_TAG}={info.run_id}",
              *(tag_from_mlflow(k, v) for k, v in tags.items() if k not in _SYSTEM_TAGS)]
    return store.create_run(tags.get("mlflow.runName") or info.run_name or "mlflow-run", tags=labels,
                            params=dict(source.data.params), started_at=info.start_time / 1000,
                            context_id=context, notebook_path=tags.get("mlflow.source.name"),
                            git_commit=tags.get("mlflow.source.git.commit"))


def _finish(store: Store, source: Any, run: Run, notes: list[str]) -> None:
    status = FROM_MLFLOW_STATUS.get(source.info.status)
    if status is None:  # still running (or scheduled) there: nobody here will finish it
        status = "interrupted"
        notes.append(f"{run.ref} was {source.info.status} in MLflow when imported")
    end = source.info.end_time / 1000 if source.info.end_time else None
    store.finish_run(run.id, status, ended_at=end or run.started_at)


def import_runs(store: Store, tracking_uri: str, *,
                experiments: list[str] | None = None) -> ImportReport:
    """Bring the runs of ``experiments`` (default: all) at ``tracking_uri`` into ``store``."""
    mlflow = client(tracking_uri)
    with mlflow_errors(tracking_uri):
        return _import(mlflow, store, tracking_uri, experiments)


def _import(mlflow: Any, store: Store, tracking_uri: str, experiments: list[str] | None) -> ImportReport:
    report = ImportReport(tracking_uri)
    by_mlflow, ours = _imported(store)
    chosen = [e for e in all_experiments(mlflow)
              if experiments is None or e.name in experiments]
    for experiment in chosen:
        runs = sorted(all_runs(mlflow, [experiment.experiment_id]), key=lambda r: r.info.start_time)
        for source in runs:
            if source.data.tags.get(RUN_ID_TAG) in ours:
                report.skipped_own += 1
                continue
            run = by_mlflow.get(source.info.run_id)
            if run is None:
                run = _create(store, source, experiment)
                report.created += 1
            else:
                store.log_params(run.id, dict(source.data.params))
                store.add_run_tags(run.id, [tag_from_mlflow(k, v) for k, v in source.data.tags.items()
                                            if k not in _SYSTEM_TAGS])
                report.existing += 1
            _metrics(mlflow, store, source, run.id)
            _artifacts(mlflow, store, source, run.id)
            _finish(store, source, run, report.notes)
    return report
