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


class CorruptObjectError(StoreError):
    """An object's bytes do not match its content id."""


class NoActiveRunError(ArtifactsError):
    """An operation needs a run but none is active."""


class InvalidValueError(ArtifactsError, ValueError):
    """A value handed to a run (a metric, a param, a tag) cannot be recorded."""
