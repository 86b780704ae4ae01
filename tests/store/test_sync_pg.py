"""Sync with a team store whose catalog is a real PostgreSQL (tests/services/postgres.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.errors import RemoteError
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.remotes import add_remote

from .sync_helpers import ids, make_model_versions

pytest.importorskip("jupyter_artifacts.store.catalog_pg", reason="no PostgreSQL catalog yet")

MACHINE = """
import sys
from pathlib import Path
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.remotes import add_remote
sys.path.insert(0, sys.argv[5])
from sync_helpers import make_model_versions
store = Store.open(Path(sys.argv[1]))
add_remote(store.root, "team", sys.argv[2], sys.argv[3])
make_model_versions(store, "model", int(sys.argv[4]), sys.argv[1])
store.push("team")
store.pull("team")
store.push("team")
"""


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
    helpers = str(Path(__file__).parent)
    roots = [tmp_path / f"m{i}" / ".artifacts" for i in range(3)]
    procs = [subprocess.Popen([sys.executable, "-c", MACHINE, str(root), *team, "3", helpers],
                              env=os.environ.copy()) for root in roots]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0]
    shared = open_team(team, tmp_path)
    assert [v.version for v in shared.versions("model")] == list(range(1, 10))
    for root in roots:
        local = Store.open(root, create=False)
        local.pull("team")
        assert ids(local) == ids(shared)
        assert local.push("team").moved_nothing and local.pull("team").moved_nothing
    assert shared.verify().ok


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
