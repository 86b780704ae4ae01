"""Overhead of ``%%track`` in a real IPython shell (JSON lines).

- an empty tracked cell vs the same cell untracked (target: under 5 ms);
- a cell that trains a small model (target: under 5 % of the cell's time);
- re-running an unchanged tracked cell that reads a 1 GB DataFrame: bytes added to the
  store (target: none) and the added time vs hashing the frame once.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from _common import GB, emit, scratch


def store_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in (root / "objects").rglob("*") if p.is_file())


def timed(ip, code: str, repeat: int, background: list[float] | None = None) -> float:  # type: ignore[no-untyped-def]
    """Median time until the cell returns; models saved in the background are waited for
    after the clock stops (a user's next cell comes seconds later), and that wait is
    reported separately in ``background``."""
    from jupyter_artifacts.capture.background import wait_pending

    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = ip.run_cell(code, store_history=True)
        times.append(time.perf_counter() - start)
        assert result.error_in_exec is None, result.error_in_exec
        start = time.perf_counter()
        wait_pending()
        if background is not None:
            background.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    home = os.getcwd()
    with scratch() as folder:
        os.environ["JUPYTER_ARTIFACTS_DIR"] = str(folder / ".artifacts")
        # As in JupyterLab, which names the notebook: models are then stored in the background.
        os.environ["JPY_SESSION_NAME"] = str(folder / "bench.ipynb")
        os.chdir(folder)
        from IPython.core.interactiveshell import InteractiveShell

        ip = InteractiveShell.instance()
        ip.run_cell("import matplotlib; matplotlib.use('agg')")
        ip.run_line_magic("load_ext", "jupyter_artifacts")
        timed(ip, "%%track --quiet\npass", 5)  # warm up: environment, catalog
        plain = timed(ip, "pass", 200)
        tracked = timed(ip, "%%track --quiet\npass", 200)
        emit("track_empty_cell_overhead", (tracked - plain) * 1000, "ms", "< 5 ms")

        ip.run_cell("from sklearn.datasets import load_breast_cancer\n"
                    "from sklearn.ensemble import RandomForestClassifier\n"
                    "X, y = load_breast_cancer(return_X_y=True)\nn_estimators = 100")
        body = "model = RandomForestClassifier(n_estimators=n_estimators, random_state=0).fit(X, y)\n" \
               "acc = model.score(X, y)"
        # Interleaved pairs: the heap grows and the machine drifts over a run, and a block of
        # untracked runs followed by a block of tracked ones would charge that to tracking.
        plain_times: list[float] = []
        tracked_times: list[float] = []
        deferred: list[float] = []
        for _ in range(10):
            plain_times.append(timed(ip, body, 1))
            tracked_times.append(timed(ip, "%%track --quiet train\n" + body, 1, deferred))
        plain, tracked = statistics.median(plain_times), statistics.median(tracked_times)
        emit("track_small_model_overhead", (tracked - plain) / plain * 100, "%", "< 5 %",
             cell_seconds=round(plain, 3), background_save_seconds=round(statistics.median(deferred), 3))

        ip.run_cell("import numpy as np, pandas as pd\n"
                    f"df = pd.DataFrame(np.random.default_rng(0).random(({GB // 8 // 16}, 16)), "
                    "columns=[f'c{i}' for i in range(16)])")
        cell = "%%track --quiet features\ncol_mean = float(df['c0'].mean())"
        timed(ip, cell, 1)  # first run stores the frame
        root = folder / ".artifacts"
        before = store_bytes(root)
        plain = timed(ip, "col_mean = float(df['c0'].mean())", 3)
        rerun = timed(ip, cell, 3)
        from jupyter_artifacts.codecs.tabular import DataFrameCodec

        start = time.perf_counter()
        DataFrameCodec().fingerprint(ip.user_ns["df"])
        hash_once = time.perf_counter() - start
        emit("track_rerun_1gb_dataframe_new_bytes", store_bytes(root) - before, "B", "0")
        emit("track_rerun_1gb_dataframe_added_s", rerun - plain, "s", f"<= hashing once ({hash_once:.3f} s)",
             hash_seconds=round(hash_once, 3))
        ip.run_line_magic("unload_ext", "jupyter_artifacts")
        os.chdir(home)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
