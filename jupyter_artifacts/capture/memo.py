"""Knowing a large array or DataFrame is unchanged without hashing it again.

Hashing a 1 GB DataFrame costs about a second; a notebook reads the same frame in cell
after cell. An entry remembers, for one object, the version its content was found to be,
and stays valid only while there is evidence that nothing changed it.

The rule (an entry for object X, made when X was hashed before cell k ran, is used at
cell m only if all of these hold):

1. X is the same object (a weak reference, so a new object at a reused address is not X),
   and its cheap guard is unchanged: for an array its buffer address, shape, strides and
   dtype; for a DataFrame or Series also its index and columns objects and each block's
   identity and buffer. Any rebinding, column assignment or reallocation moves the guard.
2. Every cell run since (cells k..m-1, tracked or not: ``pre_run_cell`` sees them all) was
   parsed and found harmless to X. A cell is harmful to X if it
   - does not parse, runs magics or shell commands, or calls ``exec``/``eval``/``globals``/
     ``setattr``-like builtins (anything may change);
   - calls a function, class or method defined in the notebook, or one the cell itself
     defines (its body may change X through globals);
   - "touches" a name whose value, when the cell starts, is X, shares memory with X, or
     holds X one level down (a list, tuple or dict item, an attribute). A name is touched
     unless it is only read: ``n.attr``, ``n[...]``, a known read-only method
     (``n.head()``, ``n.groupby(...)``) called without ``inplace=``/``out=``, or an argument
     of a builtin that does not change its arguments (``print``, ``len``). Being passed to
     any other function, assigned into, augmented, deleted or called counts as touched;
   - touches a name it binds itself: a view of X made in the cell could be written
     through, so every object the cell reads is then suspect. (Rebinding a name, as in
     ``df = df.dropna()``, changes no object and is not a touch; ``x *= 2`` is.)
3. X's memory is owned by numpy (not a memory-mapped file another process could write)
   and holds no Python objects (whose own contents could change without touching X).

Assumed, and not checked: code outside the notebook changes only what it is handed
(arguments and receivers, and one level of their contents); no background thread or
widget callback writes X between cells. Anything else is hashed again as before.
"""

from __future__ import annotations

import ast
import contextlib
import mmap
import weakref
from dataclasses import dataclass
from typing import Any

from ..codecs.base import mro_names

READ_ONLY_METHODS = frozenset([
    "head", "tail", "describe", "info", "copy", "mean", "sum", "std", "var", "min", "max",
    "median", "mode", "count", "nunique", "unique", "value_counts", "groupby", "agg",
    "aggregate", "corr", "cov", "plot", "hist", "boxplot", "to_numpy", "astype", "query",
    "merge", "join", "sort_values", "sort_index", "drop", "dropna", "fillna", "rename",
    "reset_index", "set_index", "isna", "notna", "isnull", "notnull", "any", "all", "round",
    "sample", "memory_usage", "equals", "select_dtypes", "filter", "pivot_table", "melt",
    "idxmax", "idxmin", "quantile", "cumsum", "cumprod", "diff", "pct_change", "shift",
    "rolling", "expanding", "resample", "nlargest", "nsmallest", "to_csv", "to_parquet",
    "to_dict", "to_list", "tolist", "item", "argmax", "argmin", "argsort", "nonzero", "reshape",
    "ravel", "flatten", "transpose", "dot", "clip", "tobytes", "get", "keys", "items", "values",
    "iterrows", "itertuples", "duplicated", "drop_duplicates", "between", "isin", "where",
    "mask", "abs", "prod",
])
PURE_BUILTINS = frozenset([
    "print", "len", "repr", "str", "type", "isinstance", "id", "sorted", "list", "tuple", "set",
    "sum", "min", "max", "enumerate", "zip", "display", "range", "float", "int", "bool", "hash",
])
OPAQUE = frozenset([
    "exec", "eval", "globals", "locals", "vars", "setattr", "delattr", "get_ipython",
    "__import__",
])


def _buffers(value: Any) -> list[tuple[int, int]] | None:
    """Address ranges of the numpy buffers ``value`` consists of; None if it cannot be
    watched (Python objects inside, extension arrays, memory-mapped files, not an array)."""
    names = mro_names(value)
    if "numpy.ndarray" in names:
        arrays = [value]
    elif "pandas.core.generic.NDFrame" in names:  # DataFrame, Series
        try:
            arrays = [block.values for block in value._mgr.blocks]
        except AttributeError:
            return None
    else:
        return None
    ranges = []
    for arr in arrays:
        if "numpy.ndarray" not in mro_names(arr) or arr.dtype.hasobject:
            return None
        base = arr
        while getattr(base, "base", None) is not None:
            base = base.base
        if isinstance(base, mmap.mmap) or "numpy.memmap" in mro_names(base):
            return None
        lo = arr.__array_interface__["data"][0]
        ranges.append((lo, lo + max(arr.nbytes, 1)))
    return ranges


def _guard(value: Any) -> Any:
    def of_array(arr: Any) -> Any:
        return (arr.__array_interface__["data"][0], arr.shape, arr.strides, arr.dtype.str)

    if "numpy.ndarray" in mro_names(value):
        return of_array(value)
    mgr = value._mgr
    return (id(mgr), value.shape, id(value.index), id(getattr(value, "columns", None)),
            tuple((id(b), of_array(b.values)) for b in mgr.blocks))


@dataclass
class _Entry:
    ref: weakref.ref[Any]
    guard: Any
    ranges: list[tuple[int, int]]
    version_id: str


def _overlaps(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return any(lo < hi2 and lo2 < hi for lo, hi in a for lo2, hi2 in b)


class HashMemo:
    """Versions of watched objects known unchanged since they were hashed (see the rule above)."""

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, value: Any) -> str | None:
        """The version id ``value`` was found to be, if it is known unchanged since."""
        entry = self._entries.get(id(value))
        if entry is None or entry.ref() is not value:
            return None
        try:
            if _guard(value) == entry.guard:
                return entry.version_id
        except AttributeError:
            pass
        del self._entries[id(value)]
        return None

    def put(self, value: Any, version_id: str) -> None:
        """Remember ``value``'s version, just hashed (only objects the rule can watch)."""
        ranges = _buffers(value)
        if ranges is None:
            return
        try:
            entry = _Entry(weakref.ref(value), _guard(value), ranges, version_id)
        except (TypeError, AttributeError):
            return
        key = id(value)
        known = self._entries.get(key)
        if known is None or known.ref() is not value:
            weakref.finalize(value, self._entries.pop, key, None)  # no stale entry at a reused id
        self._entries[key] = entry

    def clear(self) -> None:
        self._entries.clear()

    def note_cell(self, code: str, ns: dict[str, Any]) -> None:
        """Drop the entries a cell about to run might change (called for every cell)."""
        if not self._entries:
            return
        touched = touched_names(code, ns)
        if touched is None:
            self.clear()
            return
        for name in touched:
            if name in ns and self._entries:
                self._forget_reachable(ns[name])

    def _forget_reachable(self, value: Any) -> None:
        items: list[Any] = [value]
        if isinstance(value, list | tuple | set | frozenset):
            items += list(value)[:1000]
        elif isinstance(value, dict):
            items += list(value.values())[:1000]
        else:
            with contextlib.suppress(TypeError):
                items += list(vars(value).values())[:1000]
        for item in items:
            self._entries.pop(id(item), None)
            ranges = _buffers(item)
            if ranges:
                for key, entry in list(self._entries.items()):
                    if _overlaps(ranges, entry.ranges):
                        del self._entries[key]


def _user_defined(value: Any, ns: dict[str, Any]) -> bool:
    """A function, class or object of a class defined in the notebook."""
    if getattr(value, "__globals__", None) is ns:
        return True
    cls = value if isinstance(value, type) else type(value)
    return cls.__module__ in ("__main__", ns.get("__name__"))


def touched_names(code: str, ns: dict[str, Any]) -> set[str] | None:
    """The names a cell may change the value of (see the module's rule); None: anything."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    parents: dict[ast.AST, ast.AST] = {}
    bound: set[str] = set()
    loads: set[str] = set()
    defined: set[str] = set()  # functions and classes the cell defines
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
            defined.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            defined.update(n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
    touched: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Name):
            continue
        if node.id in OPAQUE:
            return None
        if isinstance(node.ctx, ast.Load):
            if not _is_read_only(node, parents):
                touched.add(node.id)
        elif isinstance(parents.get(node), ast.AugAssign):
            touched.add(node.id)  # `x *= 2` changes an array in place; `x = ...` only rebinds
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            root = node.func
            while isinstance(root, ast.Attribute | ast.Subscript | ast.Call):
                root = root.func if isinstance(root, ast.Call) else root.value
            if isinstance(root, ast.Name) and (root.id in defined or (
                    root.id in ns and _user_defined(ns[root.id], ns))):
                return None  # its body may change anything it can reach
    if touched & bound:
        touched |= loads  # a view made in the cell may be written through
    return touched


def _is_read_only(name: ast.Name, parents: dict[ast.AST, ast.AST]) -> bool:
    node: ast.AST = name
    while True:
        parent = parents.get(node)
        # Climb `n.a[...].b` while it only reads.
        if isinstance(parent, ast.Attribute | ast.Subscript) and parent.value is node:
            if not isinstance(parent.ctx, ast.Load):
                return False  # assigned into or deleted
            node = parent
            continue
        if isinstance(parent, ast.Call) and parent.func is node:
            if node is name or not isinstance(node, ast.Attribute) or node.attr not in READ_ONLY_METHODS:
                return False  # the value called, or a method that may change it
            if any(k.arg in ("inplace", "out") for k in parent.keywords):
                return False
            node = parent  # its result may be a view of it: keep climbing
            continue
        break
    if isinstance(parent, ast.Call):  # passed as an argument
        return isinstance(parent.func, ast.Name) and parent.func.id in PURE_BUILTINS
    return not isinstance(parent, ast.keyword | ast.Starred)
