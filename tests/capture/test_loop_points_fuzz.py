"""The loop curves' per-iteration path against a plain model of what it must record.

Generated iterations of a loop (what each name holds at the end of each one, unbound
included, and the loop variable), with the writer taking points at generated moments in
between: the points written are exactly those of the model, in order, with their steps.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_artifacts.capture.loops import INT64, SETTLE, LoopRecorder, _number

UNBOUND = object()
NAMES = ("loss", "acc", "batch")


class Rows:
    """Where the recorder writes (the store's ``log_metrics``), kept for the assertions."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, int | None, float, float]] = []

    def log_metrics(self, rows: list[tuple[str, str, int | None, float, float]]) -> None:
        self.rows += rows


class Active:
    """The recorder's run: an id, no live curve, and the rows it writes."""

    def __init__(self) -> None:
        self.id, self.store = "run", Rows()
        self.listeners: list[Any] = []


values = st.one_of(
    st.floats(allow_nan=False), st.integers(-(2**63), 2**63 - 1), st.booleans(), st.none(),
    st.just(UNBOUND), st.text(max_size=3),
    st.floats(-1e3, 1e3).map(np.float32), st.integers(-5, 5).map(np.int64),
    st.floats(-1e3, 1e3).map(np.array),  # 0-d: a point
    st.integers(1, 3).map(lambda n: np.arange(float(n))),  # 1-d: none
)
# Some names are arrays for long stretches (followed no further after SETTLE of them), some
# after a number or two (followed to the end).
columns = st.one_of(
    st.lists(st.one_of(values, st.just(np.zeros(2))), max_size=3 * SETTLE),
    st.tuples(st.lists(values, max_size=3), st.integers(SETTLE - 1, SETTLE + 2),
              st.lists(values, max_size=3)).map(lambda t: [*t[0], *[np.zeros(2)] * t[1], *t[2]]),
)
steps = st.one_of(st.integers(0, 50), st.integers(2**62, 2**64), st.just("x"), st.floats(0, 1))


def expected(iterations: list[dict[str, Any]], loop_steps: list[Any], use_step: bool) -> list[Any]:
    """The model: a point per iteration whose value is a number, for each name until its
    first SETTLE bound values turn out all not numbers; steps per the module's docstring."""
    use_step = use_step and bool(loop_steps) and type(loop_steps[0]) is int
    out = []
    for name in NAMES:
        strikes, made = 0, False
        for index, held in enumerate(iterations):
            value = held.get(name, UNBOUND)
            number = None if value is UNBOUND else _number(value)
            if number is not None:
                made = True
                step = loop_steps[index]
                good = use_step and type(step) is int and -INT64 <= step < INT64
                out.append((name, step if good else index, float(number)))
            elif value is not None and value is not UNBOUND and not made:
                strikes += 1
                if strikes >= SETTLE:
                    break
    return out


@settings(max_examples=int(os.environ.get("FUZZ_N", "60")) * 3, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), use_step=st.booleans())
def test_points_written_are_the_models(data: st.DataObject, use_step: bool) -> None:
    per_name = {name: data.draw(columns, label=name) for name in NAMES}
    length = max(len(column) for column in per_name.values())
    loop_steps = data.draw(st.lists(steps, min_size=length, max_size=length), label="steps")
    takes = data.draw(st.sets(st.integers(0, max(length - 1, 0))), label="takes")
    namespace: dict[str, Any] = {}
    active = Active()
    recorder = LoopRecorder(namespace, active)
    recorder._start_writer = lambda: None  # type: ignore[method-assign]  # takes are ours
    loop = recorder.add_loop(list(NAMES), use_step=use_step)
    iterations = []
    for index in range(length):
        for name in NAMES:
            column = per_name[name]
            value = column[index] if index < len(column) else UNBOUND
            if value is UNBOUND:
                namespace.pop(name, None)
            else:
                namespace[name] = value
        iterations.append(dict(namespace))
        recorder.hooks[loop](loop_steps[index])
        if index in takes:
            recorder._drain()
    active.store.log_metrics(recorder.close())  # as the session does, in the background
    assert recorder.error is None
    written = sorted(((name, step, value) for _, name, step, value, _ in active.store.rows),
                     key=lambda point: NAMES.index(point[0]))  # stable: each name's order kept
    assert written == expected(iterations, loop_steps, use_step)


def test_points_taken_while_the_loop_appends_are_each_written_once() -> None:
    """The writer takes points on its own thread while the loop appends: none lost or doubled."""
    namespace: dict[str, Any] = {}
    active = Active()
    recorder = LoopRecorder(namespace, active)
    loop = recorder.add_loop(["loss", "acc"], use_step=True)
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            recorder._drain()

    thread = threading.Thread(target=writer)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over as often as it can: mid-iteration too
    try:
        thread.start()
        for step in range(200_000):
            namespace["loss"] = step * 0.5
            namespace["acc"] = np.float32(1.0) if step % 3 else None
            recorder.hooks[loop](step)
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
    active.store.log_metrics(recorder.close())  # as the session does, in the background
    loss = [(step, value) for _, name, step, value, _ in active.store.rows if name == "loss"]
    acc = [step for _, name, step, _, _ in active.store.rows if name == "acc"]
    assert loss == [(step, step * 0.5) for step in range(200_000)]
    assert acc == [step for step in range(200_000) if step % 3]


class DrainingValue:
    """A 0-d value whose ``item()`` lets the writer take points: the writer thread running
    in the middle of an iteration (after ``loss``, before ``acc``), every time."""

    ndim = 0

    def __init__(self, recorder: LoopRecorder, value: float) -> None:
        self.recorder, self.value = recorder, value

    def item(self) -> float:
        self.recorder._drain()
        return self.value


def test_points_taken_in_the_middle_of_an_iteration_keep_their_steps() -> None:
    namespace: dict[str, Any] = {}
    active = Active()
    recorder = LoopRecorder(namespace, active)
    recorder._start_writer = lambda: None  # type: ignore[method-assign]  # takes are ours
    loop = recorder.add_loop(["loss", "acc", "late"], use_step=True)
    for step in range(10, 40):
        namespace["loss"] = step * 0.5
        namespace["acc"] = DrainingValue(recorder, step / 100)
        if step % 2:
            namespace["late"] = DrainingValue(recorder, float(step))
        recorder.hooks[loop](step)
    active.store.log_metrics(recorder.close())  # as the session does, in the background
    assert recorder.error is None
    points = {name: [(step, value) for _, key, step, value, _ in active.store.rows if key == name]
              for name in ("loss", "acc", "late")}
    assert points["loss"] == [(step, step * 0.5) for step in range(10, 40)]
    assert points["acc"] == [(step, step / 100) for step in range(10, 40)]
    # Bound from step 11 on, to a new value at odd steps: it keeps the last one in between.
    assert points["late"] == [(step, float(step - 1 + step % 2)) for step in range(11, 40)]
