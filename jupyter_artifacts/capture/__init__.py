"""IPython integration: the ``%%track`` cell magic and the ``%artifacts`` line magic."""

from __future__ import annotations

from typing import Any

from .magics import ArtifactsMagics
from .session import TrackingSession

_sessions: dict[int, TrackingSession] = {}


def load_ipython_extension(ipython: Any) -> None:
    if id(ipython) in _sessions:
        return
    session = TrackingSession(ipython)
    session.register()
    ipython.register_magics(ArtifactsMagics(ipython, session=session))
    _sessions[id(ipython)] = session


def unload_ipython_extension(ipython: Any) -> None:
    session = _sessions.pop(id(ipython), None)
    if session is None:
        return
    session.unregister()
    magics = ipython.magics_manager.magics
    for kind, name in (("cell", "track"), ("line", "artifacts")):
        magics[kind].pop(name, None)
    ipython.magics_manager.registry.pop("ArtifactsMagics", None)
