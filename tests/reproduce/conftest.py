"""The real IPython shell of the capture tests, for restore and replay tests."""

from __future__ import annotations

from tests.capture.conftest import shell

__all__ = ["shell"]
