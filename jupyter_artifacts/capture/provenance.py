"""Which variable of the namespace each recorded value came from, for restore and replay.

A run's ``metadata["namespace"]`` maps the names a cell read (``inputs``) and bound
(``outputs``) to where the value lives now::

    {"version": "<version id>"}   an input linked to a stored (or lineage-only) version
    {"artifact": "<name>"}        an output: the version of that name the run produced
    {"param": "<key>"}            a param of the run (read, or bound to a literal)
    {"metric": "<key>"}           a metric of the run (a number the cell computed)
    {"import": "mod[:qualname]"}  a module, or a function or class importable from one
    {"estimator": "mod:Class", "params": {...}}  an unfitted estimator, rebuilt from its params
    {"unstored": "<why>"}         a value never stored (an open file, a generator...); for a
                                  function defined in the notebook, with its ``"source"``

Classifying a name costs a few ``isinstance`` checks: this runs on every tracked cell.
"""

from __future__ import annotations

import inspect
import linecache
import sys
import types
from typing import Any

#: At most this many names per side: a cell binding thousands of names is not the common case.
MAX_NAMES = 200
#: Source of a notebook-defined function longer than this is not kept.
MAX_SOURCE = 20_000
# Function code -> its source: a function read by many cells is looked up once.
_sources: dict[types.CodeType, str | None] = {}


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


def function_source(value: Any) -> str | None:
    """The source of a function defined in the notebook (IPython keeps each cell's code)."""
    # Not importable (the caller checked): defined in the notebook, whatever module name the
    # shell's namespace has.
    if not isinstance(value, types.FunctionType):
        return None
    code = value.__code__
    if code not in _sources:
        # The cell's lines straight from linecache (where IPython keeps each cell): asking
        # inspect would go through sys.modules["__main__"], which may not be the shell's.
        lines = linecache.getlines(code.co_filename)
        try:
            source: str | None = ("".join(inspect.getblock(lines[code.co_firstlineno - 1:]))
                                  if lines else inspect.getsource(value))
        except (OSError, TypeError, IndexError, SyntaxError):
            source = None
        if len(_sources) > 1000:
            _sources.clear()
        _sources[code] = source if source and len(source) <= MAX_SOURCE else None
    return _sources[code]


def function_imports(func: types.FunctionType) -> dict[str, str]:
    """The modules and importable names a notebook function uses from the notebook's globals
    (``np`` in ``return np.sqrt(x)``): a replay imports them before defining it."""
    found = {}
    for name in func.__code__.co_names:
        value = func.__globals__.get(name)
        if value is not None and (spec := import_spec(value)) is not None:
            found[name] = spec
    return found


def estimator_call(value: Any) -> tuple[str, dict[str, Any]] | None:
    """``("sklearn.ensemble:RandomForestClassifier", {"n_estimators": 10, ...})`` for an
    unfitted scikit-learn estimator whose parameters are plain values: enough to rebuild it."""
    get_params = getattr(value, "get_params", None)
    spec = import_spec(type(value))
    if get_params is None or spec is None or "sklearn" not in spec:
        return None
    try:
        params = get_params(deep=False)
    except Exception:  # a third-party estimator with a broken get_params
        return None
    if not all(v is None or isinstance(v, bool | int | float | str) for v in params.values()):
        return None  # nested estimators, callables: not rebuilt from text
    return spec, dict(sorted(params.items()))


class NamespaceRecord:
    """Collects, during one tracked cell, where each read and bound name ended up."""

    def __init__(self) -> None:
        self.inputs: dict[str, dict[str, Any]] = {}
        self.outputs: dict[str, dict[str, Any]] = {}

    def read(self, name: str, entry: dict[str, Any]) -> None:
        if len(self.inputs) < MAX_NAMES:
            self.inputs[name] = entry

    def wrote(self, name: str, entry: dict[str, str]) -> None:
        if len(self.outputs) < MAX_NAMES or name in self.outputs:
            self.outputs[name] = entry

    def read_other(self, name: str, value: Any) -> None:
        """A read value of no kind the tracker stores: an import, or listed as unstored (with
        the source of a function defined in the notebook, or the call that rebuilds an
        unfitted estimator, so a replay can define it again)."""
        spec = import_spec(value)
        if spec:
            self.read(name, {"import": spec})
            return
        entry: dict[str, Any] = {"unstored": unstored_reason(value)}
        if (source := function_source(value)) is not None:
            entry["source"] = source
            entry["imports"] = function_imports(value)
        elif (call := estimator_call(value)) is not None:
            entry = {"estimator": call[0], "params": call[1]}
        self.read(name, entry)

    def wrote_other(self, name: str, value: Any) -> None:
        """A bound value the tracker does not store: an import, or listed as unstored."""
        spec = import_spec(value)
        self.wrote(name, {"import": spec} if spec else {"unstored": unstored_reason(value)})

    def as_metadata(self) -> dict[str, Any]:
        return {"inputs": self.inputs, "outputs": self.outputs}
