"""Sets of run ids intersected in bulk, for counting search matches.

A run id the store makes is ``uuid4().hex``: 32 lowercase hex digits, 128 bits. Such ids
are held as two big-endian 64-bit words per id in numpy and intersected by a sort and a
binary search (no Python object per id: at a million runs, 250,000 ids intersect in a few
milliseconds instead of 60). Any other id (an import's, one holding a comma) makes the
set fall back to Python strings, with the same result.
"""

from __future__ import annotations

from typing import Any

ID_DIGITS = 32


class IdSet:
    """An immutable set of run ids: numpy words when every id is store-made, else strings."""

    def __init__(self, words: Any = None, strings: set[str] | None = None) -> None:
        self._words = words  # (n, 2) uint64, big-endian order of the hex digits
        self._strings = strings

    @classmethod
    def from_listing(cls, joined: str | None, count: int) -> IdSet | None:
        """The ``count`` ids joined by commas in ``joined``; None when the commas do not
        split them into ``count`` ids (an id holds a comma: read them one by one)."""
        if not count:
            return cls(strings=set())
        assert joined is not None
        words = _words(joined, count)
        if words is not None:
            return cls(words=words)
        ids = joined.split(",")
        return cls(strings=set(ids)) if len(ids) == count else None

    @classmethod
    def of(cls, ids: list[str]) -> IdSet:
        return cls(strings=set(ids))

    def __len__(self) -> int:
        return len(self._words) if self._words is not None else len(self._strings or ())

    def intersection(self, other: IdSet) -> IdSet:
        """The ids in both sets (each set holds an id once)."""
        if self._words is not None and other._words is not None:
            words = _intersect_words(self._words, other._words)
            if words is not None:
                return IdSet(words=words)
        small, large = sorted((self, other), key=len)
        return IdSet(strings=small.strings() & large.strings())

    def strings(self) -> set[str]:
        if self._strings is None:
            self._strings = set(self.ids())
        return self._strings

    def ids(self) -> list[str]:
        """The ids as strings (in no particular order)."""
        if self._strings is not None:
            return list(self._strings)
        digits = self._words.astype(">u8").tobytes().hex()
        return [digits[i:i + ID_DIGITS] for i in range(0, len(digits), ID_DIGITS)]


def _words(joined: str, count: int) -> Any:
    """``count`` comma-joined ids as (count, 2) words, or None unless each id is exactly
    32 lowercase hex digits (upper case or spaces would let two spellings meet as one)."""
    import numpy

    step = ID_DIGITS + 1
    if len(joined) != step * count - 1 or joined[ID_DIGITS::step] != "," * (count - 1):
        return None
    digits = joined.replace(",", "")
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        return None
    if raw.hex() != digits:
        return None
    return numpy.frombuffer(raw, dtype=">u8").reshape(count, 2).astype(numpy.uint64)


def _intersect_words(a: Any, b: Any) -> Any:
    """The rows of ``b`` that are also rows of ``a``, or None when two ids of ``a`` share
    their first word (then one binary search per id cannot tell them apart)."""
    import numpy

    if len(a) > len(b):
        a, b = b, a
    a = a[numpy.argsort(a[:, 0])]
    high = a[:, 0]
    if len(high) > 1 and bool((high[1:] == high[:-1]).any()):
        return None
    if not len(high):
        return a
    at = numpy.minimum(numpy.searchsorted(high, b[:, 0]), len(high) - 1)
    return b[(high[at] == b[:, 0]) & (a[at, 1] == b[:, 1])]
