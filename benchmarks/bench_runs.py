"""Run bookkeeping: an empty run, a run with 10 params and 10 metrics, log_metric per call."""

from __future__ import annotations

import time

from _common import emit, scratch

import jupyter_artifacts as ja

RUNS = 300
POINTS = 1_000_000


def main() -> None:
    with scratch() as folder:
        store = ja.open_store(folder / ".artifacts")
        with ja.run("warm-up"):  # the environment is computed once per process
            pass

        start = time.perf_counter()
        for _ in range(RUNS):
            with ja.run("empty"):
                pass
        emit("empty_run", (time.perf_counter() - start) / RUNS * 1e3, "ms", "(MLflow: 24 ms)")

        params = {f"p{i}": i * 0.5 for i in range(10)}
        metrics = {f"m{i}": i * 0.1 for i in range(10)}
        start = time.perf_counter()
        for _ in range(RUNS):
            with ja.run("ten-and-ten", params=params):
                ja.log_metrics(metrics)
        emit("run_10_params_10_metrics", (time.perf_counter() - start) / RUNS * 1e3, "ms", "< 2 ms")

        log_metric = ja.log_metric
        with ja.run("loop") as active:
            start = time.perf_counter()
            for step in range(POINTS):
                log_metric("loss", 1.0 / (step + 1))
            active.flush()  # the cost of writing is part of the amortized figure
            elapsed = time.perf_counter() - start
        assert store.metric_summary(active.id)["loss"]["count"] == POINTS
        emit("log_metric_per_call", elapsed / POINTS * 1e6, "us", "< 5 us")
        store.close()


if __name__ == "__main__":
    main()
