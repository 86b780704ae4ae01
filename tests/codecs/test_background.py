"""The background lanes: every job's result and wall time reach its future."""

from __future__ import annotations

import pytest

from jupyter_artifacts.codecs.background import pending, submit, wait_pending


def test_quick_jobs_never_fail_on_their_own_timing() -> None:
    """A job that ends before ``submit`` returned its future used to fail with a NameError
    ("cannot access free variable 'future'"): a figure's snapshot was then lost, no SVG."""
    futures = [submit(int, str(i), lane="test-quick") for i in range(3000)]
    assert [f.result(timeout=60) for f in futures] == list(range(3000))
    assert all(f.seconds >= 0 for f in futures)  # type: ignore[attr-defined]
    wait_pending()
    assert pending() == 0


def test_a_failing_job_keeps_its_error_and_time() -> None:
    future = submit(int, "not a number", lane="test-quick")
    with pytest.raises(ValueError):
        future.result(timeout=60)
    assert future.seconds >= 0  # type: ignore[attr-defined]
