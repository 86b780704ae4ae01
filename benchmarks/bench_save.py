"""Saving 1 GB: the disk's fsync bandwidth, hash throughput, a numpy array and a DataFrame,
and saving each again unchanged."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import blake3
import numpy as np
import pandas as pd
from _common import GB, best_of, emit, scratch

import jupyter_artifacts as ja

CHUNK = 8 * 1024 * 1024


def fsync_bandwidth(folder: Path) -> float:
    """GB/s for writing 1 GB of bytes to a new file and fsyncing it."""
    block = os.urandom(CHUNK)
    path = folder / "fsync-probe"
    start = time.perf_counter()
    with open(path, "wb") as fh:
        for _ in range(GB // CHUNK):
            fh.write(block)
        fh.flush()
        os.fsync(fh.fileno())
    elapsed = time.perf_counter() - start
    path.unlink()
    return 1 / elapsed


def stored_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in (root / "objects").rglob("*") if p.is_file())


def bench_hashes(data: memoryview) -> float:
    """Emit BLAKE3 (all cores) and SHA-256 throughput; return BLAKE3's seconds for 1 GB."""
    b3 = best_of(lambda: blake3.blake3(data, max_threads=blake3.blake3.AUTO).digest(), 3)
    sha = best_of(lambda: hashlib.sha256(data).digest(), 1)
    emit("hash_blake3", data.nbytes / GB / b3, "GB/s", "measure (issue: ~5.8 GB/s)")
    emit("hash_sha256", data.nbytes / GB / sha, "GB/s", "measure")
    return b3


def bench_object(label: str, obj: object, root: Path, disk: float, hash_seconds: float) -> None:
    start = time.perf_counter()
    ja.save(obj, label)
    elapsed = time.perf_counter() - start
    emit(f"save_1gb_{label}", GB / elapsed / GB, "GB/s", f">= {0.7 * disk:.2f} GB/s (70% of fsync)",
         fraction_of_disk=round(1 / elapsed / disk, 3))
    before = stored_bytes(root)
    start = time.perf_counter()
    version = ja.save(obj, label)
    again = time.perf_counter() - start
    assert version.version == 1, "an unchanged object made a new version"
    emit(f"resave_unchanged_{label}", again, "s", f"<= {hash_seconds:.3f} s (hashing 1 GB)",
         new_bytes=stored_bytes(root) - before)


def main() -> None:
    with scratch() as folder:
        disk = fsync_bandwidth(folder)
        emit("disk_fsync_bandwidth", disk, "GB/s", "measure (issue: ~1.2 GB/s)")
        root = folder / ".artifacts"
        ja.open_store(root)

        array = np.arange(GB // 8, dtype=np.float64)
        hash_seconds = bench_hashes(memoryview(array).cast("B"))
        bench_object("array", array, root, disk, hash_seconds)
        del array

        rows = GB // 8 // 8  # 8 float64 columns
        rng = np.random.default_rng(0)
        frame = pd.DataFrame({f"c{i}": rng.standard_normal(rows) for i in range(8)})
        bench_object("dataframe", frame, root, disk, hash_seconds)


if __name__ == "__main__":
    main()
