"""How a %%track cell executes: interrupts while recording, stacked cell magics, indented bodies."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError

from jupyter_artifacts import tracking
from jupyter_artifacts.errors import NoActiveRunError
from jupyter_artifacts.store import Store

from .conftest import run

# A value whose conversion to a metric is interrupted: as a user pressing Interrupt while
# the tracked cell's outputs are being stored.
INTERRUPTING_VALUE = ("class Interrupting:\n    ndim = 0\n"
                      "    def item(self):\n        raise KeyboardInterrupt\n"
                      "def make_interrupting():\n    return Interrupting()")


def test_interrupt_while_storing_outputs_closes_the_run(shell: Any, store: Store, capsys: Any) -> None:
    run(shell, INTERRUPTING_VALUE)
    capsys.readouterr()
    result = shell.run_cell("%%track stopped\nvalue = make_interrupting()\nkept = 1", store_history=True)
    assert result.error_in_exec is None and shell.user_ns["kept"] == 1
    captured = capsys.readouterr()
    assert "Error in callback" not in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err
    notes = [line for line in captured.err.splitlines() if "jupyter-artifacts" in line]
    assert len(notes) == 1 and "interrupted" in notes[0], captured.err
    assert store.get_run("stopped").status == "interrupted"
    assert tracking._stack == []
    # Later calls in ordinary cells no longer attach to the interrupted run.
    later = shell.run_cell("import jupyter_artifacts as ja\nja.log_metric('late', 1.0)", store_history=True)
    assert isinstance(later.error_in_exec, NoActiveRunError)
    assert "late" not in store.get_run("stopped").metrics


def test_interrupt_while_noting_inputs_runs_the_cell_untracked(shell: Any, store: Store, capsys: Any) -> None:
    run(shell, INTERRUPTING_VALUE + "\nvalue = make_interrupting()")
    capsys.readouterr()
    result = shell.run_cell("%%track\nseen = value is not None", store_history=True)
    assert result.error_in_exec is None and shell.user_ns["seen"] is True
    err = capsys.readouterr().err
    assert "Error in callback" not in err and "runs untracked (interrupted)" in err
    assert tracking._stack == []


def test_time_stacked_under_track_runs_the_body(shell: Any, store: Store, capsys: Any) -> None:
    run(shell, "%%track timed\n%%time\ntotal = sum(range(10))\nscore = total / 3")
    assert shell.user_ns["total"] == 45
    assert "Wall time" in capsys.readouterr().out
    r = store.get_run("timed")
    assert r.status == "ok"
    assert r.metrics["score"] == pytest.approx(15.0)  # the run covers the magic's body


def test_track_stacked_under_time_is_tracked(shell: Any, store: Store, capsys: Any) -> None:
    """%%time runs its body itself: the %%track below it was blanked and the cell ran untracked."""
    run(shell, "%%time\n%%track timed-outside\ntotal = sum(range(10))\nscore = total / 3")
    assert shell.user_ns["total"] == 45 and "Wall time" in capsys.readouterr().out
    r = store.get_run("timed-outside")
    assert r.status == "ok" and r.metrics["score"] == pytest.approx(15.0)
    failed = shell.run_cell("%%time\n%%track timed-failing\n1 / 0", store_history=True)
    assert isinstance(failed.error_in_exec, ZeroDivisionError)
    assert store.get_run("timed-failing").status == "failed" and tracking._stack == []
    bad = shell.run_cell("%%time\n%%track --tag ''\nnever = 1", store_history=True)
    assert isinstance(bad.error_in_exec, UsageError) and "never" not in shell.user_ns
    assert len(store.query_runs().runs) == 2


def test_track_below_timeit_says_it_is_not_tracked(shell: Any, store: Store, capsys: Any) -> None:
    """%%timeit repeats its body: the cell runs as untracked, and one line says why."""
    run(shell, "%%timeit -n1 -r1\n%%track repeated\nx_timed = 1")
    out, err = capsys.readouterr()
    assert "per loop" in out  # %%timeit ran the body, in its own namespace as always
    assert "%%track below %%timeit is not tracked" in err and err.count("\n") == 1
    assert store.query_runs().runs == []


def test_capture_stacked_under_track_captures_as_untracked(shell: Any, store: Store, capsys: Any) -> None:
    run(shell, "%%track\n\n%%capture captured\nprint('kept for later')\nanswer = 42")
    assert shell.user_ns["answer"] == 42
    assert shell.user_ns["captured"].stdout == "kept for later\n"
    assert "kept for later" not in capsys.readouterr().out
    assert store.get_run("run-1").status == "ok"


def test_nested_track_joins_the_outer_run(shell: Any, store: Store, capsys: Any) -> None:
    run(shell, "%%track outer --tag a\n%%track inner --tag b --save note\nnote = 'text'\nx = 2")
    assert shell.user_ns["x"] == 2
    assert "nested %%track joins the outer one" in capsys.readouterr().err
    runs = store.query_runs().runs
    assert [r.name for r in runs] == ["outer"]
    assert runs[0].tags == ["a", "b"]
    assert any(v.name == "note" for _, v in store.run_events("outer"))


def test_indented_body_runs_as_untracked(shell: Any, store: Store) -> None:
    run(shell, "%%track\n    a = 1\n\n    b = a + 1\n    b")
    assert shell.user_ns["b"] == 2
    assert store.get_run("run-1").metrics["b"] == 2


def test_indented_body_keeps_traceback_line_numbers(shell: Any, store: Store, capsys: Any) -> None:
    shell.run_cell("%%track\n    a = 1\n    undefined_name", store_history=True)
    assert "line 3" in capsys.readouterr().out


def test_the_first_tracked_cell_never_waits_for_the_package_listing(
        shell: Any, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Listing installed packages takes seconds on a busy machine: a run that starts before
    it is done gets its environment afterwards, in the background."""
    import threading

    from jupyter_artifacts import environment
    from jupyter_artifacts.capture.background import wait_pending

    release = threading.Event()
    real = environment._list_environment

    def slow_listing() -> dict[str, Any]:
        release.wait(120)
        return real()

    monkeypatch.setattr(environment, "_cached", None)
    monkeypatch.setattr(environment, "_list_environment", slow_listing)
    done = threading.Event()

    def cell() -> None:
        shell.run_cell("%%track first\nx = 1", store_history=True)
        done.set()

    threading.Thread(target=cell, daemon=True).start()
    finished = done.wait(60)
    release.set()
    assert finished, "the tracked cell waited for the package listing"
    wait_pending()
    run = store.get_run("first")
    assert run.status == "ok" and run.environment_id is not None
    assert "pytest" in store.environment(run.environment_id)["packages"]  # type: ignore[index]
