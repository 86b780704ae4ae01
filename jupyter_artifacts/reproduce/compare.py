"""Comparing what a replay made with what was recorded: exact, within tolerance, or differs.

Content ids decide first (equal bytes: reproduced exactly). Otherwise the values are loaded
and compared by what they are: numbers, arrays, DataFrames and fitted models within a
relative tolerance, figures by the fraction of pixels that differ.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import Any

from ..codecs.base import mro_names
from ..errors import ArtifactsError
from ..store import ArtifactVersion, Store

EXACT, CLOSE, DIFFERS = "exact", "within tolerance", "differs"
_RANK = {EXACT: 0, CLOSE: 1, DIFFERS: 2}


def worst(*statuses: str) -> str:
    return max(statuses, key=_RANK.__getitem__, default=EXACT)


@dataclass
class Outcome:
    """How one recorded value compares with its replayed counterpart."""

    name: str
    status: str
    detail: str = ""

    def line(self) -> str:
        return f"{self.name}: {self.status}" + (f" ({self.detail})" if self.detail else "")


def _numeric(a: Any, b: Any, rtol: float) -> tuple[str, str]:
    import numpy as np

    x, y = np.asarray(a), np.asarray(b)
    if x.shape != y.shape:
        return DIFFERS, f"shape {x.shape} -> {y.shape}"
    if x.dtype.kind not in "biufc" or y.dtype.kind not in "biufc":
        same = bool(np.array_equal(x, y))
        return (EXACT, "") if same else (DIFFERS, f"{int((x != y).sum())} of {x.size} values differ")
    if np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"):
        return EXACT, ""
    xf, yf = x.astype(float), y.astype(float)
    diff = np.abs(xf - yf)
    worst_abs = float(np.nanmax(diff)) if diff.size else 0.0
    scale = float(np.nanmax(np.abs(xf))) if xf.size else 0.0
    text = f"max difference {worst_abs:.3g} (relative {worst_abs / scale if scale else math.inf:.3g})"
    close = np.allclose(xf, yf, rtol=rtol, atol=rtol * max(scale, 1e-12), equal_nan=True)
    return (CLOSE, text) if close else (DIFFERS, f"{int((diff > rtol * max(scale, 1e-12)).sum())} "
                                                 f"of {x.size} values differ; {text}")


def _frames(a: Any, b: Any, rtol: float) -> tuple[str, str]:
    if list(a.columns) != list(b.columns):
        return DIFFERS, f"columns {list(a.columns)} -> {list(b.columns)}"
    if a.shape != b.shape:
        return DIFFERS, f"shape {a.shape} -> {b.shape}"
    if not a.index.equals(b.index):
        return DIFFERS, "the row index differs"
    status, details = EXACT, []
    for col in a.columns:
        got, why = values(a[col].to_numpy(), b[col].to_numpy(), rtol)
        if got != EXACT:
            details.append(f"column {col}: {why}")
        status = worst(status, got)
    return status, "; ".join(details[:5])


def _state(obj: Any) -> Any:
    """What a model's comparison looks at: a torch module's tensors, an estimator's attributes."""
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        return {k: v.detach().cpu().numpy() for k, v in obj.state_dict().items()}
    if hasattr(obj, "detach") and hasattr(obj, "numpy"):
        return obj.detach().cpu().numpy()
    if hasattr(obj, "get_params"):
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    return obj


def values(a: Any, b: Any, rtol: float, depth: int = 0) -> tuple[str, str]:
    """Compare two loaded values; ``(status, readable detail)``."""
    mro = mro_names(a)
    if type(a) is not type(b):
        return DIFFERS, f"type {type(a).__name__} -> {type(b).__name__}"
    if mro & {"pandas.core.frame.DataFrame", "pandas.DataFrame"}:
        return _frames(a, b, rtol)
    if mro & {"pandas.core.series.Series", "pandas.Series"}:
        return _frames(a.to_frame(), b.to_frame(), rtol)
    if isinstance(a, bool | str | bytes | type(None)):
        return (EXACT, "") if a == b else (DIFFERS, f"{a!r:.60} -> {b!r:.60}")
    if isinstance(a, int | float) or "numpy.ndarray" in mro or "numpy.generic" in mro:
        return _numeric(a, b, rtol)
    if depth > 12:
        return (EXACT, "") if a is b or _equal(a, b) else (DIFFERS, "nested values differ")
    sa, sb = _state(a), _state(b)
    if sa is not a or sb is not b:
        return values(sa, sb, rtol, depth + 1)
    if isinstance(a, dict):
        if set(a) != set(b):
            return DIFFERS, f"keys {sorted(map(str, set(a) ^ set(b)))[:5]} differ"
        return _items([(str(k), a[k], b[k]) for k in a], rtol, depth)
    if isinstance(a, list | tuple):
        if len(a) != len(b):
            return DIFFERS, f"length {len(a)} -> {len(b)}"
        return _items([(f"[{i}]", x, y) for i, (x, y) in enumerate(zip(a, b, strict=True))], rtol, depth)
    if _equal(a, b):
        return EXACT, ""
    state_a, state_b = _pickled_state(a), _pickled_state(b)
    if state_a is not None and state_b is not None:  # a compiled object (a tree): its state
        return values(state_a, state_b, rtol, depth + 1)
    return DIFFERS, f"{type(a).__name__} values differ"


def _pickled_state(obj: Any) -> Any:
    try:
        state = obj.__getstate__()
    except Exception:  # no state a pickle would use
        return None
    return state if isinstance(state, dict | tuple | list) else None


def _items(pairs: list[tuple[str, Any, Any]], rtol: float, depth: int) -> tuple[str, str]:
    status, details = EXACT, []
    for key, x, y in pairs:
        got, why = values(x, y, rtol, depth + 1)
        if got != EXACT:
            details.append(f"{key}: {why}" if why else key)
        status = worst(status, got)
    return status, "; ".join(details[:5])


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # an object whose == raises or is ambiguous
        return False


def figure_pixels(png_a: bytes, png_b: bytes, tolerance: float) -> tuple[str, str]:
    """Two PNGs: exact, within ``tolerance`` (fraction of pixels that differ), or differs."""
    import numpy as np
    from matplotlib import image

    a, b = image.imread(io.BytesIO(png_a)), image.imread(io.BytesIO(png_b))
    if a.shape != b.shape:
        return DIFFERS, f"image size {a.shape[1]}x{a.shape[0]} -> {b.shape[1]}x{b.shape[0]}"
    changed = float(np.any(np.abs(a.astype(float) - b.astype(float)) > 1 / 255, axis=-1).mean())
    if changed == 0:
        return EXACT, ""
    text = f"{changed:.2%} of pixels differ"
    return (CLOSE if changed <= tolerance else DIFFERS), text


def versions(recorded: tuple[Store, ArtifactVersion], replayed: tuple[Store, ArtifactVersion],
             rtol: float, pixel_tolerance: float) -> Outcome:
    """Compare a recorded version with the version the replay made of the same name."""
    (store_a, a), (store_b, b) = recorded, replayed
    if a.oid == b.oid:
        return Outcome(a.name, EXACT)
    if a.kind == "figure" or a.media_type == "image/png":
        status, detail = figure_pixels(store_a.objects.read_bytes(a.oid),
                                       store_b.objects.read_bytes(b.oid), pixel_tolerance)
        return Outcome(a.name, status, detail)
    from ..codecs import load_version

    try:
        status, detail = values(load_version(store_a, a), load_version(store_b, b), rtol)
    except (ArtifactsError, OSError, ValueError) as exc:
        return Outcome(a.name, DIFFERS, f"content differs; cannot compare further ({exc})")
    if status == EXACT:  # equal values, different bytes (a timestamp in the encoding)
        detail = "equal values, different bytes"
    return Outcome(a.name, status, detail)


def metrics(name: str, recorded: float, replayed: float | None, rtol: float) -> Outcome:
    if replayed is None:
        return Outcome(name, DIFFERS, "not computed by the replay")
    if recorded == replayed or (math.isnan(recorded) and math.isnan(replayed)):
        return Outcome(name, EXACT)
    close = math.isclose(recorded, replayed, rel_tol=rtol, abs_tol=rtol * 1e-6)
    return Outcome(name, CLOSE if close else DIFFERS, f"{recorded:.6g} -> {replayed:.6g}")


# -- unseeded randomness, read from the code ------------------------------------------------
_SEEDS = re.compile(r"\b(np\.random\.seed|numpy\.random\.seed|random\.seed|torch\.manual_seed|"
                    r"tf\.random\.set_seed|set_seed|seed_everything)\s*\(")
_NUMPY = re.compile(r"\b(?:np|numpy)\.random\.(rand|randn|randint|random|choice|shuffle|permutation|"
                    r"normal|uniform|binomial|poisson|exponential|beta|gamma)\s*\(")
_RNG = re.compile(r"\bdefault_rng\(\s*\)|\bRandomState\(\s*\)|\bGenerator\(\s*PCG64\(\s*\)\s*\)")
_PY = re.compile(r"(?<![\w.])random\.(random|randint|choice|choices|shuffle|sample|uniform|gauss)\s*\(")
_TORCH = re.compile(r"\btorch\.(rand|randn|randint|randperm|bernoulli|multinomial|normal)\s*\(|"
                    r"\bnn\.(Linear|Conv\dd|LSTM|GRU|Embedding)\s*\(|\bDataLoader\([^)]*shuffle\s*=\s*True")
_SKLEARN = re.compile(r"\b(RandomForest\w*|ExtraTrees\w*|GradientBoosting\w*|HistGradientBoosting\w*|"
                      r"MLP\w*|SGD\w*|KMeans|MiniBatchKMeans|train_test_split|ShuffleSplit|KFold|"
                      r"StratifiedKFold|DecisionTree\w*|TSNE|"
                      r"IsolationForest|BaggingClassifier|BaggingRegressor|AdaBoost\w*)\s*\(")


def _call_args(code: str, start: int) -> str:
    """The text of the call's arguments starting at ``start`` (just after its "(")."""
    depth, i = 1, start
    while i < len(code) and depth:
        depth += {"(": 1, ")": -1}.get(code[i], 0)
        i += 1
    return code[start:i]


def unseeded(code: str) -> list[str]:
    """Random steps in ``code`` with no seed fixed: a heuristic, from the text alone."""
    seeded = bool(_SEEDS.search(code))
    found = []
    if not seeded:
        found += [f"np.random.{m.group(1)}() with no np.random.seed()" for m in _NUMPY.finditer(code)]
        found += [f"random.{m.group(1)}() with no random.seed()" for m in _PY.finditer(code)]
        found += [f"{m.group(0).rstrip('( ')}() with no torch.manual_seed()" for m in _TORCH.finditer(code)]
    found += [f"{m.group(0).split('(')[0]}() with no seed" for m in _RNG.finditer(code)]
    for m in _SKLEARN.finditer(code):
        args = _call_args(code, m.end())
        if not re.search(r"\brandom_state\s*=\s*(?!None\b)", args):
            found.append(f"{m.group(1)}(...) with no random_state")
    return list(dict.fromkeys(found))
