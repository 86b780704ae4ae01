"""Local-first sync between stores: machines push to and pull from one team store.

A team store here is a store folder; the same tests run against PostgreSQL + S3 through
the seams once those land (tests/services/).
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import numpy as np
import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.errors import NotFoundError, RemoteError
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.remotes import add_remote, list_remotes

from .sync_helpers import ids, make_model_versions, team_store


@pytest.fixture
def team(tmp_path: Path) -> Path:
    return team_store(tmp_path / "team")


def machine(tmp_path: Path, name: str, team: Path | None = None) -> Store:
    store = Store.open(tmp_path / name / ".artifacts")
    if team is not None:
        add_remote(store.root, "team", str(team))
    return store


def test_two_machines_offline_histories_both_kept_without_duplicates(tmp_path: Path,
                                                                       team: Path) -> None:
    a, b = machine(tmp_path, "a", team), machine(tmp_path, "b", team)
    made_a = make_model_versions(a, "model", 3, "a")
    made_b = make_model_versions(b, "model", 3, "b")
    first = a.push("team")
    second = b.push("team")
    assert [v["ref"] for v in first.versions] == ["model:v1", "model:v2", "model:v3"]
    # The team store numbers b's versions after a's, in the order they were made.
    assert [(v["source_ref"], v["ref"]) for v in second.versions] == [
        ("model:v1", "model:v4"), ("model:v2", "model:v5"), ("model:v3", "model:v6")]
    shared = Store.open(team, create=False)
    assert [v.id for v in shared.versions("model")] == [*made_a, *made_b]
    assert shared.resolve("model").id == made_b[-1]  # latest: the newest made
    for store in (a, b):
        store.pull("team")
    for store in (a, b, shared):
        assert ids(store) == ids(shared)
        assert [v.version for v in store.versions("model")] == [1, 2, 3, 4, 5, 6]
        for version_id in (*made_a, *made_b):  # reachable by global id everywhere
            assert store.resolve(version_id).id == version_id
        assert len(store.query_runs(limit=None).runs) == 6
    # b sees a's versions after its own; all agree on the newest (b's last).
    assert [v.id for v in b.versions("model")] == [*made_b, *made_a]
    assert {s.resolve("model").id for s in (a, b, shared)} == {made_b[-1]}
    assert shared.verify().ok and a.verify().ok and b.verify().ok


def test_rerunning_a_push_or_pull_moves_nothing(tmp_path: Path, team: Path) -> None:
    a, b = machine(tmp_path, "a", team), machine(tmp_path, "b", team)
    make_model_versions(a, "model", 2, "a")
    a.push("team")
    b.pull("team")
    for report in (a.push("team"), a.pull("team"), b.pull("team"), b.push("team")):
        assert report.moved_nothing and report.object_bytes == 0, report.summary()


def test_everything_a_run_holds_travels(tmp_path: Path, team: Path) -> None:
    a = machine(tmp_path, "a", team)
    ja.open_store(a.root)
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "x.txt").write_text("x" * 1000)
    (folder / "y.txt").write_text("y" * 2000)
    context = a.ensure_context("ctx-1", name="session")
    env = a.put_environment("3.11", "linux", {"numpy": "2.0"})
    with ja.run("train", tags=["baseline"]) as run:
        ja.log_params({"lr": 0.1})
        for step in range(50):
            ja.log_metric("loss", 1 / (step + 1), step=step)
        ja.log_metric("weird", float("nan"))
        arr = ja.save(np.arange(1000), "weights", tags=["fp32"])
        tree = ja.save(folder, "data")
    a.update_run(run.id, environment_id=env)
    with a.catalog.write() as conn:
        conn.execute("UPDATE runs SET context_id = ? WHERE id = ?", (context, run.id))
    # A figure's SVG: a secondary object attached after its version was recorded.
    png, size, _ = a.objects.put_bytes(b"png bytes")
    figure, _ = a.add_version("fig", oid=png, kind="figure", media_type="image/png", codec="figure",
                              size=size, run_id=run.id)
    svg, svg_size, _ = a.objects.put_bytes(b"<svg/>")
    a.set_version_object(figure.id, "svg", svg, svg_size)
    with ja.run("evaluate") as later:
        ja.load("weights")
    a.add_run_tags(later.id, ["checked"])
    report = a.push("team")
    assert report.objects == 6  # weights, tree manifest + 2 files, png, svg
    shared = Store.open(team, create=False)
    got = shared.get_run(run.id)
    assert got.params == {"lr": 0.1} and got.tags == ["baseline"]
    assert [r.id for r in shared.search_runs("params.lr > 0.05").runs] == [run.id]  # typed value
    assert got.environment_id == env and got.context_id == "ctx-1"
    assert shared.environment(env)["packages"] == {"numpy": "2.0"}
    assert shared.metric_series(run.id, "loss") == a.metric_series(run.id, "loss")
    assert repr(shared.metric_summary(run.id)) == repr(a.metric_summary(run.id))  # NaN kept
    assert shared.get_run(later.id).tags == ["checked"]
    assert [(t, v.id) for t, v in shared.run_events(later.id)] == [("input", arr.id)]
    assert {v.id for _, v in shared.run_events(run.id)} == {arr.id, tree.id, figure.id}
    assert shared.resolve("weights").tags == ["fp32"]
    assert shared.objects.read_bytes(shared.resolve("fig").metadata["objects"]["svg"]) == b"<svg/>"
    ja.open_store(shared.root)
    np.testing.assert_array_equal(ja.load("weights"), np.arange(1000))
    assert (ja.load("data") / "y.txt").read_text() == "y" * 2000
    assert shared.verify().ok


def test_unfinished_runs_stay_until_they_end_unless_all(tmp_path: Path, team: Path) -> None:
    a = machine(tmp_path, "a", team)
    done = make_model_versions(a, "model", 1, "a")
    running = a.create_run("long")
    oid, size, _ = a.objects.put_bytes(b"checkpoint")
    checkpoint, _ = a.add_version("ckpt", oid=oid, kind="model", media_type="x/y", codec="bytes",
                                  size=size, run_id=running.id)
    report = a.push("team")
    assert report.unfinished == 1 and [v["id"] for v in report.versions] == done
    assert "1 unfinished runs not sent" in "\n".join(report.summary())
    a.finish_run(running.id)
    report = a.push("team")
    assert [r["id"] for r in report.runs] == [running.id]
    assert [v["id"] for v in report.versions] == [checkpoint.id]
    b = machine(tmp_path, "b")
    b.create_run("still going")
    assert b.push(str(team), everything=True).runs[0]["name"] == "still going"


def test_a_pull_says_who_made_what(tmp_path: Path, team: Path) -> None:
    a, b = machine(tmp_path, "a", team), machine(tmp_path, "b", team)
    make_model_versions(a, "model", 2, "a")
    a.push("team")
    report = b.pull("team")
    me = f"{getpass.getuser()}@"
    assert all(item["by"].startswith(me) for item in (*report.runs, *report.versions))
    text = "\n".join(report.summary())
    assert me in text and "2 runs (run-1, run-2)" in text and "model:v1, model:v2" in text
    assert b.get_run("run-1").made_by.startswith(me)


def test_aliases_follow_a_one_sided_move_and_report_a_conflict(tmp_path: Path, team: Path) -> None:
    a, b = machine(tmp_path, "a", team), machine(tmp_path, "b", team)
    make_model_versions(a, "model", 3, "a")
    a.set_alias("model:v1", "production")
    a.push("team")
    b.pull("team")
    assert b.resolve("model:production").version == 1
    b.set_alias("model:v2", "production")  # moved on b only: a push moves the team's
    assert b.push("team").aliases == ["model:production -> model:v2"]
    assert a.pull("team").aliases == ["model:production -> model:v2"]
    a.set_alias("model:v3", "production")  # now both move it
    b.set_alias("model:v1", "production")
    assert a.push("team").aliases
    report = b.push("team")
    assert report.conflicts == [
        "model:production is model:v3 on 'team' but model:v1 here: 'team' keeps model:v3 "
        "(pull takes it)"]
    shared = Store.open(team, create=False)
    assert shared.resolve("model:production").version == 3
    report = b.pull("team")  # the team's wins
    assert report.conflicts and b.resolve("model:production").version == 3
    assert b.push("team").moved_nothing and b.pull("team").moved_nothing


def test_lazy_pull_fetches_objects_on_first_load_then_works_offline(tmp_path: Path,
                                                                     team: Path) -> None:
    a, b = machine(tmp_path, "a", team), machine(tmp_path, "b", team)
    ja.open_store(a.root)
    first = ja.save(np.arange(10_000), "weights")
    ja.save(np.arange(5), "weights")
    a.push("team")
    report = b.pull("team", lazy=True)
    assert report.lazy and report.object_bytes == 0 and len(report.versions) == 2
    assert not b.objects.exists(first.oid)
    assert list_remotes(b.root)[0].lazy
    checked = b.verify()  # not damage: the objects are on the remote
    assert checked.ok and len(checked.unfetched) == 2
    ja.open_store(b.root)  # a new Store: the lazy remote comes from remotes.json
    np.testing.assert_array_equal(ja.load("weights:v1"), np.arange(10_000))
    assert b.objects.exists(first.oid)  # kept
    team.rename(team.with_name("gone"))  # offline
    np.testing.assert_array_equal(Store.open(b.root).objects.read_bytes(first.oid),
                                  a.objects.read_bytes(first.oid))
    ja.open_store(b.root)
    with pytest.raises(RemoteError, match=r"pulled lazily.*'team' cannot be reached"):
        ja.load("weights:v2")


def test_an_unreachable_remote_is_one_clear_error_and_leaves_the_store_untouched(
        tmp_path: Path) -> None:
    a = machine(tmp_path, "a")
    add_remote(a.root, "team", str(tmp_path / "nowhere" / ".artifacts"))
    make_model_versions(a, "model", 1, "a")
    before = (a.change_token(), (a.root / "remotes.json").read_bytes())
    for sync in (a.push, a.pull):
        with pytest.raises(RemoteError, match="remote 'team' cannot be reached: no store at"):
            sync("team")
    assert (a.change_token(), (a.root / "remotes.json").read_bytes()) == before
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("url", ["postgresql://ann:s3cret@db/team", "host=db password=x",
                                 "s3://key:secret@bucket/x", "postgresql://db/team?password=x"])
def test_a_url_holding_a_password_is_refused(tmp_path: Path, url: str) -> None:
    a = machine(tmp_path, "a")
    with pytest.raises(RemoteError, match="password"):
        add_remote(a.root, "team", url, "s3://bucket/x" if "s3" not in url else url)
    assert not (a.root / "remotes.json").exists()


def test_remotes_file_keeps_no_secret_and_names_are_checked(tmp_path: Path, team: Path) -> None:
    a = machine(tmp_path, "a", team)
    with pytest.raises(RemoteError, match="exists already"):
        add_remote(a.root, "team", str(team))
    with pytest.raises(RemoteError, match="invalid remote name"):
        add_remote(a.root, "a b", str(team))
    with pytest.raises(RemoteError, match="objects in"):
        add_remote(a.root, "other", str(team), str(tmp_path))
    data = json.loads((a.root / "remotes.json").read_text())
    assert data["remotes"]["team"]["objects"] == str(team.resolve() / "objects")
    with pytest.raises(NotFoundError):
        a.resolve("model")  # nothing was pulled by configuring


def test_an_svg_attached_after_its_version_was_pushed_follows(tmp_path: Path, team: Path) -> None:
    a, b = machine(tmp_path, "a", team), machine(tmp_path, "b", team)
    [version_id] = make_model_versions(a, "fig", 1, "a")
    a.push("team")
    b.pull("team")
    svg, size, _ = a.objects.put_bytes(b"<svg>late</svg>")
    a.set_version_object(version_id, "svg", svg, size)  # the background SVG job ends late
    report = a.push("team")
    assert report.objects == 1 and report.object_bytes == size
    shared = Store.open(team, create=False)
    for store in (shared, b):
        if store is b:
            b.pull("team")
        got = store.get_version(version_id)
        assert got.metadata["objects"] == {"svg": svg} and got.summary["svg_size"] == size
        assert store.objects.read_bytes(svg) == b"<svg>late</svg>"
    assert a.push("team").moved_nothing and b.pull("team").moved_nothing


def test_a_run_sent_while_running_is_updated_once_it_ends(tmp_path: Path, team: Path) -> None:
    a, b = machine(tmp_path, "a", team), machine(tmp_path, "b", team)
    run = a.create_run("long", params={"epochs": 1})
    a.log_metrics([(run.id, "loss", 0, 1.0, 1.0)])
    assert [r["id"] for r in a.push("team", everything=True).runs] == [run.id]
    b.pull("team", everything=True)
    a.log_metrics([(run.id, "loss", 1, 0.5, 2.0)])
    a.log_params(run.id, {"epochs": 2})
    a.finish_run(run.id, "ok")
    assert a.push("team").finished == 1
    assert b.pull("team").finished == 1
    for store in (Store.open(team, create=False), b):
        got = store.get_run(run.id)
        assert got.status == "ok" and got.params == {"epochs": 2}
        assert [p[1] for p in store.metric_series(run.id, "loss")] == [1.0, 0.5]
    assert a.push("team").moved_nothing and b.pull("team").moved_nothing


def test_a_lazily_pulled_folder_fetches_its_manifest_and_files(tmp_path: Path, team: Path) -> None:
    a, b = machine(tmp_path, "a", team), machine(tmp_path, "b", team)
    folder = tmp_path / "data"
    folder.mkdir()
    for i in range(3):
        (folder / f"part-{i}.txt").write_text(str(i) * 500)
    ja.open_store(a.root)
    ja.save(folder, "data")
    a.push("team")
    b.pull("team", lazy=True)
    ja.open_store(b.root)
    loaded = ja.load("data")
    assert sorted(p.read_text()[0] for p in loaded.iterdir()) == ["0", "1", "2"]
    assert b.verify().ok and not b.verify().unfetched  # all of it is here now


def test_the_same_content_pushed_from_two_machines_is_stored_once(tmp_path: Path,
                                                                   team: Path) -> None:
    a, b = machine(tmp_path, "a", team), machine(tmp_path, "b", team)
    payload = np.random.default_rng(0).bytes(3_000_000)
    for store in (a, b):
        oid, size, _ = store.objects.put_bytes(payload)
        store.add_version("blob", oid=oid, kind="file", media_type="application/octet-stream",
                          codec="bytes", size=size)
    assert a.push("team").object_bytes == len(payload)
    second = b.push("team")
    assert len(second.versions) == 1 and second.object_bytes == 0  # two versions, one object
    shared = Store.open(team, create=False)
    assert [v.oid for v in shared.versions("blob")] == [oid, oid]
    assert list(shared.objects.iter_oids()) == [oid]


def test_a_server_remote_that_cannot_be_used_is_one_line(tmp_path: Path) -> None:
    a = machine(tmp_path, "a")
    add_remote(a.root, "team", "postgresql://127.0.0.1:9/nothing", "s3://no-bucket/team")
    make_model_versions(a, "model", 1, "a")
    before = a.change_token()
    for sync in (a.push, a.pull):
        with pytest.raises(RemoteError, match=r"^remote 'team'") as caught:
            sync("team")
        assert "\n" not in str(caught.value)
    assert a.change_token() == before


def test_a_plain_pull_after_a_lazy_one_fetches_what_was_left(tmp_path: Path, team: Path) -> None:
    a, b = machine(tmp_path, "a", team), machine(tmp_path, "b", team)
    ja.open_store(a.root)
    first = ja.save(np.arange(10_000), "weights")
    second = ja.save(np.arange(5), "weights")
    a.push("team")
    b.pull("team", lazy=True)
    ja.open_store(b.root)
    ja.load("weights:v1")  # one fetched on first load, one left
    report = b.pull("team")
    assert report.objects == 1 and report.object_bytes == a.objects.size(second.oid)
    assert b.objects.exists(first.oid) and b.objects.exists(second.oid)
    assert not list_remotes(b.root)[0].lazy
    assert b.pull("team").moved_nothing
    team.rename(team.with_name("gone"))  # offline: everything is here
    ja.open_store(b.root)
    np.testing.assert_array_equal(ja.load("weights:v2"), np.arange(5))
    assert Store.open(b.root).verify().ok


def test_a_removed_alias_is_removed_on_the_other_side_too(tmp_path: Path, team: Path) -> None:
    a, b = machine(tmp_path, "a", team), machine(tmp_path, "b", team)
    make_model_versions(a, "model", 2, "a")
    a.set_alias("model:v1", "production")
    a.set_alias("model:v2", "staging")
    a.push("team")
    b.pull("team")
    assert b.remove_alias("model:production").version == 1
    pulled = b.pull("team")  # the removal is b's: a pull does not bring the alias back
    assert pulled.moved_nothing and "production" not in b.versions("model")[0].aliases
    assert b.push("team").aliases == ["model:production removed"]
    assert a.pull("team").aliases == ["model:production removed"]
    with pytest.raises(NotFoundError):
        a.resolve("model:production")
    # Removed on b, moved on a meanwhile: the team's value wins either way.
    b.remove_alias("model:staging")
    a.set_alias("model:v1", "staging")
    a.push("team")
    report = b.push("team")
    assert report.conflicts == ["model:staging was removed here but moved on 'team': 'team' "
                                "keeps it (pull takes it)"]
    assert b.pull("team").aliases == ["model:staging -> model:v1"]
    assert b.resolve("model:staging").version == 1
    assert a.push("team").moved_nothing and b.push("team").moved_nothing
    assert a.pull("team").moved_nothing and b.pull("team").moved_nothing
