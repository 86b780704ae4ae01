"""The Python API: ``import jupyter_artifacts as ja``."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import tracking
from .errors import InvalidValueError, TruncatedResultWarning
from .store import ArtifactVersion, Store
from .store.validate import check_tags

if TYPE_CHECKING:
    import pandas as pd


def open_store(path: str | os.PathLike[str] | None = None) -> Store:
    """Open (or create) a store and make it the default for this process's API calls."""
    store = Store.open(path)
    tracking.set_default_store(store)
    return store


def _store() -> Store:
    # Models from tracked cells may still be being stored in the background: settle first.
    deferred = sys.modules.get("jupyter_artifacts.capture.background")
    if deferred is not None:
        deferred.wait_pending()
    active = tracking.active_run(required=False)
    return active.store if active else tracking.default_store()


def save(
    obj: Any, name: str, *, kind: str | None = None, tags: Iterable[str] | str = (),
    metadata: dict[str, Any] | None = None,
) -> ArtifactVersion:
    """Store ``obj`` as a new version of ``name`` (``name:v1``, ``name:v2``...).

    Saving content identical to the latest version makes no new version. Inside a run the
    version is linked to it as an output. Pass a :class:`pathlib.Path` to store a file or
    a directory. ``tags``: one tag (a str) or several.
    """
    from .codecs import save_object
    from .store.refs import check_name

    check_name(name)  # before encoding: a rejected save leaves no object behind
    # Checked before encoding: a refused save stores nothing.
    tags = check_tags(tags)
    _check_metadata(metadata)
    active = tracking.active_run(required=False)
    version, _ = save_object(_store(), obj, name, kind=kind, tags=tags, metadata=metadata,
                             run_id=active.id if active else None)
    return version


def _check_metadata(metadata: Any) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, Mapping):
        raise InvalidValueError(f"metadata must be a dict, not {type(metadata).__name__}")
    try:  # as the catalog will encode it
        json.dumps(metadata, sort_keys=True, default=str)
    except Exception as exc:  # a value whose str() raises, keys of mixed types...
        raise InvalidValueError(f"metadata cannot be stored as JSON: {type(exc).__name__}: {exc}") from None


def load(ref: str, *, trust: bool = False) -> Any:
    """Load a stored version: ``name``, ``name:v3``, ``name:latest``, ``name:<alias>`` or an id prefix.

    Inside a run the version is recorded as an input. Pickles (and joblib models) are refused
    unless ``trust=True``: loading a pickle can run arbitrary code.
    """
    from .codecs import load_version

    store = _store()
    version = store.resolve(ref)
    obj = load_version(store, version, trust=trust)
    active = tracking.active_run(required=False)
    if active:
        store.record_event(active.id, version.id, "input")
    return obj


def export(ref: str, path: str | os.PathLike[str]) -> Path:
    """Copy a version's content to ``path`` (a file name, or an existing folder)."""
    from .codecs import export_version

    store = _store()
    return export_version(store, store.resolve(ref), path)


def log_param(key: str, value: Any) -> None:
    """Record a parameter of the active run."""
    log_params({key: value})


def log_params(params: dict[str, Any]) -> None:
    """Record several parameters of the active run."""
    tracking.active_run().log_params(params)  # type: ignore[union-attr]


def log_metric(key: str, value: float, step: int | None = None) -> None:
    """Record a metric point of the active run; buffered, so call it every step.

    ``key``: a non-empty str; ``value``: a real number (NaN and infinities are kept; a bool
    is refused); ``step``: an int in the 64-bit range, or None for the key's next step. A
    bad one raises ``InvalidValueError`` at once and the run's other points are unaffected.
    """
    stack = tracking._stack
    if stack:
        stack[-1].log_metric(key, value, step)
    else:
        tracking.active_run()  # raises the clear "no active run" error


def log_metrics(metrics: dict[str, float], step: int | None = None) -> None:
    """Record several metrics at one step."""
    active = tracking.active_run()
    if not isinstance(metrics, Mapping):
        raise InvalidValueError(f"metrics must be a dict, not {type(metrics).__name__}")
    for key, value in metrics.items():
        active.log_metric(key, value, step)  # type: ignore[union-attr]


@contextlib.contextmanager
def run(
    name: str | None = None, *, tags: Iterable[str] | str = (), params: dict[str, Any] | None = None,
    store: Store | None = None,
) -> Iterator[tracking.ActiveRun]:
    """One run around a block of a script: status, timing, environment, params and metrics.

    An exception marks the run failed (``KeyboardInterrupt``: interrupted) and propagates.
    While the block runs, the run records this process as its writer and a heartbeat, so
    if the process is killed readers report the run as ``dead`` instead of ``running``.
    """
    store = store or tracking.default_store()
    script = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else None
    active = tracking.start_run(
        name or script or "run", store=store, tags=tags, params=params,
        environment_id=tracking.environment_id(store),
    )
    try:
        yield active
    except BaseException as exc:
        tracking.end_run(active, exc)
        raise
    tracking.end_run(active)


def alias(ref: str, name: str) -> ArtifactVersion:
    """Point ``<artifact>:<name>`` (e.g. ``production``) at the version ``ref`` names."""
    return _store().set_alias(ref, name)


def remove_alias(ref: str) -> ArtifactVersion:
    """Remove the alias ``name:<alias>`` (``"model:production"``); returns the version it named."""
    return _store().remove_alias(ref)


def runs(
    filter: str | None = None, *, order_by: str | Sequence[str] = "started_at",
    descending: bool = True, limit: int | None = 1000, offset: int = 0,
    name: str | None = None, tag: str | None = None, status: str | None = None,
    notebook: str | None = None,
) -> pd.DataFrame:
    """Runs as a DataFrame with ``params.*`` and ``metrics.*`` columns, filtered and sorted.

    ``status`` is ``running``, ``ok``, ``failed``, ``interrupted``, or ``dead``: a run still
    marked running whose process is gone (see :mod:`jupyter_artifacts.store.liveness`).

    ``filter`` is MLflow's search syntax plus ``or`` and parentheses:
    ``"metrics.accuracy > 0.9 and params.model = 'rf' and tags.baseline = 'true'"``.
    ``order_by`` is a list such as ``["metrics.accuracy DESC", "params.lr"]`` (or one key,
    sorted by ``descending``). When more runs match than ``limit``, a warning says how many;
    ``limit=None`` returns them all.
    """
    import pandas as pd

    from .store.filters import combine, simple_filter

    table = _store().run_table(combine(simple_filter(name, tag, status, notebook), filter),
                               order_by=order_by,
                               descending=descending, limit=limit, offset=offset)
    columns = table.columns
    started = pd.Series(columns["started_at"], dtype="float64")
    ended = pd.Series(columns["ended_at"], dtype="float64")
    frame = pd.DataFrame({
        "run": [f"run-{n}" for n in columns["number"]], "id": columns["id"],
        "name": columns["name"], "status": columns["status"],
        "started_at": pd.to_datetime(started, unit="s"), "duration": ended - started,
        "tags": columns["tags"], "notebook": columns["notebook_path"],
    })
    keyed = {k: v for k, v in columns.items() if k.startswith(("params.", "metrics."))}
    if keyed:
        frame = pd.concat([frame, pd.DataFrame(keyed)], axis=1)
    total = table.total
    shown = len(frame)
    if offset + shown < total:
        warnings.warn(f"ja.runs returned {shown} of {total} matching runs (limit={limit}); "
                      "pass limit=None for all, or offset= for the next page",
                      TruncatedResultWarning, stacklevel=2)
    return frame


def artifacts(filter: str | None = None, *, kind: str | None = None, search: str | None = None,
              limit: int | None = 1000) -> pd.DataFrame:
    """Artifact names with their kind, latest version, version count and aliases.

    With ``filter``, one row per matching *version* instead:
    ``ja.artifacts("kind = 'model' and run.metrics.accuracy > 0.9")`` (see
    :mod:`jupyter_artifacts.store.query` for the fields).
    """
    import pandas as pd

    if filter is None:
        rows = _store().list_artifacts(kind=kind, search=search)
        frame = pd.DataFrame(rows, columns=["name", "kind", "latest", "versions", "aliases",
                                            "created_at", "updated_at"])
        for col in ("created_at", "updated_at"):
            frame[col] = pd.to_datetime(frame[col], unit="s")
        return frame
    found, total = _store().search_versions(filter, limit=limit)
    frame = pd.DataFrame(
        [{"ref": v.ref, "name": v.name, "version": v.version, "kind": v.kind, "size": v.size,
          "aliases": v.aliases, "tags": v.tags, "run_id": v.run_id,
          "created_at": v.created_at} for v in found],
        columns=["ref", "name", "version", "kind", "size", "aliases", "tags", "run_id",
                 "created_at"])
    frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s")
    if len(frame) < total:
        warnings.warn(f"ja.artifacts returned {len(frame)} of {total} matching versions "
                      f"(limit={limit}); pass limit=None for all", TruncatedResultWarning,
                      stacklevel=2)
    return frame


def keys() -> dict[str, list[str]]:
    """The metric, param and tag keys the store's runs have (for writing filters)."""
    return _store().keys()


def versions(name: str) -> list[ArtifactVersion]:
    """Every version of an artifact, oldest first."""
    return _store().versions(name)


def get_run(ref: str) -> Any:
    """One run's record (``run-17``, an id prefix or a run name); ``status`` is ``dead``
    for a run whose writing process is gone."""
    return _store().get_run(ref)


def push(remote: str | None = None, *, all: bool = False) -> Any:
    """Send to a team store (a remote's name, or a store path) the finished runs and the
    versions it lacks; ``all`` also sends runs still running. Re-running moves nothing.
    Returns a report (``print(*report.summary(), sep="\\n")``)."""
    return _store().push(remote, everything=all)


def pull(remote: str | None = None, *, lazy: bool = False, all: bool = False) -> Any:
    """Take from a team store what this store lacks; ``lazy``: the catalog now, each object
    from the remote on its first load. The report says who (user@host) made what."""
    return _store().pull(remote, lazy=lazy, everything=all)


def restore(
    ref: str, inputs: bool = True, outputs: bool = True, only: Iterable[str] | str | None = None,
    *, name: str | None = None, namespace: dict[str, Any] | None = None, trust: bool = False,
) -> Any:
    """Bind the variables run ``ref`` read (``inputs``) and produced (``outputs``) at their
    recorded versions; or one version (``"model:v3"``) as ``name``.

    The namespace is the notebook's (the IPython user namespace), else the caller's globals.
    ``only``: just these names. Returns a report of the names bound and, with the reason,
    those that cannot be (values never stored: an open file, a large intermediate kept for
    lineage only).
    """
    from .reproduce.restore import restore as _restore

    if namespace is None:  # an empty user namespace (just restarted) is still the one
        namespace = _user_namespace()
        if namespace is None:
            namespace = sys._getframe(1).f_globals
    return _restore(_store(), ref, namespace, inputs=inputs, outputs=outputs, only=only,
                    name=name, trust=trust)


def _user_namespace() -> dict[str, Any] | None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell.user_ns if shell is not None else None
