"""Generated input for the magics on a real shell: ``%%track`` option lines and cell bodies,
and ``%artifacts`` arguments.

A tracked cell runs as it would untracked (same output, namespace and exception) and closes
its run; bad input is one ``UsageError`` line with the body not run; no input gives a
traceback from our code.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from jupyter_artifacts import tracking
from jupyter_artifacts.capture.background import wait_pending
from jupyter_artifacts.capture.values import is_number
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.validate import MAX_TAG

# 60 examples keep the file well under a minute in CI; FUZZ_N=500 explores further by hand.
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_N", "60")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Notes that mean tracking itself broke (the cell ran untracked, or its capture raised).
BROKEN = ("runs untracked", "could not be recorded", "could not be closed", "not fully recorded")
# Characters str.splitlines breaks at: inside an option line they start the body (as IPython
# splits a cell magic's first line), so option lines are generated without them.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


@dataclass
class Outcome:
    out: str
    err: list[str]  # stderr lines, tracking's own notes left out
    notes: list[str]  # tracking's notes (``jupyter-artifacts: ...``)
    shown: list[Any]  # what display() and the cell's result published, not our summaries
    error: type[BaseException] | None
    names: dict[str, str]  # the user's names, as comparable text
    runs: int  # runs in the store after the cell


def comparable(value: Any) -> str:
    """``value`` as text equal for equal values (functions and objects by type and name)."""
    plain = (int, float, complex, str, bytes, bool, type(None), list, tuple, dict, set, range,
             np.ndarray, np.generic)
    if isinstance(value, plain):
        return repr(value)
    return f"<{type(value).__name__} {getattr(value, '__qualname__', '')}>"


def normalised(text: str) -> str:
    """Output with what differs between any two cells (prompt numbers, cell line numbers) cut."""
    text = re.sub(r"(Out|In)\[\d+\]", r"\1[N]", text)
    return re.sub(r"(?m)^\s*(Cell In\[N\]|File \"<ipython-input-[^\n]*), line \d+\n", "", text)


class Cells:
    """Runs cells on the shared shell, each in a namespace emptied of the previous one's names."""

    def __init__(self, shell: Any, store: Store) -> None:
        self.shell, self.store = shell, store
        self.baseline = set(shell.user_ns)

    def runs(self) -> int:
        return self.store.search_runs(None, limit=1).total

    def run(self, cell: str, magic_line: str | None = None) -> Outcome:
        ns = self.shell.user_ns
        for key in [k for k in ns if k not in self.baseline]:
            del ns[key]
        error: BaseException | None = None
        with capture_output() as cap:
            if magic_line is None:
                result = self.shell.run_cell(cell, store_history=True)
                error = result.error_before_exec or result.error_in_exec
            else:
                try:
                    self.shell.run_cell_magic("track", magic_line, cell)
                except UsageError as exc:
                    error = exc
        wait_pending()
        assert tracking._stack == [], "a run was left active"
        lines = cap.stderr.splitlines()
        hidden = self.shell.user_ns_hidden
        return Outcome(
            out=normalised(cap.stdout),
            err=[line for line in lines if not line.startswith("jupyter-artifacts:")],
            notes=[line for line in lines if line.startswith("jupyter-artifacts:")],
            shown=[o.data for o in cap.outputs if not o.metadata.get("jupyter_artifacts")],
            error=None if error is None else type(error),
            names={k: comparable(v) for k, v in ns.items()
                   if k not in self.baseline and not k.startswith("_") and k not in hidden},
            runs=self.runs(),
        )


@pytest.fixture
def cells(shell: Any, store: Store) -> Iterator[Cells]:
    """The shell without colours and with one-line tracebacks, numpy and display() in scope."""
    colors, mode = shell.colors, shell.InteractiveTB.mode
    shell.run_line_magic("colors", "nocolor")
    shell.run_line_magic("xmode", "Minimal")
    shell.run_cell("import numpy as np\nfrom IPython.display import display")
    yield Cells(shell, store)
    shell.run_line_magic("xmode", mode)
    shell.run_line_magic("colors", colors)


def assert_same_as_untracked(tracked: Outcome, plain: Outcome) -> None:
    assert not [n for n in tracked.notes if any(b in n for b in BROKEN)], tracked.notes
    assert (tracked.out, tracked.err, tracked.shown, tracked.error, tracked.names) == (
        plain.out, plain.err, plain.shown, plain.error, plain.names)


# -- %%track option lines ----------------------------------------------------------------
line_text = st.text(st.characters(blacklist_characters=LINE_BREAKS, blacklist_categories=["Cs"]),
                    max_size=12)
tag_values = st.one_of(line_text, st.sampled_from(["", " ", "--x", "-t", "a\tb", "'", '"', "é",
                                                    "x" * (MAX_TAG + 1), "\x00", "\x1b[31m"]))
var_values = st.one_of(st.sampled_from(["a", "xs", "loss", "nosuch", "", "1x", "a-b", "é", "--a"]),
                       line_text)
tokens = st.one_of(
    st.tuples(st.sampled_from(["--tag", "-t"]), tag_values),
    st.tuples(st.sampled_from(["--save", "--skip"]), var_values),
    st.tuples(st.sampled_from(["--no-figures", "--quiet"]), st.none()),
    st.tuples(st.just("unknown"), st.sampled_from(["--nope", "-x", "--tag=a", "--", "-"])),
    st.tuples(st.just("name"), line_text.filter(lambda s: not s.startswith("-"))),
)
BODIES = ["a = 1\nprint('hi', a)\na + 1", "xs = [1, 2]\nxs.append(3)\nloss = float(len(xs))",
          "arr = np.arange(4.0)\nloss = float(arr.sum())\narr;", "raise ValueError('no')"]


def expected_options(toks: list[tuple[str, str | None]]) -> tuple[bool, str | None, list[str]]:
    """Whether the option line is valid, and its run name and tags (the documented grammar)."""
    name, tags, names = None, [], 0
    for flag, value in toks:
        if flag == "unknown":
            return False, None, []
        if flag == "name":
            names += 1
            name = name if name is not None else value
        elif value is not None:
            if value.startswith("--"):
                return False, None, []
            if flag in ("--tag", "-t"):
                if not value or len(value) > MAX_TAG or not value.isprintable():
                    return False, None, []
                tags.append(value)
            elif not value.isidentifier():
                return False, None, []
    return names <= 1, name, list(dict.fromkeys(tags))


def render(toks: list[tuple[str, str | None]], raw: bool) -> str:
    words = [w for flag, value in toks for w in ([] if flag in ("name", "unknown") else [flag])
             + ([] if value is None else [value])]
    return " ".join(words if raw else [shlex.quote(w) for w in words])


@FUZZ
@given(toks=st.lists(tokens, max_size=5), body=st.sampled_from(BODIES), raw=st.booleans(),
       via_magic=st.booleans())
@example(toks=[("--tag", "")], body=BODIES[0], raw=False, via_magic=False)  # ran untracked
@example(toks=[("--tag", "\x00")], body=BODIES[0], raw=False, via_magic=True)
def test_track_option_lines(cells: Cells, toks: list[tuple[str, str | None]], body: str,
                            raw: bool, via_magic: bool) -> None:
    line = render(toks, raw)
    plain = cells.run(body)
    before = plain.runs
    tracked = cells.run(body, magic_line=line) if via_magic else cells.run(f"%%track {line}\n{body}")
    valid, name, tags = expected_options(toks)
    if tracked.error is UsageError and plain.error is not UsageError:
        # One line, nothing of the body run, no run made.
        assert raw or not valid, line
        if not via_magic:
            assert len(tracked.err) == 1 and tracked.err[0].startswith("UsageError: %%track"), tracked.err
        assert (tracked.out, tracked.shown, tracked.names, tracked.notes) == ("", [], {}, [])
        assert tracked.runs == before
        return
    assert raw or valid, line
    if via_magic:  # the nested cell shows the body's error and, as %%capture's, does not raise it
        tracked.error = plain.error
    assert_same_as_untracked(tracked, plain)
    assert tracked.runs == before + 1
    latest = cells.store.search_runs(None, limit=1).runs[0]
    assert latest.status == ("ok" if plain.error is None else "failed")
    if not raw:
        assert sorted(latest.tags) == sorted(tags)  # a set: the catalog keeps them sorted
        if name:
            assert latest.name == name


# -- cell bodies -------------------------------------------------------------------------
NAMES = ["a", "b", "xs", "loss", "arr", "cfg"]
name = st.sampled_from(NAMES)
small = st.integers(-3, 5)


def float_literal(x: float) -> str:
    return repr(x) if np.isfinite(x) else f"float('{x}')"


scalar = st.one_of(
    st.integers(-(2**70), 2**70).map(repr),
    st.floats().map(float_literal),
    st.text(max_size=6).map(repr),
    st.booleans().map(repr),
    st.just("None"),
)
value = st.one_of(
    scalar,
    name,
    st.lists(small, max_size=4).map(repr),
    st.dictionaries(st.text(max_size=4), st.floats(-10, 10), max_size=3).map(repr),
    st.lists(st.floats(-1e3, 1e3), max_size=6).map(lambda v: f"np.array({v!r})"),
    st.tuples(st.integers(1, 4), st.integers(1, 4)).map(lambda s: f"np.arange({s[0] * s[1]}).reshape{s}"),
    st.floats().map(lambda x: f"np.float64({float_literal(x)})"),
    st.floats(-5, 5).map(lambda x: f"np.array({x!r})"),
)
expr = st.one_of(value, st.tuples(value, st.sampled_from(["+", "*", "-", "/", "//"]), value)
                 .map(lambda t: f"{t[0]} {t[1]} {t[2]}"))


def block(lines: list[str]) -> str:
    return "\n".join("    " + line for line in lines)


def for_loop(t: tuple[str, int, str, str]) -> str:
    target, times, value, jump = t
    return f"for i in range({times}):\n" + block([f"{target} = {value} + i"]
                                                 + ([f"if i == 1: {jump}"] if jump else []))


statement = st.one_of(
    st.tuples(name, expr).map(lambda t: f"{t[0]} = {t[1]}"),
    st.tuples(name, expr).map(lambda t: f"{t[0]} += {t[1]}"),
    st.tuples(name, name, expr, expr).map(lambda t: f"{t[0]}, {t[1]} = {t[2]}, {t[3]}"),
    expr.map(lambda e: f"print({e})"),
    expr.map(lambda e: f"display({e})"),
    st.tuples(name, small, expr, st.sampled_from(["", "break", "continue"])).map(for_loop),
    st.tuples(name, small).map(lambda t: f"{t[0]} = 0\nwhile {t[0]} < {t[1]}:\n    {t[0]} += 1"),
    st.tuples(name, expr).map(lambda t: f"def f(v):\n    return v * 2\n{t[0]} = f({t[1]})"),
    st.tuples(name, small).map(lambda t: f"{t[0]} = [i * 2 for i in range({t[1]})]"),
    name.map(lambda n: f"{n} = lambda v: v + 1"),
    name.map(lambda n: f"{n}.append(1)"),
    name.map(lambda n: f"del {n}"),
    name.map(lambda n: f"class {n.capitalize()}:\n    ndim = 0\n    def item(self):\n        return 1.5"),
    st.text(max_size=5).map(lambda s: f"raise ValueError({s!r})"),
    st.tuples(name, expr).map(lambda t: f"print(({t[0]} := {t[1]}), file=__import__('sys').stderr)"),
    st.tuples(name, st.text(max_size=5)).map(  # a file written: recorded, and the same either way
        lambda t: f"with open('out.txt', 'w') as fh:\n    {t[0]} = fh.write({t[1]!r})"),
    name.map(lambda n: f"import asyncio\nawait asyncio.sleep(0)\n{n} = 1"),  # top-level await
    name.map(lambda n: f"import math\n{n} = math.pi"),
    st.sampled_from(["1 / 0", "assert False, 'no'", "[][1]", "int('x')", "x = (", "def :",
                     "return 5", ")", "  a = 1", "for in x:", "import nosuchmodule_ja"]),
)


@st.composite
def bodies(draw: st.DrawFn) -> str:
    lines = draw(st.lists(statement, max_size=5))
    last = draw(st.one_of(st.just(""), expr, expr.map(lambda e: f"{e};")))
    text = "\n".join([*lines, last])
    if draw(st.booleans()):
        text = "\n".join("    " + line if line else line for line in text.split("\n"))  # pasted
    return text


@FUZZ
@given(body=bodies(), quiet=st.booleans())
@example(body="class A:\n    ndim = 0\n    def item(self):\n        return 1.5\nb = A", quiet=True)
def test_tracked_body_runs_as_untracked(cells: Cells, body: str, quiet: bool) -> None:
    plain = cells.run(body)
    tracked = cells.run(f"%%track{' --quiet' if quiet else ''}\n{body}")
    assert_same_as_untracked(tracked, plain)
    assert tracked.runs == plain.runs + 1
    run = cells.store.search_runs(None, limit=1).runs[0]
    assert run.status == ("ok" if plain.error is None else "failed")


def test_a_class_that_looks_like_a_0d_array_is_read_by_a_tracked_cell(cells: Cells) -> None:
    """``ndim = 0`` and an ``item`` method on a class: is_number called the unbound method."""
    cells.shell.run_cell("class A:\n    ndim = 0\n    def item(self):\n        return 1.5")
    cells.baseline.add("A")
    outcome = cells.run("%%track --quiet\nb = A")
    assert outcome.notes == [] and outcome.error is None
    assert cells.store.search_runs(None, limit=1).runs[0].status == "ok"


class RaisingItem:
    ndim = 0

    def item(self) -> float:
        raise RuntimeError("no item")


def test_is_number_refuses_look_alikes() -> None:
    assert not is_number(RaisingItem) and not is_number(RaisingItem())
    assert is_number(np.array(1.5)) and not is_number(np.array("x"))


# -- %artifacts ----------------------------------------------------------------------------
COMMANDS = ["ls", "show", "load", "runs", "diff", "compare", "lineage", "costs", "slow", "nosuch", ""]
refs = st.one_of(
    st.sampled_from(["arr", "arr:v1", "arr:latest", "run-1", "first", "cfg", "first/stdout"]),
    st.integers(0, 10**30).map(lambda n: f"arr:v{n}"),
    st.integers(0, 10**30).map(lambda n: f"run-{n}"),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["", "as", "../x", "../../etc/passwd", "/abs", ":v1", "arr:", "arr:vx", "²", "٣",
                     "x" * 300, "arr:v-1", "*", "%", "run-", "a b"]),
    line_text,
)


@FUZZ
@given(command=st.sampled_from(COMMANDS), args=st.lists(refs, max_size=3), raw=st.booleans())
@example(command="costs", args=["99999999999999999999"], raw=False)
@example(command="costs", args=["²"], raw=False)
@example(command="load", args=["arr", "as", "got"], raw=False)
def test_artifacts_line_magic(cells: Cells, command: str, args: list[str], raw: bool) -> None:
    if cells.runs() == 0:
        cells.shell.run_cell("%%track first --quiet\narr = np.arange(6.0)\ncfg = {'acc': 0.9}\nprint('x')")
        wait_pending()
        cells.baseline = set(cells.shell.user_ns)
    line = " ".join([command, *(args if raw else [shlex.quote(a) for a in args])])
    cells.shell.run_line_magic("xmode", "Plain")  # a traceback, if any, is shown as one
    try:
        outcome = cells.run(f"%artifacts {line}")
    finally:
        cells.shell.run_line_magic("xmode", "Minimal")
    assert outcome.error in (None, UsageError), (line, outcome)
    assert "Traceback" not in outcome.out + "\n".join(outcome.err), (line, outcome)
    if outcome.error is UsageError:
        assert len(outcome.err) == 1 and outcome.err[0].startswith("UsageError: "), outcome.err
