"""Generated input for the run API and the command line: a clear error or a stored value,
never a poisoned run, a raw exception or a traceback."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import jupyter_artifacts as ja
from jupyter_artifacts import tracking
from jupyter_artifacts.cli import main
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.validate import check_tags

pytestmark = pytest.mark.both_catalogs  # each test runs on SQLite and on PostgreSQL

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

keys = st.one_of(st.text(max_size=300), st.integers(), st.none(), st.binary(max_size=5))
values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(10**400), max_value=10**400),
    st.booleans(), st.text(max_size=5), st.none(), st.lists(st.floats(), max_size=2),
)
steps = st.one_of(st.none(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(),
                  st.booleans(), st.text(max_size=3))


@FUZZ
@given(points=st.lists(st.tuples(keys, values, steps), max_size=30))
def test_log_metric_stores_or_refuses_each_point(store: Store, points: list[tuple[Any, Any, Any]]) -> None:
    accepted: dict[str, int] = {}
    with ja.run("fuzz") as active:
        for key, value, step in points:
            try:
                ja.log_metric(key, value, step)
            except ja.InvalidValueError as exc:
                assert "\n" not in str(exc)
                continue
            accepted[key] = accepted.get(key, 0) + 1
    run = store.get_run(active.id)
    assert run.status == "ok" and run.warnings == []
    summary = store.metric_summary(active.id)
    assert {k: s["count"] for k, s in summary.items()} == accepted


json_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=20,
)


class Opaque:
    def __init__(self, fail: bool) -> None:
        self.fail = fail

    def __repr__(self) -> str:
        if self.fail:
            raise ValueError("no repr")
        return "Opaque()"


param_values = st.one_of(json_like, st.text(min_size=5990, max_size=6010), st.builds(Opaque, st.booleans()))


@FUZZ
@given(params=st.dictionaries(st.one_of(st.text(max_size=260), st.integers()), param_values, max_size=5))
def test_log_params_stores_json_or_refuses(store: Store, params: dict[Any, Any]) -> None:
    with ja.run("fuzz") as active:
        for key, value in params.items():
            try:
                ja.log_param(key, value)
            except ja.InvalidValueError as exc:
                assert "\n" not in str(exc)
    stored = store.get_run(active.id).params
    assert set(stored) <= {str(k) for k in params}
    for value in stored.values():
        assert len(json.dumps(value)) <= 6000


@FUZZ
@given(tags=st.one_of(st.text(max_size=10), st.lists(st.text(max_size=10), max_size=4), st.integers(),
                      st.lists(st.one_of(st.text(max_size=3), st.integers()), max_size=3)))
def test_tags_are_a_list_of_whole_strings_or_refused(tags: Any) -> None:
    try:
        checked = check_tags(tags)
    except ja.InvalidValueError:
        return
    if isinstance(tags, str):
        assert checked == [tags]
    else:
        assert checked == list(dict.fromkeys(tags))


# -- the command line ----------------------------------------------------------------------
COMMANDS = ["ls", "runs", "show", "export", "alias", "gc", "verify", "bogus"]
REFS = ["notes", "notes:v1", "notes:v99999999999999999999", "notes:latest", "notes:prod", "run-1",
        "run-99999999999999999999", "99999999999999999999", "train", "x:y:z", "", ":", "-", "--",
        "nosuch:v1", "ab", "0000"]
FLAGS = ["--json", "--asc", "--dry-run", "-h", "--store", "--kind", "--name", "--tag", "--status",
         "--sort", "--limit", "-o", "--output", "--nope"]
VALUES = ["metrics.acc", "params.lr", "metrics.", "name", "dead", "running", "ok", "0", "-1", "10",
          "1e9", "99999999999999999999", ""]
free_text = st.text(alphabet=st.characters(blacklist_characters="/\\\x00", blacklist_categories=["Cs"]),
                    max_size=12)
word = st.one_of(st.sampled_from(REFS), st.sampled_from(VALUES), free_text)
flag = st.tuples(st.sampled_from(FLAGS), word).map(list)


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A store with versions and runs; the working folder (where export writes) is a temp one."""
    store = Store.open(tmp_path / "store")
    tracking.set_default_store(store)
    with ja.run("train", params={"lr": 0.1}):
        ja.log_metric("acc", 0.5)
        ja.save("text", "notes")
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    yield tmp_path / "store"
    store.close()


@FUZZ
@given(command=st.sampled_from(COMMANDS), positional=st.lists(word, max_size=3),
       flags=st.lists(flag, max_size=3), store_first=st.booleans())
@example(command="show", positional=["run-99999999999999999999"], flags=[], store_first=False)
@example(command="show", positional=["notes:v99999999999999999999"], flags=[], store_first=True)
@example(command="runs", positional=[], flags=[["--limit", "99999999999999999999"]], store_first=True)
@example(command="runs", positional=[], flags=[["--sort", "metrics."]], store_first=False)
def test_any_argv_gives_an_exit_code_never_a_traceback(
    cli_store: Path, command: str, positional: list[str], flags: list[list[str]], store_first: bool
) -> None:
    argv = [command, *positional, *(w for pair in flags for w in pair)]
    argv = ["--store", str(cli_store), *argv] if store_first else [*argv, "--store", str(cli_store)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code in (0, 1, 2), (argv, code)
    assert "Traceback" not in err.getvalue(), (argv, err.getvalue())
    assert "unexpected error" not in err.getvalue(), (argv, err.getvalue())
    if code == 2:
        assert len(err.getvalue().strip().splitlines()) == 1, (argv, err.getvalue())
    assert not any(Path(os.getcwd()).parents[2].glob("*.artifacts"))  # nothing created outside


def test_a_nan_metric_survives_the_fuzz_shapes(store: Store) -> None:
    with ja.run("nan") as active:
        ja.log_metric("x", math.nan, step=0)
    assert math.isnan(store.metric_summary(active.id)["x"]["last"])
