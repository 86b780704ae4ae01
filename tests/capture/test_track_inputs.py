"""Odd values a tracked cell reads: params too large to record, values whose repr raises."""

from __future__ import annotations

from typing import Any

from jupyter_artifacts.store import Store

from .conftest import run


def test_a_huge_captured_param_is_skipped_with_a_warning(shell: Any, store: Store) -> None:
    run(shell, "config = {'k' * 7000: 1}\nlr = 0.1")  # small by count, huge by its key
    run(shell, "%%track train\nresult = [config, lr]")
    r = store.get_run("train")
    assert r.status == "ok" and r.params == {"lr": 0.1}
    assert any("param not recorded" in w and "config" in w for w in r.warnings)


def test_a_param_whose_repr_raises_does_not_break_the_cell(shell: Any, store: Store, capsys: Any) -> None:
    run(shell, "class Rate(float):\n    def __repr__(self):\n        raise RuntimeError('no repr')\n"
               "lr = Rate(0.5)")
    capsys.readouterr()
    run(shell, "%%track train\ndoubled = lr * 2")
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "no repr" not in out + err
    r = store.get_run("train")
    assert r.status == "ok" and r.params == {"lr": 0.5}
    assert shell.user_ns["doubled"] == 1.0


def test_a_tag_is_one_tag(shell: Any, store: Store) -> None:
    run(shell, "%%track train --tag abc\nx = 1")
    assert store.get_run("train").tags == ["abc"]
