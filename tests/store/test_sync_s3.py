"""Sync with a team store whose objects are on a real S3 server (SeaweedFS, tests/services)."""

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

pytest.importorskip("jupyter_artifacts.store.s3objects", reason="no S3 object store yet")

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
"""


@pytest.fixture
def team(tmp_path: Path, s3_url: str) -> tuple[str, str]:
    """A team store: its catalog in a folder, its objects in a fresh S3 bucket."""
    root = tmp_path / "team" / ".artifacts"
    Store.open(root, objects=s3_url).close()
    return str(root), s3_url


def test_machines_push_to_and_pull_from_a_team_store_on_s3(tmp_path: Path,
                                                          team: tuple[str, str]) -> None:
    helpers = str(Path(__file__).parent)
    roots = [tmp_path / f"m{i}" / ".artifacts" for i in range(3)]
    procs = [subprocess.Popen([sys.executable, "-c", MACHINE, str(root), *team, "3", helpers],
                              env=os.environ.copy()) for root in roots]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0]
    shared = Store.open(team[0], create=False, objects=team[1])
    assert [v.version for v in shared.versions("model")] == list(range(1, 10))
    for root in roots:
        local = Store.open(root, create=False)
        local.pull("team")
        assert ids(local) == ids(shared)
        assert local.push("team").moved_nothing
    for version in shared.versions("model"):
        assert shared.objects.exists(version.oid)
    assert shared.verify().ok


def test_a_lazy_pull_from_s3_fetches_on_first_load(tmp_path: Path, team: tuple[str, str]) -> None:
    a, b = (Store.open(tmp_path / n / ".artifacts") for n in "ab")
    for store in (a, b):
        add_remote(store.root, "team", *team)
    ja.open_store(a.root)
    saved = ja.save(np.arange(100_000), "weights")
    assert a.push("team").object_bytes > 0
    assert b.pull("team", lazy=True).object_bytes == 0
    assert not b.objects.exists(saved.oid)
    ja.open_store(b.root)
    np.testing.assert_array_equal(ja.load("weights"), np.arange(100_000))
    assert b.objects.exists(saved.oid)


def test_wrong_s3_credentials_are_one_line_and_leave_the_store_untouched(
        tmp_path: Path, team: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    a = Store.open(tmp_path / "a" / ".artifacts")
    add_remote(a.root, "team", *team)
    make_model_versions(a, "model", 1, "a")
    before = (a.change_token(), (a.root / "remotes.json").read_bytes())
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
    with pytest.raises(RemoteError) as caught:
        a.push("team")
    assert "\n" not in str(caught.value) and "team" in str(caught.value)
    assert (a.change_token(), (a.root / "remotes.json").read_bytes()) == before
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(RemoteError):
        a.pull("team")
    assert (a.change_token(), (a.root / "remotes.json").read_bytes()) == before
