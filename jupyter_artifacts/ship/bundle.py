"""``jupyter-artifacts bundle REF -o DIR``: a folder a serving system takes as it is.

It holds the model in its safe format (skops), an ONNX copy when it converts and agrees with
the model, pinned ``requirements.txt``/``environment.yml``, an input example and schema from
the training data the lineage records, a model card, an MLflow ``MLmodel`` (python_function
flavor), a Dockerfile, and the ``ja_model`` package (``python -m ja_model input.csv``).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError
from . import ShipError
from .card import CardFacts, model_card
from .deploy_files import MODULE, dockerfile, environment_yml, mlmodel, python_env
from .onnx_copy import OnnxResult, onnx_copy
from .requirements import BASE_SKLEARN, distributions_for, pin, skops_modules
from .training import model_features, training_data

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Run, Store

RUNTIME = Path(__file__).resolve().parent / "runtime"


@dataclass
class BundleReport:
    """What was written where, and what was left out and why."""

    path: Path
    ref: str
    files: list[str]
    onnx: str
    requirements: list[str]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


def model_version(store: Store, ref: str) -> ArtifactVersion:
    """The model ``ref`` names: a version (``model:v3``), or a run with one model output."""
    try:
        version = store.resolve(ref)
    except NotFoundError:
        try:
            run_id = store.resolve_run_id(ref)
        except NotFoundError:
            raise NotFoundError(f"no model version or run matches {ref!r}") from None
        models = [v for kind, v in store.run_events(run_id) if kind == "output" and v.kind == "model"]
        if len(models) != 1:
            raise ShipError(f"{ref} made {len(models)} models; name one as NAME:vN") from None
        version = models[0]
    if version.kind != "model":
        raise ShipError(f"{version.ref} is a {version.kind}, not a model")
    if version.codec != "sklearn" or version.metadata.get("format") != "skops":
        raise ShipError(f"{version.ref} is not a scikit-learn model stored with skops: "
                        "bundles hold scikit-learn models for now")
    return version


def _prepare(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ShipError(f"{dest} exists and is not an empty folder")
    dest.mkdir(parents=True, exist_ok=True)


def _figures(store: Store, run: Run | None, dest: Path) -> list[tuple[str, str]]:
    from ..codecs import export_version

    if run is None:
        return []
    folder = dest / "figures"
    shown = []
    for kind, version in store.run_events(run.id):
        if kind == "output" and version.kind == "figure" and version.media_type == "image/png":
            folder.mkdir(exist_ok=True)
            path = export_version(store, version, folder / f"{version.name.replace('/', '_')}.png")
            shown.append((version.ref, path.relative_to(dest).as_posix()))
    return shown


def _trusted_types(data: bytes) -> list[str]:
    import skops.io as sio

    return sorted(sio.get_untrusted_types(data=data))


def bundle(store: Store, ref: str, dest: str | os.PathLike[str], *, onnx: bool = True) -> BundleReport:
    """Write the deployment bundle of the model ``ref`` names into the new folder ``dest``."""
    from ..codecs import load_version

    version = model_version(store, ref)
    # Loaded through the store's skops policy even when only its bytes are copied: the types
    # it names are checked, and tree indices too, before the bundle vouches for them.
    model = load_version(store, version)
    run = store.get_run(version.run_id) if version.run_id else None
    target = Path(dest)
    _prepare(target)
    try:
        return _write(store, version, model, run, target, onnx)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # no half-written bundle to deploy by mistake
        raise


def _write(store: Store, version: ArtifactVersion, model: Any, run: Run | None, dest: Path,
           onnx: bool) -> BundleReport:
    model_file = dest / "model" / "model.skops"
    model_file.parent.mkdir()
    store.objects.copy_to(version.oid, model_file)
    os.chmod(model_file, 0o644)
    data = model_file.read_bytes()
    training = training_data(store, version, *model_features(version, model))
    recorded = store.environment(run.environment_id) if run and run.environment_id else None
    reqs = pin(set(BASE_SKLEARN) | distributions_for(skops_modules(data)), recorded)
    notes = [n for n in (training.note,) if n]
    if reqs.unrecorded:
        notes.append(f"pinned to this environment (the run did not record them): "
                     f"{', '.join(reqs.unrecorded)}")
    onnx_result = (onnx_copy(model, training.check_rows(), dest / "model" / "model.onnx")
                   if onnx else OnnxResult(None, "no ONNX copy: not asked for"))
    meta = {"format": "skops", "model_path": "model/model.skops", "trusted_types": _trusted_types(data),
            "schema": training.schema, "feature_names": training.feature_names,
            "onnx_path": "model/model.onnx" if onnx_result.path else None, "onnx_check": onnx_result.note,
            "source": {"ref": version.ref, "version_id": version.id, "oid": version.oid,
                       "run_id": run.id if run else None, "run": run.ref if run else None,
                       "training_data": training.source.ref if training.source else None}}
    (dest / "bundle.json").write_text(json.dumps(meta, indent=2) + "\n")
    example = training.example()
    if example is not None:
        example.to_csv(dest / "input_example.csv", index=False)
        (dest / "input_example.json").write_text(example.to_json(orient="split", index=False))
    (dest / "requirements.txt").write_text("\n".join(reqs.lines()) + "\n")
    (dest / "environment.yml").write_text(environment_yml(reqs, f"{version.name}-bundle"))
    (dest / "python_env.yaml").write_text(python_env(reqs))
    (dest / "MLmodel").write_text(mlmodel(reqs, training.schema, example is not None,
                                          {"jupyter_artifacts": meta["source"]}))
    (dest / "Dockerfile").write_text(dockerfile(reqs))
    shutil.copytree(RUNTIME, dest / MODULE, ignore=shutil.ignore_patterns("__pycache__"))
    figures = _figures(store, run, dest)
    files = sorted([*(p.relative_to(dest).as_posix() for p in dest.rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts), "README.md"])
    facts = CardFacts(files, onnx_result.note, figures, reqs.unrecorded)
    (dest / "README.md").write_text(model_card(store, version, run, training, facts))
    return BundleReport(dest, version.ref, files, onnx_result.note, reqs.lines(), notes)

