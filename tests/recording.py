"""Spying on a function at a true seam: which thread called it, and with what."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest


def record_calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str,
                 detail: Callable[..., Any] = lambda *args: None) -> list[tuple[str, Any]]:
    """Replace ``owner.name`` by a wrapper that still calls it and notes, per call, the
    calling thread's name and ``detail(*args)``; returns that (growing) list."""
    calls: list[tuple[str, Any]] = []
    real = getattr(owner, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append((threading.current_thread().name, detail(*args)))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return calls


def record_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every ``os.fsync`` from now on, as (thread name, path of what was synced)."""
    return record_calls(monkeypatch, os, "fsync",
                        lambda fd: os.readlink(f"/proc/self/fd/{fd}"))
