"""Loss curves from plain loops: a point per iteration of the numbers a tracked cell's loops assign.

An IPython AST transformer, installed only while a tracked cell runs, adds one statement at
the end of each iteration of the cell's loops, ``HOOK[loop_id](step)``, and one before
every ``continue`` and ``break`` of that loop. Nothing else moves: the added nodes carry the
line numbers of the statements they follow, so tracebacks and line numbers are unchanged,
and an iteration that raises records no point. ``HOOK`` reads the loop's names from the
namespace and keeps the ones that hold numbers (ints, floats, numpy scalars, 0-d tensors
through ``.item()``); a writer thread logs them to the active run, whose listeners draw the
live curve.

The per-iteration path is the product's tightest: a 5 µs numpy step must not feel it. It
is generated per loop shape, appends to plain lists (no object per point, so no extra
garbage collection), leaves counting and range checks to the writer, and stops following a
name whose first ``SETTLE`` bound values were all things no point is made of (an array,
a list, a model): ``err`` and ``w`` beside ``loss`` in a gradient step.

Which loop records a name: the outermost loop of the cell that assigns it. A per-batch
``loss`` assigned only in an inner loop is recorded per batch, with a step that counts
batches across epochs; ``running_loss = 0.0`` in the epoch loop and ``running_loss += ...``
in the batch loop is an epoch total, recorded per epoch. Steps: a top-level ``for`` whose
target (or first target, as in ``for i, batch in enumerate(...)``) is an int uses it; other
loops count their completed iterations (as does a loop whose variable is not an int at its
first iteration; a later one that is not, or is beyond int64, is replaced by the count).
Counters (``i += 1``) and names only ever bound to constants are not curves. Loops inside
functions and classes are not touched, and a cell that calls ``log_metric`` itself keeps
exactly the curves it logs.
"""

from __future__ import annotations

import ast
import contextlib
import numbers
import threading
import time
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


# A name whose first ``SETTLE`` bound values were all something no point is made of (an array
# of 1 or more dimensions, a list, a model, a bool) is followed no further: ``err`` and ``w``
# in a numpy loop cost more per iteration than the ``loss`` beside them. Unbound and ``None``
# are not counted: a metric assigned every k-th iteration starts out that way.
SETTLE = 8


class LoopRecorder:
    """Turns ``HOOK[loop_id](step)`` calls into metric points of a run.

    The loop's thread only appends, per iteration, the loop variable (when it is the step)
    and each followed name's value (None: no point) to lists aligned by iteration (see
    :class:`_Loop`; nothing is allocated per point, so a long loop adds no garbage collection);
    a writer thread hands the points to the live curve every ``DRAIN_EVERY`` seconds and
    writes them to the store in batches, as ``ActiveRun`` does for ``log_metric``.
    """

    def __init__(self, namespace: dict[str, Any], active: Any) -> None:
        self.namespace = namespace
        self.active = active
        #: One point function per loop, built for it (what ``HOOK`` names in the namespace).
        self.hooks: list[Callable[[Any], None]] = []
        self.loops: list[_Loop] = []
        self.last: dict[str, tuple[int, float]] = {}  # name -> (step, value) of its last point
        self.error: BaseException | None = None
        self._unwritten: list[tuple[str, str, int | None, float, float]] = []
        self._written_at = time.monotonic()
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()

    def add_loop(self, names: list[str], use_step: bool) -> int:
        """A loop recording ``names``; its id indexes :attr:`hooks`."""
        loop = _Loop(self, len(self.hooks), tuple(names), use_step)
        self.loops.append(loop)
        self.hooks.append(self._starter(loop))
        return loop.index

    def _starter(self, loop: _Loop) -> Callable[[Any], None]:
        """The loop's first point: puts the loop's own point function in place of itself and
        starts the writer, so the per-iteration path has no "first time?" test."""

        def first(step: Any) -> None:
            point = self.hooks[loop.index] = loop.first_point(step)
            self._start_writer()
            point(step)

        return first

    def _start_writer(self) -> None:
        """One writer for all the cell's loops (each loop's first point gets here)."""
        with self._writer_lock:
            if self._writer is None and not self._stop.is_set():
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
            self._drain()

    def _drain(self, write: bool = True) -> None:
        listeners, run_id = self.active.listeners, self.active.id
        at = time.time()  # the drain's time, not each point's: a clock read per point costs
        batch = [point for loop in self.loops for point in loop.take()]
        self.last.update((name, (step, value)) for name, step, value in batch)
        self._unwritten += [(run_id, name, step, float(value), at) for name, step, value in batch]
        for listener in listeners:
            for name, step, value in batch:
                listener(name, step, value)
        due = time.monotonic() - self._written_at > WRITE_EVERY or len(self._unwritten) >= WRITE_BATCH
        if write and self._unwritten and due and self.error is None:
            rows, self._unwritten = self._unwritten, []
            self._written_at = time.monotonic()
            try:
                self.active.store.log_metrics(rows)
            except Exception as exc:  # the store failed: the loop goes on; the run says so
                self.error = exc

    def close(self) -> list[tuple[str, str, int | None, float, float]]:
        """Stop the writer; the rows of the points not yet written, for the caller to write
        (off the cell's path: 20,000 points of a short loop took 60-80 ms to write at its end).
        :attr:`last` is complete once this returns."""
        with self._writer_lock:
            self._stop.set()
        if self._writer is not None:
            self._writer.join()
        self._drain(write=False)
        rows, self._unwritten = self._unwritten, []
        return rows if self.error is None else []


class _Loop:
    """One instrumented loop: a column per name holding its value at each iteration (or None:
    no point), the loop variable at each iteration if it is the step, and the point function
    built for the names still followed.

    The columns are aligned by iteration: every followed name's column gets one entry per
    iteration, so an iteration's index is where it sits in them, and nothing per point is
    counted or checked on the loop's thread that can be done when the points are taken.
    """

    def __init__(self, recorder: LoopRecorder, index: int, names: tuple[str, ...],
                 use_step: bool) -> None:
        self.recorder = recorder
        self.index = index
        self.use_step = use_step
        self.steps: list[Any] = []  # the loop variable per iteration, if it is the step
        self.columns: dict[str, list[Any]] = {name: [] for name in names}
        self.followed = list(names)
        self.numbers: set[str] = set()  # names known to have made a point: followed to the end
        self.strikes = dict.fromkeys(names, 0)
        self.base = 0  # iterations taken so far: the index of the columns' first entries

    def first_point(self, step: Any) -> Callable[[Any], None]:
        """The point function, chosen at the loop's first iteration: the loop variable is
        the step if it is an int then (a later one that is not becomes the iteration's
        index when taken)."""
        self.use_step = self.use_step and type(step) is int
        return self.build()

    def build(self) -> Callable[[Any], None]:
        """The loop's point function over :attr:`followed`."""
        if not self.followed:
            return _no_point
        factory = _point_factory(len(self.followed), self.use_step)
        adds = tuple(self.columns[name].append for name in self.followed)
        slows = tuple(self._slow_path(name) for name in self.followed)
        return factory(self.recorder.namespace.get, self.steps.append, tuple(self.followed),
                       adds, slows, self.recorder._give_up)

    def _slow_path(self, name: str) -> Callable[[Any], None]:
        """What the point function calls for a value that is not a float: converts it (numpy
        scalars, 0-d arrays and tensors) or counts it towards no longer following the name."""
        add = self.columns[name].append

        def slow(value: Any) -> None:
            number = _number(value)
            add(number)  # None too: the column keeps one entry per iteration
            if number is None and value is not None and name not in self.numbers:
                self.strikes[name] += 1
                if self.strikes[name] >= SETTLE and not self._made_points(name):
                    self._unfollow(name)

        return slow

    def _made_points(self, name: str) -> bool:
        """Whether ``name`` has made a point so far (floats take the fast path, which keeps
        no record: they are in the column, or were taken after ``take`` noted the name)."""
        if name in self.numbers or any(value is not None for value in self.columns[name]):
            self.numbers.add(name)
            return True
        return False

    def _unfollow(self, name: str) -> None:
        self.followed.remove(name)
        hooks = self.recorder.hooks
        if hooks[self.index] is not _no_point:  # not given up meanwhile
            hooks[self.index] = self.build()

    def take(self) -> list[tuple[str, Any, Any]]:
        """The points of the iterations every followed name has finished since the last
        call, removed from the columns: ``(name, step, value)``.

        The loop's thread may append meanwhile; it appends the step first and then the names
        in order, so the shortest followed column says how many iterations are whole."""
        followed = list(self.followed)
        columns = self.columns
        whole = min((len(columns[name]) for name in followed),
                    default=max((len(column) for column in columns.values()), default=0))
        if not whole:
            return []
        base = self.base
        if self.use_step:
            steps = self.steps[:whole]
            del self.steps[:whole]
            # A loop variable that is not an int64 (the catalog's steps): the iteration's index.
            steps = [step if type(step) is int and -INT64 <= step < INT64 else base + i
                     for i, step in enumerate(steps)]
        else:
            steps = list(range(base, base + whole))
        self.base = base + whole
        points = []
        for name, column in columns.items():
            taken = column[:whole]  # an unfollowed name's column may be shorter
            if name not in self.numbers and any(value is not None for value in taken):
                self.numbers.add(name)  # before the points leave the column (_made_points)
            del column[:len(taken)]
            points += [(name, step, value) for step, value in zip(steps, taken, strict=False)
                       if value is not None]
        return points


def _point_factory(width: int, use_step: bool) -> Callable[..., Any]:
    """A factory of point functions for ``width`` names, cached per shape.

    The hot path is generated (as ``dataclasses`` generates ``__init__``) so that an
    iteration costs, per name, one namespace lookup, one type test and, for a float, one
    append: no loop over the names, no tuple or counter per point. Anything but a float goes
    to that name's slow path.
    """
    key = (width, use_step)
    factory = _factories.get(key)
    if factory is None:
        lines = ["def factory(get, add_step, names, adds, slows, give_up):",
                 f"    ({''.join(f'n{i}, ' for i in range(width))}) = names",
                 f"    ({''.join(f'a{i}, ' for i in range(width))}) = adds",
                 f"    ({''.join(f'slow{i}, ' for i in range(width))}) = slows",
                 "    def point(step):",
                 "        try:"]
        if use_step:
            lines += ["            add_step(step)"]
        for i in range(width):
            lines += [f"            x = get(n{i})",
                      "            if type(x) is float:",
                      f"                a{i}(x)",
                      "            else:",
                      f"                slow{i}(x)"]
        lines += ["        except Exception as exc:  # a broken value: stop recording, keep looping",
                  "            give_up(exc)",
                  "    return point"]
        scope: dict[str, Any] = {}
        exec("\n".join(lines), scope)  # our own text, made from an int and a bool
        factory = _factories[key] = scope["factory"]
    return factory


_factories: dict[tuple[int, bool], Callable[..., Any]] = {}


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


def write_points(store: Any, rows: list[tuple[str, str, int | None, float, float]]) -> None:
    """Background job: the rows :meth:`LoopRecorder.close` left (the run already shows their
    last values). A store that fails here says so on the run: the cell's summary is gone."""
    try:
        store.log_metrics(rows)
    except Exception as exc:
        with contextlib.suppress(Exception):
            store.add_run_warning(rows[0][0], f"loop curves not fully stored: {type(exc).__name__}: {exc}",
                                  dropped_points=len(rows))
