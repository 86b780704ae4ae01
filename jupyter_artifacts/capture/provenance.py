"""Which variable of the namespace each recorded value came from, for restore and replay.

A run's ``metadata["namespace"]`` maps the names a cell read (``inputs``) and bound
(``outputs``) to where the value lives now::

    {"version": "<version id>"}   an input linked to a stored (or lineage-only) version
    {"artifact": "<name>"}        an output: the version of that name the run produced
    {"param": "<key>"}            a param of the run (read, or bound to a literal)
    {"metric": "<key>"}           a metric of the run (a number the cell computed)
    {"import": "mod[:qualname]"}  a module, or a function or class importable from one
    {"unstored": "<why>"}         a value never stored (an open file, a generator...)

Classifying a name costs a few ``isinstance`` checks: this runs on every tracked cell.
"""

from __future__ import annotations

import sys
import types
from typing import Any

#: At most this many names per side: a cell binding thousands of names is not the common case.
MAX_NAMES = 200


def import_spec(value: Any) -> str | None:
    """``"numpy"`` for a module, ``"sklearn.metrics:accuracy_score"`` for a function or class
    that importing gives back; None for anything else (a function defined in the notebook)."""
    if isinstance(value, types.ModuleType):
        return value.__name__
    if not isinstance(value, type | types.FunctionType | types.BuiltinFunctionType):
        return None
    module_name = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None)
    if not module_name or not qualname or module_name == "__main__" or "<" in qualname:
        return None
    module = sys.modules.get(module_name)
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return f"{module_name}:{qualname}" if found is value else None


def unstored_reason(value: Any) -> str:
    """One phrase saying what a value the tracker does not store is."""
    if isinstance(value, types.FunctionType):
        return "a function defined in the notebook"
    if isinstance(value, type):
        return "a class defined in the notebook"
    if isinstance(value, types.GeneratorType):
        return "a generator"
    if isinstance(value, str | int | float | bool | list | tuple | dict):
        return f"a computed {type(value).__name__}, not recorded as a param"
    if hasattr(value, "read") and hasattr(value, "close"):
        return f"an open file or stream ({type(value).__name__})"
    return f"a {type(value).__module__}.{type(value).__qualname__}, which the tracker does not store"


class NamespaceRecord:
    """Collects, during one tracked cell, where each read and bound name ended up."""

    def __init__(self) -> None:
        self.inputs: dict[str, dict[str, str]] = {}
        self.outputs: dict[str, dict[str, str]] = {}

    def read(self, name: str, entry: dict[str, str]) -> None:
        if len(self.inputs) < MAX_NAMES:
            self.inputs[name] = entry

    def wrote(self, name: str, entry: dict[str, str]) -> None:
        if len(self.outputs) < MAX_NAMES or name in self.outputs:
            self.outputs[name] = entry

    def read_other(self, name: str, value: Any) -> None:
        """A read value of no kind the tracker stores: an import, or listed as unstored."""
        spec = import_spec(value)
        self.read(name, {"import": spec} if spec else {"unstored": unstored_reason(value)})

    def wrote_other(self, name: str, value: Any) -> None:
        """A bound value the tracker does not store: an import, or listed as unstored."""
        spec = import_spec(value)
        self.wrote(name, {"import": spec} if spec else {"unstored": unstored_reason(value)})

    def as_metadata(self) -> dict[str, Any]:
        return {"inputs": self.inputs, "outputs": self.outputs}
