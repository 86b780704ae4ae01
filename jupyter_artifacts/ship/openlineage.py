"""OpenLineage RunEvents for runs: ``lineage REF --openlineage`` and an optional HTTP emitter.

A run is a job run: START at its start with its input datasets, then COMPLETE (or FAIL, or
ABORT when interrupted) at its end with inputs and outputs. Artifact versions are datasets
named by artifact in a namespace (``jupyter-artifacts`` by default), with their version and
their column schema as facets. Events are plain dicts in the OpenLineage 2-0-2 shape that the
``openlineage-python`` client writes; nothing here needs that package.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from typing import TYPE_CHECKING, Any

from .. import __version__

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Run, Store

PRODUCER = f"https://pypi.org/project/jupyter-artifacts/{__version__}/"
SPEC = "https://openlineage.io/spec"
EVENT_SCHEMA = f"{SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent"
NAMESPACE_ENV = "OPENLINEAGE_NAMESPACE"
DEFAULT_NAMESPACE = "jupyter-artifacts"
_FACETS = {
    "schema": "facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
    "version": "facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
    "sourceCode": "facets/1-0-1/SourceCodeJobFacet.json#/$defs/SourceCodeJobFacet",
    "jobType": "facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
    "errorMessage": "facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
    "executionParameters":
        "facets/1-0-0/ExecutionParametersRunFacet.json#/$defs/ExecutionParametersRunFacet",
}
_END_EVENT = {"ok": "COMPLETE", "failed": "FAIL", "dead": "FAIL", "interrupted": "ABORT"}


def _facet(kind: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": f"{SPEC}/{_FACETS[kind]}", **fields}


def _time(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")


def run_uuid(run_id: str) -> str:
    """Our global run id as the UUID OpenLineage requires (the same run, the same UUID)."""
    try:
        return str(uuid.UUID(hex=run_id))
    except ValueError:  # not a uuid4 hex: a stable UUID derived from it
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"jupyter-artifacts:run:{run_id}"))


def _dataset(version: ArtifactVersion, namespace: str) -> dict[str, Any]:
    facets: dict[str, Any] = {"version": _facet("version", datasetVersion=f"v{version.version}")}
    dtypes = version.summary.get("dtypes")
    if isinstance(dtypes, dict) and dtypes:
        # The catalog keeps the summary's keys sorted: "columns" has the frame's order.
        columns = version.summary.get("columns")
        order = [c for c in columns if c in dtypes] if isinstance(columns, list) else list(dtypes)
        fields = [{"name": str(c), "type": str(dtypes[c])} for c in order]
        facets["schema"] = _facet("schema", fields=fields)
    return {"namespace": namespace, "name": version.name, "facets": facets}


def _job(run: Run, namespace: str) -> dict[str, Any]:
    facets: dict[str, Any] = {"jobType": _facet("jobType", processingType="BATCH",
                                                integration="JUPYTER_ARTIFACTS",
                                                jobType="NOTEBOOK_CELL" if run.cell_id else "SCRIPT")}
    if run.code:
        facets["sourceCode"] = _facet("sourceCode", language="python", sourceCode=run.code)
    notebook = os.path.splitext(os.path.basename(run.notebook_path))[0] if run.notebook_path else None
    return {"namespace": namespace, "name": f"{notebook}.{run.name}" if notebook else run.name,
            "facets": facets}


def _run_facets(run: Run, end: bool) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if run.params:
        facets["executionParameters"] = _facet("executionParameters", parameters=[
            {"key": str(k), "value": v if isinstance(v, str) else json.dumps(v, default=str)}
            for k, v in run.params.items()])
    if end and run.status != "ok" and run.error:
        facets["errorMessage"] = _facet("errorMessage", message=run.error.strip().splitlines()[-1],
                                        programmingLanguage="python", stackTrace=run.error)
    return facets


def _event(kind: str, when: float, run: Run, namespace: str, inputs: list[ArtifactVersion],
           outputs: list[ArtifactVersion]) -> dict[str, Any]:
    return {"eventType": kind, "eventTime": _time(when), "producer": PRODUCER,
            "schemaURL": EVENT_SCHEMA,
            "run": {"runId": run_uuid(run.id), "facets": _run_facets(run, kind != "START")},
            "job": _job(run, namespace),
            "inputs": [_dataset(v, namespace) for v in inputs],
            "outputs": [_dataset(v, namespace) for v in outputs]}


def run_events(store: Store, run_ref: str, namespace: str | None = None) -> list[dict[str, Any]]:
    """START, then COMPLETE/FAIL/ABORT unless the run is still going, for one run."""
    namespace = namespace or os.environ.get(NAMESPACE_ENV) or DEFAULT_NAMESPACE
    run = store.get_run(run_ref)
    events = store.run_events(run.id)
    inputs = [v for t, v in events if t == "input"]
    outputs = [v for t, v in events if t == "output"]
    out = [_event("START", run.started_at, run, namespace, inputs, [])]
    if run.status in _END_EVENT:
        out.append(_event(_END_EVENT[run.status], run.ended_at or run.started_at, run, namespace,
                          inputs, outputs))
    return out


def run_events_for(store: Store, ref: str, namespace: str | None = None) -> list[dict[str, Any]]:
    """Events for a run ref, or for the runs that made and used a version ref (its lineage)."""
    from ..errors import NotFoundError

    try:
        version = store.resolve(ref)
    except NotFoundError:
        return run_events(store, ref, namespace)
    graph = store.lineage(version.ref)
    runs = [n for n in graph["nodes"] if n["type"] == "run"]
    runs.sort(key=lambda n: n.get("started_at") or 0)
    return [e for n in runs for e in run_events(store, n["ref"], namespace)]
