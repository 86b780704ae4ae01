"""What export to and import from MLflow share: the client, names of our tags, mappings."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from . import ShipError

#: The MLflow tag holding our global run id: the one key that makes re-export an update.
RUN_ID_TAG = "jupyter_artifacts.run_id"
#: A digest of what was exported; a run whose digest is unchanged is not written again.
DIGEST_TAG = "jupyter_artifacts.digest"
REF_TAG = "jupyter_artifacts.run_ref"
#: Our tag on a run imported from MLflow, ``mlflow.run_id=<id>``: what makes import idempotent.
IMPORTED_TAG = "mlflow.run_id"
DEFAULT_EXPERIMENT = "jupyter-artifacts"
#: The run's cell code, as an MLflow artifact.
CODE_ARTIFACT = "cell.py"

#: Our statuses as MLflow's and back (``dead``: a run whose writer vanished).
TO_MLFLOW_STATUS = {"ok": "FINISHED", "failed": "FAILED", "interrupted": "KILLED",
                    "dead": "KILLED", "running": "RUNNING"}
FROM_MLFLOW_STATUS = {"FINISHED": "ok", "FAILED": "failed", "KILLED": "interrupted"}


def client(tracking_uri: str) -> Any:
    """An ``MlflowClient`` for ``tracking_uri``; one clear line when mlflow is missing."""
    # A progress bar per downloaded file is noise on a command's stderr.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ShipError("MLflow interchange needs mlflow: pip install mlflow") from None
    with mlflow_errors(tracking_uri):
        return MlflowClient(tracking_uri=tracking_uri)


@contextlib.contextmanager
def mlflow_errors(tracking_uri: str) -> Iterator[None]:
    """MLflow's refusals (a bad URI, a store it cannot open) as one line naming the store."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        first = str(exc.message if hasattr(exc, "message") else exc).strip().splitlines()
        raise ShipError(f"MLflow at {tracking_uri}: {first[0] if first else type(exc).__name__}") from None


def all_experiments(mlflow: Any) -> Iterator[Any]:
    """Every active experiment, page by page."""
    token = None
    while True:
        page = mlflow.search_experiments(max_results=1000, page_token=token)
        yield from page
        token = page.token
        if not token:
            return


def artifact_root(tracking_uri: str) -> str | None:
    """Beside a SQLite tracking database, artifacts go to ``mlartifacts/`` next to it (MLflow's
    own default is relative to whatever folder the exporter runs in)."""
    parsed = urlparse(tracking_uri)
    if parsed.scheme != "sqlite" or not parsed.path or parsed.path in ("/", "/:memory:"):
        return None
    # sqlite:///rel/path.db has path "/rel/path.db"; sqlite:////abs/path.db has "//abs/path.db"
    path = Path(parsed.path[1:])
    return (path.resolve().parent / "mlartifacts").as_uri()


def experiment_id(mlflow: Any, name: str) -> str:
    """The id of the experiment ``name``, created when missing."""
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    return str(mlflow.create_experiment(name, artifact_location=artifact_root(mlflow.tracking_uri)))


def all_runs(mlflow: Any, experiment_ids: list[str], filter_string: str = "") -> Iterator[Any]:
    """Every run of the experiments, one search read page by page."""
    token = None
    while True:
        page = mlflow.search_runs(experiment_ids, filter_string, max_results=50_000, page_token=token)
        yield from page
        token = page.token
        if not token:
            return


def exported_index(mlflow: Any, exp_id: str) -> dict[str, tuple[str, str | None]]:
    """Our run id -> (MLflow run id, digest) for the experiment's runs that carry our id.

    On a SQL tracking store, one query of MLflow's own tag table reads just those two tags
    (the public search builds every run's params, metrics and tags: seconds for 10,000 runs);
    anywhere else, and should MLflow's insides change, the public search answers.
    """
    index = _sql_index(mlflow, exp_id)
    if index is None:
        index = {r.data.tags[RUN_ID_TAG]: (r.info.run_id, r.data.tags.get(DIGEST_TAG))
                 for r in all_runs(mlflow, [exp_id]) if RUN_ID_TAG in r.data.tags}
    return index


def _sql_index(mlflow: Any, exp_id: str) -> dict[str, tuple[str, str | None]] | None:
    try:
        from mlflow.store.tracking.dbmodels.models import SqlRun, SqlTag
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        store = mlflow._tracking_client.store
        if not isinstance(store, SqlAlchemyStore):
            return None
        with store.ManagedSessionMaker() as session:
            rows = (session.query(SqlTag.run_uuid, SqlTag.key, SqlTag.value)
                    .join(SqlRun, SqlRun.run_uuid == SqlTag.run_uuid)
                    .filter(SqlRun.experiment_id == int(exp_id), SqlRun.lifecycle_stage == "active",
                            SqlTag.key.in_([RUN_ID_TAG, DIGEST_TAG]))
                    .all())
    except Exception:  # MLflow's insides moved: the public search still works
        return None
    tags: dict[str, dict[str, str]] = {}
    for run_uuid, key, value in rows:
        tags.setdefault(run_uuid, {})[key] = value
    return {t[RUN_ID_TAG]: (run_uuid, t.get(DIGEST_TAG)) for run_uuid, t in tags.items() if RUN_ID_TAG in t}


def tag_to_mlflow(tag: str) -> tuple[str, str]:
    """Our label ``team=vision`` is MLflow's ``team: vision``; ``baseline`` is ``baseline: true``."""
    key, sep, value = tag.partition("=")
    return (key, value) if sep and key else (tag, "true")


def tag_from_mlflow(key: str, value: str) -> str:
    return key if value == "true" else f"{key}={value}"


def param_text(value: Any) -> str:
    """A param value as MLflow keeps it: a string, JSON for anything else."""
    import json

    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
