"""Large intermediates are recorded for lineage (content id, summary), not stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

import jupyter_artifacts as ja
from jupyter_artifacts import settings
from jupyter_artifacts.errors import InvalidReferenceError, NotStoredError
from jupyter_artifacts.store import Store

from .conftest import run
from .test_track import events


@pytest.fixture(autouse=True)
def _default_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.MAX_INTERMEDIATE_ENV, raising=False)
    monkeypatch.setattr(settings, "_configured", {})


def store_size(store: Store) -> int:
    return sum(p.stat().st_size for p in Path(store.root, "objects").rglob("*") if p.is_file())


IMAGE_NOTEBOOK = [  # as a scikit-image notebook goes: load, filter, segment; ~18 MB each
    "%%track load\nimport numpy as np\nimage = np.random.default_rng(0).random((1500, 1500))",
    "%%track smooth\nsmoothed = (image[:-2] + image[1:-1] + image[2:]) / 3",
    "%%track segment\nmask = smoothed > 0.5\nlabels = np.cumsum(mask, axis=1)\nfraction = mask.mean()",
]


def test_large_intermediates_keep_lineage_but_not_bytes(shell: Any, store: Store) -> None:
    for cell in IMAGE_NOTEBOOK:
        run(shell, cell)
    assert store_size(store) < 3 * 1024**2  # the 2 MB mask, the rest small documents
    assert events(store, "smooth") == {"input": {"image:v1"}, "output": {"smoothed:v1"}}
    assert events(store, "segment") == {"input": {"smoothed:v1"}, "output": {"mask:v1", "labels:v1"}}
    image = store.resolve("image")
    assert image.metadata["stored"] is False
    assert image.summary["shape"] == [1500, 1500] and image.summary["nbytes"] == 1500 * 1500 * 8
    assert store.resolve("mask").metadata.get("stored", True)  # small: stored as usual
    assert store.get_run("segment").metrics["fraction"] == pytest.approx(shell.user_ns["fraction"])
    assert store.verify().ok
    assert store.gc().removed_objects == []
    # Unchanged on a re-run: the same version; changed: a new one.
    run(shell, IMAGE_NOTEBOOK[1])
    assert [v.ref for v in store.versions("smoothed")] == ["smoothed:v1"]
    run(shell, "image[0, 0] = 2.0")
    run(shell, IMAGE_NOTEBOOK[1])
    assert [v.ref for v in store.versions("smoothed")] == ["smoothed:v1", "smoothed:v2"]


def test_loading_a_lineage_only_version_says_why(shell: Any, store: Store, tmp_path: Path) -> None:
    run(shell, IMAGE_NOTEBOOK[0])
    with pytest.raises(NotStoredError, match=r"image:v1 was not stored \(17\.2 MB, over the 10 MB"):
        ja.load("image")
    with pytest.raises(NotStoredError, match="--save image"):
        ja.export("image", tmp_path)
    with pytest.raises(UsageError, match="was not stored") as info:
        shell.run_line_magic("artifacts", "load image")
    assert "\n" not in str(info.value)


def test_save_and_configuration_store_them(shell: Any, store: Store,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    run(shell, IMAGE_NOTEBOOK[0])
    run(shell, "%%track --save image\nimage2 = image")  # named with --save: stored
    assert store.resolve("image:v2").metadata.get("stored", True)
    assert ja.load("image:v2").shape == (1500, 1500)
    ja.configure(max_intermediate="1 GB")
    run(shell, IMAGE_NOTEBOOK[1])
    assert store.resolve("smoothed").codec == "numpy.npy"
    ja.configure(max_intermediate=1000)
    run(shell, "%%track\nsmall = np.ones(1000)")
    assert store.resolve("small").metadata["stored"] is False
    monkeypatch.setattr(settings, "_configured", {})
    monkeypatch.setenv(settings.MAX_INTERMEDIATE_ENV, "none")
    run(shell, "%%track\nbig = np.zeros((1500, 1500))")
    assert store.resolve("big").codec == "numpy.npy"


@pytest.mark.parametrize(("text", "size"), [
    ("50MB", 50 * 1024**2), ("1.5 GB", int(1.5 * 1024**3)), ("2048", 2048), (0, 0),
    ("none", None), (None, None), ("10k", 10 * 1024),
])
def test_parse_size(text: Any, size: int | None) -> None:
    assert settings.parse_size(text) == size


def test_parse_size_refuses_nonsense() -> None:
    with pytest.raises(InvalidReferenceError, match="not a size"):
        settings.parse_size("ten megs")


def test_the_summary_says_lineage_only(shell: Any, store: Store) -> None:
    from jupyter_artifacts.capture.summary import summary_html, summary_text

    run(shell, "%%track\nimport numpy as np\nimage = np.zeros((1500, 1500))")
    box = summary_html(store.get_run("run-1"), [(store.resolve("image"), True)], [], {}, {}, [])
    assert "image:v1 (lineage only)" in box and "over the 10 MB limit" in box
    text = summary_text(store.get_run("run-1"), [(store.resolve("image"), True)], {})
    assert "outputs: image:v1 (lineage only)" in text
