"""Who writes a run, and whether that writer is still alive.

A run records its writer when it starts (host name, process id, the process's start
token) and a heartbeat time that the writer refreshes with its metric flushes and from a
daemon timer. A run whose status is still ``running`` is reported as ``dead`` when:

- its host is this host and its process is gone, a zombie, or a different process that
  reused the pid (the start tokens differ); or
- it was written on another host (or by a version that recorded no writer) and its
  heartbeat is older than ``STALE_AFTER`` seconds.

``dead`` is derived each time a run is read; readers never write it, so a run shown dead
by mistake (a host whose clock is far off, a writer paused for long) becomes ``running``
again at its next heartbeat, and ends ``ok`` or ``failed`` as usual.
"""

from __future__ import annotations

import functools
import getpass
import os
import socket
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass

from .catalog import Catalog

HEARTBEAT_EVERY = 30.0  # seconds between a live writer's heartbeats
STALE_AFTER = 300.0  # a heartbeat this old marks a run of another host dead (allows clock skew)


@dataclass(frozen=True)
class Writer:
    """The process writing a run."""

    host: str
    pid: int
    process_start: str | None
    user: str | None = None


@functools.cache
def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) of a process, from Linux's /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except (OSError, ValueError):
        return None
    # The command name (2nd field) is in parentheses and may hold spaces: split after it.
    fields = text[text.rfind(")") + 2:].split()
    return (fields[0], fields[19]) if len(fields) > 19 else None


def process_start(pid: int) -> str | None:
    """A token that differs between two processes that had the same pid (None: unknown)."""
    stat = _proc_stat(pid)
    return f"{_boot_id()}/{stat[1]}" if stat else None


@functools.cache
def _this_host() -> str:
    return socket.gethostname()


@functools.cache
def _this_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container uid with no passwd entry and no $USER
        return None


def this_writer() -> Writer:
    """This process, as recorded on the runs it starts."""
    pid = os.getpid()
    return Writer(_this_host(), pid, _own_start(pid), _this_user())


@functools.cache
def _own_start(pid: int) -> str | None:  # keyed by pid: a forked child is another process
    return process_start(pid)


def _alive_here(pid: int, start: str | None) -> bool:
    """Whether process ``pid`` of this host is the one that started the run."""
    if pid == os.getpid():
        return start is None or start == _own_start(pid)
    try:
        os.kill(pid, 0)  # signal 0: a check only, nothing is sent
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    except (OSError, OverflowError, ValueError):
        return False
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc (macOS): the pid exists, that is all we can tell
    if stat[0] in ("Z", "X"):  # killed, not yet reaped by its parent
        return False
    return start is None or start == f"{_boot_id()}/{stat[1]}"


def is_dead(host: str | None, pid: int | None, start: str | None, heartbeat_at: float | None,
            started_at: float, now: float | None = None) -> bool:
    """Whether a run still marked ``running`` has lost its writer (see the module docstring)."""
    # On Windows os.kill(pid, 0) would terminate the process: rely on heartbeats there.
    if host is not None and host == _this_host() and pid is not None and os.name != "nt":
        return not _alive_here(pid, start)
    last = heartbeat_at if heartbeat_at is not None else started_at
    return (time.time() if now is None else now) - last > STALE_AFTER


_WRITER_SQL = ("SELECT id, host, pid, process_start, heartbeat_at, started_at FROM runs "
               "WHERE status = 'running'")
_LEGACY_SQL = "SELECT id, NULL, NULL, NULL, NULL, started_at FROM runs WHERE status = 'running'"


def dead_run_ids(catalog: Catalog) -> list[str]:
    """Ids of the runs marked ``running`` whose writer is gone (few: an indexed lookup)."""
    try:
        rows: Iterable[sqlite3.Row] = catalog.query(_WRITER_SQL)
    except sqlite3.OperationalError:  # a catalog from before migration 4, opened read-only
        rows = catalog.query(_LEGACY_SQL)
    now = time.time()
    return [row[0] for row in rows if is_dead(row[1], row[2], row[3], row[4], row[5], now)]
