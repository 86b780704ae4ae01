"""Every codec round-trips through a real store; unsafe and unsupported objects are refused."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_artifacts.codecs import export_version, load_version, save_object
from jupyter_artifacts.codecs.background import wait_pending
from jupyter_artifacts.errors import UnsupportedObjectError, UntrustedPickleError
from jupyter_artifacts.store import Store


class Opaque:
    """A plain class: only the pickle codec can store it."""

    def __init__(self, value: int) -> None:
        self.value = value


def roundtrip(store: Store, obj: Any, name: str = "thing", **load: Any) -> tuple[Any, Any]:
    version, created = save_object(store, obj, name)
    assert created
    return version, load_version(store, store.resolve(name), **load)


def test_dataframe(store: Store) -> None:
    df = pd.DataFrame({
        "i": np.arange(5), "f": np.linspace(0, 1, 5), "s": list("abcde"),
        "t": pd.date_range("2024-01-01", periods=5), "c": pd.Categorical(list("xyxyx")),
    }, index=pd.Index([10, 11, 12, 13, 14], name="row"))
    version, back = roundtrip(store, df)
    pd.testing.assert_frame_equal(back, df)
    assert (version.kind, version.media_type) == ("dataset", "application/vnd.apache.parquet")
    assert version.summary["shape"] == [5, 5] and version.summary["columns"] == list("ifstc")


def test_dataframe_with_non_string_column_names(store: Store) -> None:
    df = pd.DataFrame(np.eye(3), columns=[0, 1, 2])
    _, back = roundtrip(store, df)
    pd.testing.assert_frame_equal(back, df)


@pytest.mark.parametrize("series", [pd.Series([1.5, 2.5], name="loss"), pd.Series([1, 2, 3])])
def test_series(store: Store, series: pd.Series) -> None:
    version, back = roundtrip(store, series)
    pd.testing.assert_series_equal(back, series)
    assert version.summary["type"] == "Series"


def test_unchanged_dataframe_is_not_a_new_version(store: Store) -> None:
    df = pd.DataFrame({"a": range(100)})
    v1, _ = save_object(store, df, "d")
    again, created = save_object(store, df.copy(), "d")
    assert (again.id, created) == (v1.id, False)


@pytest.mark.parametrize("array", [
    np.arange(12, dtype=np.int32).reshape(3, 4),
    np.arange(24.0).reshape(4, 6)[:, ::2],  # non-contiguous view
    np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    np.array([True, False]),
    np.zeros((0, 3)),
])
def test_numpy(store: Store, array: np.ndarray) -> None:
    version, back = roundtrip(store, array)
    np.testing.assert_array_equal(back, array)
    assert back.dtype == array.dtype
    assert version.media_type == "application/x-npy"


def test_numpy_object_dtype_is_refused_without_pickle(store: Store) -> None:
    with pytest.raises(UnsupportedObjectError):
        save_object(store, np.array([{"a": 1}, None], dtype=object), "objs")
    assert store.list_artifacts() == [] and list(store.objects.iter_oids()) == []


def test_sklearn_model_via_skops(store: Store) -> None:
    from sklearn.ensemble import RandomForestClassifier

    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    version, back = roundtrip(store, model)
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    assert (version.kind, version.metadata["format"]) == ("model", "skops")
    assert version.summary["class"].endswith("RandomForestClassifier")


def test_figure_png_and_svg(store: Store) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    ax.set_title("loss")
    version, back = roundtrip(store, fig)
    plt.close(fig)
    png = back.data if hasattr(back, "data") else back
    assert png.startswith(b"\x89PNG")
    wait_pending()  # the SVG is rendered in the background
    version = store.get_version(version.id)
    svg = store.objects.read_bytes(version.metadata["objects"]["svg"])
    assert b"<svg" in svg and version.summary["svg_size"] == len(svg)
    assert (version.kind, version.summary["title"]) == ("figure", "loss")


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(0, 12), columns=st.integers(0, 12))
def test_a_meshs_shapes_are_counted_without_making_them(rows: int, columns: int) -> None:
    """The SVG rasterizes a collection of many shapes; a QuadMesh is counted from its grid
    (its paths, one per cell, took longer to make than the rest of the SVG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from jupyter_artifacts.codecs.svgworker import _items

    fig, ax = plt.subplots()
    mesh = ax.pcolormesh(np.zeros((rows, columns)))
    assert _items(mesh) == rows * columns
    assert mesh._paths is None  # not built by counting
    assert _items(mesh) == len(mesh.get_paths())
    plt.close(fig)


def test_a_dense_mesh_is_rasterized_in_the_svg_and_a_small_one_is_not() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from jupyter_artifacts.codecs.svgworker import RASTERIZE_ABOVE, render_svg

    side = int(RASTERIZE_ABOVE ** 0.5) + 1
    for cells, raster in ((side, True), (4, False)):
        fig, ax = plt.subplots()
        mesh = ax.pcolormesh(np.random.default_rng(0).random((cells, cells)))
        svg = render_svg(fig)
        assert (b"<image" in svg) is raster
        assert not mesh.get_rasterized()  # the figure is left as it was
        plt.close(fig)


def test_figure_svg_is_of_the_figure_as_saved_not_as_changed_later(store: Store) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    ax.set_title("as saved")
    version, _ = save_object(store, fig, "fig")
    ax.set_title("changed afterwards")  # before the background SVG could have been drawn
    ax.plot([3, 2, 1])
    wait_pending()
    svg = store.objects.read_bytes(store.get_version(version.id).metadata["objects"]["svg"])
    plt.close(fig)
    assert b"as saved" in svg and b"changed afterwards" not in svg


def test_figure_that_cannot_be_pickled_still_gets_its_svg(store: Store) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"<{x:g}>"))  # a lambda: no pickle
    version, _ = save_object(store, fig, "fig")
    plt.close(fig)
    wait_pending()
    svg = store.objects.read_bytes(store.get_version(version.id).metadata["objects"]["svg"])
    assert b"<svg" in svg


def test_a_figure_shown_is_stored_as_the_png_shown(store: Store) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from jupyter_artifacts.codecs.figures import remember_shown

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    fig.canvas.draw()
    shown = b"\x89PNG as the frontend got it"
    remember_shown(fig, shown)
    version, _ = save_object(store, fig, "fig")
    assert store.objects.read_bytes(version.oid) == shown
    ax.set_title("changed")  # no longer what was shown: drawn afresh
    version, _ = save_object(store, fig, "fig")
    plt.close(fig)
    assert store.objects.read_bytes(version.oid) != shown


def test_metrics_dict_and_classification_report(store: Store) -> None:
    from sklearn.metrics import classification_report

    scores = {"accuracy": 0.91, "f1": 0.88}
    version, back = roundtrip(store, scores, "scores")
    assert (back, version.kind) == (scores, "metrics")
    report = classification_report([0, 1, 1, 0], [0, 1, 0, 0], output_dict=True)
    version, back = roundtrip(store, report, "report")
    assert (back, version.kind) == (report, "metrics")


def test_json_text_and_html(store: Store) -> None:
    from IPython.display import HTML

    config = {"lr": "adaptive", "layers": [64, 32]}
    assert roundtrip(store, config, "config")[1] == config
    version, back = roundtrip(store, "line 1\nline 2\n", "log")
    assert (back, version.kind) == ("line 1\nline 2\n", "text")
    version, back = roundtrip(store, HTML("<b>shap</b>"), "explain")
    assert (back.data, version.kind, version.media_type) == ("<b>shap</b>", "report", "text/html")


def test_file_and_export(store: Store, tmp_path: Path) -> None:
    src = tmp_path / "train.csv"
    src.write_text("a,b\n1,2\n")
    version, back = roundtrip(store, src, "train")
    assert Path(back).read_text() == "a,b\n1,2\n"
    assert version.kind == "dataset"
    out = tmp_path / "out"
    out.mkdir()
    assert export_version(store, version, out).read_text() == "a,b\n1,2\n"


def test_directory_tree(store: Store, tmp_path: Path) -> None:
    logdir = tmp_path / "logs"
    (logdir / "run1").mkdir(parents=True)
    (logdir / "run1" / "events.out").write_bytes(b"\x00\x01")
    (logdir / "README").write_text("tb")
    version, back = roundtrip(store, logdir, "tensorboard")
    assert (back / "run1" / "events.out").read_bytes() == b"\x00\x01"
    assert (back / "README").read_text() == "tb"
    assert version.summary["files"] == 2
    assert store.verify().ok


def test_pickle_is_refused_unless_trusted(store: Store) -> None:
    version, _ = save_object(store, Opaque(7), "opaque")
    assert version.summary["pickle"] is True
    with pytest.raises(UntrustedPickleError):
        load_version(store, version)
    assert load_version(store, version, trust=True).value == 7


def test_pickle_can_be_disallowed(store: Store) -> None:
    with pytest.raises(UnsupportedObjectError, match="Opaque"):
        save_object(store, Opaque(1), "opaque", allow_pickle=False)


def test_unsupported_object_names_its_type_and_writes_nothing(store: Store) -> None:
    with pytest.raises(UnsupportedObjectError, match=r"_thread\.lock|lock"):
        save_object(store, threading.Lock(), "lock")
    assert store.list_artifacts() == []
    assert list(store.objects.iter_oids()) == []
    assert not any(store.objects.tmp_dir.iterdir())


@pytest.mark.parametrize("first, second", [
    (pd.DataFrame({0: [1, 2]}), pd.DataFrame({"0": [1, 2]})),
    (pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [1, 2]}).rename_axis("row")),
    (pd.DataFrame({"c": pd.Categorical(["x", "y"], categories=["x", "y"])}),
     pd.DataFrame({"c": pd.Categorical(["x", "y"], categories=["y", "x"])})),
])
def test_frames_that_differ_only_in_layout_are_new_versions(store: Store, first, second) -> None:
    save_object(store, first, "d")
    version, created = save_object(store, second, "d")
    assert (version.ref, created) == ("d:v2", True)
    pd.testing.assert_frame_equal(load_version(store, version), second)


def test_a_pickled_snapshot_keeps_large_arrays_as_they_were() -> None:
    from jupyter_artifacts.codecs.svgworker import OUT_OF_BAND_BYTES, Pickled

    big, small = np.arange(OUT_OF_BAND_BYTES // 8 * 4, dtype=float), np.arange(10.0)
    snap = Pickled.of({"big": big, "small": small, "view": big[::2]})
    assert len(snap.buffers) == 1  # the big contiguous array travels beside the stream
    big[:] = -1  # changed in place after the snapshot, as a next cell could
    small[:] = -1
    back = snap.load()
    np.testing.assert_array_equal(back["big"], np.arange(big.size, dtype=float))
    np.testing.assert_array_equal(back["small"], np.arange(10.0))
    np.testing.assert_array_equal(back["view"], np.arange(big.size, dtype=float)[::2])


def test_a_figure_with_large_arrays_gets_its_svg_from_the_helper(store: Store) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from jupyter_artifacts.codecs.svgworker import snapshot

    fig, ax = plt.subplots()
    mesh = ax.pcolormesh(np.random.default_rng(0).random((300, 300)))
    ax.set_title("mesh")
    assert snapshot(fig).buffers  # the hand-over sends buffers out of band
    version, _ = save_object(store, fig, "mesh")
    mesh.get_array()[:] = 0  # in place, unseen by matplotlib's stale flags
    plt.close(fig)
    wait_pending()
    version = store.get_version(version.id)
    svg = store.objects.read_bytes(version.metadata["objects"]["svg"])
    assert b"<svg" in svg and b"<image" in svg and b"mesh" in svg


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_mix_of_arrays_survives_a_pickled_snapshot(data: Any) -> None:
    """Dtypes, shapes, views and sizes on both sides of the out-of-band threshold."""
    from jupyter_artifacts.codecs.svgworker import OUT_OF_BAND_BYTES, Pickled

    dtype = data.draw(st.sampled_from(["f8", "f4", "i8", "u1", "bool", "c16", "M8[s]",
                                       [("a", "f8"), ("b", "i4")]]))
    size = data.draw(st.sampled_from([0, 3, OUT_OF_BAND_BYTES // 8 - 1, OUT_OF_BAND_BYTES // 8,
                                      OUT_OF_BAND_BYTES // 2]))
    rng = np.random.default_rng(data.draw(st.integers(0, 99)))
    itemsize = np.dtype(dtype).itemsize
    base = np.frombuffer(rng.bytes(size * itemsize), dtype=dtype).copy() if dtype != "bool" \
        else rng.integers(0, 2, size).astype(bool)
    layout = data.draw(st.sampled_from(["plain", "fortran", "strided", "readonly", "masked"]))
    if layout == "fortran" and size % 2 == 0 and size:
        value: Any = np.asfortranarray(base.reshape(2, -1))
    elif layout == "strided":
        value = base[::3]
    elif layout == "readonly":
        value = base.copy()
        value.flags.writeable = False
    elif layout == "masked" and base.dtype.names is None:
        value = np.ma.masked_array(base, mask=np.arange(size) % 2 == 0)
    else:
        value = base
    kept = {"value": value, "again": value, "other": [value, size]}
    back = Pickled.of(kept).load()
    expected = value.copy()
    if value.size and value.flags.writeable:
        value[...] = np.zeros_like(value)  # the snapshot is a copy
    for got in (back["value"], back["other"][0]):
        assert type(got) is type(expected) and got.dtype == expected.dtype
        assert got.shape == expected.shape and got.tobytes() == expected.tobytes()
        if isinstance(expected, np.ma.MaskedArray):
            assert (got.mask == expected.mask).all()
    assert back["again"] is back["value"]  # shared references stay shared
