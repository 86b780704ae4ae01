"""Curves with no log calls: a point per iteration of the numbers a tracked cell's loops assign."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from jupyter_artifacts.capture import summary
from jupyter_artifacts.capture.background import wait_pending
from jupyter_artifacts.capture.loops import HOOK
from jupyter_artifacts.store import Store

from .conftest import run


def series(store: Store, run_ref: str, key: str) -> list[tuple[int | None, float]]:
    return [(step, value) for step, value, _ in store.metric_series(run_ref, key)]


def test_top_level_loop_records_a_point_per_iteration(shell: Any, store: Store) -> None:
    run(shell, "%%track fit\nfor epoch in range(1, 5):\n    loss = 1.0 / epoch\n    acc = 1 - loss\n"
               "    note = 'text'\nloss")
    assert series(store, "fit", "loss") == [(1, 1.0), (2, 0.5), (3, pytest.approx(1 / 3)), (4, 0.25)]
    assert [v for _, v in series(store, "fit", "acc")] == [0.0, 0.5, pytest.approx(2 / 3), 0.75]
    assert store.get_run("fit").metrics["loss"] == 0.25  # the final value is the curve's last point
    assert HOOK not in shell.user_ns and not shell.ast_transformers  # removed after the cell


def test_continue_and_break_iterations_count_and_a_raising_one_does_not(shell: Any, store: Store) -> None:
    run(shell, "%%track jumps\nseen = []\nfor i in range(10):\n    loss = float(i)\n    if i % 2:\n"
               "        continue\n    seen.append(i)\n    if i == 6:\n        break\n"
               "else:\n    seen.append('else')")
    assert shell.user_ns["seen"] == [0, 2, 4, 6]  # the loop's semantics are unchanged
    assert [s for s, _ in series(store, "jumps", "loss")] == list(range(7))
    result = shell.run_cell("%%track boom\nk = 0\nwhile True:\n    k += 1\n    value = k * 10.0\n"
                            "    if k == 3:\n        raise ValueError('stop')", store_history=True)
    assert isinstance(result.error_in_exec, ValueError)
    wait_pending()  # a loop's last points are written after the cell, as other background work
    assert series(store, "boom", "value") == [(0, 10.0), (1, 20.0)]  # counter steps; no `k` curve
    assert series(store, "boom", "k") == []


def test_nested_loops_batch_losses_across_epochs_and_epoch_totals(shell: Any, store: Store) -> None:
    run(shell, "%%track nested\nfor epoch in range(3):\n    running = 0.0\n    for batch in range(4):\n"
               "        loss = 10.0 * epoch + batch\n        running += loss\n    mean = running / 4")
    assert [s for s, _ in series(store, "nested", "loss")] == list(range(12))  # a batch counter
    assert series(store, "nested", "running") == [(0, 6.0), (1, 46.0), (2, 86.0)]  # per epoch
    assert series(store, "nested", "mean") == [(0, 1.5), (1, 11.5), (2, 21.5)]


def test_traceback_line_numbers_are_unchanged(shell: Any, store: Store, capsys: Any) -> None:
    shell.run_cell("%%track\nfor i in range(3):\n    loss = i\n    if i == 2:\n        undefined_name\n",
                   store_history=True)
    out = capsys.readouterr().out
    assert "line 5" in out and HOOK not in out


def test_enumerate_index_is_the_step_and_a_name_reset_after_the_loop_is_its_next_point(
        shell: Any, store: Store) -> None:
    run(shell, "%%track\nfor i, x in enumerate([3.0, 2.0, 1.0]):\n    err = x / 2\nerr = 0.125")
    assert series(store, "run-1", "err") == [(0, 1.5), (1, 1.0), (2, 0.5), (3, 0.125)]


def test_zero_d_tensor_losses_without_autograd_warnings(shell: Any, store: Store, capsys: Any) -> None:
    pytest.importorskip("torch", reason="torch is installed by .ci/run")
    run(shell, "import torch\ntorch.manual_seed(0)\nnet = torch.nn.Linear(3, 1)\n"
               "opt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
               "X = torch.randn(16, 3)\ny = X.sum(1, keepdim=True)")
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(shell, "%%track torch\nlosses = []\nfor step in range(5):\n    opt.zero_grad()\n"
                   "    loss = torch.nn.functional.mse_loss(net(X), y)\n    loss.backward()\n"
                   "    opt.step()\n    losses.append(loss.item())")
    assert "Warning" not in capsys.readouterr().err
    assert series(store, "torch", "loss") == [(s, pytest.approx(v)) for s, v in
                                              enumerate(shell.user_ns["losses"])]


def test_live_curve_draws_while_the_loop_runs(shell: Any, store: Store, monkeypatch: Any) -> None:
    monkeypatch.setattr(summary, "LIVE_INTERVAL", 0.01)
    drawn: list[str] = []
    publish = shell.display_pub.publish

    def keep(data: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        drawn.append(str(data.get("text/html", "")))
        return publish(data, *args, **kwargs)

    monkeypatch.setattr(shell.display_pub, "publish", keep)
    shell.user_ns["drawn"] = drawn
    run(shell, "%%track live\nimport time\nfor i in range(20):\n    loss = 1.0 / (i + 1)\n"
               "    if i == 10:\n        time.sleep(0.5)\n"
               "        during = [d for d in drawn if 'polyline' in d]")
    assert shell.user_ns["during"], "no curve was drawn while the loop ran"
    assert ">loss " in shell.user_ns["during"][-1]


def test_loops_under_time_are_recorded_and_timeit_is_left_alone(shell: Any, store: Store) -> None:
    run(shell, "%%track timed\n%%time\nfor n in range(3):\n    cost = n * 2.0")
    assert [v for _, v in series(store, "timed", "cost")] == [0.0, 2.0, 4.0]
    run(shell, "%%track repeated\n%%timeit -n 2 -r 1\nfor n in range(3):\n    cost = n * 2.0")
    assert "cost" not in store.get_run("repeated").metrics


def test_a_cell_that_logs_its_own_metrics_gets_no_loop_curves(shell: Any, store: Store) -> None:
    run(shell, "%%track\nimport jupyter_artifacts as ja\nfor i in range(3):\n    bias = i * 0.5\n"
               "    ja.log_metric('loss', 1.0 / (i + 1))")
    assert [v for _, v in series(store, "run-1", "loss")] == [1.0, 0.5, pytest.approx(1 / 3)]
    assert series(store, "run-1", "bias") == [(0, 1.0)]  # the final value only


def test_a_name_whose_array_changes_shape_records_only_its_0d_values(shell: Any, store: Store) -> None:
    # How a type becomes a point is decided once per type: the values' shape still decides.
    run(shell, "%%track shapes\nimport numpy as np\nfrom fractions import Fraction\n"
               "for i in range(4):\n    out = np.float32(i) if i % 2 else np.arange(3.0) * i\n"
               "    part = Fraction(i, 2)\n    flag = i > 1\n    rows = [i]\n")
    assert series(store, "shapes", "out") == [(1, 1.0), (3, 3.0)]
    assert series(store, "shapes", "part") == [(0, 0.0), (1, 0.5), (2, 1.0), (3, 1.5)]
    assert series(store, "shapes", "flag") == [] and series(store, "shapes", "rows") == []


def test_a_cells_loops_share_one_writer_thread(shell: Any, store: Store) -> None:
    run(shell, "%%track nested\nimport threading\nfor epoch in range(3):\n    total = 0.0\n"
               "    for batch in range(4):\n        loss = 1.0 / (1 + epoch + batch)\n"
               "        total += loss\n"
               "writers = [t.name for t in threading.enumerate() if t.name == 'ja-loop-curves']")
    assert shell.user_ns["writers"] == ["ja-loop-curves"]
    assert len(series(store, "nested", "loss")) == 12 and len(series(store, "nested", "total")) == 3


def test_zero_d_arrays_are_points_unless_they_hold_no_real_number(shell: Any, store: Store) -> None:
    torch = pytest.importorskip("torch")
    shell.user_ns["torch"] = torch
    run(shell, "%%track zero_d\nimport numpy as np\nfor i in range(3):\n"
               "    loss = torch.tensor(0.5 * i, requires_grad=True) * 2\n"
               "    acc = np.array(i / 4)\n    flag = np.array(i > 0)\n    z = np.array(1j * i)\n"
               "    count = torch.tensor(i + 1)\n    batch = np.arange(3.0) * i")
    assert series(store, "zero_d", "loss") == [(0, 0.0), (1, 1.0), (2, 2.0)]
    assert series(store, "zero_d", "acc") == [(0, 0.0), (1, 0.25), (2, 0.5)]
    assert series(store, "zero_d", "count") == [(0, 1.0), (1, 2.0), (2, 3.0)]
    assert not any(series(store, "zero_d", name) for name in ("flag", "z", "batch"))


def test_names_that_hold_arrays_from_the_start_are_followed_no_further(shell: Any, store: Store) -> None:
    # err and w (arrays) are dropped after SETTLE iterations; late is unbound, then None,
    # for longer than that and a number afterwards; out is an array until then, so dropped.
    run(shell, "%%track settle\nimport numpy as np\nw = np.zeros(3)\nfor i in range(20):\n"
               "    err = np.arange(3.0) * i\n    w -= 0.1 * err\n    loss = float(i)\n"
               "    if i >= 10:\n        late = i * 2.0\n    elif i >= 5:\n        late = None\n"
               "    out = np.ones(2) if i < 12 else float(i)\n")
    assert [s for s, _ in series(store, "settle", "loss")] == list(range(20))
    assert series(store, "settle", "late") == [(i, i * 2.0) for i in range(10, 20)]
    assert not any(series(store, "settle", name) for name in ("err", "w"))
    assert series(store, "settle", "out") == [(0, 19.0)]  # the final value only: no curve


def test_loop_variables_that_are_no_int64_steps_become_the_iteration_count(
        shell: Any, store: Store) -> None:
    run(shell, "%%track steps\nfor k in [5, 2**70, 'x', 7]:\n    a = abs(1.0)\n"
               "for lr in [0.5, 0.1]:\n    b = lr * 2")
    assert series(store, "steps", "a") == [(1, 1.0), (2, 1.0), (5, 1.0), (7, 1.0)]  # by step
    assert series(store, "steps", "b") == [(0, 1.0), (1, 0.2)]  # not an int at first: counted
