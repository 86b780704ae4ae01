"""%%track in a real IPython shell on a store whose objects are on a real S3 server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_artifacts.store import Store
from jupyter_artifacts.store.s3objects import S3ObjectStore
from tests.services.s3 import S3Server

from .conftest import run


def test_a_tracked_cell_stores_its_outputs_on_s3_and_no_secret_anywhere(
        shell: Any, store_dir: Path, s3_url: str, s3_env: S3Server, helper_with_s3_env: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_ARTIFACTS_OBJECTS", s3_url)
    run(shell, "import numpy as np\nfrom sklearn.linear_model import LogisticRegression\n"
               "import matplotlib.pyplot as plt\n"
               "X = np.random.RandomState(0).rand(40, 3)\ny = (X[:, 0] > .5).astype(int)")
    run(shell, "%%track train\nmodel = LogisticRegression().fit(X, y)\nacc = model.score(X, y)\n"
               "plt.plot([1, 2]); plt.show()\nprint('trained')")
    store = Store.open(store_dir, create=False)
    assert isinstance(store.objects, S3ObjectStore)
    run_ = store.get_run("train")
    assert run_.status == "ok" and "acc" in store.metric_summary("train")
    outputs = {version.name: version for kind, version in store.run_events("train")
               if kind == "output"}
    assert "model" in outputs and "train/stdout" in outputs
    assert store.objects.read_bytes(outputs["train/stdout"].oid) == b"trained\n"
    assert not (store_dir / "objects").exists()
    assert store.verify().ok
    # Nothing secret in the catalog, a run record or any object.
    secret = s3_env.secret_key.encode()
    assert secret not in (store_dir / "catalog.sqlite").read_bytes()
    for wal in store_dir.glob("catalog.sqlite-*"):
        assert secret not in wal.read_bytes()
    record = json.dumps([run_.__dict__, store.environment(run_.environment_id or "")],
                        default=str).encode()
    assert secret not in record and b"AWS_" not in record
    for oid in store.objects.iter_oids():
        assert secret not in store.objects.read_bytes(oid)
    store.close()
