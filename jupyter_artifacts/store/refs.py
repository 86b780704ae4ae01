"""Parsing and resolving references to artifact versions and runs."""

from __future__ import annotations

import re

from ..errors import AmbiguousReferenceError, InvalidReferenceError, NotFoundError
from .catalog import Catalog

NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")
ALIAS_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_VERSION_RE = re.compile(r"^v(\d+)$")
_RUN_NUMBER_RE = re.compile(r"^(?:run-)?(\d+)$")
_HEX_RE = re.compile(r"^[0-9a-f]{4,}$")
MIN_PREFIX = 4
_MAX_INT = 2**63 - 1  # SQLite's integers: anything larger names nothing


def _number(text: str) -> int | None:
    """A version or run number, or None when it is too large to exist."""
    if len(text) > 19:  # also keeps int() off strings too long for it to parse
        return None
    value = int(text)
    return value if value <= _MAX_INT else None


def check_name(name: str) -> str:
    """Validate an artifact name: letters, digits, ``_ . - /``; no ``:``; no ``..``."""
    if not isinstance(name, str) or not NAME_RE.match(name) or ".." in name.split("/"):
        raise InvalidReferenceError(
            f"invalid artifact name {name!r}: use letters, digits and _ . - / (no ':')"
        )
    return name


def check_alias(alias: str) -> str:
    if not isinstance(alias, str) or not ALIAS_RE.match(alias) or _VERSION_RE.match(alias):
        raise InvalidReferenceError(f"invalid alias {alias!r}: use letters, digits, _ . - (not vN)")
    return alias


def _by_prefix(catalog: Catalog, table: str, prefix: str) -> str | None:
    """The one id in ``table`` starting with a hex ``prefix``; ambiguity is an error."""
    if not _HEX_RE.match(prefix):
        return None
    # A range scan on the primary key rather than LIKE, which cannot use the index.
    ids = [r["id"] for r in catalog.query(
        f"SELECT id FROM {table} WHERE id >= ? AND id < ? LIMIT 11", (prefix, prefix + "g"))]
    if len(ids) > 1:
        raise AmbiguousReferenceError(prefix, ids)
    return str(ids[0]) if ids else None


def resolve_version_id(catalog: Catalog, ref: str) -> str:
    """Resolve ``name``, ``name:vN``, ``name:<alias>`` or a version-id prefix to a version id."""
    if not isinstance(ref, str) or not ref:
        raise InvalidReferenceError(f"invalid reference {ref!r}")
    name, sep, selector = ref.rpartition(":")
    if not sep:
        name, selector = ref, "latest"
    if NAME_RE.match(name):
        if m := _VERSION_RE.match(selector):
            number = _number(m.group(1))
            row = None if number is None else catalog.query_one(
                "SELECT id FROM versions WHERE name = ? AND version = ?", (name, number)
            )
            if row:
                return str(row["id"])
            if catalog.scalar("SELECT 1 FROM artifacts WHERE name = ?", (name,)):
                raise NotFoundError(f"artifact {name!r} has no version v{m.group(1)}")
        else:
            row = catalog.query_one(
                "SELECT version_id FROM aliases WHERE name = ? AND alias = ?", (name, selector)
            )
            if row:
                return str(row["version_id"])
            if sep and catalog.scalar("SELECT 1 FROM artifacts WHERE name = ?", (name,)):
                raise NotFoundError(f"artifact {name!r} has no alias {selector!r}")
    if not sep and (found := _by_prefix(catalog, "versions", ref)):
        return found
    raise NotFoundError(f"no artifact version matches {ref!r}")


def resolve_run_id(catalog: Catalog, ref: str) -> str:
    """Resolve ``run-17`` / ``17``, a run-id prefix, or a run name (its newest run)."""
    if not isinstance(ref, str) or not ref:
        raise InvalidReferenceError(f"invalid run reference {ref!r}")
    if (m := _RUN_NUMBER_RE.match(ref)) and (number := _number(m.group(1))) is not None:
        row = catalog.query_one("SELECT id FROM runs WHERE number = ?", (number,))
        if row:
            return str(row["id"])
    if found := _by_prefix(catalog, "runs", ref):
        return found
    row = catalog.query_one(
        "SELECT id FROM runs WHERE name = ? ORDER BY number DESC LIMIT 1", (ref,)
    )
    if row:
        return str(row["id"])
    raise NotFoundError(f"no run matches {ref!r}")
