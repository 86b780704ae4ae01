"""Summed cell time of real documentation notebooks, every code cell tracked vs untracked.

Notebooks of two libraries we did not write, as Debian ships them in its doc packages:
scikit-learn's gallery (``python-sklearn-doc``, which ``.ci/run`` fetches for the tests) and
statsmodels' examples (``python-statsmodels-doc``: ``apt-get download`` it and ``dpkg -x`` it
into ``.ci-cache/statsmodels-doc``). Each runs headless under nbclient twice in fresh kernels:
as shipped, and with every code cell prefixed by ``%%track`` (as tests/notebooks does).
Kernel start and the ``%load_ext`` cell are excluded. Targets: summed at most 1.10x; no cell
worse than +25 % or +50 ms, whichever is larger. One JSON line per notebook and one in total.
The notebooks chosen run offline here (others fetch data sets or need packages not installed).

Usage: bench_notebooks.py [--root DIR] [NAME.ipynb ...]  (``JA_EXTERNAL_NOTEBOOKS``: roots
separated by ``:``)
"""

from __future__ import annotations

import gzip
import os
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


def times(nb: Any, skip: int = 0) -> list[float]:
    cells = [c for c in nb.cells if c.cell_type == "code"][skip:]
    return [cell_seconds(c) or 0.0 for c in cells]


def main(argv: list[str]) -> None:
    roots = [Path(p) for p in os.environ.get("JA_EXTERNAL_NOTEBOOKS", ROOTS).split(os.pathsep)]
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
        with scratch() as folder:
            os.environ["JUPYTER_ARTIFACTS_DIR"] = str(folder / ".artifacts")
            (folder / "plain").mkdir()
            (folder / "tracked").mkdir()
            try:
                plain = times(run_notebook(nbformat.from_dict(original), folder / "plain"))
                with_tracking = times(run_notebook(tracked(original), folder / "tracked"), skip=1)
            except Exception as exc:  # a notebook that needs the network, a missing package
                emit(f"notebook:{name}", 0, "x", "<= 1.10x", error=str(exc).splitlines()[0][:200])
                continue
        worst = []
        for i, (p, t) in enumerate(zip(plain, with_tracking, strict=True)):
            if t > max(p * 1.25, p + 0.05):
                worst.append({"cell": i, "untracked_ms": round(p * 1000), "tracked_ms": round(t * 1000)})
        sp, st = sum(plain), sum(with_tracking)
        total_plain, total_tracked = total_plain + sp, total_tracked + st
        emit(f"notebook:{name}", st / sp, "x", "<= 1.10x", untracked_s=round(sp, 3),
             tracked_s=round(st, 3), cells=len(plain), cells_over_budget=worst)
    if total_plain:
        emit("notebooks_summed", total_tracked / total_plain, "x", "<= 1.10x",
             untracked_s=round(total_plain, 3), tracked_s=round(total_tracked, 3))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main(sys.argv[1:])
