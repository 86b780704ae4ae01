"""The exception hierarchy: every error the package raises derives from `ArtifactsError`."""

from __future__ import annotations


class ArtifactsError(Exception):
    """Root of every error raised by jupyter-artifacts."""


class StoreError(ArtifactsError):
    """The store folder or its catalog cannot be used."""


class StoreNotFoundError(StoreError):
    """No store exists where one was required."""


class NotFoundError(ArtifactsError, LookupError):
    """A reference names no run, artifact or version."""


class AmbiguousReferenceError(ArtifactsError, LookupError):
    """A reference (an id prefix) matches several candidates."""

    def __init__(self, ref: str, candidates: list[str]) -> None:
        self.ref = ref
        self.candidates = candidates
        shown = ", ".join(candidates[:10]) + (" ..." if len(candidates) > 10 else "")
        super().__init__(f"reference {ref!r} is ambiguous; it matches: {shown}")


class InvalidReferenceError(ArtifactsError, ValueError):
    """A reference or name is malformed."""


class UnsupportedObjectError(ArtifactsError, TypeError):
    """No codec can store an object of this type."""


class UntrustedPickleError(ArtifactsError):
    """Loading a pickle was refused because the caller did not say it trusts it."""


class NotStoredError(ArtifactsError):
    """The version was recorded for lineage only (content id and summary), not its content."""


class CorruptObjectError(StoreError):
    """An object's bytes do not match its content id."""


class NoActiveRunError(ArtifactsError):
    """An operation needs a run but none is active."""


class FilterError(InvalidReferenceError):
    """A search filter or sort key cannot be used (bad syntax, unknown key, wrong type).

    ``position`` is the 0-based offset of the mistake in the filter text (``None`` when
    the mistake is not at one place); ``column`` is the same, counted from 1.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        self.position = position
        super().__init__(message)

    @property
    def column(self) -> int | None:
        return None if self.position is None else self.position + 1


class FilterSyntaxError(FilterError):
    """A filter that does not parse; says where and what was expected there."""

    def __init__(self, text: str, position: int, expected: str, found: str) -> None:
        self.text = text
        self.expected = expected
        self.found = found
        super().__init__(
            f"invalid filter at column {position + 1}: expected {expected}, found {found}",
            position,
        )


class UnknownKeyError(FilterError):
    """A filter names a metric, param or tag key that nothing in the store has.

    ``close`` lists the existing keys that look like it (for a "did you mean").
    """

    def __init__(self, message: str, key: str, close: list[str], position: int | None) -> None:
        self.key = key
        self.close = close
        super().__init__(message, position)


class TruncatedResultWarning(UserWarning):
    """A listing returned fewer rows than match (a ``limit`` cut it)."""


class InvalidValueError(ArtifactsError, ValueError):
    """A value handed to a run (a metric, a param, a tag) cannot be recorded."""


class RemoteError(StoreError):
    """A remote store (``jupyter-artifacts remote``) cannot be reached, used or configured."""
