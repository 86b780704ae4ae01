"""Lowering a helper process below the kernel that started it.

A module of its own, importing nothing heavy: the helper calls it before it imports numpy or
matplotlib (a second of CPU that, at the kernel's priority, slowed the cell beside it).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def lower_priority() -> None:
    """Run only on CPU time the kernel leaves: the user's next cell comes first.

    ``nice`` alone is not enough on Linux: with autogroup scheduling (the default on
    desktops and most servers) each session is scheduled as one group and a task's nice
    value only ranks it inside its group. The helper has a session of its own (it must
    survive the kernel's process group being killed), so its group is lowered too.
    """
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(19)
    with contextlib.suppress(OSError):
        Path("/proc/self/autogroup").write_text("19")
    # Not SCHED_IDLE: on a machine kept busy by other work it would never run, and a model
    # handed over would stay "saving…" for as long as the load lasts.
