"""Store growth of a three-cell image notebook (load, filter, segment) tracked cell by cell
(JSON lines). Target: the store holds lineage, not every intermediate array."""

from __future__ import annotations

import sys
from pathlib import Path

from _common import emit, tracking_shell

CELLS = [
    "%%track load\nimport numpy as np\nimage = np.random.default_rng(0).random((1500, 1500))",
    "%%track smooth\nsmoothed = (image[:-2] + image[1:-1] + image[2:]) / 3",
    "%%track segment\nmask = smoothed > 0.5\nlabels = np.cumsum(mask, axis=1)\nfraction = mask.mean()",
]


def main() -> None:
    with tracking_shell() as (ip, root):
        for cell in CELLS:
            assert ip.run_cell(cell, store_history=True).error_in_exec is None
        made = sum(ip.user_ns[name].nbytes for name in ("image", "smoothed", "mask", "labels"))
        stored = sum(p.stat().st_size for p in (root / "objects").rglob("*") if p.is_file())
        emit("intermediates_three_cell_store_bytes", stored, "B", "much less than the arrays made",
             arrays_bytes=made)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
