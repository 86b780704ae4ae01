"""Put back into a namespace the variables a run read and produced, at their recorded versions.

Where each variable went is on the run (``metadata["namespace"]``, written by the capture
layer, see :mod:`jupyter_artifacts.capture.provenance`); runs recorded before that map
existed fall back to their events, params and metrics named like variables. Values that
were never stored are listed in the report with the reason, never dropped silently.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from keyword import iskeyword
from typing import Any

from ..errors import ArtifactsError, InvalidValueError, NotFoundError
from ..store import ArtifactVersion, Run, Store

#: Kinds a variable never holds as such: logs and reports are what the cell printed/showed.
_NOT_VARIABLES = {"log", "report", "figure", "notebook"}


def is_variable(name: str) -> bool:
    return name.isidentifier() and not iskeyword(name)


@dataclass
class RestoreReport:
    """What a restore bound, from where, and what it could not bring back."""

    ref: str
    bound: dict[str, str] = field(default_factory=dict)  # name -> "model:v3", "param", ...
    not_stored: dict[str, str] = field(default_factory=dict)  # name -> why it is not back

    def __str__(self) -> str:
        lines = [f"restored from {self.ref}: "
                 + (", ".join(f"{n} ({src})" for n, src in self.bound.items()) or "nothing")]
        lines += [f"  not restored: {n}: {why}" for n, why in self.not_stored.items()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


@dataclass
class Binding:
    """One variable to bind: where it comes from and how to get its value."""

    name: str
    source: str
    load: Callable[[], Any]


Plan = tuple[list[Binding], dict[str, str]]


def _version_binding(store: Store, name: str, version: ArtifactVersion, trust: bool) -> Binding:
    from ..codecs import load_version

    return Binding(name, version.ref, lambda: load_version(store, version, trust=trust))


def _value(value: Any) -> Callable[[], Any]:
    return lambda: value


def _import(spec: str) -> Any:
    module_name, _, qualname = spec.partition(":")
    found: Any = importlib.import_module(module_name)
    for part in filter(None, qualname.split(".")):
        found = getattr(found, part)
    return found


class _RunPlan:
    """Turns one run's record into bindings."""

    def __init__(self, store: Store, run: Run, trust: bool) -> None:
        self.store, self.run, self.trust = store, run, trust
        events = store.run_events(run.id)
        self.inputs = [v for kind, v in events if kind == "input"]
        self.outputs = [v for kind, v in events if kind == "output"]

    def entry(self, name: str, entry: dict[str, Any], side: str) -> Binding | str:
        """A binding, or the reason the name cannot be bound."""
        if "unstored" in entry:
            if "source" in entry:  # not run here: restoring binds values, it runs no code
                return f"{entry['unstored']}; its source is recorded and a replay defines it"
            return entry["unstored"]
        if "estimator" in entry:
            spec, params = entry["estimator"], entry.get("params") or {}
            return Binding(name, f"{spec.partition(':')[2]}(...) unfitted",
                           lambda: _import(spec)(**params))
        if "param" in entry:
            if entry["param"] not in self.run.params:
                return "its param was not recorded"
            return Binding(name, "param", _value(self.run.params[entry["param"]]))
        if "metric" in entry:
            if entry["metric"] not in self.run.metrics:
                return "its metric was not recorded"
            return Binding(name, "metric", _value(self.run.metrics[entry["metric"]]))
        if "import" in entry:
            spec = entry["import"]
            return Binding(name, f"import {spec}", lambda: _import(spec))
        version = self._version(name, entry, side)
        if version is None:
            return "no stored version was recorded for it"
        return _version_binding(self.store, name, version, self.trust)

    def _version(self, name: str, entry: dict[str, str], side: str) -> ArtifactVersion | None:
        if "version" in entry:
            found = [v for v in self.inputs if v.id == entry["version"]]
            return found[0] if found else self.store.get_version(entry["version"])
        wanted = entry.get("artifact") or entry.get("pending") or name
        pool = self.outputs + self.inputs if side == "output" else self.inputs
        named = [v for v in pool if v.name == wanted]
        if named:
            return named[0]
        if "pending" in entry:  # a model a previous cell was still storing, under its own name
            models = [v for v in self.inputs if v.kind == "model"]
            return models[0] if len(models) == 1 else None
        return None

    def fallback(self) -> dict[str, dict[str, dict[str, str]]]:
        """A namespace map from events, params and metrics, for runs recorded without one."""
        inputs = {v.name: {"version": v.id} for v in self.inputs
                  if is_variable(v.name) and v.kind not in _NOT_VARIABLES}
        inputs.update({k: {"param": k} for k in self.run.params if is_variable(k)})
        outputs = {v.name: {"artifact": v.name} for v in self.outputs
                   if is_variable(v.name) and v.kind not in _NOT_VARIABLES}
        outputs.update({k: {"metric": k} for k in self.run.metrics if is_variable(k)})
        return {"inputs": inputs, "outputs": outputs}


def plan_run(store: Store, run: Run, *, inputs: bool = True, outputs: bool = True,
             trust: bool = False) -> Plan:
    """The bindings that restore ``run``'s variables (outputs win over inputs of the same
    name: the state after the run), and the names that cannot be restored, with why."""
    planner = _RunPlan(store, run, trust)
    recorded = run.metadata.get("namespace") or planner.fallback()
    chosen: dict[str, Binding | str] = {}
    for side, wanted in (("input", inputs), ("output", outputs)):
        if not wanted:
            continue
        for name, entry in (recorded.get(f"{side}s") or {}).items():
            if is_variable(name) and isinstance(entry, dict):
                chosen[name] = planner.entry(name, entry, side)
    bindings = [b for b in chosen.values() if isinstance(b, Binding)]
    missing = {n: why for n, why in chosen.items() if isinstance(why, str)}
    return bindings, missing


def _select(bindings: list[Binding], missing: dict[str, str], only: Iterable[str] | None,
            ref: str) -> Plan:
    if only is None:
        return bindings, missing
    wanted = [only] if isinstance(only, str) else list(only)
    known = {b.name for b in bindings} | set(missing)
    if unknown := [n for n in wanted if n not in known]:
        raise NotFoundError(f"{ref} has no variable {', '.join(unknown)}; it has "
                            f"{', '.join(sorted(known)) or 'none'}")
    return ([b for b in bindings if b.name in wanted],
            {n: why for n, why in missing.items() if n in wanted})


def restore(store: Store, ref: str, namespace: MutableMapping[str, Any], *, inputs: bool = True,
            outputs: bool = True, only: Iterable[str] | None = None, name: str | None = None,
            trust: bool = False) -> RestoreReport:
    """Bind into ``namespace`` the variables of a run (``run-17``) or one version
    (``model:v3``, bound as ``name`` or the artifact's name); see :class:`RestoreReport`."""
    if name is not None and not is_variable(name):
        raise InvalidValueError(f"{name!r} is not a variable name")
    try:
        version = store.resolve(ref)
    except NotFoundError:
        if ":" in ref:
            raise
        version = None
    if version is not None:
        target = name or version.name
        if not is_variable(target):
            raise InvalidValueError(f"{version.ref} is no variable name: say which, "
                                    f"e.g. 'restore {version.ref} as x'")
        bindings = [_version_binding(store, target, version, trust)]
        missing: dict[str, str] = {}
        label = version.ref
    else:
        run = store.get_run(ref)
        if name is not None:
            raise InvalidValueError(f"'as {name}' names one version; {run.ref} is a run")
        bindings, missing = _select(*plan_run(store, run, inputs=inputs, outputs=outputs,
                                              trust=trust), only, run.ref)
        label = run.ref
    report = RestoreReport(label, not_stored=dict(missing))
    values: dict[str, Any] = {}
    for binding in bindings:  # all loaded before any is bound: no half-restored namespace
        try:
            values[binding.name] = binding.load()
        except (ArtifactsError, ImportError, AttributeError, OSError, ValueError) as exc:
            report.not_stored[binding.name] = " ".join(str(exc).split()) or type(exc).__name__
            continue
        report.bound[binding.name] = binding.source
    namespace.update(values)
    return report
