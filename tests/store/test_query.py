"""The filter language: parsing errors, semantics, lineage, ordering, and a differential
test against a pure-Python evaluation of generated filters."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_artifacts.errors import FilterError, FilterSyntaxError, UnknownKeyError
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.filters import parse, quote
from tests.conftest import CATALOGS

from .query_reference import matches

pytestmark = pytest.mark.both_catalogs  # each test runs on SQLite and on PostgreSQL

MODELS = ["rf", "lr", "svm", "0.5", "RF"]
TAGS = [["baseline"], ["team=vision"], ["team=nlp", "baseline"], [], ["x=1"]]


def _store_with_runs(root: Path, catalog: str | None = None) -> Store:
    store = Store.open(root, catalog=catalog)
    for i in range(24):
        run = store.create_run(
            f"train-{i % 5}" if i % 7 else f"Eval_{i}", tags=TAGS[i % 5],
            params={"model": MODELS[i % 5], "lr": [0.1, 0.01, 1, "0.1", True][i % 5],
                    "depth": i % 6}, notebook_path=f"nb-{i % 3}.ipynb" if i % 4 else None,
            started_at=1_700_000_000 + i)
        points = [(run.id, "acc", None, (i * 37 % 24) / 24, 1.0)]
        if i % 6:
            points.append((run.id, "loss", 0, float("nan") if i % 11 == 0 else 1 / (i + 1), 1.0))
        store.log_metrics(points)
        if i % 5:
            store.finish_run(run.id, ["ok", "failed", "interrupted", "ok"][i % 4],
                             ended_at=1_700_000_000 + i + i % 3)
    return store


@pytest.fixture(scope="module", params=CATALOGS)
def runs_store(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    catalog = None
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres")
        catalog = server.url(server.new_database(template=request.getfixturevalue("pg_template")))
    store = _store_with_runs(tmp_path_factory.mktemp("q") / ".artifacts", catalog)
    yield store
    store.close()


def _ids(store: Store, text: str) -> set[str]:
    page = store.search_runs(text, limit=None)
    assert page.total == len(page.runs)
    return {run.id for run in page.runs}


def _expected(store: Store, text: str) -> set[str]:
    node = parse(text)
    return {run.id for run in store.search_runs(limit=None).runs if matches(run, node)}


def _digest(store: Store) -> str:
    if store.catalog.dialect == "postgresql":  # the runs' rows
        return str(store.catalog.query("SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) "
                                       "FROM (SELECT * FROM runs) t")) + store.change_token()
    return hashlib.sha256(store.catalog.path.read_bytes()).hexdigest() + store.change_token()


@pytest.mark.parametrize("text", [
    "metrics.acc > 0.5 and params.model = 'rf'",
    "params.model = 'rf' or params.model = 'lr'",
    "(params.lr = '0.1' or params.lr = 0.01) and tags.baseline = 'true'",
    "tags.team = 'vision'", "tags.team != 'vision'", "tags.team IS NULL",
    "attributes.status = 'FAILED'", "status IN ('ok', 'interrupted')",
    "run_name LIKE 'train-%'", "attributes.run_name ILIKE 'eval%'", "name LIKE 'eval%'",
    "metrics.loss > 0", "metrics.loss IS NULL", "params.depth >= 3 and params.depth < '5'",
    "params.model NOT IN ('rf', 'svm')", "notebook IS NULL", "end_time IS NOT NULL",
    "start_time >= 1700000010", "metrics.`acc` <= 0.25", 'params."model" = "0.5"',
    "tag = 'baseline'", "tag LIKE 'team=%'", "params.lr = 1",
])
def test_examples_match_the_reference(runs_store: Store, text: str) -> None:
    assert _ids(runs_store, text) == _expected(runs_store, text)


def test_the_issue_example(runs_store: Store) -> None:
    found = _ids(runs_store, "metrics.acc > 0.5 and params.model = 'rf' and tags.baseline = 'true'")
    for run in runs_store.search_runs(limit=None).runs:
        ok = run.metrics["acc"] > 0.5 and run.params["model"] == "rf" and "baseline" in run.tags
        assert (run.id in found) == ok


def test_numeric_params_compare_as_numbers(runs_store: Store) -> None:
    # depth is logged as an int: 10 > 9 numerically, although '10' < '9' as text.
    assert _ids(runs_store, "params.depth > '2'") == _ids(runs_store, "params.depth > 2")
    assert _ids(runs_store, "params.depth > 2") == _expected(runs_store, "params.depth > 2")


@pytest.mark.parametrize(("text", "column", "expected"), [
    ("metrics.acc >", 14, "a quoted string or a number"),
    ("metrics.acc > 0.5 and", 22, "a name"),
    ("(status = 'ok'", 15, "')'"),
    ("status = 'ok", 10, "a closing '"),
    ("status == 'ok'", 9, "a quoted string or a number"),
    ("status NOT 'ok'", 12, "IN after NOT"),
    ("metrics. > 1", 9, "a key after '.'"),
    ("status = 'ok' status", 15, "AND, OR or the end"),
    ("name LIKE 5", 11, "a quoted pattern after LIKE"),
])
def test_a_syntax_error_names_the_column_and_what_was_expected(
        runs_store: Store, text: str, column: int, expected: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        runs_store.search_runs(text)
    assert info.value.column == column
    assert expected in str(info.value) and f"column {column}" in str(info.value)


def test_an_unknown_key_is_an_error_with_close_matches(runs_store: Store) -> None:
    with pytest.raises(UnknownKeyError, match="did you mean acc") as info:
        runs_store.search_runs("status = 'ok' and metrics.accc > 0.5")
    assert info.value.close == ["acc"] and info.value.column == 19
    with pytest.raises(UnknownKeyError, match="did you mean model"):
        runs_store.search_runs("params.modle = 'rf'")
    with pytest.raises(UnknownKeyError, match="team"):
        runs_store.search_runs("tags.taem = 'x'")
    with pytest.raises(FilterError, match="did you mean status"):
        runs_store.search_runs("stauts = 'ok'")


@pytest.mark.parametrize("text", [
    "metrics.acc LIKE 'a'", "metrics.acc > 'high'", "start_time > 'yesterday'",
    "params.model = 'rf'; DROP TABLE runs", "name = 'x' OR 1 = 1",
])
def test_type_mistakes_and_injection_are_filter_errors(runs_store: Store, text: str) -> None:
    before = _digest(runs_store)
    with pytest.raises(FilterError):
        runs_store.search_runs(text)
    assert _digest(runs_store) == before


def test_quotes_in_values_are_values(runs_store: Store) -> None:
    text = "name = " + quote("x'); DELETE FROM runs; --")
    assert _ids(runs_store, text) == set()
    assert runs_store.search_runs(limit=None).total == 24


def test_order_by_several_keys_and_pages_with_totals(runs_store: Store) -> None:
    everything = runs_store.search_runs("metrics.loss IS NOT NULL or status = 'ok'",
                                        order_by=["metrics.loss DESC", "params.depth"],
                                        limit=None)
    losses = [r.metrics.get("loss") for r in everything.runs]
    present = [x for x in losses if x is not None and x == x]
    assert present == sorted(present, reverse=True)
    assert losses[len(present):] == [x for x in losses if x is None or x != x]
    pages = [runs_store.search_runs("metrics.loss IS NOT NULL or status = 'ok'",
                                    order_by=["metrics.loss DESC", "params.depth"],
                                    limit=5, offset=offset) for offset in range(0, 30, 5)]
    assert [r.id for p in pages for r in p.runs] == [r.id for r in everything.runs]
    assert {p.total for p in pages} == {everything.total}


def test_keys_list_what_runs_have(runs_store: Store) -> None:
    assert runs_store.keys() == {"metrics": ["acc", "loss"], "params": ["depth", "lr", "model"],
                                 "tags": ["baseline", "team", "x"]}


def test_lineage_queries(store: Store) -> None:
    def save(name: str, data: bytes, kind: str, run_id: str | None = None):
        oid, size, _ = store.objects.put_bytes(data)
        return store.add_version(name, oid=oid, kind=kind, media_type="text/plain", codec="text",
                                 size=size, run_id=run_id)[0]

    data1 = save("train-set", b"1", "dataset")
    data2 = save("train-set", b"2", "dataset")
    good = store.create_run("fit", params={"model": "rf"})
    store.log_metrics([(good.id, "accuracy", None, 0.95, 1.0)])
    store.record_event(good.id, data2.ref, "input")
    model = save("model", b"m1", "model", good.id)
    bad = store.create_run("fit", params={"model": "lr"})
    store.log_metrics([(bad.id, "accuracy", None, 0.5, 1.0)])
    store.record_event(bad.id, data1.ref, "input")
    save("model", b"m2", "model", bad.id)
    assert _ids(store, "inputs.name = 'train-set'") == {good.id, bad.id}
    assert _ids(store, "inputs.version = 'train-set:v2'") == {good.id}
    assert _ids(store, "outputs.kind = 'model' and metrics.accuracy > 0.9") == {good.id}
    found, total = store.search_versions("kind = 'model' and run.metrics.accuracy > 0.9")
    assert ([v.ref for v in found], total) == ([model.ref], 1)
    found, _ = store.search_versions("run.inputs.version = 'train-set:v1'")
    assert [v.ref for v in found] == ["model:v2"]
    found, total = store.search_versions("name = 'train-set' and size < 10", limit=1)
    assert (len(found), total) == (1, 2)
    with pytest.raises(FilterError, match=r"run\.metrics\.accuracy"):
        store.search_versions("metrics.accuracy > 0.9")


# -- generated filters -----------------------------------------------------------------
_str_values = st.sampled_from(["rf", "lr", "0.1", "0.5", "RF", "vision", "nlp", "true", "1",
                               "train-1", "Eval_7", "ok", "failed", "FINISHED", "x'y", ""])
_patterns = st.sampled_from(["%", "r%", "%f", "_f", "train-%", "%a%", "EVAL%", "t_ue", "%1"])
_numbers = st.sampled_from(["0", "0.5", "1", "-1", "0.25", "2", "3", "1e-1", "0.1", "0.01"])


def _literal(draw_value):
    return draw_value.map(quote) | _numbers


@st.composite
def _comparison(draw):
    ident = draw(st.sampled_from(["metrics.acc", "metrics.loss", "params.model", "params.lr",
                                  "params.depth", "tags.team", "tags.baseline", "tags.x",
                                  "attributes.status", "name", "run_name", "notebook", "tag"]))
    numeric_only = ident.startswith("metrics.")
    ops = ["=", "!=", "<", "<=", ">", ">="]
    kind = draw(st.sampled_from(["op", "in", "null"] + ([] if numeric_only else ["like"])))
    if kind == "null":
        return f"{ident} IS {draw(st.sampled_from(['', 'NOT ']))}NULL"
    value = _numbers if numeric_only else _literal(_str_values)
    if kind == "like":
        return f"{ident} {draw(st.sampled_from(['LIKE', 'ILIKE']))} {quote(draw(_patterns))}"
    if kind == "in":
        items = draw(st.lists(value, min_size=1, max_size=3))
        return f"{ident} {draw(st.sampled_from(['IN', 'NOT IN']))} ({', '.join(items)})"
    return f"{ident} {draw(st.sampled_from(ops))} {draw(value)}"


_filters = st.recursive(
    _comparison(),
    lambda inner: st.builds(lambda a, op, b: f"({a} {op} {b})", inner,
                            st.sampled_from(["and", "AND", "or", "OR"]), inner),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_filters)
def test_generated_filters_agree_with_the_reference(runs_store: Store, text: str) -> None:
    expected = _expected(runs_store, text)
    assert _ids(runs_store, text) == expected, text
    # Ordered by a metric (missing and NaN last), then a param, then newest: pages and counts.
    page = runs_store.search_runs(text, order_by=["metrics.loss DESC", "params.depth"], limit=7)
    everything = [r for r in runs_store.search_runs(limit=None).runs if r.id in expected]

    def rank(run):
        loss = run.metrics.get("loss")
        missing = loss is None or loss != loss
        return (missing, 0.0 if missing else -loss, run.params["depth"], -run.number)

    assert page.total == len(expected)
    assert [r.id for r in page.runs] == [r.id for r in sorted(everything, key=rank)[:7]], text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60) | st.lists(
    st.sampled_from(["metrics.acc", "params.model", "'rf'", "0.5", "(", ")", "and", "or", "not",
                     "in", "=", ">", "like", "is", "null", ",", "`", '"', ";", "tags.x", "run."]),
    max_size=12).map(" ".join))
def test_any_text_is_a_result_or_a_filter_error_and_never_a_change(
        runs_store: Store, text: str) -> None:
    before = runs_store.change_token()
    try:
        page = runs_store.search_runs(text, limit=5)
        assert page.total >= len(page.runs)
    except FilterError as exc:
        assert str(exc) and "\n" not in str(exc)
    assert runs_store.change_token() == before


def test_the_read_path_cannot_write(runs_store: Store) -> None:
    import sqlite3

    import psycopg

    before = _digest(runs_store)
    with pytest.raises((sqlite3.OperationalError, psycopg.Error),
                       match=r"readonly|read-only|query_only"):
        runs_store.catalog.read("DELETE FROM runs")
    assert _digest(runs_store) == before
    run = runs_store.search_runs(limit=1).runs[0]
    runs_store.log_params(run.id, {"depth": run.params["depth"]})  # writes still work after


def test_artifact_versions_sort_by_fields_and_by_their_run(store: Store) -> None:
    def save(name: str, data: bytes, run_id: str | None = None):
        oid, size, _ = store.objects.put_bytes(data)
        return store.add_version(name, oid=oid, kind="model", media_type="text/plain",
                                 codec="text", size=size, run_id=run_id)[0]

    refs = {}
    for accuracy, data in [(0.7, b"aa"), (0.9, b"a"), (0.8, b"aaa")]:
        run = store.create_run("fit")
        store.log_metrics([(run.id, "accuracy", None, accuracy, 1.0)])
        refs[accuracy] = save("model", data, run.id).ref
    orphan = save("notes", b"aaaa").ref

    def order(*keys: str) -> list[str]:
        found, total = store.search_versions(order_by=list(keys))
        assert total == 4
        return [v.ref for v in found]

    assert order("run.metrics.accuracy DESC") == [refs[0.9], refs[0.8], refs[0.7], orphan]
    assert order("run.metrics.accuracy") == [refs[0.7], refs[0.8], refs[0.9], orphan]
    assert order("size DESC") == [orphan, refs[0.8], refs[0.7], refs[0.9]]
    assert order("name DESC", "version") == [orphan, refs[0.7], refs[0.9], refs[0.8]]
    assert store.search_versions(order_by="size", limit=1)[0][0].ref == refs[0.9]
    with pytest.raises(FilterError, match="cannot sort artifact versions by 'colour'"):
        store.search_versions(order_by=["colour"])


def test_a_remembered_total_follows_writes(tmp_path: Path) -> None:
    runs_store = _store_with_runs(tmp_path / ".artifacts")
    text = "params.model = 'rf' and metrics.acc >= 0"
    before = runs_store.search_runs(text, limit=1).total
    assert runs_store.search_runs(text, limit=1).total == before  # remembered
    other = Store.open(runs_store.catalog.path.parent)  # another connection writes
    try:
        run = other.create_run("late", params={"model": "rf"})
        other.log_metrics([(run.id, "acc", None, 0.5, 1.0)])
        assert runs_store.search_runs(text, limit=1).total == before + 1
        runs_store.log_metrics([(run.id, "acc", None, -1.0, 2.0)])  # this connection writes
        assert runs_store.search_runs(text, limit=1).total == before
    finally:
        other.close()
        runs_store.close()


def test_the_runs_table_has_each_runs_own_values(tmp_path: Path) -> None:
    from jupyter_artifacts.store.table import run_table

    runs_store = _store_with_runs(tmp_path / ".artifacts")
    odd = runs_store.create_run("odd", params={"extra": [1, {"a": None}], "model": None})
    runs_store.create_run("odd", params={"extra": [2, 3]})  # equal-length lists stay lists
    runs_store.log_metrics([(odd.id, "acc", None, float("inf"), 1.0),
                            (odd.id, "tiny", None, 0.1 + 0.2, 1.0)])
    runs_store.create_run("bare", tags=["z", "a=1"])

    for text, limit in [(None, None), ("params.model != 'rf'", None), (None, 5),
                        ("metrics.loss IS NOT NULL", 7)]:
        table = run_table(runs_store.catalog, text, "metrics.acc", limit=limit)
        page = runs_store.search_runs(text, order_by="metrics.acc", limit=limit)
        columns = table.columns
        assert list(columns["id"]) == [run.id for run in page.runs]
        assert table.total == page.total
        for i, run in enumerate(page.runs):
            for key, value in run.params.items():
                assert columns[f"params.{key}"][i] == value
                assert type(columns[f"params.{key}"][i]) is type(value)
            for key in {k[7:] for k in columns if k.startswith("params.")} - set(run.params):
                assert columns[f"params.{key}"][i] is None
            for key in {k[8:] for k in columns if k.startswith("metrics.")}:
                value = run.metrics.get(key, math.nan)
                got = columns[f"metrics.{key}"][i]
                assert got == value or (math.isnan(got) and math.isnan(value)), (key, run.id)
            assert columns["tags"][i] == ",".join(sorted(run.tags))


def test_the_runs_table_of_a_catalog_without_the_covering_indexes(tmp_path: Path) -> None:
    """An old catalog opened read-only where it cannot be upgraded lacks migration 5."""
    import sqlite3

    from jupyter_artifacts.store.table import run_table

    root = tmp_path / ".artifacts"
    runs_store = _store_with_runs(root)
    odd = runs_store.create_run("odd", params={"extra": [2, 3]})
    runs_store.log_metrics([(odd.id, "acc", None, float("-inf"), 1.0),
                            (odd.id, "tiny", None, 0.1 + 0.2, 1.0)])
    expected = {text: run_table(runs_store.catalog, text).columns
                for text in [None, "metrics.loss IS NOT NULL"]}
    runs_store.close()
    conn = sqlite3.connect(root / "catalog.sqlite")
    conn.execute("DROP INDEX params_key_run")
    conn.execute("DROP INDEX metric_summaries_key_run")
    conn.commit()
    conn.close()
    old = Store.open(root, readonly=True)
    try:
        for text, columns in expected.items():
            got = run_table(old.catalog, text).columns
            assert list(got) == list(columns)
            for name, column in columns.items():
                if name.startswith("metrics."):
                    assert [str(v) for v in got[name]] == [str(v) for v in column], name
                else:
                    assert list(got[name]) == list(column), name
    finally:
        old.close()


def test_non_finite_params_are_kept_by_name_and_searchable(store: Store) -> None:
    """NaN is not JSON: it used to reach the catalog's JSON functions as ``NaN`` and fail
    with a raw "malformed JSON" error. It is kept as its name, as MLflow keeps params."""
    run = store.create_run("nan-param")
    store.log_params(run.id, {"x": float("nan"), "limits": [float("-inf"), 1.0], "ok": 0.5})
    found = store.search_runs("params.x = 'nan'").runs
    assert [r.id for r in found] == [run.id]
    params = found[0].params
    assert params["x"] == "nan" and params["limits"] == ["-inf", 1.0] and params["ok"] == 0.5


@pytest.mark.parametrize("op", ["LIKE", "ILIKE"])
def test_a_backslash_in_a_pattern_is_a_plain_character_on_both(store: Store, op: str) -> None:
    """SQLite's LIKE has no escape character; PostgreSQL's is a backslash, and a pattern
    ending in one was a raw driver error there ("must not end with escape character")."""
    run = store.create_run("paths", params={"dir": "C:\\data\\"})
    other = store.create_run("other", params={"dir": "C:/data/"})
    assert [r.id for r in store.search_runs(f"params.dir {op} '%\\'").runs] == [run.id]
    assert [r.id for r in store.search_runs(f"params.dir {op} 'C:\\d%'").runs] == [run.id]
    assert other.id in [r.id for r in store.search_runs(f"params.dir {op} 'C:%'").runs]
