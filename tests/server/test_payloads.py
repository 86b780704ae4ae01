"""The pure helpers: error statuses, downsampling, argument parsing."""

from __future__ import annotations

import math

import pytest

from jupyter_artifacts.errors import (
    AmbiguousReferenceError,
    CorruptObjectError,
    InvalidReferenceError,
    NotFoundError,
    StoreNotFoundError,
)
from jupyter_artifacts.server import payloads


@pytest.mark.parametrize(("error", "status"), [
    (NotFoundError("x"), 404),
    (StoreNotFoundError("x"), 404),
    (AmbiguousReferenceError("ab12", ["ab12aa", "ab12bb"]), 409),
    (InvalidReferenceError("x"), 400),
    (CorruptObjectError("x"), 500),
])
def test_status_for(error: Exception, status: int) -> None:
    assert payloads.status_for(error) == status  # type: ignore[arg-type]


def test_ambiguous_payload_lists_candidates() -> None:
    body = payloads.error_payload(AmbiguousReferenceError("ab12", ["ab12aa", "ab12bb"]))
    assert body["candidates"] == ["ab12aa", "ab12bb"] and body["error"] == "AmbiguousReferenceError"


def test_downsample_keeps_ends_and_spikes() -> None:
    points = [(i, 0.0, float(i)) for i in range(10_000)]
    points[4321] = (4321, 99.0, 4321.0)
    kept = payloads.downsample(points, 100)
    assert len(kept) <= 100
    assert kept[0] == points[0] and kept[-1] == points[-1]
    assert (4321, 99.0, 4321.0) in kept
    assert [p[0] for p in kept] == sorted(p[0] for p in kept)


def test_downsample_leaves_short_series_alone() -> None:
    points = [(i, float(i), 0.0) for i in range(5)]
    assert payloads.downsample(points, 10) == points
    assert payloads.downsample(points, 0) == points


def test_finite_replaces_nan_and_inf() -> None:
    assert payloads.finite({"a": [math.nan, 1.0], "b": math.inf}) == {"a": [None, 1.0], "b": None}


def test_parse_helpers() -> None:
    assert payloads.parse_sort("-metrics.acc") == ("metrics.acc", True)
    assert payloads.parse_sort("name") == ("name", False)
    assert payloads.parse_time("1970-01-01T00:01:00+00:00") == 60.0
    assert payloads.parse_int("5000", 100, 1, 1000, "limit") == 1000
    with pytest.raises(InvalidReferenceError):
        payloads.parse_time("tomorrow")
