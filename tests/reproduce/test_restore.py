"""Restore: a run's variables back in a namespace at their recorded versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from IPython.core.error import UsageError

import jupyter_artifacts as ja
from jupyter_artifacts.errors import NotFoundError
from jupyter_artifacts.store import Store
from tests.capture.conftest import run

SETUP = """
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3))
y = (X[:, 0] > 0).astype(int)
C = 0.5
"""
TRAIN = """%%track train
model = LogisticRegression(C=C).fit(X, y)
scores = pd.DataFrame({"p": model.predict_proba(X)[:, 1]})
acc = float((model.predict(X) == y).mean())
handle = open(__file__ if "__file__" in dir() else "notes.txt", "w")
"""


def _train(ip: Any) -> dict[str, Any]:
    run(ip, SETUP)
    run(ip, TRAIN)
    ns = ip.user_ns
    return {"X": ns["X"].copy(), "y": ns["y"].copy(), "C": ns["C"], "scores": ns["scores"].copy(),
            "acc": ns["acc"], "coef": ns["model"].coef_.copy()}


def _fresh(ip: Any) -> None:
    """What a kernel restart leaves: an empty namespace (the store stays)."""
    ip.user_ns["handle"].close()
    ip.reset(new_session=False)


def test_restore_after_restart_gives_equal_objects(shell: Any, store_dir: Path) -> None:
    before = _train(shell)
    _fresh(shell)
    assert "model" not in shell.user_ns
    report = ja.restore("run-1")
    ns = shell.user_ns
    np.testing.assert_array_equal(ns["X"], before["X"])
    np.testing.assert_array_equal(ns["y"], before["y"])
    pd.testing.assert_frame_equal(ns["scores"], before["scores"])
    np.testing.assert_array_equal(ns["model"].coef_, before["coef"])
    assert ns["C"] == before["C"] and ns["acc"] == before["acc"]
    assert ns["LogisticRegression"].__name__ == "LogisticRegression"  # re-imported
    assert report.bound["model"] == "model:v1" and report.bound["C"] == "param"
    # An open file is listed with the reason, not silently dropped.
    assert "open file" in report.not_stored["handle"]
    assert "handle" not in ns


def test_inputs_only_and_only_names(shell: Any, store_dir: Path) -> None:
    _train(shell)
    _fresh(shell)
    report = ja.restore("run-1", outputs=False)
    assert {"X", "y", "C"} <= set(report.bound) and "model" not in shell.user_ns
    shell.user_ns.clear()  # an empty namespace is still the notebook's
    report = ja.restore("run-1", only=["acc"])
    assert list(report.bound) == ["acc"] and list(shell.user_ns) == ["acc"]
    with pytest.raises(NotFoundError, match="no variable nope"):
        ja.restore("run-1", only=["nope"])


def test_magic_restore_and_one_version_as_name(shell: Any, store_dir: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    before = _train(shell)
    _fresh(shell)
    shell.run_line_magic("load_ext", "jupyter_artifacts")
    shell.run_line_magic("artifacts", "restore run-1 --outputs --only model,acc")
    out = capsys.readouterr().out
    assert "model (model:v1)" in out and "acc (metric)" in out
    assert "X" not in shell.user_ns
    shell.run_line_magic("artifacts", "restore model:v1 as m")
    np.testing.assert_array_equal(shell.user_ns["m"].coef_, before["coef"])
    with pytest.raises(UsageError, match="restore"):
        shell.run_line_magic("artifacts", "restore run-1 --bogus")
    with pytest.raises(UsageError, match="names one version"):
        shell.run_line_magic("artifacts", "restore run-1 as x")


def test_lineage_only_value_is_listed_not_dropped(shell: Any, store_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_ARTIFACTS_MAX_INTERMEDIATE", "0.001")
    run(shell, "import numpy as np\nbase = np.arange(10.0)")
    run(shell, "%%track\nbig = np.ones(10_000) * base.sum()")
    shell.user_ns.clear()
    report = ja.restore("run-1")
    assert "big" in report.not_stored and "not stored" in report.not_stored["big"]


def test_old_runs_without_a_namespace_map_fall_back_to_events(store: Store) -> None:
    with ja.run("script") as active:
        ja.log_param("lr", 0.1)
        ja.save(np.arange(3), "weights")
        ja.log_metric("loss", 0.5)
    ns: dict[str, Any] = {}
    report = ja.restore(active.run.ref, namespace=ns)
    assert ns["lr"] == 0.1 and ns["loss"] == 0.5
    np.testing.assert_array_equal(ns["weights"], np.arange(3))
    assert report.bound["weights"] == "weights:v1"


def test_unfitted_estimator_is_rebuilt_and_a_function_is_listed(shell: Any, store_dir: Path) -> None:
    run(shell, SETUP + "\ndef double(a):\n    return a * 2\nclf = LogisticRegression(C=0.25)")
    run(shell, "%%track fit\nclf.fit(double(X), y)")
    shell.user_ns.clear()
    report = ja.restore("fit", outputs=False)
    clf = shell.user_ns["clf"]
    assert clf.C == 0.25 and not hasattr(clf, "coef_")  # as the cell read it: unfitted
    assert "source is recorded" in report.not_stored["double"]
    report = ja.restore("fit")
    assert hasattr(shell.user_ns["clf"], "coef_")  # as the cell left it
