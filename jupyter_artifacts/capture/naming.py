"""Names a person recognises, stable across re-runs of the same cell.

- A run is named by ``%%track NAME``; else by the cell's leading comment; else by what its
  first statement binds (``model = ...`` -> ``model``) or calls (``sns.heatmap(...)``).
- A variable's artifact keeps the variable's name.
- A figure is named by the variable bound to it (a Figure, or an Axes or seaborn grid of
  it), else by its title (the suptitle, or the single axes' title) without the numbers in
  it (``ROC curve (AUC = 0.93)`` -> ``ROC-curve-AUC``: a new score is a new version of the
  same figure, not a new name), else ``<run>/figure<i>``.
- What the cell printed and displayed is ``<run>/stdout``, ``<run>/result``, ...
"""

from __future__ import annotations

import ast
import os
import re
from typing import Any

from ..codecs.base import mro_names

MAX_NAME = 40
# A number standing on its own (``0.93``, ``-1e-3``, ``10``, ``95%``), not a digit in a word (``e2e``).
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])[-+]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?%?(?![A-Za-z0-9_])")


def slug(text: str, limit: int = MAX_NAME) -> str:
    """``text`` as a name: runs of other characters become ``-``, cut at a word boundary."""
    words = [w for w in re.split(r"[^A-Za-z0-9_.]+", text) if w.strip(".")]
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    out = out or (words[0][:limit] if words else "")
    return out.strip("-.") or "cell"


def shorten(text: str, limit: int = MAX_NAME) -> str:
    """``text`` cut to at most ``limit`` characters at a space (a hard cut for one long word)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit + 1].rsplit(" ", 1)[0]
    return (cut if 0 < len(cut) <= limit else text[:limit]).rstrip(" ,;:-")


def _dotted(node: ast.expr) -> str | None:
    """``sns.heatmap`` for the expression ``sns.heatmap`` (its last two parts), else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)][-2:]) if isinstance(node, ast.Name) else None


def _callee(node: ast.expr) -> str | None:
    """The first function a chained expression calls: ``sns.heatmap`` for
    ``sns.heatmap(corr).set(title=...)``."""
    while True:
        if isinstance(node, ast.Call):
            if (dotted := _dotted(node.func)) is not None:
                return dotted
            node = node.func
        elif isinstance(node, ast.Attribute | ast.Subscript | ast.Await):
            node = node.value
        else:
            return None


def _statement_name(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    return node.id
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return stmt.name
    if isinstance(stmt, ast.Expr):
        return _callee(stmt.value)
    if isinstance(stmt, ast.For | ast.AsyncFor | ast.While | ast.With | ast.AsyncWith | ast.If | ast.Try):
        for sub in stmt.body:
            if (name := _statement_name(sub)) is not None:
                return name
    return None


def default_run_name(body: str, notebook: str | None) -> str:
    """The cell's leading comment, else what its first statement binds or calls, else its
    first line; the notebook's name for an empty cell."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if not lines:
        return os.path.splitext(os.path.basename(notebook))[0] if notebook else "cell"
    for line in lines:
        if not line.startswith("#"):
            break
        if comment := line.lstrip("#").strip():
            return shorten(comment)
    try:
        statements = ast.parse(body).body
    except SyntaxError:  # magics, shell escapes: not Python before IPython transforms them
        statements = []
    code = [s for s in statements if not isinstance(s, ast.Import | ast.ImportFrom)]
    for stmt in code:
        if (name := _statement_name(stmt)) is not None:
            return name
    if statements and not code:
        return "imports"
    return shorten(next(line for line in lines if not line.startswith("#")))


def figure_of(value: Any) -> Any:
    """The matplotlib figure a value stands for (an Axes, a seaborn grid), or None."""
    names = mro_names(value)
    if "matplotlib.figure.Figure" in names:
        return value
    if "matplotlib.axes._base._AxesBase" in names or "seaborn.axisgrid.Grid" in names:
        fig = getattr(value, "figure", None)
        if fig is not None and "matplotlib.figure.Figure" in mro_names(fig):
            return fig
    return None


def figure_title(fig: Any) -> str | None:
    """The figure's suptitle, else the title of its only axes (numbers left out), or None."""
    texts = []
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None:
        texts.append(suptitle.get_text())
    axes = fig.get_axes()
    if len(axes) == 1:
        texts.append(axes[0].get_title() or axes[0].get_title("left") or axes[0].get_title("right"))
    for text in texts:
        name = slug(_NUMBER.sub(" ", text or "").replace("$", ""))
        if text and text.strip() and name != "cell":
            return name
    return None


def figure_names(figures: list[Any], bound: dict[int, str], base: str) -> list[str]:
    """A name for each figure, in order: its variable, its title, else ``<base>/figure<i>``;
    made unique within the cell."""
    names: list[str] = []
    for i, fig in enumerate(figures, start=1):
        name = bound.get(id(fig)) or figure_title(fig) or f"{base}/figure{i}"
        unique, n = name, 2
        while unique in names:
            unique, n = f"{name}-{n}", n + 1
        names.append(unique)
    return names
