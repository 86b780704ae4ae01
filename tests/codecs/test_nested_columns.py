"""DataFrames with columns of dicts or lists (GridSearchCV's ``cv_results_``) are stored faithfully."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_artifacts.codecs import load_version, save_object
from jupyter_artifacts.store import Store


def _cv_results(grid: object) -> pd.DataFrame:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    X = np.random.default_rng(0).normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    pipe = Pipeline([("clf", LogisticRegression())])
    return pd.DataFrame(GridSearchCV(pipe, grid, cv=2).fit(X, y).cv_results_)


@pytest.mark.parametrize("grid", [
    {"clf__C": [0.1, 1.0], "clf__fit_intercept": [True, False]},
    # Rows with different keys: a Parquet struct would give every row every key.
    [{"clf__C": np.logspace(-1, 0, 2)}, {"clf__fit_intercept": [False]}],
])
def test_grid_search_cv_results_round_trip(store: Store, grid: object) -> None:
    df = _cv_results(grid)
    version, created = save_object(store, df, "cv_results")
    assert created and version.codec == "pandas.parquet"
    assert version.metadata["json_columns"] == [list(df.columns).index("params")]
    back = load_version(store, version)
    assert back["params"].tolist() == df["params"].tolist()
    # Parquet keeps one kind of missing in an object column: NaN comes back as None.
    rest = [c for c in df.columns if c != "params"]
    pd.testing.assert_frame_equal(back[rest].fillna(np.nan), df[rest].fillna(np.nan))


def test_an_unchanged_frame_of_dicts_is_recognised_and_a_changed_one_is_not(store: Store) -> None:
    df = pd.DataFrame({"params": [{"a": 1}, {"a": 2}], "score": [0.5, 0.7]})
    first, _ = save_object(store, df, "t")
    again, created = save_object(store, df.copy(deep=True), "t")
    assert not created and again.ref == first.ref
    assert again.metadata["json_columns"] == [0]
    changed = df.copy()
    changed.at[1, "params"] = {"a": 3}
    assert save_object(store, changed, "t")[1]


def test_cells_json_cannot_keep_are_stored_as_their_repr_and_flagged(store: Store) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    df = _cv_results({"clf": [LogisticRegression(), SVC()]})  # estimators in params
    version, _ = save_object(store, df, "cv_results")
    columns = [list(df.columns).index(c) for c in ("param_clf", "params")]
    assert version.metadata["repr_columns"] == columns
    back = load_version(store, version)
    assert back["params"].tolist() == [repr(p) for p in df["params"]]
    assert back["param_clf"].tolist() == ["LogisticRegression()", "SVC()"]


def test_lists_and_missing_cells_round_trip(store: Store) -> None:
    df = pd.DataFrame({"tokens": [["a", "b"], None, []], "meta": [{"k": [1, 2]}, {}, None]})
    version, _ = save_object(store, df, "t")
    back = load_version(store, version)
    assert back["tokens"].tolist() == [["a", "b"], None, []]
    assert back["meta"].tolist() == [{"k": [1, 2]}, {}, None]
