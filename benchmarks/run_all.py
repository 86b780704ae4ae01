"""Run every benchmark script in its own interpreter; their JSON lines go to stdout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
SCRIPTS = ["bench_import.py", "bench_runs.py", "bench_search.py", "bench_query.py", "bench_save.py",
           "bench_track.py", "bench_memo.py", "bench_intermediates.py"]


def main() -> int:
    failed = []
    for name in SCRIPTS:
        # One process each: a benchmark's imports and memory do not colour the next one.
        if subprocess.run([sys.executable, str(HERE / name)], cwd=HERE).returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
