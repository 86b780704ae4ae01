"""The serving files of a bundle: MLflow's ``MLmodel``, environments, and a Dockerfile."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import yaml

from .requirements import Requirements

#: The bundle's code package (a copy of :mod:`jupyter_artifacts.ship.runtime`).
MODULE = "ja_model"

#: pandas dtypes as MLflow's column types name them (a signature MLflow can enforce).
_MLFLOW_TYPES = {"float64": "double", "float32": "float", "int64": "long", "int32": "integer",
                 "bool": "boolean", "object": "string", "string": "string", "str": "string"}


def mlflow_signature(schema: list[dict[str, str]]) -> dict[str, Any] | None:
    """An MLflow signature for the input columns; None when a dtype has no MLflow type."""
    columns = []
    for column in schema:
        kind = _MLFLOW_TYPES.get(column["dtype"])
        if kind is None:
            return None  # an unenforceable signature is worse than none
        columns.append({"type": kind, "name": column["name"], "required": True})
    return {"inputs": json.dumps(columns), "outputs": None, "params": None}


def mlmodel(reqs: Requirements, schema: list[dict[str, str]], has_example: bool,
            metadata: dict[str, Any]) -> str:
    """An ``MLmodel`` file whose python_function flavor loads the bundle's own code."""
    doc: dict[str, Any] = {
        "flavors": {"python_function": {
            "loader_module": MODULE,
            "code": ".",  # MLflow puts the bundle folder on sys.path: ja_model/ is there
            "env": {"conda": "environment.yml", "virtualenv": "python_env.yaml"},
            "python_version": reqs.python,
        }},
        "model_uuid": uuid.uuid4().hex,
        "utc_time_created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "metadata": metadata,
    }
    if (signature := mlflow_signature(schema)) is not None:
        doc["signature"] = signature
    if has_example:
        doc["saved_input_example_info"] = {"artifact_path": "input_example.json",
                                           "type": "dataframe", "pandas_orient": "split"}
    return yaml.safe_dump(doc, sort_keys=False)


def python_env(reqs: Requirements) -> str:
    """MLflow's virtualenv description (``mlflow models serve --env-manager virtualenv``)."""
    return yaml.safe_dump({"python": reqs.python, "build_dependencies": ["pip"],
                           "dependencies": ["-r requirements.txt"]}, sort_keys=False)


def environment_yml(reqs: Requirements, name: str) -> str:
    """A conda environment with the recorded Python and the pinned pip packages."""
    return yaml.safe_dump({"name": name, "channels": ["conda-forge"],
                           "dependencies": [f"python={reqs.python}", "pip",
                                            {"pip": reqs.lines()}]}, sort_keys=False)


def dockerfile(reqs: Requirements) -> str:
    """A Dockerfile serving the model on port 8080 (``POST /invocations``, ``GET /ping``)."""
    return (
        f"FROM python:{reqs.python_minor}-slim\n"
        "WORKDIR /bundle\n"
        "COPY requirements.txt .\n"
        "RUN pip install --no-cache-dir -r requirements.txt\n"
        "COPY . .\n"
        "EXPOSE 8080\n"
        f'CMD ["python", "-m", "{MODULE}", "serve", "--host", "0.0.0.0", "--port", "8080"]\n'
    )
