"""What tracking costs CPU-heavy cells in a real IPython shell (JSON lines).

Each cell runs untracked, tracked (loop curves on, as ``%%track`` does by default) and
tracked without loop curves (a cell that mentions ``log_metric`` gets none), interleaved so
drift on a shared machine is not charged to tracking. Per mode: the median CPU time
(``time.process_time``: every thread of the process, so background threads count) and wall
time of ``run_cell``, hooks included. Background saves are waited for after the clock stops.
Cells:

- ``empty``: ``pass`` (target: under 5 ms added);
- ``torch``: 2,000 SGD steps of a small MLP (the loop a training notebook runs);
- ``numpy``: 20,000 small numpy updates in a loop;
- ``pandas``: 200 ``groupby().agg()`` calls on a 20,000-row frame;
- ``print``: a loop that prints 5,000 lines (the stream tee's cost per write).

``value`` is tracked over untracked CPU time in %; the issue's budget per cell is +25 % or
+50 ms, whichever is larger. Run ``python bench_cell_overhead.py [cell...]``.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from _common import emit, tracking_shell

REPEAT = 7
SETUP = {
    "empty": "",
    "torch": ("import torch\ntorch.manual_seed(0)\ntorch.set_num_threads(1)\n"
              "net = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))\n"
              "opt = torch.optim.SGD(net.parameters(), lr=0.01)\nX = torch.randn(32, 16)\n"
              "y = torch.randn(32, 1)\ncriterion = torch.nn.MSELoss()"),
    "numpy": ("import numpy as np\nrng = np.random.default_rng(0)\nA = rng.normal(size=(64, 16))\n"
              "b = A @ rng.normal(size=16)"),
    "pandas": ("import numpy as np, pandas as pd\nrng = np.random.default_rng(0)\n"
               "frame = pd.DataFrame({'key': rng.integers(0, 50, 20_000), 'x': rng.normal(size=20_000),"
               " 'y': rng.normal(size=20_000)})"),
    "print": "",
}
CELL = {
    "empty": "pass",
    "torch": ("for step in range(2000):\n    opt.zero_grad()\n    loss = criterion(net(X), y)\n"
              "    loss.backward()\n    opt.step()\n"),
    "numpy": ("w = np.zeros(16)\nfor i in range(20_000):\n    err = A @ w - b\n"
              "    loss = float(err @ err) / 64\n    w = w - 0.01 * (A.T @ err) / 64\n"),
    "pandas": ("for i in range(200):\n    stats = frame.groupby('key').agg({'x': 'mean', 'y': 'std'})\n"
               "    spread = float(stats['x'].max() - stats['x'].min())\n"),
    "print": "for i in range(5000):\n    print('step', i, 'loss', i * 0.5)\n",
}
MODES = {"untracked": "", "tracked": "%%track --quiet\n",
         "tracked_no_curves": "%%track --quiet\n# log_metric\n"}


def run_once(ip: Any, code: str) -> tuple[float, float]:
    """CPU and wall seconds of one ``run_cell``; background saves are waited for afterwards."""
    import contextlib
    import io

    from jupyter_artifacts.capture.background import wait_pending

    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):  # the print cell's lines go nowhere, in every mode
        cpu, wall = time.process_time(), time.perf_counter()
        result = ip.run_cell(code, store_history=True)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert result.error_before_exec is None and result.error_in_exec is None, result
    wait_pending()
    return cpu, wall


def main() -> None:
    only = sys.argv[1:]
    with tracking_shell() as (ip, _):
        for name, setup in SETUP.items():
            if only and name not in only:
                continue
            ip.run_cell(setup)
            for prefix in MODES.values():  # warm up every path once
                run_once(ip, prefix + CELL[name])
            cpu: dict[str, list[float]] = {mode: [] for mode in MODES}
            wall: dict[str, list[float]] = {mode: [] for mode in MODES}
            for _ in range(REPEAT if name != "empty" else 100):
                for mode, prefix in MODES.items():
                    c, w = run_once(ip, prefix + CELL[name])
                    cpu[mode].append(c)
                    wall[mode].append(w)
            med = {mode: statistics.median(v) for mode, v in cpu.items()}
            wmed = {mode: statistics.median(v) for mode, v in wall.items()}
            base = med["untracked"]
            for mode in ("tracked", "tracked_no_curves"):
                added_ms = (med[mode] - base) * 1000
                if name == "empty":
                    emit(f"cell_overhead_{name}_{mode}", added_ms, "ms", "< 5 ms",
                         untracked_cpu_ms=round(base * 1000, 2), tracked_cpu_ms=round(med[mode] * 1000, 2),
                         added_wall_ms=round((wmed[mode] - wmed["untracked"]) * 1000, 2))
                    continue
                emit(f"cell_overhead_{name}_{mode}", 100 * (med[mode] / base - 1), "%",
                     "< 25 % or < 50 ms", added_cpu_ms=round(added_ms, 1),
                     untracked_cpu_s=round(base, 4), tracked_cpu_s=round(med[mode], 4),
                     untracked_wall_s=round(wmed["untracked"], 4), tracked_wall_s=round(wmed[mode], 4))


if __name__ == "__main__":
    main()
