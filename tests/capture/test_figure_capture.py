"""Figures and deferred stores under %%track: what the user saw, off the cell's critical path."""

from __future__ import annotations

import base64
from typing import Any

from jupyter_artifacts.capture.background import wait_pending
from jupyter_artifacts.store import Store

from .conftest import run


def test_a_tracked_cell_leaves_the_current_figure_alone(shell: Any, store: Store) -> None:
    run(shell, "import matplotlib.pyplot as plt\nfirst = plt.figure(); second = plt.figure()\n"
               "plt.figure(first.number)")
    run(shell, "%%track\nplt.gca().plot([1, 2, 3]);")
    assert shell.user_ns["plt"].gcf() is shell.user_ns["first"]


def test_the_stored_png_is_the_one_the_inline_backend_showed(shell: Any, store: Store) -> None:
    shown: list[bytes] = []
    publish = shell.display_pub.publish

    def spy(data: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if "image/png" in data:
            png = data["image/png"]
            shown.append(base64.b64decode(png) if isinstance(png, str) else png)
        return publish(data, *args, **kwargs)

    inline = "module://matplotlib_inline.backend_inline"
    shell.display_pub.publish = spy
    try:  # what %matplotlib inline does in a kernel
        run(shell, f"import matplotlib; matplotlib.use({inline!r})\n"
                   "from matplotlib_inline.backend_inline import configure_inline_support\n"
                   f"configure_inline_support(get_ipython(), {inline!r})\nmatplotlib.interactive(True)\n"
                   "import matplotlib.pyplot as plt")
        run(shell, "%%track plots\nplt.plot([1, 2, 3]); plt.title('seen')")
    finally:
        del shell.display_pub.publish
        run(shell, "configure_inline_support(get_ipython(), 'agg'); matplotlib.use('agg')\n"
                   "matplotlib.interactive(False)")
    figure = next(v for _, v in store.run_events("plots") if v.kind == "figure")
    assert shown and store.objects.read_bytes(figure.oid) == shown[-1]
    assert b"seen" in store.objects.read_bytes(figure.metadata["objects"]["svg"])


def test_models_are_stored_in_the_background_without_a_notebook_too(shell: Any, store: Store,
                                                                   monkeypatch: Any) -> None:
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)  # as under nbclient or papermill
    run(shell, "from sklearn.linear_model import LogisticRegression\nX = [[0], [1], [2], [3]]\n"
               "y = [0, 0, 1, 1]\nimport skops.io  # a model was stored before: the codec is warm")
    shell.run_cell("%%track\nmodel = LogisticRegression().fit(X, y)", store_history=True)
    from jupyter_artifacts.capture import background

    # Not on the cell's path: queued when the cell returned (or already done).
    assert background.pending() or store.versions("model")
    wait_pending()
    assert store.resolve("model:v1").kind == "model"


def test_each_run_records_what_tracking_cost_it(shell: Any, store: Store, capsys: Any) -> None:
    run(shell, "import matplotlib.pyplot as plt")
    run(shell, "%%track drawing\nfig = plt.figure(); plt.plot([1, 2, 3]);")
    cost = store.get_run("drawing").metadata["tracking_cost"]
    assert cost["critical_ms"] > 0 and "fig" in cost["captures"]
    assert cost["background_ms"] > 0  # the SVG, rendered after the cell
    capsys.readouterr()
    shell.run_line_magic("artifacts", "costs")
    table = capsys.readouterr().out
    assert "run-" in table and "drawing" in table and "fig (" in table


def test_a_figure_changed_by_the_next_cell_is_stored_as_the_tracked_cell_left_it(
        shell: Any, store: Store) -> None:
    import time

    from jupyter_artifacts.codecs import background

    run(shell, "import matplotlib.pyplot as plt")
    # No waiting between the cells: the snapshot is taken after the first one has replied,
    # here late (the SVG lane is kept busy), so the next cell would race it.
    background.submit(time.sleep, 1.0, lane="svg")
    shell.run_cell("%%track drawing\nfig = plt.figure(); plt.plot([1, 2]); plt.title('as left')",
                   store_history=True)
    shell.run_cell("fig.axes[0].set_title('changed next'); fig.axes[0].plot([5, 1])", store_history=True)
    wait_pending()
    figure = next(v for _, v in store.run_events("drawing") if v.kind == "figure")
    svg = store.objects.read_bytes(figure.metadata["objects"]["svg"])
    assert b"as left" in svg and b"changed next" not in svg


def test_a_value_over_the_capture_budget_is_not_stored_unless_asked(shell: Any, store: Store,
                                                                     monkeypatch: Any) -> None:
    monkeypatch.setenv("JUPYTER_ARTIFACTS_CAPTURE_BUDGET_MB", "1")  # as a 5 GB array would be
    shown: list[str] = []
    publish = shell.display_pub.publish
    shell.display_pub.publish = lambda data, *a, **k: (shown.append(str(data.get("text/html", ""))),
                                                       publish(data, *a, **k))
    run(shell, "import numpy as np")
    try:
        run(shell, "%%track big\nbig = np.ones(2**20)")  # 8 MB
    finally:
        del shell.display_pub.publish
    assert not store.list_artifacts(search="big")
    assert any("big (0.0 GB) not stored: over the capture budget" in html for html in shown)
    run(shell, "%%track --save big asked\nbig = np.ones(2**20)")
    assert store.resolve("big:v1").kind == "dataset"


def test_a_model_still_being_saved_is_linked_as_input_when_it_lands(shell: Any, store: Store) -> None:
    import time

    from jupyter_artifacts.codecs import background

    run(shell, "from sklearn.linear_model import LogisticRegression\nX = [[0], [1], [2], [3]]\n"
               "y = [0, 0, 1, 1]")
    background.submit(time.sleep, 1.0)  # the save lane is busy: the model's save waits
    shell.run_cell("%%track fit\nmodel = LogisticRegression().fit(X, y)", store_history=True)
    # Reads the model while its save is still queued: the cell links it without waiting.
    shell.run_cell("%%track use\nscore = model.score(X, y)", store_history=True)
    wait_pending()
    inputs = [v.ref for kind, v in store.run_events("use") if kind == "input"]
    assert "model:v1" in inputs


def test_a_busy_helper_never_holds_up_the_next_cell(shell: Any, store: Store) -> None:
    """The helper renders SVGs at idle priority: a stopped helper stands in for a helper that
    gets no CPU. A figure bigger than a pipe's buffer is handed to it; the next cells must
    still run (they wait for the figure's snapshot, never for the hand-over)."""
    import os
    import signal
    import threading

    from jupyter_artifacts.codecs.figures import helper

    run(shell, "import numpy as np, matplotlib.pyplot as plt\nrng = np.random.default_rng(0)")
    helper().start()
    wait_pending()
    pid = helper()._proc.pid  # type: ignore[union-attr]
    os.kill(pid, signal.SIGSTOP)
    try:
        done = threading.Event()

        def cells() -> None:
            for _ in range(3):  # each figure pickles to megabytes: far beyond a pipe's 64 KB
                # Not run(): it waits for background work, which a user's next cell never does.
                result = shell.run_cell("%%track\nfig = plt.figure()\n"
                                        "plt.pcolormesh(rng.random((200, 200)))", store_history=True)
                assert result.success, result
            done.set()

        worker = threading.Thread(target=cells, daemon=True)
        worker.start()
        worker.join(timeout=60)
        assert done.is_set(), "a tracked cell waited for the stopped helper"
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_pending()
    versions = store.versions("fig")
    assert len(versions) == 3
    # Handed over while the helper was stopped, rendered once it ran again.
    assert all("svg" in v.metadata.get("objects", {}) for v in versions)


def test_the_helper_runs_below_the_kernel(shell: Any, store: Store) -> None:
    """nice alone ranks a task only inside its autogroup; the helper has a session (so an
    autogroup) of its own, which must be lowered too, or it competes with the kernel."""
    import os
    from pathlib import Path

    from jupyter_artifacts.codecs.figures import helper

    helper().start()
    wait_pending()
    pid = helper()._proc.pid  # type: ignore[union-attr]
    assert os.getpriority(os.PRIO_PROCESS, pid) == 19
    assert os.sched_getscheduler(pid) == os.SCHED_OTHER  # never starved by a busy machine
    autogroup = Path(f"/proc/{pid}/autogroup")
    if autogroup.exists():
        assert autogroup.read_text().split()[-1] == "19"


def test_the_helper_is_lowered_before_it_imports_anything(tmp_path: Any) -> None:
    """Its imports take a second of CPU: at the kernel's priority they slowed the cell that
    started it (a BLAS call there waits for a worker thread on the core they held)."""
    import os
    import subprocess
    import sys

    from jupyter_artifacts.helperboot import BOOT

    (tmp_path / "probe_module.py").write_text(
        "import os, sys\n"
        "def serve(jobs, stdout, pauser):\n"
        "    print(os.getpriority(os.PRIO_PROCESS, 0), 'numpy' in sys.modules,\n"
        "          type(sys.meta_path[0]).__name__)\n")
    out = subprocess.run([sys.executable, "-c", BOOT, "probe_module", ""],
                         capture_output=True, text=True, check=True, input="",
                         env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert out.stdout.split() == ["19", "False", "ImportsWhenIdle"]
