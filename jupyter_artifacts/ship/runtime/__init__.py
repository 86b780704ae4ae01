"""The model bundle's own code: load the model and predict, with no jupyter-artifacts installed.

`jupyter-artifacts bundle` copies this package into a bundle as ``ja_model/``; it needs only
what the bundle's ``requirements.txt`` installs. MLflow's python_function flavor loads it
through :func:`_load_pyfunc` (the ``loader_module`` of the bundle's ``MLmodel``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: The bundle folder this copy of the package lives in.
BUNDLE_DIR = Path(__file__).resolve().parent.parent
META_FILE = "bundle.json"


def read_meta(root: str | Path = BUNDLE_DIR) -> dict[str, Any]:
    """The bundle's description: model file, format, trusted types, input schema."""
    return dict(json.loads((Path(root) / META_FILE).read_text()))


def load_model(root: str | Path = BUNDLE_DIR) -> Any:
    """The bundled model object (a scikit-learn estimator), checked before it is rebuilt."""
    meta = read_meta(root)
    path = Path(root) / meta["model_path"]
    if meta["format"] != "skops":
        raise RuntimeError(f"this bundle's model format {meta['format']!r} has no loader here")
    import skops.io as sio

    # The types were reviewed when the bundle was made; a file naming others was changed since.
    untrusted = sio.get_untrusted_types(file=path)
    unexpected = sorted(set(untrusted) - set(meta.get("trusted_types", [])))
    if unexpected:
        raise RuntimeError(f"{path} names types the bundle did not record: {', '.join(unexpected)}")
    return sio.load(path, trusted=untrusted or None)


class BundledModel:
    """The model with its input schema: ``predict`` takes a DataFrame, dict or array."""

    def __init__(self, root: str | Path = BUNDLE_DIR) -> None:
        self.root = Path(root)
        self.meta = read_meta(root)
        self.model = load_model(root)

    def frame(self, model_input: Any) -> Any:
        """``model_input`` as the DataFrame the model was trained on: schema columns, dtypes."""
        import pandas as pd

        columns = [c["name"] for c in self.meta["schema"]]
        if isinstance(model_input, pd.DataFrame):
            frame = model_input
        elif isinstance(model_input, dict):
            frame = pd.DataFrame(model_input)
        else:
            frame = pd.DataFrame(model_input, columns=columns)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"input lacks the columns {missing}; the model needs {columns}")
        dtypes = {c["name"]: c["dtype"] for c in self.meta["schema"]}
        return frame[columns].astype(dtypes)

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        """Predictions for each row of ``model_input`` (``params``: accepted for MLflow)."""
        frame = self.frame(model_input)
        features = frame if self.meta.get("feature_names") else frame.to_numpy()
        return self.model.predict(features)


def predict_csv(path: str | Path, root: str | Path = BUNDLE_DIR) -> Any:
    """Predictions for the rows of a CSV file whose header names the schema's columns."""
    import pandas as pd

    return BundledModel(root).predict(pd.read_csv(path))


def _load_pyfunc(data_path: str) -> BundledModel:
    """MLflow's entry point for the python_function flavor (``mlflow.pyfunc.load_model``)."""
    return BundledModel(data_path)
