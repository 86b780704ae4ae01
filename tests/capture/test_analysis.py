"""What a cell reads and binds: only what the cell itself evaluates when it runs."""

from __future__ import annotations

import keyword
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyter_artifacts.capture.analysis import analyse
from jupyter_artifacts.store import Store

from .conftest import run
from .test_track import events

# (cell, names it reads, names it calls methods on, names it binds)
CASES = [
    ("def f(x):\n    df.drop(1)\n    return model.predict(x)\n", set(), set(), {"f"}),
    ("async def f():\n    return await client.get(url)\n", set(), set(), {"f"}),
    ("def f(x, n=n_default, *, k=k_default):\n    return x + n + k\n", {"n_default", "k_default"},
     set(), {"f"}),
    ("@register(registry)\ndef f():\n    return data\n", {"register", "registry"}, set(), {"f"}),
    ("class C(Base, metaclass=Meta):\n    lr = base_lr\n    twice = lr * 2\n"
     "    def m(self):\n        return df.mean()\n", {"Base", "Meta", "base_lr"}, set(), {"C"}),
    ("square = lambda v, p=power: v ** p + hidden\n", {"power"}, set(), {"square"}),
    ("ys = [f(x) for x in data if x > cutoff]\n", {"f", "data", "cutoff"}, set(), {"ys"}),
    ("d = {k: v.mean() for k, v in frames.items()}\n", {"frames"}, {"frames"}, {"d"}),
    ("g = sum(w * x for x in xs for w in weights[x])\n", {"sum", "xs", "weights"}, set(), {"g"}),
    ("pred = model.predict(X)\ndef report():\n    print(pred, y)\n", {"model", "X"}, {"model"},
     {"pred", "report"}),
]


@pytest.mark.parametrize(("code", "reads", "called", "binds"), CASES)
def test_cell_reads_only_what_it_evaluates(code: str, reads: set[str], called: set[str],
                                           binds: set[str]) -> None:
    names = analyse(code)
    assert names is not None
    assert set(names.loads) == reads
    assert names.mutated == called
    assert set(names.stores) == binds


_identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s) and s not in ("f", "x"))


@given(body=st.lists(st.tuples(_identifiers, _identifiers, _identifiers), min_size=1, max_size=6),
       kind=st.sampled_from(["def", "lambda", "class-method"]))
def test_a_definition_reads_nothing_from_its_body(body: list[tuple[str, str, str]], kind: str) -> None:
    lines = [f"{a} = {b}.{c}(x) + {c}" for a, b, c in body]
    if kind == "def":
        code = "def f(x):\n" + "".join(f"    {line}\n" for line in lines) + "    return x\n"
    elif kind == "lambda":
        code = "f = lambda x: (" + ", ".join(f"{b}.{c}(x) + {c}" for _, b, c in body) + ")\n"
    else:
        code = "class F:\n    def f(self, x):\n" + "".join(f"        {line}\n" for line in lines)
    names = analyse(code)
    assert names is not None
    assert names.loads == {} and names.mutated == set()
    assert set(names.stores) == {"F" if kind == "class-method" else "f"}


def test_defining_a_function_links_no_globals(shell: Any, store: Store) -> None:
    run(shell, "import numpy as np\nfrom sklearn.linear_model import LogisticRegression\n"
               "X = np.random.RandomState(0).rand(40, 3); y = (X[:, 0] > .5).astype(int)\n"
               "model = LogisticRegression().fit(X, y)\nthreshold = 0.5")
    run(shell, "%%track helpers\ndef predict(rows):\n    model.fit(X, y)\n"
               "    return model.predict_proba(rows)[:, 1] > threshold\n")
    r = store.get_run("helpers")
    assert events(store, "helpers") == {"input": set(), "output": set()}
    assert r.params == {} and r.metrics == {}
