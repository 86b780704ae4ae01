"""Helpers shared by the benchmark scripts: JSON-line output and scratch stores."""

from __future__ import annotations

import contextlib
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

GB = 1024**3


def _compile_package() -> None:
    """Compile jupyter_artifacts to bytecode, as an installed package is (pip compiles a
    wheel's modules; an editable checkout writes them on first import) unless
    PYTHONDONTWRITEBYTECODE is set, as it is on this machine: every kernel would then compile
    each of our modules again when a cell first needs it, which no user pays."""
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "jupyter_artifacts"),
                           quiet=1)


_compile_package()


def emit(name: str, value: float, unit: str, target: str | None = None, **extra: Any) -> None:
    """Print one result as a JSON line: ``{"name", "value", "unit", "target", ...}``."""
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit, "target": target, **extra}),
          flush=True)


@contextlib.contextmanager
def scratch(prefix: str = "ja-bench-") -> Iterator[Path]:
    """A temporary folder (``$TMPDIR``: it must be on the disk under test), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def timings(fn: Callable[[], Any], repeat: int = 5) -> list[float]:
    """``repeat`` wall-clock timings of ``fn()`` in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def best_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    """The fastest of ``repeat`` timings (least disturbed by noise)."""
    return min(timings(fn, repeat))


def median_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    return statistics.median(timings(fn, repeat))


@contextlib.contextmanager
def tracking_shell() -> Iterator[tuple[Any, Path]]:
    """A real IPython shell with the extension loaded over a scratch store: ``(shell, store folder)``."""
    import os

    home = os.getcwd()
    with scratch() as folder:
        os.environ["JUPYTER_ARTIFACTS_DIR"] = str(folder / ".artifacts")
        os.chdir(folder)
        from IPython.core.interactiveshell import InteractiveShell

        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "jupyter_artifacts")
        try:
            yield ip, folder / ".artifacts"
        finally:
            ip.run_line_magic("unload_ext", "jupyter_artifacts")
            os.chdir(home)
