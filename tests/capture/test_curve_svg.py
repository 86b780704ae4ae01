"""The live curve's SVG: drawn for any series a loop or log_metric can produce."""

from __future__ import annotations

import math
import re

from hypothesis import given
from hypothesis import strategies as st

from jupyter_artifacts.capture.summary import curve_svg

values = st.floats(allow_nan=True, allow_infinity=True, width=64)
series = st.dictionaries(st.text(min_size=1, max_size=8),
                         st.lists(st.tuples(st.integers(-2**63, 2**63 - 1), values), min_size=1,
                                  max_size=30), min_size=1, max_size=4)


def test_one_large_constant_value_draws_a_flat_line() -> None:
    """Found by the magics fuzzer: ``y0 + 1e-12`` is ``y0`` at 16384.0 (a division by zero)."""
    svg = curve_svg({"a": [(0, 16384.0)]})
    assert svg.startswith("<svg") and 'points="48.0,80.0"' in svg  # mid-height


@given(series)
def test_any_series_draws(data: dict[str, list[tuple[int, float]]]) -> None:
    svg = curve_svg(data)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    finite = [y for pts in data.values() for _, y in pts if math.isfinite(y)]
    if finite and all(math.isfinite(y) for pts in data.values() for _, y in pts):
        coords = re.search(r'points="([^"]*)"', svg)
        assert coords and "nan" not in coords.group(1)


def test_values_near_the_float_limits_draw_inside_the_chart() -> None:
    for series in ([(0, -1.78e308)], [(0, -1.7e308), (1, 1.7e308)]):
        coords = re.search(r'points="([^"]*)"', curve_svg({"a": series}))
        assert coords and "nan" not in coords.group(1) and "inf" not in coords.group(1)
