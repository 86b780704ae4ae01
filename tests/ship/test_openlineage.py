"""OpenLineage RunEvents: checked against the event model of the ``openlineage-python`` client,
and posted to a tiny local HTTP endpoint after each run."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import jupyter_artifacts as ja
from jupyter_artifacts import settings
from jupyter_artifacts.cli import main
from jupyter_artifacts.codecs.background import wait_pending
from jupyter_artifacts.ship.openlineage import PRODUCER, run_events, run_events_for
from jupyter_artifacts.store import Store

from .conftest import Trained

ol = pytest.importorskip("openlineage.client.event_v2", reason="openlineage-python is a test extra")
from openlineage.client import facet_v2 as facets  # noqa: E402
from openlineage.client.serde import Serde  # noqa: E402

#: Our facet keys and the client's classes for them (with their nested item classes).
FACETS: dict[str, tuple[Any, dict[str, Any]]] = {
    "schema": (facets.schema_dataset.SchemaDatasetFacet,
               {"fields": facets.schema_dataset.SchemaDatasetFacetFields}),
    "version": (facets.dataset_version_dataset.DatasetVersionDatasetFacet, {}),
    "jobType": (facets.job_type_job.JobTypeJobFacet, {}),
    "sourceCode": (facets.source_code_job.SourceCodeJobFacet, {}),
    "errorMessage": (facets.error_message_run.ErrorMessageRunFacet, {}),
    "executionParameters": (facets.execution_parameters_run.ExecutionParametersRunFacet,
                            {"parameters": facets.execution_parameters_run.ExecutionParameter}),
}


def _facets(raw: dict[str, Any]) -> dict[str, Any]:
    built = {}
    for key, body in raw.items():
        cls, nested = FACETS[key]  # a facet the client does not know fails here
        fields = {k: v for k, v in body.items() if not k.startswith("_")}
        for name, item in nested.items():
            fields[name] = [item(**x) for x in fields.get(name, [])]
        facet = cls(**fields, producer=body["_producer"])  # unknown or missing fields raise
        assert facet._schemaURL == body["_schemaURL"], key  # the same facet version
        built[key] = facet
    return built


def as_client_event(event: dict[str, Any]) -> Any:
    """Our event rebuilt with the client's classes: their validators and fields are the schema."""
    def dataset(cls: Any, raw: dict[str, Any]) -> Any:
        assert set(raw) == {"namespace", "name", "facets"}
        return cls(namespace=raw["namespace"], name=raw["name"], facets=_facets(raw["facets"]))

    assert set(event) == {"eventType", "eventTime", "producer", "schemaURL", "run", "job",
                          "inputs", "outputs"}
    built = ol.RunEvent(
        eventType=ol.RunState(event["eventType"]), eventTime=event["eventTime"],
        producer=event["producer"],
        run=ol.Run(runId=event["run"]["runId"], facets=_facets(event["run"]["facets"])),
        job=ol.Job(namespace=event["job"]["namespace"], name=event["job"]["name"],
                   facets=_facets(event["job"]["facets"])),
        inputs=[dataset(ol.InputDataset, d) for d in event["inputs"]],
        outputs=[dataset(ol.OutputDataset, d) for d in event["outputs"]])
    assert built.schemaURL == event["schemaURL"]
    return built


def _pruned(value: Any) -> Any:
    """Without empty lists and dicts (the client writes its empty defaults: ``"fields": []``)."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v not in ([], {})}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def check(event: dict[str, Any]) -> None:
    """Valid, and what the client itself serialises for the same content."""
    assert _pruned(Serde.to_dict(as_client_event(event))) == _pruned(json.loads(json.dumps(event)))


def test_a_run_is_a_start_and_a_complete_event(trained: Trained) -> None:
    start, complete = run_events(trained.store, trained.run_ref)
    check(start)
    check(complete)
    run = trained.store.get_run(trained.run_ref)
    assert start["eventType"] == "START" and complete["eventType"] == "COMPLETE"
    assert start["run"]["runId"] == complete["run"]["runId"] == str(uuid.UUID(run.id))
    assert [d["name"] for d in start["inputs"]] == ["X_train"] and start["outputs"] == []
    assert sorted(d["name"] for d in complete["outputs"]) == ["importance", "model"]
    x_train = complete["inputs"][0]["facets"]
    assert x_train["version"]["datasetVersion"] == "v1"
    assert [f["name"] for f in x_train["schema"]["fields"]] == ["sepal", "petal", "count"]
    assert complete["run"]["facets"]["executionParameters"]["parameters"] == [
        {"key": "n_estimators", "value": "15"}]


def test_a_failed_run_ends_with_fail_and_its_error(store: Store) -> None:
    with pytest.raises(ZeroDivisionError), ja.run("broken"):
        1 / 0  # noqa: B018
    _, fail = run_events(store, "run-1")
    check(fail)
    assert fail["eventType"] == "FAIL"
    error = fail["run"]["facets"]["errorMessage"]
    assert error["message"] == "ZeroDivisionError: division by zero"
    assert error["programmingLanguage"] == "python"


def test_a_version_ref_gives_the_runs_of_its_lineage(trained: Trained) -> None:
    events = run_events_for(trained.store, "model:v1")
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]


def test_cli_writes_json_lines(trained: Trained, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--store", str(trained.store.root), "lineage", trained.run_ref, "--openlineage"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["eventType"] for line in lines] == ["START", "COMPLETE"]
    for line in lines:
        check(json.loads(line))


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, json.loads(body)))  # type: ignore[attr-defined]
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """An OpenLineage HTTP endpoint on loopback that keeps what it is sent."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server.received  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_emitter(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("OPENLINEAGE_URL", raising=False)
    yield
    ja.configure(openlineage_url=None)
    settings._lineage_url.clear()


def test_the_emitter_posts_each_run_after_it_ends(store: Store, endpoint: Any, no_emitter: None) -> None:
    url, received = endpoint
    ja.configure(openlineage_url=url)
    ja.save([1, 2, 3], "numbers")
    with ja.run("make"):
        ja.load("numbers")
        ja.save({"mean": 2.0}, "stats")
    wait_pending()
    assert [(path, e["eventType"]) for path, e in received] == [("/api/v1/lineage", "START"),
                                                               ("/api/v1/lineage", "COMPLETE")]
    complete = received[1][1]
    assert complete["producer"] == PRODUCER
    assert [d["name"] for d in complete["inputs"]] == ["numbers"]
    assert [d["name"] for d in complete["outputs"]] == ["stats"]
    check(complete)


def test_the_environment_variable_turns_it_on(store: Store, endpoint: Any, no_emitter: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    url, received = endpoint
    monkeypatch.setenv("OPENLINEAGE_URL", url)
    with ja.run("env"):
        pass
    wait_pending()
    assert [e["eventType"] for _, e in received] == ["START", "COMPLETE"]


def test_an_unreachable_endpoint_never_fails_the_run(store: Store, endpoint: Any,
                                                     no_emitter: None) -> None:
    _, received = endpoint
    ja.configure(openlineage_url="http://127.0.0.1:9/")  # the discard port: nothing listens
    with ja.run("offline"):
        ja.log_metric("x", 1.0)
    wait_pending()
    run = store.get_run("run-1")
    assert run.status == "ok" and received == []
    assert any(w.startswith("OpenLineage: events not posted to http://127.0.0.1:9/api/v1/lineage")
               for w in run.warnings)


def test_cli_lineage_without_the_flag_is_readable(trained: Trained,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--store", str(trained.store.root), "lineage", "model"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"X_train:v1 -input-> {trained.run_ref}" in lines
    assert f"{trained.run_ref} -output-> model:v1" in lines
