"""skops imported by one thread while another stores a model (the helper process does both)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import threading, time, warnings
warnings.simplefilter("error")  # the joblib fallback warns: make it fail loudly
from sklearn.linear_model import LogisticRegression
from jupyter_artifacts.store import Store
from jupyter_artifacts.codecs import save_object
model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
store = Store.open(r"{root}")
threading.Thread(target=__import__, args=("skops.io",), daemon=True).start()
time.sleep(0.05)  # the other thread is now half-way through importing skops.io
version, _ = save_object(store, model, "model")
print(version.media_type)
"""


def test_a_model_saved_while_skops_is_being_imported_is_stored_with_skops(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(root=tmp_path / ".artifacts")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "application/vnd.skops"
