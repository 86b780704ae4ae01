"""Export to and import from a real MLflow tracking store (SQLite backend), read back with
MLflow's own client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.cli import main
from jupyter_artifacts.ship.mlflow_common import DIGEST_TAG, RUN_ID_TAG
from jupyter_artifacts.ship.mlflow_export import export_runs
from jupyter_artifacts.ship.mlflow_import import import_runs
from jupyter_artifacts.store import Store

from .conftest import Trained

mlflow = pytest.importorskip("mlflow", reason="MLflow is in the test extra only")


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}"


@pytest.fixture
def client(uri: str) -> Any:
    (Path(uri.removeprefix("sqlite:///")).parent).mkdir(exist_ok=True)
    return mlflow.tracking.MlflowClient(tracking_uri=uri)


def _runs(client: Any) -> list[Any]:
    experiment = client.get_experiment_by_name("jupyter-artifacts")
    return list(client.search_runs([experiment.experiment_id])) if experiment else []


def _history(client: Any, run_id: str, key: str) -> list[tuple[int, float]]:
    return sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))


def test_export_writes_params_metrics_tags_and_artifacts(trained: Trained, uri: str, client: Any) -> None:
    report = export_runs(trained.store, uri)
    assert (report.created, report.updated, report.unchanged) == (1, 0, 0)
    [run] = _runs(client)
    ours = trained.store.get_run(trained.run_ref)
    assert run.data.tags[RUN_ID_TAG] == ours.id and run.data.tags["baseline"] == "true"
    assert run.data.tags["mlflow.runName"] == "train" and run.info.status == "FINISHED"
    assert run.data.params == {"n_estimators": "15"}
    assert _history(client, run.info.run_id, "loss") == [(0, 0.9), (1, 0.5), (2, 0.3)]
    assert run.info.start_time == int(ours.started_at * 1000)
    paths = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert paths == {"model", "importance"}
    [model_file] = client.list_artifacts(run.info.run_id, "model")
    assert model_file.path == "model/model.skops" and model_file.file_size > 0


def test_exporting_again_updates_and_never_duplicates(trained: Trained, uri: str, client: Any) -> None:
    export_runs(trained.store, uri)
    again = export_runs(trained.store, uri)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    [run] = _runs(client)
    digest = run.data.tags[DIGEST_TAG]
    # The run changes: a new label and two more loss points.
    ours = trained.store.get_run(trained.run_ref)
    trained.store.add_run_tags(ours.id, ["team=vision"])
    trained.store.log_metrics([(ours.id, "loss", 3, 0.2, ours.started_at + 1),
                               (ours.id, "loss", 4, 0.1, ours.started_at + 2)])
    third = export_runs(trained.store, uri)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 0)
    [run] = _runs(client)
    assert run.data.tags["team"] == "vision" and run.data.tags[DIGEST_TAG] != digest
    assert _history(client, run.info.run_id, "loss") == [(0, 0.9), (1, 0.5), (2, 0.3), (3, 0.2), (4, 0.1)]
    assert {a.path for a in client.list_artifacts(run.info.run_id)} == {"model", "importance"}


def test_filter_limits_what_is_exported(trained: Trained, uri: str, client: Any) -> None:
    with ja.run("other", params={"n_estimators": 3}):
        ja.log_metric("accuracy", 0.5)
    report = export_runs(trained.store, uri, "params.n_estimators = 3")
    assert report.created == 1
    assert [r.data.tags["mlflow.runName"] for r in _runs(client)] == ["other"]


def _mlflow_history(client: Any, tmp_path: Path) -> list[str]:
    """Two runs made with MLflow's own client: params, stepped metrics, tags, an artifact."""
    experiment = client.create_experiment("churn", artifact_location=(tmp_path / "art").as_uri())
    ids = []
    for i, lr in enumerate(["0.1", "0.01"]):
        run = client.create_run(experiment, run_name=f"trial-{i}", tags={"team": "growth"})
        client.log_param(run.info.run_id, "lr", lr)
        for step in range(3):
            client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1 + i), step=step,
                              timestamp=1_700_000_000_000 + step)
        report = tmp_path / f"report-{i}.txt"
        report.write_text(f"trial {i}")
        client.log_artifact(run.info.run_id, str(report))
        client.set_terminated(run.info.run_id, "FINISHED" if i == 0 else "FAILED")
        ids.append(run.info.run_id)
    return ids


def test_import_brings_an_mlflow_history_in(store: Store, uri: str, client: Any, tmp_path: Path) -> None:
    ids = _mlflow_history(client, tmp_path)
    report = import_runs(store, uri)
    assert (report.created, report.existing) == (2, 0)
    runs = {r.name: r for r in store.search_runs(None, limit=None).runs}
    assert set(runs) == {"trial-0", "trial-1"}
    first, second = runs["trial-0"], runs["trial-1"]
    assert first.params == {"lr": "0.1"} and first.status == "ok" and second.status == "failed"
    assert {"team=growth", f"mlflow.run_id={ids[0]}"} <= set(first.tags)
    assert [(s, v) for s, v, _ in store.metric_series(first.id, "loss")] == [(0, 1.0), (1, 0.5), (2, 1 / 3)]
    [(kind, version)] = store.run_events(first.id)
    assert kind == "output" and version.name == "report-0.txt"
    assert store.objects.read_bytes(version.oid) == b"trial 0"


def test_importing_again_duplicates_nothing(store: Store, uri: str, client: Any, tmp_path: Path) -> None:
    ids = _mlflow_history(client, tmp_path)
    import_runs(store, uri)
    client.log_metric(ids[0], "loss", 0.1, step=3)  # the MLflow run went on meanwhile
    report = import_runs(store, uri)
    assert (report.created, report.existing) == (0, 2)
    runs = store.search_runs(None, limit=None).runs
    assert len(runs) == 2
    first = next(r for r in runs if r.name == "trial-0")
    assert [s for s, _, _ in store.metric_series(first.id, "loss")] == [0, 1, 2, 3]
    assert [v.ref for v in store.versions("report-0.txt")] == ["report-0.txt:v1"]


def test_a_round_trip_does_not_bring_our_own_runs_back(trained: Trained, uri: str, client: Any) -> None:
    export_runs(trained.store, uri)
    report = import_runs(trained.store, uri)
    assert (report.created, report.skipped_own) == (0, 1)
    assert trained.store.search_runs(None, limit=None).total == 1


def test_cli_export_and_import(trained: Trained, uri: str, client: Any, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    root = str(trained.store.root)
    assert main(["--store", root, "export", "--to", "mlflow", uri, "--filter", "tags.baseline = 'true'"]) == 0
    assert "1 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert main(["--store", root, "export", "--to", "mlflow", uri]) == 0
    assert "0 created, 0 updated, 1 unchanged" in capsys.readouterr().out
    fresh = str(tmp_path / "fresh")  # import creates the store it is given
    assert main(["--store", fresh, "--json", "import", "--from", "mlflow", uri]) == 0
    assert '"created": 1' in capsys.readouterr().out
    assert Store.open(fresh, create=False).search_runs(None).total == 1


@pytest.mark.parametrize(("argv", "message"), [
    (["export", "model"], "export REF needs -o PATH (or --to mlflow URI)"),
    (["export", "--to", "mlflow", "bogus://nowhere"], "MLflow at bogus://nowhere:"),
])
def test_cli_mistakes_are_one_line(trained: Trained, argv: list[str], message: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--store", str(trained.store.root), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"jupyter-artifacts: {message}") and err.count("\n") == 1


def test_the_sql_look_up_agrees_with_mlflows_search(trained: Trained, uri: str, client: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_artifacts.ship import mlflow_common

    export_runs(trained.store, uri)
    client.create_run(client.get_experiment_by_name("jupyter-artifacts").experiment_id)  # not ours
    exp_id = client.get_experiment_by_name("jupyter-artifacts").experiment_id
    fast = mlflow_common._sql_index(client, exp_id)
    monkeypatch.setattr(mlflow_common, "_sql_index", lambda *_: None)
    searched = mlflow_common.exported_index(client, exp_id)
    [run] = [r for r in _runs(client) if RUN_ID_TAG in r.data.tags]
    assert fast == searched == {run.data.tags[RUN_ID_TAG]: (run.info.run_id, run.data.tags[DIGEST_TAG])}
