"""How the browser tests find Chromium: Playwright's own, then the env var, then PATH."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import CHROMIUM_ENV, find_chromium


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.delenv(CHROMIUM_ENV, raising=False)
    return folder


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_playwrights_own_browser_comes_first(fake_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = _executable(fake_bin.parent / "ms-playwright-chrome")
    monkeypatch.setenv(CHROMIUM_ENV, str(_executable(fake_bin.parent / "other")))
    assert find_chromium(str(bundled)) == (None, "")


def test_then_the_environment_variable(fake_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = _executable(fake_bin.parent / "my-chrome")
    _executable(fake_bin / "chromium")
    monkeypatch.setenv(CHROMIUM_ENV, str(chosen))
    assert find_chromium("/not/installed") == (str(chosen), "")


@pytest.mark.parametrize("name", ["chromium", "chromium-browser", "google-chrome"])
def test_then_path(fake_bin: Path, name: str) -> None:
    found = _executable(fake_bin / name)
    assert find_chromium(None) == (str(found), "")


def test_nothing_found_names_every_way_to_fix_it(fake_bin: Path) -> None:
    executable, reason = find_chromium(None)
    assert executable is None
    assert "playwright install chromium" in reason and CHROMIUM_ENV in reason and "PATH" in reason


def test_a_wrong_environment_variable_is_named(fake_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, "/nope/chrome")
    assert find_chromium(None) == (None, f"{CHROMIUM_ENV}=/nope/chrome is not a file")
