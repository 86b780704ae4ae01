"""%artifacts with references holding huge numbers: a clear not-found, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError

from jupyter_artifacts.store import Store

from .conftest import run


@pytest.mark.parametrize("line", ["show x:v99999999999999999999", "show run-99999999999999999999",
                                  "load x:v99999999999999999999"])
def test_huge_numbers_are_not_found(shell: Any, store: Store, line: str) -> None:
    run(shell, "%%track first\nscore = 0.5 * 1")
    with pytest.raises(UsageError, match=r"\bno\b|has no"):
        shell.run_line_magic("artifacts", line)
