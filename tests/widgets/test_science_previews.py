"""Previews of the newer codecs come from the stored summary: nothing is unpickled."""

from __future__ import annotations

import pytest

from jupyter_artifacts.codecs import save_object
from jupyter_artifacts.store import Store
from jupyter_artifacts.widgets import html
from jupyter_artifacts.widgets.preview import version_preview


def test_statsmodels_preview_shows_its_summary(store: Store) -> None:
    smf = pytest.importorskip("statsmodels.formula.api")
    import pandas as pd

    df = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5, 6, 7], "y": [0.1, 1.9, 4.2, 5.8, 8.1, 9.9, 12.2, 13.8]})
    save_object(store, smf.ols("y ~ x", df).fit(), "ols")
    preview = version_preview(store, "ols")
    assert preview["type"] == "model" and "x" in preview["params"]
    assert "OLS Regression Results" in html.preview(preview)
