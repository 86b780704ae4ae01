"""Latency of the runs REST API over a large store (default 100,000 runs).

Run: ``python benchmarks/runs_api.py [--runs N]``. It fills a temporary store in bulk
(through the store's catalog, in one transaction, for speed), starts a real
``jupyter server`` with the extension, and times each query several times.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from jupyter_artifacts.store import ENV_VAR, Store
from jupyter_artifacts.store.runs import INSERT_PARAM, insert_metrics

QUERIES = [
    "runs?limit=200",
    "runs?limit=200&offset=50000",
    "runs?limit=200&sort=-metrics.acc",
    "runs?limit=200&sort=params.lr",
    "runs?limit=200&name=sweep-3",
    "runs?limit=200&tag=best",
    "runs?limit=200&status=failed",
    "runs?limit=200&notebook=nb-7",
    "runs/run-50000",
    "changes",
]


def fill(root: Path, count: int) -> None:
    store = Store.open(root, create=True)
    start = 1_700_000_000.0
    with store.catalog.write() as conn:
        runs, params, tags, metrics = [], [], [], []
        for i in range(count):
            run_id = uuid.uuid4().hex
            status = "failed" if i % 50 == 0 else "ok"
            runs.append((run_id, f"sweep-{i % 10}", status, start + i, start + i + 3.0,
                         f"nb-{i % 20}.ipynb", "x = 1"))
            params.append((run_id, "lr", json.dumps(10 ** -(i % 5))))
            params.append((run_id, "seed", json.dumps(i)))
            if i % 100 == 0:
                tags.append((run_id, "best"))
            metrics.append((run_id, "acc", None, (i * 7919 % 1000) / 1000, start + i))
            metrics.append((run_id, "loss", None, 1 / (1 + i % 97), start + i))
        conn.executemany(
            "INSERT INTO runs (id, name, status, started_at, ended_at, notebook_path, code) "
            "VALUES (?,?,?,?,?,?,?)", runs)
        conn.executemany(INSERT_PARAM, params)
        conn.executemany("INSERT INTO run_tags VALUES (?,?)", tags)
        insert_metrics(conn, metrics)
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        fill(root / ".artifacts", args.runs)
        print(f"filled {args.runs:,} runs in {time.perf_counter() - t0:.1f} s")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        token = secrets.token_hex(16)
        env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--allow-root", "--no-browser",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}/jupyter-artifacts/api/"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}status?token={token}", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.3)
            print(f"{'query':42} {'median ms':>10} {'max ms':>8} {'bytes':>8}")
            for query in QUERIES:
                sep = "&" if "?" in query else "?"
                times, size = [], 0
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    with urllib.request.urlopen(f"{base}{query}{sep}token={token}") as reply:
                        size = len(reply.read())
                    times.append((time.perf_counter() - t) * 1000)
                print(f"{query:42} {statistics.median(times):10.1f} {max(times):8.1f} {size:8}")
        finally:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
