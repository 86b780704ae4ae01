"""Replay of a chain of 10 tracked cells vs running those cells: target, overhead <= 2 s.

Both sides start a fresh kernel with nbclient and run the same 10 tracked cells; the replay
also walks the lineage, writes the notebook, loads the recorded inputs and compares every
output with the record. Prints JSON lines (wall seconds, and this process's CPU seconds).

    PYTHONPATH=$PWD python benchmarks/bench_replay.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from _common import emit, scratch
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

CELLS = 10
SETUP = "import numpy as np\nimport time\nx0 = np.linspace(0, 1, 200_000)"
STEP = ("%%track step{i}\nx{i} = np.sqrt(x{prev} ** 2 + 1.0) / 1.5\ntime.sleep(0.2)\n"
        "mean{i} = float(x{i}.mean())")


def chain() -> list[str]:
    cells = ["%load_ext jupyter_artifacts", SETUP]
    cells += [STEP.format(i=i, prev=i - 1) for i in range(1, CELLS + 1)]
    return [*cells, "from jupyter_artifacts.reproduce.replay import settle\nsettle()"]


def run_notebook(cells: list[str], folder: Path) -> float:
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    from jupyter_artifacts.reproduce.replay import replay
    from jupyter_artifacts.store import Store

    with scratch() as folder:
        os.environ["JUPYTER_ARTIFACTS_DIR"] = str(folder / ".artifacts")
        ran, replayed, cpu = [], [], []
        for _ in range(args.repeat):
            ran.append(run_notebook(chain(), folder))
        store = Store.open(folder / ".artifacts", create=False, readonly=True)
        for _ in range(args.repeat):
            start, cpu_start = time.perf_counter(), time.process_time()
            result = replay(f"x{CELLS}", folder / "replay.ipynb", store=store, execute=True)
            replayed.append(time.perf_counter() - start)
            cpu.append(time.process_time() - cpu_start)
            assert result.exit_code == 0, result.text()
            assert len(result.plan.runs) == CELLS
    emit("run_10_cells", min(ran), "s", None, cpu_s=None)
    emit("replay_10_cells", min(replayed), "s", None, cpu_s=round(min(cpu), 3))
    emit("replay_overhead", min(replayed) - min(ran), "s", "<= 2")


if __name__ == "__main__":
    main()
