"""Summed cell time of real documentation notebooks, every code cell tracked vs untracked.

Notebooks of two libraries we did not write, as Debian ships them in its doc packages:
scikit-learn's gallery (``python-sklearn-doc``, which ``.ci/run`` fetches for the tests) and
statsmodels' examples (``python-statsmodels-doc``: ``apt-get download`` it and ``dpkg -x`` it
into ``.ci-cache/statsmodels-doc``). Each runs headless under nbclient twice in fresh kernels:
as shipped, and with every code cell prefixed by ``%%track`` (as tests/notebooks does).
Kernel start and the ``%load_ext`` cell are excluded. Targets: summed at most 1.10x; no cell
worse than +25 % or +50 ms, whichever is larger. With ``--repeat N`` each pair of kernels
runs N times (order turned each time) and each cell counts with its median; a cell is judged
on its time outside Python's garbage collector (see ``GC_PROBE``), which both kernels
measure. ``--same`` runs the untracked notebook in both kernels: the cells it flags are what
this machine's noise alone puts over the budget. One JSON line per notebook and one in total.
The notebooks chosen run offline here (others fetch data sets or need packages not installed).

Usage: bench_notebooks.py [--same] [--repeat N] [--root DIR] [NAME.ipynb ...]
(``JA_EXTERNAL_NOTEBOOKS``: roots separated by ``:``)
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

import nbformat
from _common import emit, scratch
from _kernel import cell_seconds, run_notebook

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.notebooks.runner import tracked  # the tests' own %%track prefixing

STATSMODELS = ["ols.ipynb", "wls.ipynb", "robust_models_0.ipynb", "plots_boxplots.ipynb",
               "quantile_regression.ipynb", "kernel_density.ipynb"]
# Not plot_lda_qda.ipynb: it fails untracked too (matplotlib.cm.register_cmap is gone).
DEFAULT = ["plot_iris_dtc.ipynb", "plot_confusion_matrix.ipynb", "plot_iris_logistic.ipynb",
           "plot_isotonic_regression.ipynb", "plot_random_dataset.ipynb",
           "plot_svm_anova.ipynb", "plot_classifier_comparison.ipynb", "plot_digits_classification.ipynb",
           "plot_pca_iris.ipynb", *STATSMODELS]
CACHE = Path(__file__).resolve().parents[1] / ".ci-cache"
ROOTS = f"{CACHE}/sklearn-doc/usr/share/doc/python-sklearn-doc:{CACHE}/statsmodels-doc"


def find(roots: Path | list[Path], names: list[str]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in roots if isinstance(roots, list) else [roots]:
        for path in root.rglob("*.ipynb*"):
            name = path.name.removesuffix(".gz")
            if name in names and name not in found:
                found[name] = path
    return found


def read(path: Path) -> Any:
    text = gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text()
    return nbformat.reads(text, as_version=4)


# Put first in both kernels: each cell's time spent in Python's cyclic garbage collector.
# A full collection of these kernels' heaps takes 150 ms and comes every few dozen gen-0
# collections; what a cell allocates moves it from one cell to another (tracked, it lands
# some cells earlier), so a cell is judged on its time without the collector's.
GC_PROBE = """\
import gc as _gc, time as _time
_ja_gc = {"start": 0.0, "in_cell": 0.0, "cells": []}
def _ja_gc_timer(phase, info):
    if phase == "start":
        _ja_gc["start"] = _time.perf_counter()
    else:
        _ja_gc["in_cell"] += _time.perf_counter() - _ja_gc["start"]
def _ja_gc_cell_start(info):
    _ja_gc["in_cell"] = 0.0
def _ja_gc_cell_end(result):
    _ja_gc["cells"].append(_ja_gc["in_cell"])
_gc.callbacks.append(_ja_gc_timer)
get_ipython().events.register("pre_run_cell", _ja_gc_cell_start)
get_ipython().events.register("post_run_cell", _ja_gc_cell_end)
"""
GC_REPORT = "import json as _json; print(_json.dumps(_ja_gc['cells']))"


def timed_run(nb: Any, folder: Path, skip: int,
              store: Path | None = None) -> tuple[list[float], list[float], list[dict[str, float]]]:
    """Run ``nb`` (the probe put first); each code cell's seconds, GC seconds and, if ``store``
    is the tracked kernel's, what its run recorded tracking cost it (``critical_ms`` on the
    cell's path, ``background_ms`` after it), the first ``skip`` code cells after the probe
    left out."""
    nb = nbformat.from_dict(nb)
    nb.cells.insert(0, nbformat.v4.new_code_cell(GC_PROBE))
    nb.cells.append(nbformat.v4.new_code_cell(GC_REPORT))
    done = run_notebook(nb, folder)
    code = [c for c in done.cells if c.cell_type == "code"]
    ran = iter(json.loads(code[-1].outputs[0]["text"])[1:])  # the probe's own end is first
    cells = code[1:-1]
    # nbclient does not send an empty cell: it has no GC entry.
    gc_s = [next(ran) if c.source.strip() else 0.0 for c in cells]
    costs = _tracking_costs(store, cells) if store is not None else [{} for _ in cells]
    return [cell_seconds(c) or 0.0 for c in cells][skip:], gc_s[skip:], costs[skip:]


def _tracking_costs(store_path: Path, cells: list[Any]) -> list[dict[str, float]]:
    """Each cell's run's ``tracking_cost`` (matched by execution count), once the kernel's
    background work is written (the helper outlives the kernel; its part is not needed)."""
    from jupyter_artifacts.store import Store

    by_count: dict[int, dict[str, float]] = {}
    with contextlib.closing(Store.open(store_path, create=False)) as store:
        for run in store.search_runs(None, limit=10_000).runs:
            cost = run.metadata.get("tracking_cost", {})
            if run.execution_count is not None:
                by_count[run.execution_count] = {
                    "critical_ms": float(cost.get("critical_ms") or 0.0),
                    "background_ms": float(cost.get("background_ms") or 0.0)}
    return [by_count.get(c.get("execution_count") or -1, {}) for c in cells]


def median_cells(runs: list[list[float]]) -> list[float]:
    return [statistics.median(cell) for cell in zip(*runs, strict=True)]


def main(argv: list[str]) -> None:
    roots = [Path(p) for p in os.environ.get("JA_EXTERNAL_NOTEBOOKS", ROOTS).split(os.pathsep)]
    repeat = 1
    same = False  # --same: both kernels untracked, to see what noise alone flags
    if argv[:1] == ["--same"]:
        same, argv = True, argv[1:]
    if argv[:1] == ["--repeat"]:
        repeat, argv = int(argv[1]), argv[2:]
    if argv[:1] == ["--root"]:
        roots, argv = [Path(argv[1])], argv[2:]
    names = argv or DEFAULT
    paths = find(roots, names)
    total_plain = total_tracked = 0.0
    for name in names:
        if name not in paths:
            emit(f"notebook:{name}", 0, "x", "<= 1.10x", error="not found")
            continue
        original = read(paths[name])
        runs: dict[str, list[tuple[list[float], list[float], list[dict[str, float]]]]] = {
            "plain": [], "tracked": []}
        try:
            for i in range(repeat):
                for kind in (("plain", "tracked") if i % 2 == 0 else ("tracked", "plain")):
                    with scratch() as folder:
                        os.environ["JUPYTER_ARTIFACTS_DIR"] = str(folder / ".artifacts")
                        (folder / "nb").mkdir()
                        nb = original if kind == "plain" or same else tracked(original)
                        skip = 0 if kind == "plain" or same else 1
                        store = None if kind == "plain" or same else folder / ".artifacts"
                        runs[kind].append(timed_run(nb, folder / "nb", skip, store))
        except Exception as exc:  # a notebook that needs the network, a missing package
            emit(f"notebook:{name}", 0, "x", "<= 1.10x", error=str(exc).splitlines()[0][:200])
            continue
        plain, with_tracking = (median_cells([r[0] for r in runs[k]]) for k in ("plain", "tracked"))
        plain_gc, tracked_gc = (median_cells([r[1] for r in runs[k]]) for k in ("plain", "tracked"))
        # What the tracked runs themselves recorded: our time on each cell's path, and the
        # background work after each cell (under nbclient the next cell starts at once).
        critical, background = ([statistics.median(r[2][i].get(key, 0.0) for r in runs["tracked"])
                                 for i in range(len(plain))] for key in ("critical_ms", "background_ms"))
        worst = []
        for i, (p, t) in enumerate(zip(plain, with_tracking, strict=True)):
            p_own, t_own = p - plain_gc[i], t - tracked_gc[i]
            if t_own > max(p_own * 1.25, p_own + 0.05):
                worst.append({"cell": i, "untracked_ms": round(p * 1000), "tracked_ms": round(t * 1000),
                              "untracked_gc_ms": round(plain_gc[i] * 1000),
                              "tracked_gc_ms": round(tracked_gc[i] * 1000),
                              "tracking_critical_ms": round(critical[i], 1),
                              "background_ms_of_cell_before": round(background[i - 1], 1) if i else 0})
        sp, st = sum(plain), sum(with_tracking)
        total_plain, total_tracked = total_plain + sp, total_tracked + st
        emit(f"notebook:{name}", st / sp, "x", "<= 1.10x", untracked_s=round(sp, 3),
             tracked_s=round(st, 3), cells=len(plain), repeat=repeat,
             gc_s={"untracked": round(sum(plain_gc), 3), "tracked": round(sum(tracked_gc), 3)},
             cells_over_budget=worst,
             tracking_critical_ms={"max": round(max(critical, default=0.0), 1),
                                   "summed": round(sum(critical), 1)})
    if total_plain:
        emit("notebooks_summed", total_tracked / total_plain, "x", "<= 1.10x",
             untracked_s=round(total_plain, 3), tracked_s=round(total_tracked, 3), repeat=repeat)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main(sys.argv[1:])
