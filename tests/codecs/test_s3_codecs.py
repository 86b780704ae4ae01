"""The codecs round-trip through a store whose objects are on a real S3 server."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_artifacts import tracking
from jupyter_artifacts.codecs import load_version, save_object
from jupyter_artifacts.codecs.background import wait_pending
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.readcache import ReadCache
from jupyter_artifacts.store.s3objects import S3ObjectStore
from tests.services.s3 import S3Server


@pytest.fixture
def s3_store(s3_url: str, tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / ".artifacts", objects=s3_url)
    tracking.set_default_store(store)
    yield store
    store.close()


def reopened(store: Store, tmp_path: Path) -> Store:
    """The same team store seen from another machine: its own folder and empty cache."""
    return Store(store.root, objects=S3ObjectStore(store.objects.url,
                                                   ReadCache(tmp_path / "elsewhere")))


def test_dataframe_array_and_model_round_trip(s3_store: Store, tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    df = pd.DataFrame({"a": np.arange(1000), "b": np.linspace(0, 1, 1000)})
    arr = np.random.default_rng(0).normal(size=(300, 7))
    X = arr[:, :3]
    model = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    for name, value in (("df", df), ("arr", arr), ("model", model)):
        save_object(s3_store, value, name)
    other = reopened(s3_store, tmp_path)
    pd.testing.assert_frame_equal(load_version(other, other.resolve("df")), df)
    np.testing.assert_array_equal(load_version(other, other.resolve("arr")), arr)
    back = load_version(other, other.resolve("model"))
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    assert not (s3_store.root / "objects").exists()  # nothing went to a local folder
    assert other.verify().ok


def test_figure_with_its_svg(s3_store: Store, helper_with_s3_env: None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    version, _ = save_object(s3_store, fig, "fig")
    plt.close(fig)
    wait_pending()  # the SVG is made in the helper process, which opens the same S3 objects
    svg_oid = s3_store.get_version(version.id).metadata["objects"]["svg"]
    assert b"<svg" in s3_store.objects.read_bytes(svg_oid)
    assert load_version(s3_store, version).data.startswith(b"\x89PNG")


def test_a_file_and_a_directory(s3_store: Store, tmp_path: Path) -> None:
    src = tmp_path / "train.csv"
    src.write_text("a,b\n1,2\n")
    logdir = tmp_path / "logs"
    (logdir / "run1").mkdir(parents=True)
    (logdir / "run1" / "events.out").write_bytes(b"\x00\x01")
    save_object(s3_store, src, "train")
    save_object(s3_store, logdir, "tb")
    other = reopened(s3_store, tmp_path)
    assert Path(load_version(other, other.resolve("train"))).read_text() == "a,b\n1,2\n"
    tree = load_version(other, other.resolve("tb"))
    assert (tree / "run1" / "events.out").read_bytes() == b"\x00\x01"


PUT_100MB = textwrap.dedent("""
    import sys, numpy as np
    from pathlib import Path
    from jupyter_artifacts.store.readcache import ReadCache
    from jupyter_artifacts.store.s3objects import S3ObjectStore
    data = np.random.default_rng(7).integers(0, 255, 100 * 2**20, dtype=np.uint8)
    objects = S3ObjectStore(sys.argv[1], ReadCache(Path(sys.argv[2])))
    oid, size, written = objects.put_buffers([data])
    print(oid, size, written)
""")


def test_the_same_100mb_object_from_two_machines_is_stored_once(
        s3_url: str, s3_env: S3Server, s3_bucket: str, tmp_path: Path) -> None:
    machines = [subprocess.Popen([sys.executable, "-c", PUT_100MB, s3_url,
                                  str(tmp_path / f"cache{i}")],
                                 stdout=subprocess.PIPE, text=True) for i in range(2)]
    answers = [proc.communicate(timeout=300)[0].split() for proc in machines]
    assert all(proc.returncode == 0 for proc in machines)
    assert answers[0][:2] == answers[1][:2]
    oid = answers[0][0]
    listing = s3_env.client().list_objects_v2(Bucket=s3_bucket)["Contents"]
    assert [(o["Key"], o["Size"]) for o in listing] == [
        (f"team/objects/{oid[:2]}/{oid[2:]}", 100 * 2**20)]
    # A third machine, later, finds it and sends nothing.
    third = subprocess.run([sys.executable, "-c", PUT_100MB, s3_url, str(tmp_path / "c3")],
                           capture_output=True, text=True, timeout=300, check=True)
    assert third.stdout.split() == [oid, str(100 * 2**20), "False"]
    with contextlib.suppress(Exception):
        s3_env.client().delete_object(Bucket=s3_bucket, Key=listing[0]["Key"])
