"""The packages a bundle needs to load and predict, pinned to the versions the run recorded."""

from __future__ import annotations

import io
import json
import platform
import re
import sys
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

#: What the bundle's own code imports to load a skops model and read CSV input.
BASE_SKLEARN = ("scikit-learn", "scipy", "numpy", "joblib", "threadpoolctl", "skops", "pandas")
#: Import names whose distribution is named otherwise (when the environment cannot say).
KNOWN = {"sklearn": "scikit-learn", "skops": "skops", "xgboost": "xgboost",
         "lightgbm": "lightgbm", "numpy": "numpy", "scipy": "scipy"}


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them (``Scikit_Learn`` -> ``scikit-learn``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def skops_modules(data: bytes) -> set[str]:
    """Top-level modules of every type a skops file names (its ``schema.json``)."""
    modules: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            module = node.get("__module__")
            if isinstance(module, str):
                modules.add(module.split(".")[0])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        walk(json.loads(archive.read("schema.json")))
    return modules


def distributions_for(modules: set[str]) -> set[str]:
    """The distributions that provide ``modules`` (builtins and the standard library need none)."""
    found = {KNOWN[m] for m in modules if m in KNOWN}
    others = {m for m in modules - set(KNOWN) if m not in sys.stdlib_module_names and m != "builtins"}
    if others:  # scanning every installed distribution's files takes ~0.5 s: only when needed
        owners = metadata.packages_distributions()
        found.update(normalize(d) for m in others for d in owners.get(m, []))
    return found


@dataclass
class Requirements:
    """Pinned requirements and the Python version, with what could not be pinned as recorded."""

    python: str
    pins: dict[str, str]
    unrecorded: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{name}=={version}" for name, version in sorted(self.pins.items())]

    @property
    def python_minor(self) -> str:
        return ".".join(self.python.split(".")[:2])


def pin(names: set[str], recorded: dict[str, Any] | None) -> Requirements:
    """Pin ``names`` to the run's recorded environment; the running one fills what it lacks."""
    packages = {normalize(k): str(v) for k, v in ((recorded or {}).get("packages") or {}).items()}
    pins: dict[str, str] = {}
    unrecorded: list[str] = []
    for name in sorted(names):
        if name in packages:
            pins[name] = packages[name]
            continue
        try:
            pins[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # neither recorded nor installed: pip resolves it from its dependent
        unrecorded.append(name)
    python = str((recorded or {}).get("python") or platform.python_version())
    return Requirements(python, pins, unrecorded)
