"""Search totals: the intersecting count and the probing count both equal a brute-force
count over generated runs, whichever way a filter is counted; params' typed values."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_artifacts.store import Store, counts
from jupyter_artifacts.store.filters import parse, quote
from jupyter_artifacts.store.search import parse_filter

from .query_reference import matches

PARAM_VALUES = ["rf", "lr", "0.5", "RF", "", 0.5, 1, 2, -1, 0.25, True, False, 3.0, "a,b"]


def _fill(store: Store, n: int) -> None:
    for i in range(n):
        params = {"model": PARAM_VALUES[i % len(PARAM_VALUES)],
                  "depth": PARAM_VALUES[(i * 7) % len(PARAM_VALUES)]}
        if i % 5:
            params["lr"] = [0.1, 0.01, 1, "0.1"][i % 4]
        run = store.create_run(f"r{i}", params=params)
        points = [(run.id, "acc", None, (i * 37 % 29) / 29, 1.0)]
        if i % 3:
            points.append((run.id, "loss", 0, float("nan") if i % 13 == 0 else 1 / (i + 1), 1.0))
        store.log_metrics(points)


@pytest.fixture(scope="module")
def many_runs(tmp_path_factory: pytest.TempPathFactory):
    store = Store.open(tmp_path_factory.mktemp("counts") / ".artifacts")
    _fill(store, 90)
    yield store
    store.close()


_numbers = st.sampled_from(["0", "0.5", "1", "-1", "0.25", "2", "3", "1e-1", "0.1", "0.01"])
_texts = st.sampled_from(["rf", "lr", "0.5", "RF", "", "1", "true", "a,b"]).map(quote)


@st.composite
def _keyed(draw) -> str:
    ident = draw(st.sampled_from(["metrics.acc", "metrics.loss", "params.model",
                                  "params.depth", "params.lr"]))
    value = _numbers if ident.startswith("metrics.") else _numbers | _texts
    kind = draw(st.sampled_from(["op", "in"] + ([] if ident.startswith("metrics.")
                                                else ["like"])))
    if kind == "like":
        return f"{ident} {draw(st.sampled_from(['LIKE', 'ILIKE']))} " \
               f"{quote(draw(st.sampled_from(['%', 'r%', '%F', '_', '0%'])))}"
    if kind == "in":
        return f"{ident} IN ({', '.join(draw(st.lists(value, min_size=1, max_size=3)))})"
    return f"{ident} {draw(st.sampled_from(['=', '<', '<=', '>', '>=']))} {draw(value)}"


def _brute_force(store: Store, text: str) -> int:
    node = parse(text)
    return sum(matches(run, node) for run in store.search_runs(limit=None).runs)


def _count(store: Store, text: str) -> int:
    counts._COUNTS.clear()
    return counts.count_runs(store.catalog, parse_filter(text))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(_keyed(), min_size=2, max_size=4))
def test_intersecting_and_probing_counts_equal_a_brute_force_count(
        many_runs: Store, items: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    text = " and ".join(items)
    expected = _brute_force(many_runs, text)
    assert _count(many_runs, text) == expected, text  # listed and intersected
    with monkeypatch.context() as patch:
        patch.setattr(counts, "PROBE_PER_LISTED", 0)  # every listing gives up: probed
        assert _count(many_runs, text) == expected, text


def test_the_intersection_is_used_and_gives_up_when_probing_is_cheaper(
        many_runs: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str] | None] = []
    real = counts.intersected_ids
    monkeypatch.setattr(counts, "intersected_ids",
                        lambda *args: calls.append(real(*args)) or calls[-1])
    text = "metrics.acc > 0.5 and params.model = 'rf'"
    assert _count(many_runs, text) == _brute_force(many_runs, text)
    assert calls and calls[-1] is not None
    # Four listed runs: probing them beats listing the ~80 runs with such a depth.
    monkeypatch.setattr(counts, "PROBE_PER_LISTED", 2)
    text = "metrics.acc = 0 and params.depth >= -10"
    assert _count(many_runs, text) == _brute_force(many_runs, text) == 4
    assert calls[-1] is None


def test_run_ids_with_the_separator_are_listed_row_by_row(tmp_path: Path) -> None:
    store = Store.open(tmp_path / ".artifacts")
    _fill(store, 12)
    with store.catalog.write() as conn:  # ids from elsewhere (an import) may hold a comma
        for i, run_id in enumerate(["x,1", "x,2,3"]):
            conn.execute("INSERT INTO runs (id, name, status, started_at) "
                         "VALUES (?, 'odd', 'ok', ?)", (run_id, float(i)))
            conn.execute("INSERT INTO params (run_id, key, value, typed_value) "
                         "VALUES (?, 'model', '\"rf\"', 'rf')", (run_id,))
            conn.execute("INSERT INTO metric_summaries (run_id, key, last, last_time, min, "
                         "max, count) VALUES (?, 'acc', 0.9, 1, 0.9, 0.9, 1)", (run_id,))
    text = "params.model = 'rf' and metrics.acc > 0.5"
    assert _count(store, text) == _brute_force(store, text) >= 2
    store.close()


def test_params_keep_the_typed_value_sql_compares(tmp_path: Path) -> None:
    store = Store.open(tmp_path / ".artifacts")
    run = store.create_run("t", params={"n": 3, "x": 0.5, "s": "0.5", "b": True, "l": [1, 2],
                                        "none": None})
    store.log_params(run.id, {"n": "three"})  # a new value replaces the typed one too
    rows = dict(store.catalog.read("SELECT key, typed_value FROM params"))
    assert rows == {"n": "three", "x": 0.5, "s": "0.5", "b": 1, "l": "[1,2]", "none": None}
    assert [r.name for r in store.search_runs("params.x = '0.5' and params.b = 1").runs] == ["t"]
    store.create_run("u", params={"x": 10})  # 10 > 0.5 as numbers, not as text
    assert [r.name for r in store.query_runs(order_by="params.x").runs] == ["u", "t"]
    store.close()


def test_a_catalog_without_typed_param_values_still_compares_params(tmp_path: Path) -> None:
    """An older catalog opened read-only where it cannot be upgraded lacks migration 6."""
    root = tmp_path / ".artifacts"
    store = Store.open(root)
    _fill(store, 30)
    texts = ["params.model = 'rf' and metrics.acc > 0.2", "params.depth >= 1",
             "params.lr IN (0.1, '0.1') and params.model != 'lr'"]
    expected = {t: ([r.id for r in store.search_runs(t, order_by="params.depth").runs],
                    _count(store, t)) for t in texts}
    store.close()
    conn = sqlite3.connect(root / "catalog.sqlite")
    conn.execute("DROP INDEX params_key_typed")
    conn.execute("UPDATE params SET typed_value = NULL")  # never read without the index
    conn.commit()
    conn.close()
    old = Store.open(root, readonly=True)
    try:
        for text, (ids, total) in expected.items():
            assert [r.id for r in old.search_runs(text, order_by="params.depth").runs] == ids
            assert _count(old, text) == total
    finally:
        old.close()


@pytest.mark.parametrize("order_by", [["metrics.loss DESC", "params.depth"], ["metrics.acc"],
                                      ["params.lr DESC"], ["start_time"], None])
def test_a_page_drawn_from_the_listed_matches_equals_the_probed_page(
        many_runs: Store, order_by: list[str] | None, monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_artifacts.store import search

    texts = ["metrics.acc > 0.3 and params.model IN ('rf', 0.5, 1)",
             "params.depth >= 0 and metrics.acc < 0.9 and params.lr IN (0.1, 1)"]
    for text in texts:
        for limit, offset in [(5, 0), (7, 20), (None, 0), (100, 3)]:
            pages = []
            for pays in (0, 1e9):  # never, always from the listed matches
                monkeypatch.setattr(search, "MEMBERSHIP_PAYS", pays)
                counts._COUNTS.clear()
                page = many_runs.search_runs(text, order_by=order_by, limit=limit,
                                             offset=offset)
                pages.append(([run.id for run in page.runs], page.total))
            assert pages[0] == pages[1], (text, limit, offset)
            assert pages[0][1] == _brute_force(many_runs, text)


_hex_ids = st.sampled_from(["0" * 32, "0" * 16 + "f" * 16, "f" * 32, "0" * 16 + "1" * 16]) | \
    st.text("0123456789abcdef", min_size=32, max_size=32)
_any_ids = _hex_ids | st.sampled_from(["A" * 32, "x", "0" * 31, "0" * 33, "", " " + "0" * 31])


@settings(max_examples=300, deadline=None)
@given(left=st.sets(_any_ids, max_size=12), right=st.sets(_any_ids, max_size=12),
       hex_only=st.booleans())
def test_id_sets_intersect_like_python_sets(left: set[str], right: set[str],
                                            hex_only: bool) -> None:
    from jupyter_artifacts.store.idsets import IdSet

    if hex_only:  # the numpy words, including ids that share their first 64 bits
        left = {i for i in left if len(i) == 32 and i.strip("0123456789abcdef") == ""}
        right = {i for i in right if len(i) == 32 and i.strip("0123456789abcdef") == ""}
    sets = [IdSet.from_listing(",".join(ids), len(ids)) or IdSet.of(sorted(ids))
            for ids in (left, right)]
    both = sets[0].intersection(sets[1])
    assert sorted(both.ids()) == sorted(left & right) and len(both) == len(left & right)
