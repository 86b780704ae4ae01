"""Sync with a team store whose objects are on a real S3 server (SeaweedFS, tests/services)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.errors import RemoteError
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.remotes import add_remote

from .sync_helpers import assert_converged, make_model_versions, run_machines

pytest.importorskip("jupyter_artifacts.store.s3objects", reason="no S3 object store yet")

@pytest.fixture
def team(tmp_path: Path, s3_url: str) -> tuple[str, str]:
    """A team store: its catalog in a folder, its objects in a fresh S3 bucket."""
    root = tmp_path / "team" / ".artifacts"
    Store.open(root, objects=s3_url).close()
    return str(root), s3_url


def test_machines_push_to_and_pull_from_a_team_store_on_s3(tmp_path: Path,
                                                          team: tuple[str, str]) -> None:
    roots = [tmp_path / f"m{i}" / ".artifacts" for i in range(3)]
    assert run_machines(roots, *team, 3) == [0, 0, 0]
    shared = Store.open(team[0], create=False, objects=team[1])  # type: ignore[call-arg,unused-ignore]
    assert_converged(shared, roots, 9)
    assert all(shared.objects.exists(v.oid) for v in shared.versions("model"))


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


def test_a_team_store_on_postgresql_and_s3(tmp_path: Path, pg_url: str, s3_url: str) -> None:
    a, b = (Store.open(tmp_path / n / ".artifacts") for n in "ab")
    for store in (a, b):
        add_remote(store.root, "team", pg_url, s3_url)
    ja.open_store(a.root)
    saved = ja.save(np.arange(50_000), "weights")
    make_model_versions(a, "model", 2, "a")
    first = a.push("team")
    assert len(first.versions) == 3 and first.object_bytes > 0
    assert not (a.root / "remotes" / "team" / "objects").exists() or not any(
        (a.root / "remotes" / "team" / "objects").iterdir())  # the objects went to S3
    report = b.pull("team", lazy=True)
    assert len(report.runs) == 2 and len(report.versions) == 3 and report.object_bytes == 0
    ja.open_store(b.root)
    np.testing.assert_array_equal(ja.load(f"{saved.id}"), np.arange(50_000))
    assert a.push("team").moved_nothing
    assert b.pull("team").objects == 2  # a plain pull fetches what the lazy one left
    assert b.pull("team").moved_nothing
