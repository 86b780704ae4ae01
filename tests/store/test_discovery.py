"""Store discovery (explicit > env > nearest .artifacts up > ./.artifacts) and portability."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jupyter_artifacts.codecs import load_version, save_object
from jupyter_artifacts.errors import StoreNotFoundError
from jupyter_artifacts.store import ENV_VAR, Store, resolve_store_dir


def test_explicit_path_beats_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "from-env"))
    assert resolve_store_dir(tmp_path / "explicit") == tmp_path / "explicit"


def test_env_beats_nearest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".artifacts").mkdir()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "from-env"))
    assert resolve_store_dir(start=tmp_path) == tmp_path / "from-env"


def test_nearest_store_walking_up(tmp_path: Path) -> None:
    (tmp_path / ".artifacts").mkdir()
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "a" / ".artifacts").mkdir()
    assert resolve_store_dir(start=deep) == tmp_path / "a" / ".artifacts"
    assert resolve_store_dir(start=tmp_path / "elsewhere-not-made") == tmp_path / ".artifacts"


def test_creates_dot_artifacts_in_working_dir(tmp_path: Path) -> None:
    work = tmp_path / "project"
    work.mkdir()
    store = Store.open(start=work)
    assert store.root == work / ".artifacts"
    assert (work / ".artifacts" / "catalog.sqlite").is_file()


def test_open_without_create_refuses_a_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError):
        Store.open(tmp_path / "nothing", create=False)
    with pytest.raises(StoreNotFoundError):
        Store.open(create=False, start=tmp_path)


def test_a_copied_folder_is_a_working_store(store: Store, tmp_path: Path) -> None:
    save_object(store, {"acc": 0.9}, "scores")
    save_object(store, "notes", "readme")
    store.close()
    copy = tmp_path / "moved" / ".artifacts"
    shutil.copytree(store.root, copy)
    shutil.rmtree(store.root)
    moved = Store.open(copy)
    assert load_version(moved, moved.resolve("scores")) == {"acc": 0.9}
    assert load_version(moved, moved.resolve("readme:v1")) == "notes"
    assert moved.verify().ok
