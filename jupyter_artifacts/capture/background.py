"""Serialising fitted scikit-learn models off the cell's critical path.

skops walks every object of a model in Python (about 130 ms for a 100-tree forest), which
would dominate a small training cell. The tracked cell ends at once; a worker thread
stores a snapshot of the model, and anything that needs the result waits for it.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

from ..codecs.background import (
    collecting,
    flush_at_exit,
    hold,
    pending,
    release,
    release_soon,
    submit,
    track,
    wait_pending,
)
from ..codecs.base import mro_names

__all__ = ["can_defer", "collecting", "flush_at_exit", "hold", "pending", "release", "release_soon",
           "snapshot", "submit", "track", "wait_pending"]


_STATSMODELS_RESULTS = frozenset({"statsmodels.base.wrapper.ResultsWrapper",
                                  "statsmodels.base.model.Results"})


def can_defer(value: Any) -> bool:
    """scikit-learn estimators: refitting replaces their fitted attributes, so a shallow
    snapshot stays true to the moment the cell ended (unlike torch tensors, which optimisers
    update in place). statsmodels results: a fit makes a new results object, never changes
    one (formatting its ``summary()`` alone costs tens of ms: the helper does it)."""
    base = sys.modules.get("sklearn.base")
    if base is not None and isinstance(value, base.BaseEstimator):
        return True
    return "statsmodels" in sys.modules and not _STATSMODELS_RESULTS.isdisjoint(mro_names(value))


def _copy_containers(value: Any, deep_estimators: bool) -> Any:
    if isinstance(value, list):
        return [_copy_containers(v, deep_estimators) for v in value]
    if isinstance(value, tuple):
        return tuple(_copy_containers(v, deep_estimators) for v in value)
    if isinstance(value, dict):
        return {k: _copy_containers(v, deep_estimators) for k, v in value.items()}
    if deep_estimators and can_defer(value):
        return snapshot(value)
    return value


def snapshot(value: Any) -> Any:
    """A copy of an estimator that later cells cannot change.

    Fitted attributes (``coef_``, ``estimators_``) are replaced, not mutated, when a model
    is refitted, so sharing them is safe once their containers are copied (``warm_start``
    appends to ``estimators_``). Estimators given as parameters (a Pipeline's ``steps``)
    are refitted in place, so they are snapshotted too.
    """
    clone = copy.copy(value)
    for key, attr in vars(value).items():
        fitted = key.endswith("_")
        if isinstance(attr, list | tuple | dict):
            setattr(clone, key, _copy_containers(attr, deep_estimators=not fitted))
        elif not fitted and can_defer(attr):
            setattr(clone, key, snapshot(attr))
    return clone
