"""The data a model was trained on, found through lineage: its schema, an example, check rows."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ArtifactsError

if TYPE_CHECKING:
    import pandas as pd

    from ..store import ArtifactVersion, Store

#: Rows of the training data the ONNX copy is checked on (a seeded sample).
CHECK_ROWS = 200
EXAMPLE_ROWS = 5


@dataclass
class TrainingData:
    """The model's input as its training data shows it.

    ``frame`` holds the model's feature columns only (None when the data was recorded for
    lineage only); ``schema`` lists ``{"name", "dtype"}`` per column; ``feature_names`` says
    whether the model was fitted on named columns (a DataFrame) or a bare array.
    """

    schema: list[dict[str, str]]
    feature_names: bool
    frame: pd.DataFrame | None = None
    source: ArtifactVersion | None = None
    inputs: list[ArtifactVersion] = field(default_factory=list)
    note: str | None = None

    def example(self) -> pd.DataFrame | None:
        return None if self.frame is None else self.frame.head(EXAMPLE_ROWS)

    def check_rows(self) -> pd.DataFrame | None:
        """A seeded sample of rows to compare predictions on (the same rows every time)."""
        if self.frame is None:
            return None
        n = min(CHECK_ROWS, len(self.frame))
        return self.frame.sample(n=n, random_state=0) if n < len(self.frame) else self.frame


def _as_frame(obj: Any, n_features: int | None, names: list[str] | None) -> pd.DataFrame | None:
    """``obj`` as a frame of exactly the model's features, or None when it is not its input."""
    import numpy as np
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        if names is not None:
            return obj[names] if all(n in obj.columns for n in names) else None
        if n_features is not None and obj.shape[1] == n_features:
            return pd.DataFrame(obj.to_numpy(), columns=[f"x{i}" for i in range(n_features)])
        return None
    if isinstance(obj, np.ndarray) and obj.ndim == 2 and names is None \
            and n_features is not None and obj.shape[1] == n_features:
        return pd.DataFrame(obj, columns=[f"x{i}" for i in range(n_features)])
    return None


def _schema_of(frame: pd.DataFrame) -> list[dict[str, str]]:
    return [{"name": str(c), "dtype": str(t)} for c, t in frame.dtypes.items()]


def _summary_schema(version: ArtifactVersion, names: list[str] | None) -> list[dict[str, str]] | None:
    """The schema from a lineage-only dataset's summary, when it names the model's columns."""
    dtypes = version.summary.get("dtypes")
    if not isinstance(dtypes, dict) or names is None or not all(n in dtypes for n in names):
        return None
    return [{"name": n, "dtype": str(dtypes[n])} for n in names]


def model_features(model_version: ArtifactVersion, model: Any = None) -> tuple[list[str] | None, int | None]:
    """The column names the model was fitted on (None: a bare array) and their number, from
    the loaded ``model`` or else the version's summary (which the codec took from it)."""
    if model is not None:
        raw = getattr(model, "feature_names_in_", None)
        return ([str(n) for n in raw] if raw is not None else None), getattr(model, "n_features_in_", None)
    names, n = model_version.summary.get("feature_names_in"), model_version.summary.get("n_features_in")
    return ([str(x) for x in names] if isinstance(names, list) else None), (n if isinstance(n, int) else None)


def training_data(store: Store, model_version: ArtifactVersion, names: list[str] | None,
                  n_features: int | None) -> TrainingData:
    """Find, among the inputs of the run that made ``model_version``, the data it was fitted on
    (``names``/``n_features``: the model's, see :func:`model_features`)."""
    from ..codecs import load_version

    fallback = TrainingData(
        schema=[{"name": n, "dtype": "float64"} for n in names] if names is not None else
        [{"name": f"x{i}", "dtype": "float64"} for i in range(n_features or 0)],
        feature_names=names is not None)
    if model_version.run_id is None:
        fallback.note = "the model was saved outside a run: no lineage names its training data"
        return fallback
    inputs = [v for kind, v in store.run_events(model_version.run_id)
              if kind == "input" and v.kind in ("dataset", "features")]
    fallback.inputs = inputs
    # The training set first: a run that also scores a test set reads both.
    for version in sorted(inputs, key=lambda v: ("train" not in v.name.lower(), -v.size)):
        obj = None
        with contextlib.suppress(ArtifactsError):  # lineage-only or unreadable: try the next
            obj = load_version(store, version)
        frame = _as_frame(obj, n_features, names) if obj is not None else None
        if frame is not None:
            return TrainingData(_schema_of(frame), names is not None, frame, version, inputs)
        if obj is None and (schema := _summary_schema(version, names)):
            return TrainingData(schema, True, None, version, inputs,
                                f"{version.ref} was recorded for lineage only: no example rows")
    fallback.note = "no input of the run that made it matches the model's features"
    return fallback
