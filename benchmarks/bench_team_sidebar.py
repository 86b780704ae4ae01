"""Sidebar first rows over a team store of 100,000 runs whose catalog is PostgreSQL.

The store folder holds only a ``store.json`` naming the catalog; 100,000 runs (10 params and
10 metric summaries each) are COPYed in as bench_pg_search.py does. A real ``jupyter server``
with the extension serves it, and the requests the sidebar makes when it opens are sent at
once, as the browser does: ``runs?offset=0&limit=200`` (the first page of the runs list),
``artifacts?`` and ``keys``. The figure is the wall time until the runs page is answered;
the server's own time for each request comes from its log.

Run: ``python benchmarks/bench_team_sidebar.py`` (``$JA_BENCH_PG_URL`` to use a server of
yours, ``JA_BENCH_RUNS`` for another size). Target (issue 10): under 1 s.
"""

from __future__ import annotations

import os
import re
import secrets
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import emit, scratch
from bench_pg_search import database, load

from jupyter_artifacts.store import ENV_VAR, Store
from tests.services.postgres import free_port

RUNS = int(os.environ.get("JA_BENCH_RUNS", 100_000))
#: What the sidebar asks for on open (labextension/src: RunsModel, ArtifactsModel, filter keys).
OPENING = ("runs?offset=0&limit=200", "artifacts?", "keys")
REPEAT = 5


def serve(root: Path, log: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """A jupyter server with the extension over ``root``; debug logging times each request."""
    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--allow-root", "--no-browser",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.log_level=DEBUG",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"],
        env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    base = f"http://127.0.0.1:{port}/jupyter-artifacts/api/"
    for _ in range(200):
        try:
            get(base, token, "status")
            return proc, base, token
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"jupyter server did not start: see {log}")


def get(base: str, token: str, query: str) -> float:
    """Wall seconds for one request (its body read)."""
    request = urllib.request.Request(base + query, headers={"Authorization": f"token {token}"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as reply:
        reply.read()
    return time.perf_counter() - start


def open_sidebar(pool: ThreadPoolExecutor, base: str, token: str) -> tuple[float, float]:
    """The opening requests at once: (seconds to the first rows, seconds to all answers)."""
    start = time.perf_counter()
    futures = [pool.submit(get, base, token, query) for query in OPENING]
    rows = futures[0].result()
    for future in futures[1:]:
        future.result()
    return rows, time.perf_counter() - start


def server_times(log: Path) -> dict[str, list[float]]:
    """Each opening request's handling times (ms) as the server logged them, in order."""
    found: dict[str, list[float]] = {query: [] for query in OPENING}
    for line in log.read_text(errors="replace").splitlines():
        match = re.search(r"GET /jupyter-artifacts/api/(\S+) .*?([\d.]+)ms\s*$", line)
        if match and match.group(1) in found:
            found[match.group(1)].append(float(match.group(2)))
    return found


def main() -> None:
    with database() as url, scratch() as folder:
        store = Store.open(folder / ".artifacts", create=True, catalog=url)
        start, cpu = time.perf_counter(), time.process_time()
        load(store, RUNS)
        store.close()
        emit("team_sidebar_load", time.perf_counter() - start, "s", None, runs=RUNS,
             client_cpu_s=round(time.process_time() - cpu, 1))
        log = folder / "server.log"
        proc, base, token = serve(folder, log)
        try:
            with ThreadPoolExecutor(len(OPENING)) as pool:
                cpu = time.process_time()
                first_rows, first_all = open_sidebar(pool, base, token)
                emit("team_sidebar_first_rows_cold", first_rows * 1e3, "ms", "< 1 s",
                     all_answered_ms=round(first_all * 1e3, 1), runs=RUNS,
                     client_cpu_ms=round((time.process_time() - cpu) * 1e3, 1))
                warm = [open_sidebar(pool, base, token) for _ in range(REPEAT)]
            rows = [w[0] for w in warm]
            emit("team_sidebar_first_rows_warm", statistics.median(rows) * 1e3, "ms", "< 1 s",
                 best_ms=round(min(rows) * 1e3, 1),
                 all_answered_median_ms=round(statistics.median(w[1] for w in warm) * 1e3, 1))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        for query, times in server_times(log).items():
            if times:
                emit(f"team_sidebar_server_{query.split('?')[0]}", times[0], "ms",
                     "server's own handling time, first request", later_ms=times[1:])


if __name__ == "__main__":
    main()
