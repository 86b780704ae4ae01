"""Loss curves from plain loops: a point per iteration of the numbers a tracked cell's loops assign.

An IPython AST transformer, installed only while a tracked cell runs, adds one statement at
the end of each iteration of the cell's loops, ``HOOK[loop_id](step)``, and one before
every ``continue`` and ``break`` of that loop. Nothing else moves: the added nodes carry the
line numbers of the statements they follow, so tracebacks and line numbers are unchanged,
and an iteration that raises records no point. ``HOOK`` reads the loop's names from the
namespace and logs the ones that hold numbers (ints, floats, numpy scalars, 0-d tensors
through ``.item()``) to the active run, whose listeners draw the live curve.

Which loop records a name: the outermost loop of the cell that assigns it. A per-batch
``loss`` assigned only in an inner loop is recorded per batch, with a step that counts
batches across epochs; ``running_loss = 0.0`` in the epoch loop and ``running_loss += ...``
in the batch loop is an epoch total, recorded per epoch. Steps: a top-level ``for`` whose
target (or first target, as in ``for i, batch in enumerate(...)``) is an int uses it; other
loops count their completed iterations. Counters (``i += 1``) and names only ever bound to
constants are not curves. Loops inside functions and classes are not touched, and a cell
that calls ``log_metric`` itself keeps exactly the curves it logs.
"""

from __future__ import annotations

import ast
import numbers
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from .analysis import _target_names

HOOK = "__jupyter_artifacts_loop_point__"
DRAIN_EVERY = 0.25  # seconds: how fresh the live curve is
WRITE_EVERY = 2.0  # seconds between writes to the store (as ActiveRun's FLUSH_AFTER)
WRITE_BATCH = 5000  # points
INT64 = 2**63  # the catalog's step range; a loop variable beyond it falls back to the count

LoopNode = ast.For | ast.AsyncFor | ast.While


# How a type's values become points, decided once per type (``_kind``): the per-iteration
# cost is then a dict lookup, not an ABC ``isinstance`` (about 0.3 µs) per name.
_SKIP, _REAL, _ZERO_D = 0, 1, 2
_kinds: dict[type, int] = {bool: _SKIP, type(None): _SKIP, float: _REAL, int: _REAL}


def _kind(kind: type) -> int:
    """``_REAL`` for real numbers (numpy scalars too), ``_ZERO_D`` for array types whose 0-d
    values are numbers (arrays, tensors), ``_SKIP`` for the rest."""
    known = _kinds.get(kind)
    if known is None:
        if issubclass(kind, numbers.Real):
            known = _REAL
        elif hasattr(kind, "ndim") and callable(getattr(kind, "item", None)):
            known = _ZERO_D
        else:
            known = _SKIP
        _kinds[kind] = known
    return known


def _no_point(step: Any) -> None:
    """A loop's point function once recording stopped."""


def _number(value: Any) -> float | int | None:
    """``value`` as a plain number, or None if it is not one (bools, arrays, text...)."""
    kind = type(value)
    if kind is float or kind is int:
        return value
    how = _kinds.get(kind)
    if how is None:
        how = _kind(kind)
    if how == _REAL:
        return float(value)
    if how == _ZERO_D and getattr(value, "ndim", None) == 0:
        return _plain(value.item())  # a 0-d tensor: no autograd warning, unlike float()
    return None


def _plain(item: Any) -> float | int | None:
    """What a 0-d array's ``item()`` gave, if it is a number (not a bool, not complex)."""
    if (type(item) is float or type(item) is int) or (
            isinstance(item, int | float) and not isinstance(item, bool)):
        return item
    return None


class LoopRecorder:
    """Turns ``HOOK[loop_id](step)`` calls into metric points of a run.

    The loop's thread only appends ``(name, step, value)`` to a deque (a few tenths of a
    microsecond); a writer thread hands the points to the live curve every ``DRAIN_EVERY``
    seconds and writes them to the store in batches, as ``ActiveRun`` does for ``log_metric``.
    """

    def __init__(self, namespace: dict[str, Any], active: Any) -> None:
        self.namespace = namespace
        self.active = active
        #: One point function per loop, built for it (what ``HOOK`` names in the namespace).
        self.hooks: list[Callable[[Any], None]] = []
        self.last: dict[str, tuple[int, float]] = {}  # name -> (step, value) of its last point
        self.error: BaseException | None = None
        self._points: deque[tuple[str, Any, Any]] = deque()
        self._unwritten: list[tuple[str, str, int | None, float, float]] = []
        self._written_at = time.monotonic()
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None

    def add_loop(self, names: list[str], use_step: bool) -> int:
        """A loop recording ``names``; its id indexes :attr:`hooks`."""
        self.hooks.append(self._point_function(tuple(names), use_step))
        return len(self.hooks) - 1

    def _point_function(self, names: tuple[str, ...], use_step: bool) -> Callable[[Any], None]:
        """The hot path of one instrumented loop, called at the end of every iteration.

        Everything it needs is bound in its closure (no attribute or list lookups per call):
        plain ints and floats are appended as they are, arrays of more than 0 dimensions
        are passed over, other values go through ``_number`` (per-type decision cached).
        """
        get, append, kinds = self.namespace.get, self._points.append, _kinds
        count = 0
        started = False

        def point(step: Any) -> None:
            nonlocal count, started
            try:
                if not (use_step and type(step) is int and -INT64 <= step < INT64):
                    step = count
                count += 1
                for name in names:
                    value: Any = get(name)
                    kind = type(value)
                    if kind is not float and kind is not int:
                        how = kinds.get(kind)
                        if how == _SKIP:
                            continue  # a list, a string, a model
                        if how == _ZERO_D:  # a tensor or an array: a loss, or a batch
                            if value.ndim:
                                continue
                            value = value.item()  # no autograd warning, unlike float()
                            if type(value) is not float and type(value) is not int:
                                value = _plain(value)
                        else:
                            value = _number(value)
                        if value is None:
                            continue
                    append((name, step, value))
                if not started:
                    started = True
                    self._start_writer()
            except Exception as exc:  # a broken value: stop recording, keep looping
                self._give_up(exc)

        return point

    def _start_writer(self) -> None:
        """One writer for all the cell's loops (each loop's first point gets here)."""
        if self._writer is None:
            self._writer = threading.Thread(target=self._drain_loop, name="ja-loop-curves",
                                            daemon=True)
            self._writer.start()

    def _give_up(self, exc: BaseException) -> None:
        self.error = exc
        self.hooks[:] = [_no_point] * len(self.hooks)  # in place: ``HOOK`` is this list

    def _drain_loop(self) -> None:
        # With nobody drawing the points live (a quiet cell, a headless run), wake only to
        # write them: each wake-up takes the GIL from the loop, which waits up to the switch
        # interval to get it back whenever it had released it (every torch operation does).
        while not self._stop.wait(DRAIN_EVERY if self.active.listeners else WRITE_EVERY):
            self._drain(final=False)

    def _drain(self, final: bool) -> None:
        points, listeners, run_id = self._points, self.active.listeners, self.active.id
        at = time.time()  # the drain's time, not each point's: a clock read per point costs
        # popleft only (no clear()): the loop's thread may append while this runs.
        batch = [points.popleft() for _ in range(len(points))]
        self.last.update((name, (step, value)) for name, step, value in batch)
        self._unwritten += [(run_id, name, step, float(value), at) for name, step, value in batch]
        for listener in listeners:
            for name, step, value in batch:
                listener(name, step, value)
        due = time.monotonic() - self._written_at > WRITE_EVERY or len(self._unwritten) >= WRITE_BATCH
        if self._unwritten and (final or due) and self.error is None:
            rows, self._unwritten = self._unwritten, []
            self._written_at = time.monotonic()
            try:
                self.active.store.log_metrics(rows)
            except Exception as exc:  # the store failed: the loop goes on; the run says so
                self.error = exc

    def close(self) -> None:
        """Stop the writer and write every point left."""
        self._stop.set()
        if self._writer is not None:
            self._writer.join()
        self._drain(final=True)


class LoopCurves(ast.NodeTransformer):
    """The AST transformer (for ``shell.ast_transformers``) that instruments a cell's loops."""

    def __init__(self, recorder: LoopRecorder) -> None:
        self.recorder = recorder

    def visit_Module(self, node: ast.Module) -> ast.Module:
        for loop in _loops_in(node.body):
            _, trivial = _assignments(loop.body, into_loops=True)
            self._instrument(loop, set(), trivial, top=True)
        return ast.fix_missing_locations(node)

    def _instrument(self, loop: LoopNode, owned: set[str], trivial: set[str], top: bool) -> None:
        assigned, _ = _assignments(loop.body, into_loops=False)
        targets = set(_target_names(loop.target)) if not isinstance(loop, ast.While) else set()
        names = [n for n in assigned if n not in owned and n not in targets
                 and n not in trivial and not n.startswith("_")]
        for inner in _loops_in(loop.body):
            self._instrument(inner, owned | set(assigned), trivial, top=False)
        if not names:
            return
        step_name = _step_name(loop) if top else None
        loop_id = self.recorder.add_loop(names, use_step=step_name is not None)
        loop.body = _with_points(loop.body, loop_id, step_name)


def _loops_in(body: list[ast.stmt]) -> Iterator[LoopNode]:
    """Loops directly in ``body`` or in its if/with/try blocks, not inside other loops or defs."""
    for stmt in body:
        if isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            yield stmt
        elif isinstance(stmt, ast.If | ast.With | ast.AsyncWith | ast.Try | ast.Match):
            yield from _loops_in(list(_blocks(stmt)))


def _blocks(stmt: ast.stmt) -> Iterator[ast.stmt]:
    for field in ("body", "orelse", "finalbody"):
        yield from getattr(stmt, field, [])
    for part in (*getattr(stmt, "handlers", []), *getattr(stmt, "cases", [])):
        yield from part.body


def _step_name(loop: LoopNode) -> str | None:
    """``epoch`` in ``for epoch in ...``, ``i`` in ``for i, batch in enumerate(...)``."""
    if isinstance(loop, ast.While):
        return None
    target = loop.target
    if isinstance(target, ast.Tuple) and target.elts:
        target = target.elts[0]
    return target.id if isinstance(target, ast.Name) else None


def _is_trivial(stmt: ast.stmt) -> bool:
    """A constant or a counter step: ``best = 0``, ``i += 1``."""
    value = getattr(stmt, "value", None)
    return value is None or isinstance(value, ast.Constant) or (
        isinstance(value, ast.UnaryOp) and isinstance(value.operand, ast.Constant))


def _assignments(body: list[ast.stmt], into_loops: bool) -> tuple[dict[str, None], set[str]]:
    """Names bound in ``body`` in order (in nested loops too if ``into_loops``; never in
    defs), and those only ever bound to constants or stepped by constants."""
    assigned: dict[str, None] = {}
    nontrivial: set[str] = set()
    stack = list(body)
    while stack:
        stmt = stack.pop(0)
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if not into_loops and isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            continue
        if isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for name in _target_names(target):
                    assigned.setdefault(name)
                    if not _is_trivial(stmt):
                        nontrivial.add(name)
        stack[:0] = list(_blocks(stmt))
    return assigned, set(assigned) - nontrivial


def _hook_call(loop_id: int, step_name: str | None, where: ast.AST) -> ast.stmt:
    step: ast.expr = ast.Name(step_name, ast.Load()) if step_name else ast.Constant(None)
    hook = ast.Subscript(ast.Name(HOOK, ast.Load()), ast.Constant(loop_id), ast.Load())
    call = ast.Expr(ast.Call(hook, [step], []))
    for node in ast.walk(call):
        ast.copy_location(node, where)
    return call


def _with_points(body: list[ast.stmt], loop_id: int, step_name: str | None) -> list[ast.stmt]:
    """A loop's body with a point before each of its ``continue``/``break`` and at its end."""
    out = _before_jumps(body, loop_id, step_name)
    if not isinstance(out[-1], ast.Continue | ast.Break | ast.Raise):
        out.append(_hook_call(loop_id, step_name, out[-1]))
    return out


def _before_jumps(body: list[ast.stmt], loop_id: int, step_name: str | None) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.Continue | ast.Break):
            out.append(_hook_call(loop_id, step_name, stmt))
        elif isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            # Only a nested loop's else clause jumps for this loop.
            stmt.orelse = _before_jumps(stmt.orelse, loop_id, step_name)
        elif not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for field in ("body", "orelse", "finalbody"):
                if getattr(stmt, field, None):
                    setattr(stmt, field, _before_jumps(getattr(stmt, field), loop_id, step_name))
            for part in (*getattr(stmt, "handlers", []), *getattr(stmt, "cases", [])):
                part.body = _before_jumps(part.body, loop_id, step_name)
        out.append(stmt)
    return out
