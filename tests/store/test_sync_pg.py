"""Sync with a team store whose catalog is a real PostgreSQL (tests/services/postgres.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.errors import RemoteError
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.remotes import add_remote

from .sync_helpers import assert_converged, make_model_versions, run_machines

pytest.importorskip("jupyter_artifacts.store.catalog_pg", reason="no PostgreSQL catalog yet")

@pytest.fixture
def team(tmp_path: Path, pg_url: str) -> tuple[str, str]:
    """A team store: its catalog in PostgreSQL, its objects in a shared folder."""
    objects = tmp_path / "team-objects"
    objects.mkdir()
    return pg_url, str(objects)


def open_team(team: tuple[str, str], tmp_path: Path) -> Store:
    folder = tmp_path / "team-view"
    folder.mkdir(exist_ok=True)
    (folder / "store.json").write_text(f'{{"catalog": "{team[0]}", "objects": "{team[1]}"}}')
    return Store.open(folder, create=False)


def test_machines_push_to_and_pull_from_a_postgresql_team_store(tmp_path: Path,
                                                                team: tuple[str, str]) -> None:
    roots = [tmp_path / f"m{i}" / ".artifacts" for i in range(3)]
    assert run_machines(roots, *team, 3) == [0, 0, 0]
    assert_converged(open_team(team, tmp_path), roots, 9)


def test_everything_travels_through_postgresql(tmp_path: Path, team: tuple[str, str]) -> None:
    a, b = (Store.open(tmp_path / n / ".artifacts") for n in "ab")
    for store in (a, b):
        add_remote(store.root, "team", *team)
    ja.open_store(a.root)
    with ja.run("train", tags=["t"]) as run:
        ja.log_params({"lr": 0.1})
        for step in range(5):
            ja.log_metric("loss", 1 / (step + 1), step=step)
        ja.log_metric("nan", float("nan"))
        ja.save(np.arange(1000), "weights", tags=["fp32"])
    a.set_alias("weights:v1", "production")
    a.push("team")
    report = b.pull("team", lazy=True)
    assert report.aliases == ["weights:production -> weights:v1"]
    got = b.get_run(run.id)
    assert got.params == {"lr": 0.1} and got.tags == ["t"]
    assert [r.id for r in open_team(team, tmp_path).search_runs("params.lr > 0.05").runs] == [run.id]
    assert repr(b.metric_summary(run.id)) == repr(a.metric_summary(run.id))
    ja.open_store(b.root)
    np.testing.assert_array_equal(ja.load("weights:production"), np.arange(1000))


def test_an_unreachable_postgresql_is_one_line_and_leaves_the_store_untouched(
        tmp_path: Path, team: tuple[str, str]) -> None:
    a = Store.open(tmp_path / "a" / ".artifacts")
    add_remote(a.root, "team", "postgresql://127.0.0.1:9/nothing", team[1])
    make_model_versions(a, "model", 1, "a")
    before = a.change_token()
    with pytest.raises(RemoteError) as caught:
        a.push("team")
    assert "\n" not in str(caught.value) and "'team'" in str(caught.value)
    assert a.change_token() == before
