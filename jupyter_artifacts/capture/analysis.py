"""Static analysis of a cell's code: what it reads, binds, mutates and names as files."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass
class CellNames:
    """Names a cell uses, by role; line numbers let us tell "read before bound"."""

    loads: dict[str, int] = field(default_factory=dict)  # name -> first line read
    stores: dict[str, int] = field(default_factory=dict)  # top-level name -> first line bound
    literal_stores: set[str] = field(default_factory=set)  # bound to a literal constant
    mutated: set[str] = field(default_factory=set)  # `name.method(...)` at any depth
    strings: set[str] = field(default_factory=set)  # string constants (candidate file paths)
    loop_targets: set[str] = field(default_factory=set)
    in_loop: set[str] = field(default_factory=set)  # bound only inside loop bodies
    computed: set[str] = field(default_factory=set)  # bound at least once to a computed value

    def read_before_bound(self, name: str) -> bool:
        first_load = self.loads.get(name)
        if first_load is None:
            return False
        first_store = self.stores.get(name)
        return first_store is None or first_load <= first_store


def _literal(node: ast.AST) -> bool:
    """True for constants and small containers/unary ops of constants (`0.1`, `-1`, `(3, 4)`)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _literal(node.operand)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        pairs = zip(node.keys, node.values, strict=False)
        return all(k is not None and _literal(k) and _literal(v) for k, v in pairs)
    return False


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def analyse(code: str) -> CellNames | None:
    """Analyse Python source (already transformed by IPython); None if it does not parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    names = CellNames()
    for stmt in tree.body:
        _top_level_bindings(stmt, names)
    outside, inside = CellNames(), CellNames()
    for stmt in tree.body:
        loop = isinstance(stmt, ast.For | ast.AsyncFor | ast.While)
        for sub in stmt.body if loop else [stmt]:  # type: ignore[attr-defined]
            _top_level_bindings(sub, inside if loop else outside)
    names.in_loop = set(inside.stores) - set(outside.stores)
    # `bias = 0.0` then `bias -= lr * grad`: a computed result, not a parameter.
    names.literal_stores -= names.computed
    for stmt in tree.body:
        _scan(stmt, names, frozenset())
    return names


def _note_read(names: CellNames, name: str, line: int) -> None:
    names.loads[name] = min(line, names.loads.get(name, line))


_Comprehension = ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp


def _scan(node: ast.AST, names: CellNames, local: frozenset[str]) -> None:
    """Note the reads, method calls and strings the cell itself evaluates when it runs.

    The rule: code runs in the cell's scope unless it is the body of a function or lambda
    (it runs when called, maybe never, and may see other values then). What a definition
    evaluates at once is the cell's: decorators, default values, base classes and class
    keywords, and a class body (but not its methods). A comprehension runs at once, so its
    free names are reads of the cell, but the names its ``for`` clauses bind are its own.
    ``local`` holds the names bound by enclosing comprehensions and class bodies.
    """
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        args = node.args
        for sub in (*getattr(node, "decorator_list", []), *args.defaults,
                    *(d for d in args.kw_defaults if d is not None)):
            _scan(sub, names, local)
        return
    if isinstance(node, ast.ClassDef):
        for sub in (*node.decorator_list, *node.bases, *(k.value for k in node.keywords)):
            _scan(sub, names, local)
        own = frozenset(n for stmt in node.body for n in _bound_by(stmt))
        for stmt in node.body:
            _scan(stmt, names, local | own)
        return
    if isinstance(node, _Comprehension):
        first, *rest = node.generators
        _scan(first.iter, names, local)  # evaluated in the enclosing scope
        inner = local | {n for g in node.generators for n in _target_names(g.target)}
        parts: list[ast.AST] = [*first.ifs, *(e for g in rest for e in (g.iter, *g.ifs))]
        parts += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for sub in parts:
            _scan(sub, names, inner)
        return
    if isinstance(node, ast.Name):
        if isinstance(node.ctx, ast.Load) and node.id not in local:
            _note_read(names, node.id, node.lineno)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        base = node.func.value
        while isinstance(base, ast.Attribute | ast.Subscript):
            base = base.value
        if isinstance(base, ast.Name) and base.id not in local:
            names.mutated.add(base.id)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str) and 0 < len(node.value) < 500:
        names.strings.add(node.value)
    for child in ast.iter_child_nodes(node):
        _scan(child, names, local)


def _bound_by(stmt: ast.stmt) -> list[str]:
    """Names a statement of a class body binds in the class's own namespace."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [stmt.name]
    if isinstance(stmt, ast.Assign):
        return [n for t in stmt.targets for n in _target_names(t)]
    if isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        return _target_names(stmt.target)
    return []


def _top_level_bindings(stmt: ast.stmt, names: CellNames) -> None:
    def bind(name: str, line: int) -> None:
        names.stores.setdefault(name, line)

    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        bind(stmt.name, stmt.lineno)  # a function or class: bound, never worth storing
        names.computed.add(stmt.name)
    elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        literal = (not isinstance(stmt, ast.AugAssign) and stmt.value is not None
                   and _literal(stmt.value))
        for target in targets:
            for name in _target_names(target):
                bind(name, stmt.lineno)
                (names.literal_stores if literal else names.computed).add(name)
    elif isinstance(stmt, ast.For | ast.AsyncFor):
        for name in _target_names(stmt.target):
            names.loop_targets.add(name)
        for sub in (*stmt.body, *stmt.orelse):
            _top_level_bindings(sub, names)
    elif isinstance(stmt, ast.With | ast.AsyncWith):
        for item in stmt.items:
            if item.optional_vars is not None:
                for name in _target_names(item.optional_vars):
                    bind(name, stmt.lineno)
        for sub in stmt.body:
            _top_level_bindings(sub, names)
    elif isinstance(stmt, ast.While):
        for sub in (*stmt.body, *stmt.orelse):
            _top_level_bindings(sub, names)
    elif isinstance(stmt, ast.If | ast.Try):
        for sub in (*stmt.body, *stmt.orelse, *getattr(stmt, "finalbody", []),
                    *(s for h in getattr(stmt, "handlers", []) for s in h.body)):
            _top_level_bindings(sub, names)
