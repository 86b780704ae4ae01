"""``import jupyter_artifacts`` in a fresh interpreter: its time, and nothing heavy pulled in."""

from __future__ import annotations

import json
import subprocess
import sys

from _common import emit

HEAVY = ["pandas", "pyarrow", "matplotlib", "IPython", "ipywidgets", "jupyter_server", "tornado"]
PROBE = (
    "import sys, time, json; t = time.perf_counter(); import jupyter_artifacts; "
    "e = time.perf_counter() - t; "
    f"print(json.dumps([e, [m for m in {HEAVY!r} if m in sys.modules]]))"
)


def main() -> None:
    times = []
    for _ in range(5):
        # -X importtime-free: measure inside the child, after interpreter start-up.
        out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
        seconds, heavy = json.loads(out.stdout)
        assert heavy == [], f"import jupyter_artifacts pulled in {heavy}"
        times.append(seconds)
    emit("import_jupyter_artifacts", min(times) * 1e3, "ms", "< 300 ms", median_ms=round(
        sorted(times)[len(times) // 2] * 1e3, 2))
    out = subprocess.run([sys.executable, "-c", PROBE.replace("import jupyter_artifacts;",
                          "import jupyter_artifacts, jupyter_artifacts.api;")],
                         capture_output=True, text=True, check=True)
    seconds, heavy = json.loads(out.stdout)
    assert heavy == [], f"import jupyter_artifacts.api pulled in {heavy}"
    emit("import_jupyter_artifacts_api", seconds * 1e3, "ms", "< 300 ms")


if __name__ == "__main__":
    main()
