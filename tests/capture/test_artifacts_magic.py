"""%artifacts: quick store work from a cell."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError

from jupyter_artifacts.store import Store

from .conftest import run


@pytest.fixture
def populated(shell: Any, store: Store) -> Any:
    run(shell, "import pandas as pd")
    run(shell, "%%track first\nframe = pd.DataFrame({'a': [1, 2, 3]})\nscore = 0.5 * 1")
    run(shell, "%%track second\nframe = pd.DataFrame({'a': [1, 2, 3, 4]})\nscore = 0.75 * 1")
    return shell


def test_ls_lists_artifacts_and_versions(populated: Any) -> None:
    frame = populated.run_line_magic("artifacts", "ls")
    assert "frame" in set(frame["name"])
    versions = populated.run_line_magic("artifacts", "ls frame")
    assert [v.ref for v in versions] == ["frame:v1", "frame:v2"]


def test_load_as_variable(populated: Any) -> None:
    populated.run_line_magic("artifacts", "load frame:v1 as old")
    assert list(populated.user_ns["old"]["a"]) == [1, 2, 3]
    assert len(populated.run_line_magic("artifacts", "load frame")) == 4


def test_show_version_and_run(populated: Any) -> None:
    assert populated.run_line_magic("artifacts", "show frame:v2").ref == "frame:v2"
    assert populated.run_line_magic("artifacts", "show second").metrics["score"] == 0.75


def test_show_is_a_readable_card(populated: Any) -> None:
    version = populated.run_line_magic("artifacts", "show frame:v2")
    assert repr(version).startswith("frame:v2  (") and "ArtifactVersion(" not in repr(version)
    assert "<table" in version._repr_html_() and "frame:v2" in version._repr_html_()
    run = populated.run_line_magic("artifacts", "show second")
    assert "Run(" not in repr(run) and "score" in repr(run)
    shown = run._repr_html_()
    assert "Metrics" in shown and "0.75" in shown and "second" in shown


def test_runs_and_diff(populated: Any, capsys: Any) -> None:
    runs = populated.run_line_magic("artifacts", "runs")
    assert list(runs["name"]) == ["second", "first"]
    populated.run_line_magic("artifacts", "diff first second")
    out = capsys.readouterr().out
    assert "-frame = pd.DataFrame({'a': [1, 2, 3]})" in out and "+" in out


def test_lineage_and_compare(populated: Any) -> None:
    graph = populated.run_line_magic("artifacts", "lineage frame:v2")
    assert "run-2" in graph.upstream
    assert populated.run_line_magic("artifacts", "compare run-1 run-2") is not None


@pytest.mark.parametrize("line", ["", "bogus", "show", "load a b c", "diff one", "show nothing-here",
                                  "load frame as class", "load frame as None", "costs ²", "costs 1 2"])
def test_bad_usage_is_a_usage_error(populated: Any, line: str) -> None:
    with pytest.raises(UsageError):
        populated.run_line_magic("artifacts", line)
