"""A seam for fault-injection tests: pause a writer at a named phase of a save.

With ``JUPYTER_ARTIFACTS_FAULT_PAUSE=<phase>`` set, the process creates the file named by
``JUPYTER_ARTIFACTS_FAULT_READY`` when it reaches ``<phase>`` and then sleeps, so a test
can kill it (SIGKILL) at exactly that point. Unset, a check is one string comparison.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_VAR = "JUPYTER_ARTIFACTS_FAULT_PAUSE"
READY_VAR = "JUPYTER_ARTIFACTS_FAULT_READY"
PHASES = ("object-written", "object-synced", "object-published", "catalog-begun",
          "catalog-committed")
_PHASE = os.environ.get(PAUSE_VAR)


def pause_at(phase: str) -> None:
    """Stop here (until killed) when the environment asks for ``phase``."""
    if phase == _PHASE:
        ready = os.environ.get(READY_VAR)
        if ready:
            Path(ready).touch()
        time.sleep(3600)
