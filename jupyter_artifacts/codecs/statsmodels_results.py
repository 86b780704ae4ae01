"""Fitted statsmodels results: a safe table of coefficients and statistics, plus an optional pickle.

A results object holds its model, data and closures; only pickle rebuilds it, and a pickle
from a shared store can run code. So the primary object is a JSON document (coefficients
with standard errors, test statistics, p-values and confidence intervals; scalar fit
statistics such as ``nobs``, ``rsquared``, ``aic``; the summary as text and HTML), and
``ja.load`` returns it as a :class:`StoredResults`, which reads like the original
(``res.params["x"]``, ``res.pvalues``, ``res.conf_int()``, ``res.summary()``, ``res.aic``).
The full results object is kept as a secondary pickle and returned only with ``trust=True``.
"""

from __future__ import annotations

import contextlib
import json
import pickle
from typing import TYPE_CHECKING, Any

from ..errors import UntrustedPickleError
from .base import Codec, Encoded, Progress, json_safe, mro_names, type_name

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Store

JSON = "application/json"
#: Scalar fit statistics recorded when the results object has them.
STATS = (
    "nobs", "df_model", "df_resid", "rsquared", "rsquared_adj", "prsquared", "fvalue", "f_pvalue",
    "llf", "llnull", "aic", "bic", "hqic", "scale", "deviance", "pearson_chi2", "mse_resid",
)
_COLUMNS = ("coef", "std_err", "statistic", "p_value", "ci_low", "ci_high")


def _names(results: Any, values: Any) -> list[str]:
    if hasattr(values, "index"):
        return [str(i) for i in values.index]
    model = getattr(results, "model", None)
    for attr in ("param_names", "exog_names"):
        names = getattr(model, attr, None)
        if names is not None and len(names) == len(values):
            return [str(n) for n in names]
    return [f"p{i}" for i in range(len(values))]


def _flat(values: Any) -> list[Any]:
    import numpy as np

    return np.asarray(values, dtype=float).reshape(-1).tolist()


def coefficients(results: Any) -> dict[str, Any]:
    """The coefficient table as ``{"index": [...], "columns": [...], "data": [[...], ...]}``."""
    import numpy as np

    params = results.params
    names = _names(results, params)
    if np.ndim(params) == 2:  # multi-equation models (MNLogit): one row per (parameter, equation)
        cols = [str(c) for c in getattr(params, "columns", range(np.shape(params)[1]))]
        names = [f"{n}:{c}" for n in names for c in cols]
    n = len(names)
    columns: dict[str, list[Any]] = {"coef": _flat(params)}
    for column, attr in (("std_err", "bse"), ("statistic", "tvalues"), ("p_value", "pvalues")):
        with contextlib.suppress(Exception):  # regularised fits have no standard errors
            columns[column] = _flat(getattr(results, attr))
    with contextlib.suppress(Exception):
        ci = np.asarray(results.conf_int(), dtype=float).reshape(n, 2)
        columns["ci_low"], columns["ci_high"] = ci[:, 0].tolist(), ci[:, 1].tolist()
    kept = [c for c in _COLUMNS if len(columns.get(c, ())) == n]
    return {"index": names, "columns": kept, "data": [[columns[c][i] for c in kept] for i in range(n)]}


def describe(results: Any) -> dict[str, Any]:
    """The stored document of a results object (no pickle in it)."""
    model = getattr(results, "model", None)
    stats: dict[str, Any] = {}
    for attr in STATS:
        with contextlib.suppress(Exception):  # some statistics are lazily computed and may fail
            value = getattr(results, attr)
            if value is not None and not callable(value):
                stats[attr] = json_safe(value)
    doc: dict[str, Any] = {
        "class": type_name(results), "model_class": type_name(model) if model is not None else None,
        "formula": getattr(model, "formula", None), "endog": json_safe(getattr(model, "endog_names", None)),
        "coefficients": coefficients(results), "stats": stats, "summary_text": "", "summary_html": "",
    }
    with contextlib.suppress(Exception):
        summary = results.summary()
        doc["summary_text"], doc["summary_html"] = summary.as_text(), summary.as_html()
    return doc


class StatsmodelsCodec(Codec):
    """Fitted statsmodels results -> a JSON document (safe), and a pickle for ``trust=True``."""

    name = "statsmodels.results"
    kind = "model"
    module = "statsmodels"

    def matches(self, obj: Any) -> bool:
        names = mro_names(obj)
        return "statsmodels.base.wrapper.ResultsWrapper" in names or \
            "statsmodels.base.model.Results" in names

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        doc = describe(obj)
        oid, size, _ = store.objects.put_bytes(json.dumps(doc, sort_keys=True).encode())
        metadata: dict[str, Any] = {"python_type": doc["class"]}
        try:
            pickled = pickle.dumps(obj, protocol=5)
        except Exception:  # the safe document is still stored
            pass
        else:
            metadata["objects"] = {"pickle": store.objects.put_bytes(pickled)[0]}
        table = doc["coefficients"]
        coef = {name: row[0] for name, row in zip(table["index"], table["data"], strict=True)}
        summary = {
            "type": "statsmodels results", "class": doc["model_class"] or doc["class"],
            "formula": doc["formula"], "params": json_safe(coef), "stats": doc["stats"],
            "preview": doc["summary_text"][:5000], "size": size,
        }
        return Encoded(oid, size, self.kind, JSON, summary, metadata)

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        if not trust:
            return StoredResults(json.loads(store.objects.read_bytes(version.oid)))
        pickled = version.metadata.get("objects", {}).get("pickle")
        if pickled is None:
            raise UntrustedPickleError(f"{version.ref}: the full results object could not be pickled "
                                       "when saved; load without trust=True for its tables")
        return pickle.loads(store.objects.read_bytes(pickled))


class SummaryText:
    """A stored ``summary()``: prints as text, renders as HTML in a notebook."""

    def __init__(self, text: str, html: str) -> None:
        self.text, self.html = text, html

    def as_text(self) -> str:
        return self.text

    def as_html(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return self.html


class StoredResults:
    """A loaded statsmodels fit: its tables and statistics, read like the results object.

    ``params``, ``bse``, ``tvalues``, ``pvalues`` are Series; ``conf_int()`` a DataFrame;
    ``coefficients`` the whole table; fit statistics (``nobs``, ``aic``...) are attributes
    and in ``stats``. Prediction needs the full object: ``ja.load(ref, trust=True)``.
    """

    def __init__(self, doc: dict[str, Any]) -> None:
        import pandas as pd

        table = doc["coefficients"]
        self.coefficients = pd.DataFrame(table["data"], index=table["index"], columns=table["columns"])
        self.stats: dict[str, Any] = doc["stats"]
        self.model_class: str | None = doc["model_class"]
        self.formula: str | None = doc["formula"]
        self._summary = SummaryText(doc["summary_text"], doc["summary_html"])

    def _column(self, name: str) -> Any:
        if name not in self.coefficients:
            raise AttributeError(f"this fit has no {name} column")
        return self.coefficients[name].rename(None)

    params = property(lambda self: self._column("coef"), doc="Coefficients (a Series).")
    bse = property(lambda self: self._column("std_err"), doc="Standard errors.")
    tvalues = property(lambda self: self._column("statistic"), doc="t or z statistics.")
    pvalues = property(lambda self: self._column("p_value"), doc="p-values.")

    def conf_int(self) -> Any:
        return self.coefficients[["ci_low", "ci_high"]].set_axis([0, 1], axis=1)

    def summary(self) -> SummaryText:
        return self._summary

    def __getattr__(self, name: str) -> Any:
        stats = self.__dict__.get("stats", {})
        if name in stats:
            return stats[name]
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"<stored {self.model_class} results: {len(self.coefficients)} parameters>"

    def _repr_html_(self) -> str:
        return self._summary.html
