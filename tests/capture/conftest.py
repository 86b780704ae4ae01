from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture
def shell(store_dir: Any) -> Iterator[InteractiveShell]:
    """A real IPython shell with ``%load_ext jupyter_artifacts`` done, unloaded afterwards."""
    ip = InteractiveShell.instance()
    ip.run_cell("import matplotlib; matplotlib.use('agg')")
    ip.run_line_magic("load_ext", "jupyter_artifacts")
    yield ip
    ip.run_line_magic("unload_ext", "jupyter_artifacts")
    ip.run_cell("import matplotlib.pyplot as plt; plt.close('all')")
    ip.reset(new_session=False)


def run(ip: InteractiveShell, code: str) -> Any:
    """Run a cell and fail the test if it raised."""
    result = ip.run_cell(code, store_history=True)
    assert result.error_before_exec is None and result.error_in_exec is None, result
    return result
