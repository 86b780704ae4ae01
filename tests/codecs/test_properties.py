"""Property tests: every generated DataFrame and array loads back as itself.

One store holds every example, so the fingerprint shortcut (an unchanged value is answered
with the stored object) is tested too: two different values must never share an object.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jupyter_artifacts.codecs import load_version, save_object
from jupyter_artifacts.store import Store

_names = itertools.count()
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | \
    st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
_json_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                            | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
_dicts = st.dictionaries(st.text(max_size=6), _json_values, max_size=4)


_CELLS: dict[str, Any] = {  # dtype -> values of one cell
    "int64": st.integers(-(2**63), 2**63 - 1),
    "float64": st.floats(width=64),
    "bool": st.booleans(),
    "datetime64[ns]": st.datetimes(min_value=datetime(1678, 1, 1), max_value=datetime(2261, 12, 31)),
    "text": st.none() | st.text(max_size=10),
    "dicts": st.none() | _dicts,  # cv_results_' params
    "lists": st.lists(st.integers(-5, 5), max_size=3),
    "mixed": _scalars,  # ints, text and None in one column: Arrow refuses it
}


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(0, 8))
    data = {}
    for i, kind in enumerate(draw(st.lists(st.sampled_from(sorted(_CELLS)), min_size=1, max_size=4))):
        values = draw(st.lists(_CELLS[kind], min_size=rows, max_size=rows))
        typed = kind in ("int64", "float64", "bool", "datetime64[ns]")
        data[f"c{i}"] = pd.Series(values, dtype=kind) if typed else \
            pd.Series(_object_cells(values), dtype=object)
    return pd.DataFrame(data, index=pd.RangeIndex(rows))


def _object_cells(values: list[Any]) -> Any:
    cells = np.empty(len(values), dtype=object)  # a list cell must stay one cell
    cells[:] = values
    return cells


def _normal(df: pd.DataFrame) -> pd.DataFrame:
    """Missing cells compared as one kind (Parquet keeps a single null), text as object."""
    return df.astype(object).where(df.notna(), None)


@SETTINGS
@given(df=frames())
def test_dataframes_round_trip(store: Store, df: pd.DataFrame) -> None:
    version, _ = save_object(store, df, f"df{next(_names)}")
    back = load_version(store, version)
    assert list(back.columns) == list(df.columns) and len(back) == len(df)
    for name in df.columns:
        assert _normal(back[[name]])[name].tolist() == _normal(df[[name]])[name].tolist(), name
        if df[name].dtype != object:
            assert back[name].dtype == df[name].dtype


_dtypes = hnp.integer_dtypes() | hnp.unsigned_integer_dtypes() | hnp.floating_dtypes() | \
    hnp.complex_number_dtypes() | hnp.boolean_dtypes() | hnp.datetime64_dtypes() | \
    hnp.timedelta64_dtypes() | hnp.byte_string_dtypes(max_len=4) | hnp.unicode_string_dtypes(max_len=4)


@SETTINGS
@given(array=hnp.arrays(_dtypes, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # statistics of inf/nan samples
def test_arrays_round_trip(store: Store, array: np.ndarray) -> None:
    version, _ = save_object(store, array, f"a{next(_names)}")
    back = load_version(store, version)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert back.tobytes() == np.ascontiguousarray(array).tobytes()
