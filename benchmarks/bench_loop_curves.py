"""Cost of loop curves: a 10,000-iteration loop assigning ``loss`` at a tracked cell's top level.

The loop times itself inside the cell (``perf_counter`` around the loop), so the cell's fixed
tracking cost is not counted. ``value`` is what recording a point per iteration adds to the
loop of a tracked cell (target: under 5 %); ``tracked_vs_untracked_pct`` also counts what
tracking costs a loop without curves. Untracked and tracked runs are interleaved, in an order
that turns each round (drift is not charged to tracking); ``value`` is the median over rounds
of each round's own ratio (the machine's drift between rounds cancels), ``median_of_times_pct``
the ratio of the medians, and ``best_of_pct`` the ratio of the fastest of each. Three loop
bodies, from a light to a typical one:

- ``python``: ``loss = (i % 7) * 0.5`` (about 0.1 µs: the per-point cost itself, in µs);
- ``numpy``: one gradient step of a linear least-squares model on 64x16 (a few µs);
- ``torch``: one SGD step of a small MLP on a 32x16 batch (forward, backward, step), the
  loop the issue describes; skipped without torch.
"""

from __future__ import annotations

import statistics
import sys

from _common import emit, tracking_shell

N = 10_000
SETUP = {
    "python": "",
    "numpy": ("import numpy as np\nrng = np.random.default_rng(0)\nX = rng.normal(size=(64, 16))\n"
              "y = X @ rng.normal(size=16)\nw = np.zeros(16)"),
    # One torch thread: spinning pool threads on a loaded machine are noise, not tracking.
    "torch": ("import torch\ntorch.manual_seed(0)\ntorch.set_num_threads(1)\n"
              "net = torch.nn.Sequential(torch.nn.Linear(16, 32), "
              "torch.nn.ReLU(), torch.nn.Linear(32, 1))\nopt = torch.optim.SGD(net.parameters(), lr=0.01)\n"
              "X = torch.randn(32, 16)\ny = torch.randn(32, 1)\ncriterion = torch.nn.MSELoss()"),
}
BODY = {
    "python": "    loss = (i % 7) * 0.5\n",
    "numpy": "    err = X @ w - y\n    loss = float(err @ err) / 64\n    w -= 0.01 * (X.T @ err) / 64\n",
    "torch": ("    opt.zero_grad()\n    loss = criterion(net(X), y)\n    loss.backward()\n"
              "    opt.step()\n"),
}


def loop_cell(body: str) -> str:
    return (f"import time as _t\n_t0 = _t.perf_counter()\nfor i in range({N}):\n{body}"
            "_elapsed = _t.perf_counter() - _t0")


def main() -> None:
    with tracking_shell() as (ip, _):
        only = sys.argv[1:]  # e.g. `torch`: run only these bodies
        for name, setup in SETUP.items():
            if only and name not in only:
                continue
            if name == "torch":
                try:
                    import torch  # noqa: F401
                except ImportError:
                    continue
            ip.run_cell(setup)
            cell = loop_cell(BODY[name])
            repeat = 9 if name == "torch" else 41
            # A cell that mentions log_metric records no loop curve: tracking alone.
            variants = {"plain": cell, "curve": "%%track --quiet\n" + cell,
                        "no_curve": "%%track --quiet\n# log_metric\n" + cell}
            times: dict[str, list[float]] = {key: [] for key in variants}
            ip.run_cell(variants["curve"])  # warm up
            for round_ in range(repeat):
                # The order turns each round: a loop runs slower or faster by a few % with
                # what ran just before it (the last cell's background work, torch's caches).
                keys = list(variants)[round_ % 3:] + list(variants)[:round_ % 3]
                for key in keys:
                    result = ip.run_cell(variants[key])
                    assert result.error_in_exec is None, result.error_in_exec
                    times[key].append(ip.user_ns["_elapsed"])
            base, with_curve, without = (statistics.median(times[key]) for key in variants)
            best = {key: min(values) for key, values in times.items()}
            paired = statistics.median(c / n for c, n in zip(times["curve"], times["no_curve"], strict=True))
            emit(f"loop_curve_overhead_{name}", (paired - 1) * 100, "%", "< 5 %",
                 median_of_times_pct=round((with_curve / without - 1) * 100, 2),
                 vs_untracked_paired_pct=round((statistics.median(
                     c / p for c, p in zip(times["curve"], times["plain"], strict=True)) - 1) * 100, 2),
                 loop_ms=round(base * 1000, 2), tracked_no_curve_loop_ms=round(without * 1000, 2),
                 tracked_loop_ms=round(with_curve * 1000, 2),
                 per_point_us=round((with_curve - without) / N * 1e6, 3), iterations=N,
                 best_of_pct=round((best["curve"] / best["no_curve"] - 1) * 100, 2),
                 tracked_vs_untracked_pct=round((with_curve / base - 1) * 100, 2))


if __name__ == "__main__":
    main()
