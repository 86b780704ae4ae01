"""Loading and exporting 1 GB: what checking the content hash on every read costs.

Each checked path (``ja.load``, ``ja.export``) is timed against the same read without the
check (the object's file read directly), warm page cache, best of three.
"""

from __future__ import annotations

import shutil
import time

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from _common import GB, best_of, emit, scratch

import jupyter_artifacts as ja


def compare(label: str, checked: object, unchecked: object) -> None:
    checked_s = best_of(checked, 3)  # type: ignore[arg-type]
    unchecked_s = best_of(unchecked, 3)  # type: ignore[arg-type]
    emit(f"{label}_checked", GB / checked_s / GB, "GB/s", "measure")
    emit(f"{label}_unchecked", GB / unchecked_s / GB, "GB/s", "measure")
    emit(f"{label}_hash_overhead", checked_s / unchecked_s - 1, "fraction", "small (BLAKE3: GB/s)")


def main() -> None:
    with scratch() as folder:
        store = ja.open_store(folder / ".artifacts")
        array = np.arange(GB // 8, dtype=np.float64)
        version = ja.save(array, "array")
        del array
        path = store.objects.path(version.oid)
        compare("load_1gb_array", lambda: ja.load("array"),
                lambda: np.load(path, allow_pickle=False))

        rows = GB // 8 // 8
        rng = np.random.default_rng(0)
        frame = pd.DataFrame({f"c{i}": rng.standard_normal(rows) for i in range(8)})
        version = ja.save(frame, "frame")
        del frame
        path_df = store.objects.path(version.oid)
        compare("load_1gb_dataframe", lambda: ja.load("frame"),
                lambda: pq.read_table(path_df).to_pandas())

        out = folder / "out"
        out.mkdir()
        target = out / "copy"
        compare("export_1gb_array",
                lambda: ja.export("array", target),
                lambda: shutil.copyfile(path, target))

        start = time.perf_counter()
        store.objects.check(version.oid)
        emit("verify_1gb_object", (GB / (time.perf_counter() - start)) / GB, "GB/s", "measure")


if __name__ == "__main__":
    main()
