"""The top of a ``%%track`` cell: its option lines, and what IPython should run below them.

A tracked cell must run as it would untracked. Below the ``%%track`` line that means: a
second ``%%track`` is merged into the first (one cell, one run); another cell magic
(``%%time``, ``%%capture``) runs the rest of the cell, as IPython stacks magics; and a body
indented as a whole (pasted code) is dedented, as IPython does for any cell. Above it, a
``%%time`` line is allowed: %%time runs the rest, and the whole cell is one run.
"""

from __future__ import annotations

import re

MAGIC = "%%track"
# Stacked magics whose body is Python run in the user's namespace: tracked cells analyse that
# body (names read and bound) and record loop curves from it.
PYTHON_BODY_MAGICS = frozenset({"time", "capture"})
_MAGIC_LINE = re.compile(r"%%(\w+)")


def is_track_line(line: str) -> bool:
    return line.startswith(MAGIC) and (len(line) == len(MAGIC) or line[len(MAGIC)] in " \t\r\n")


def track_header(lines: list[str]) -> tuple[int, int] | None:
    """``(first, end)``: the cell's leading ``%%track`` lines are ``lines[first:end]``
    (consecutive ones: a nested ``%%track`` joins the outer one), or None if untracked."""
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first == len(lines) or not is_track_line(lines[first]):
        return None
    end = first + 1
    while end < len(lines) and is_track_line(lines[end]):
        end += 1
    return first, end


def split_header(raw: str) -> tuple[list[str], str] | None:
    """``(option lines, body)`` of a ``%%track`` cell, else None."""
    lines = raw.splitlines(keepends=True)
    header = track_header(lines)
    if header is None:
        # ``%%time`` above ``%%track``: %%time runs the rest as Python (the transformer blanks
        # the %%track lines there, as it sees no hook), so the hooks track the whole cell.
        top = next((line for line in lines if line.strip()), "")
        match = _MAGIC_LINE.match(top)
        if match is None or match.group(1) != "time" or top.strip() != "%%time":
            return None
        lines = lines[lines.index(top) + 1:]
        header = track_header(lines)
        if header is None:
            return None
    first, end = header
    options = [line.rstrip("\r\n")[len(MAGIC):] for line in lines[first:end]]
    return options, "".join(lines[end:])


def magic_above_track(raw: str) -> str | None:
    """The cell magic whose body starts with ``%%track`` when that magic is not ``%%time``
    (``%%timeit`` repeats its body, ``%%prun`` profiles it): the cell then runs untracked."""
    lines = [line for line in raw.splitlines() if line.strip()]
    if len(lines) < 2 or not is_track_line(lines[1]):
        return None
    match = _MAGIC_LINE.match(lines[0])
    return match.group(1) if match and match.group(1) not in ("time", "track") else None


def stacked_magic(body: str) -> str | None:
    """The name of the cell magic that runs ``body`` (``%%time`` under ``%%track``), if any."""
    for line in body.splitlines():
        if line.strip():
            match = _MAGIC_LINE.match(line)
            return match.group(1) if match else None
    return None


def python_of_body(body: str) -> str:
    """The Python the cell runs: below ``%%time``/``%%capture`` lines (kept blank so line
    numbers hold), or ``body`` itself."""
    lines = body.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        match = _MAGIC_LINE.match(lines[i])
        if match is None or match.group(1) not in PYTHON_BODY_MAGICS:
            break
        lines[i] = "\n"
        i += 1
    return "".join(lines)
