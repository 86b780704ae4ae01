"""Per-cell cost of reading a 1 GB DataFrame in tracked cells, with and without the hash memo
(JSON lines).

Cells alternate: an untracked cell that reads the frame (as a notebook does between tracked
cells), then a tracked cell that reads it. "before" clears the memo ahead of each tracked cell,
so the frame is hashed again as it was before the memo existed; "after" keeps it.
Target: the tracked cell costs no more than the same cell untracked plus a few ms.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from _common import GB, emit, tracking_shell


def main() -> None:
    with tracking_shell() as (ip, _):
        from jupyter_artifacts.capture import _sessions

        session = _sessions[id(ip)]
        ip.run_cell("import numpy as np, pandas as pd\n"
                    f"df = pd.DataFrame(np.random.default_rng(0).random(({GB // 8 // 16}, 16)), "
                    "columns=[f'c{i}' for i in range(16)])")
        body = "col_mean = float(df['c0'].mean())"
        tracked_cell = f"%%track --quiet features\n{body}"

        def cell(code: str) -> float:
            start = time.perf_counter()
            result = ip.run_cell(code, store_history=True)
            assert result.error_in_exec is None, result.error_in_exec
            return time.perf_counter() - start

        cell(tracked_cell)  # the first run stores the frame
        plain, before, after = [], [], []
        for _ in range(7):
            plain.append(cell(body))
            cell("rows = len(df)\nsummary = df['c1'].describe()")
            assert session._linker is not None
            session._linker.memo.clear()
            before.append(cell(tracked_cell))
            cell("rows = len(df)\nsummary = df['c1'].describe()")
            after.append(cell(tracked_cell))
        untracked = statistics.median(plain)
        emit("memo_1gb_dataframe_read_untracked", untracked * 1000, "ms")
        emit("memo_1gb_dataframe_read_tracked_before", statistics.median(before) * 1000, "ms",
             added_ms=round((statistics.median(before) - untracked) * 1000, 1))
        emit("memo_1gb_dataframe_read_tracked_after", statistics.median(after) * 1000, "ms",
             "untracked + a few ms", added_ms=round((statistics.median(after) - untracked) * 1000, 1))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
