"""Content already hashed is not hashed again while it is known unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_artifacts.capture import linking
from jupyter_artifacts.capture.memo import touched_names
from jupyter_artifacts.store import Store

from .conftest import run
from .test_track import events


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names whose content the linker hashed, in order (a spy on the real encode)."""
    calls: list[str] = []
    real = linking.encode

    def spy(obj: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(type(obj).__name__)
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(linking, "encode", spy)
    return calls


SETUP = ("import numpy as np\nimport pandas as pd\n"
         "df = pd.DataFrame({'a': np.arange(1000.0), 'b': np.arange(1000)})\n"
         "arr = np.arange(5000.0)")


def test_unchanged_values_are_not_hashed_again(shell: Any, store: Store, hashed: list[str]) -> None:
    run(shell, SETUP)
    run(shell, "%%track first\nn = len(df) + arr.size")
    assert sorted(hashed) == ["DataFrame", "ndarray"]
    # Untracked cells that only read them, then a tracked cell reading them again.
    run(shell, "summary = df.describe()\ntotal = arr.sum()\nprint(df.head(), len(arr))")
    run(shell, "col = df['a'].mean()\nsmall = arr.reshape(50, 100)[0]")
    run(shell, "%%track second\nm = df['b'].max() + arr.mean()")
    assert sorted(hashed) == ["DataFrame", "ndarray"]
    assert events(store, "second")["input"] == {"df:v1", "arr:v1"}


@pytest.mark.parametrize("change", [
    "df.loc[0, 'a'] = -1.0",  # written into
    "df.fillna(0, inplace=True); df.iloc[1, 0] = -2.0",  # a method with inplace=
    "view = df['a'].to_numpy(copy=False)\ndf.iloc[2, 0] = -3.0",
    "def bump():\n    df.iloc[3, 0] = -4.0\nbump()",  # through a function of the notebook
    "frames = {'train': df}\nframes['train'].iloc[4, 0] = -5.0",  # through a container
    "%time df.iloc[5, 0] = -6.0",  # a magic: anything may change
])
def test_a_frame_changed_in_place_is_a_new_version(shell: Any, store: Store, hashed: list[str],
                                                    change: str) -> None:
    run(shell, SETUP)
    run(shell, "%%track first\nn = len(df)")
    run(shell, change)
    run(shell, "%%track second\nm = len(df)")
    assert events(store, "second")["input"] == {"df:v2"}
    assert hashed == ["DataFrame", "DataFrame"]


@pytest.mark.parametrize("change", [
    "view = arr[:10]",  # a view made in one cell, written through in the next
    "holder = type('Holder', (), {})()\nholder.data = arr",
])
def test_an_array_changed_through_another_name_is_a_new_version(shell: Any, store: Store,
                                                                 change: str) -> None:
    run(shell, SETUP)
    run(shell, change)
    run(shell, "%%track first\nn = arr.size")
    run(shell, "view[0] = -1.0" if "view" in change else "holder.data[0] = -1.0")
    run(shell, "%%track second\nm = arr.size")
    assert events(store, "second")["input"] == {"arr:v2"}


def test_changed_by_the_tracked_cell_itself(shell: Any, store: Store) -> None:
    run(shell, SETUP)
    run(shell, "%%track scale\ntotal = arr.sum()\narr *= 2")  # read (and hashed), then changed
    assert events(store, "scale") == {"input": {"arr:v1"}, "output": {"arr:v2"}}
    run(shell, "%%track read\nn = arr.size")
    assert events(store, "read")["input"] == {"arr:v2"}


@pytest.mark.parametrize(("code", "touched"), [
    ("n = len(df)", set()),
    ("df.head()\ny = df['a'].mean()\nprint(df.shape)", set()),
    ("df = df.dropna()", set()),  # rebinding changes no object
    ("df.fillna(0, inplace=True)", {"df"}),
    ("df.loc[0, 'a'] = 1", {"df"}),
    ("arr.reshape(-1)[0] = 5", {"arr"}),  # written through a view
    ("arr.sort()", {"arr"}),
    ("np.add(arr, 1, out=arr)", {"arr", "np"}),
    ("model.fit(X, y)", {"model", "X", "y"}),  # arguments of other code may change
    ("x = df.values\nx *= 2", {"x", "df"}),  # a view made in the cell and changed
])
def test_touched_names(code: str, touched: set[str]) -> None:
    assert touched_names(code, {"__name__": "__main__"}) - {"len", "print", "range"} == touched


@pytest.mark.parametrize("code", ["exec('df.x = 1')", "get_ipython().run_line_magic('run', 'x.py')",
                                  "def f():\n    pass\nf()", "not python ("])
def test_cells_that_may_change_anything(code: str) -> None:
    assert touched_names(code, {"__name__": "__main__"}) is None
