"""The ``%%track`` option line: parsed into :class:`TrackOptions`, stacked lines merged."""

from __future__ import annotations

import shlex

from IPython.core.error import UsageError

from ..errors import InvalidValueError
from ..store.validate import check_tags
from .cellrun import TrackOptions


def parse_options(line: str) -> TrackOptions:
    """Parse ``[NAME] [--tag T]... [--save VAR]... [--skip VAR]... [--no-figures] [--quiet]``."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%%track: {exc}") from None
    opts = TrackOptions()
    it = iter(words)
    for word in it:
        if word in ("--tag", "--save", "--skip", "-t"):
            value = next(it, None)
            if value is None or value.startswith("--"):
                raise UsageError(f"%%track: {word} needs a value")
            if word in ("--save", "--skip") and not value.isidentifier():
                raise UsageError(f"%%track: {word} takes a variable name, not {value!r}")
            if word in ("--tag", "-t"):
                try:  # refused here, not when the run starts: a bad tag must not untrack the cell
                    check_tags(value)
                except InvalidValueError as exc:
                    raise UsageError(f"%%track: {exc}") from None
            lists = {"--tag": opts.tags, "-t": opts.tags, "--save": opts.save, "--skip": opts.skip}
            lists[word].append(value)
        elif word == "--no-figures":
            opts.figures = False
        elif word == "--quiet":
            opts.quiet = True
        elif word.startswith("-"):
            raise UsageError(f"%%track: unknown option {word!r} "
                             "(use [NAME] --tag T --save VAR --skip VAR --no-figures --quiet)")
        elif opts.name is None:
            opts.name = word
        else:
            raise UsageError(f"%%track: one run name only; got {opts.name!r} and {word!r}")
    return opts


def merge_options(lines: list[str]) -> TrackOptions:
    """Options of stacked ``%%track`` lines as one: the first name, every tag, save and skip."""
    merged = parse_options(lines[0])
    for line in lines[1:]:
        inner = parse_options(line)
        merged.name = merged.name or inner.name
        for mine, theirs in ((merged.tags, inner.tags), (merged.save, inner.save),
                             (merged.skip, inner.skip)):
            mine.extend(v for v in theirs if v not in mine)
        merged.figures = merged.figures and inner.figures
        merged.quiet = merged.quiet or inner.quiet
    return merged


