"""Datasets: pandas DataFrames as Parquet (pyarrow), numpy arrays as ``.npy`` without pickle."""

from __future__ import annotations

import io
import json
import pickle
from typing import TYPE_CHECKING, Any

import blake3

from ..errors import UnsupportedObjectError
from .base import Codec, Encoded, Progress, json_safe, mro_names

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Store

PARQUET = "application/vnd.apache.parquet"
NPY = "application/x-npy"
PREVIEW_ROWS = 5
SUMMARY_SAMPLE = 1_000_000  # elements looked at for min/max/mean


def _frame_summary(df: Any) -> dict[str, Any]:
    head = df.head(PREVIEW_ROWS)
    return {
        "type": "DataFrame",
        "shape": list(df.shape),
        "columns": [str(c) for c in df.columns[:100]],
        "dtypes": {str(c): str(t) for c, t in list(df.dtypes.items())[:100]},
        "head": json_safe(head.astype(object).where(head.notna(), None).values.tolist()),
        "index": str(df.index.name) if df.index.name is not None else None,
        "memory_bytes": int(df.memory_usage(deep=False).sum()),
    }


class DataFrameCodec(Codec):
    """pandas DataFrame (or Series) -> Parquet through pyarrow, streamed while hashed."""

    name = "pandas.parquet"
    kind = "dataset"
    module = "pandas"

    def matches(self, obj: Any) -> bool:
        names = mro_names(obj)
        return "pandas.DataFrame" in names or "pandas.Series" in names or any(
            n.startswith("pandas.core.frame.DataFrame") or n.startswith("pandas.core.series.Series")
            for n in names
        )

    def fingerprint(self, obj: Any) -> str | None:
        # Hash the columns' raw buffers: far cheaper than encoding Parquet, so an unchanged
        # frame is recognised without re-encoding it. Everything Parquet keeps must be in
        # it (column and index names with their types, full dtypes such as categories),
        # or a different frame would be answered with a stored object that is not its own.
        import pandas as pd

        df = obj.to_frame() if isinstance(obj, pd.Series) else obj
        hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
        layout = (type(obj).__name__, getattr(obj, "name", None), list(df.columns),
                  list(df.dtypes), list(df.index.names), df.index.dtype, df.shape)
        hasher.update(repr(layout).encode())
        for _, col in df.items():
            values = col.to_numpy()
            if values.dtype.kind in "biufcmM" and values.flags.c_contiguous:
                hasher.update(raw_bytes(values))
                continue
            try:
                hasher.update(pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes())
            except TypeError:  # unhashable cells (dicts, lists): hash their pickled bytes
                try:  # only hashed, never stored or loaded
                    hasher.update(pickle.dumps(values.tolist(), protocol=5))
                except Exception:
                    return None  # no cheap id: the frame is simply encoded
        if isinstance(df.index, pd.RangeIndex):  # the common case: no need to hash every label
            hasher.update(repr(df.index).encode())
        else:
            hasher.update(pd.util.hash_pandas_object(df.index).to_numpy().tobytes())
        return str(hasher.hexdigest())

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        df = obj.to_frame() if isinstance(obj, pd.Series) else obj
        df, columns = _encode_nested_columns(df)
        try:
            table = pa.Table.from_pandas(df, preserve_index=True)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise UnsupportedObjectError(f"cannot store this DataFrame as Parquet: {exc}") from exc
        with store.objects.writer(progress) as sink:
            # Row groups of ~64 MB keep memory flat and let the progress bar move. Dictionary
            # encoding only where values repeat (text, categories): on float columns pyarrow
            # tries it, gives up, and that attempt cost 2-3x the write. Snappy: on numbers
            # that barely compress it cost less than lz4 here (1.0 vs 0.7 GB/s).
            pq.write_table(table, sink, compression="snappy", row_group_size=_row_group(df),
                           use_dictionary=_dictionary_columns(table))
        assert sink.oid is not None
        return self.reuse(obj, sink.oid, store, columns)

    def reuse(self, obj: Any, oid: str, store: Store,
              columns: dict[str, list[Any]] | None = None) -> Encoded:
        """Describe ``obj`` as the already-stored object ``oid`` (its fingerprint matched)."""
        import pandas as pd

        is_series = isinstance(obj, pd.Series)
        known = store.find_versions_by_oid(oid)
        if known:  # same content stored before: its summary holds
            summary = known[0].summary
        else:
            summary = _frame_summary(obj.to_frame() if is_series else obj)
            summary["type"] = "Series" if is_series else "DataFrame"
        metadata: dict[str, Any] = {"python_type": summary["type"]}
        if columns is None:  # a fingerprint hit: the same bytes have the same JSON columns
            columns = {k: known[0].metadata.get(k, []) for k in _NESTED_KEYS} if known else \
                _encode_nested_columns(obj.to_frame() if is_series else obj)[1]
        metadata.update({k: v for k, v in columns.items() if v})
        if is_series and obj.name is None:
            metadata["unnamed"] = True  # to_frame() named the column 0; undo that on load
        return Encoded(oid, store.objects.size(oid), self.kind, PARQUET, summary, metadata)

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        # Read once into memory with its hash checked, then parsed from there (zero-copy).
        df = pq.read_table(pa.py_buffer(store.objects.read_buffer(version.oid))).to_pandas()
        for position in version.metadata.get("json_columns", []):
            texts = df.iloc[:, position]  # a missing cell is None (a text column may read it as NaN)
            df.isetitem(position, pd.Series([None if _missing(t) else _from_json(t) for t in texts],
                                            index=df.index, dtype=object, name=texts.name))
        if version.metadata.get("python_type") == "Series":
            series = df.iloc[:, 0]
            return series.rename(None) if version.metadata.get("unnamed") else series
        return df


_NESTED_KEYS = ("json_columns", "repr_columns")


def _is_nested(value: Any) -> bool:
    return isinstance(value, dict | list)


def _missing(value: Any) -> bool:
    """None or a NaN cell (kept as a Parquet null), but not a list or dict."""
    return value is None or (isinstance(value, float) and value != value)


def _arrow_holds(col: Any) -> bool:
    import pyarrow as pa

    try:
        pa.array(col, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return False
    return True


def _json_default(value: Any) -> Any:
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return value.item()  # numpy scalars (a grid of np.logspace values)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _to_json(value: Any) -> str:
    return json.dumps(value, default=_json_default, allow_nan=True)


def _from_json(text: str) -> Any:
    return json.loads(text)


def _encode_nested_columns(df: Any) -> tuple[Any, dict[str, list[Any]]]:
    """Object columns holding dicts or lists, or values Arrow cannot hold, as JSON text.

    pyarrow turns dicts into structs (every row gets every key, so rows with different keys
    come back changed) and lists into numpy arrays, and refuses mixed or foreign objects.
    A column whose cells JSON cannot keep exactly (int keys, tuples, estimators) is stored
    as their ``repr`` and flagged, so a ``cv_results_`` of a grid over estimators is still
    recorded.
    Returns the frame to write and ``{"json_columns": [...], "repr_columns": [...]}``
    (column positions).
    """
    import pandas as pd

    found: dict[str, list[Any]] = {key: [] for key in _NESTED_KEYS}
    replaced: dict[int, Any] = {}
    for position, (_, col) in enumerate(df.items()):
        # infer_dtype is a C loop: text columns skip the per-cell Python checks below.
        if col.dtype != object or pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
            continue
        cells = col.tolist()
        if not any(_is_nested(v) for v in cells) and _arrow_holds(col):
            continue
        try:
            texts = [None if _missing(v) else _to_json(v) for v in cells]
            exact = all(t is None or _from_json(t) == v for t, v in zip(texts, cells, strict=True))
        except (TypeError, ValueError):
            exact = False
        if exact:
            found["json_columns"].append(position)
        else:
            texts = [None if _missing(v) else repr(v) for v in cells]
            found["repr_columns"].append(position)
        replaced[position] = pd.Series(texts, index=col.index, dtype=object, name=col.name)
    if replaced:
        df = df.copy(deep=False)
        for position, texts in replaced.items():
            df.isetitem(position, texts)
    return df, found


def _dictionary_columns(table: Any) -> list[str]:
    import pyarrow.types as pat

    return [field.name for field in table.schema
            if pat.is_string(field.type) or pat.is_large_string(field.type)
            or pat.is_dictionary(field.type) or pat.is_binary(field.type)]


def _row_group(df: Any) -> int:
    row_bytes = max(1, int(df.memory_usage(deep=False).sum()) // max(1, len(df)))
    return max(1024, (64 * 1024 * 1024) // row_bytes)


def raw_bytes(arr: Any) -> memoryview:
    """The bytes of a C-contiguous array as a flat view, without copying.

    ``memoryview(arr).cast("B")`` refuses datetime dtypes and empty shapes; a uint8 view
    of the flattened array accepts every fixed-size dtype.
    """
    import numpy as np

    return memoryview(arr.reshape(-1).view(np.uint8))


def _npy_header(arr: Any) -> bytes:
    import numpy as np

    buf = io.BytesIO()
    np.lib.format.write_array_header_2_0(buf, np.lib.format.header_data_from_array_1_0(arr))
    return buf.getvalue()


class NumpyCodec(Codec):
    """numpy arrays -> ``.npy`` (header + raw buffer), hashed before writing; never pickled."""

    name = "numpy.npy"
    kind = "dataset"
    module = "numpy"

    def matches(self, obj: Any) -> bool:
        return "numpy.ndarray" in mro_names(obj)

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        import numpy as np

        if obj.dtype.hasobject:
            raise UnsupportedObjectError("numpy arrays of Python objects are not stored without pickle")
        arr = obj if obj.flags.c_contiguous else np.ascontiguousarray(obj)
        header = _npy_header(arr)
        oid, size, written = store.objects.put_buffers([header, raw_bytes(arr)], progress)
        known = [] if written else store.find_versions_by_oid(oid)
        if known:  # stored before: its summary holds, and re-saving costs only the hash
            return Encoded(oid, size, self.kind, NPY, known[0].summary)
        summary: dict[str, Any] = {
            "type": "ndarray", "shape": list(arr.shape), "dtype": str(arr.dtype), "nbytes": arr.nbytes,
        }
        if arr.size and arr.dtype.kind in "biuf":
            # Exact statistics of a 1 GB array cost three extra passes over it (a third of
            # the save); a strided sample is enough for a preview.
            flat = arr.reshape(-1)
            sample = flat[:: -(-flat.size // SUMMARY_SAMPLE)]
            summary.update(min=json_safe(sample.min()), max=json_safe(sample.max()),
                           mean=json_safe(float(sample.mean())), sampled=sample.size < flat.size)
        if arr.size <= 400:
            summary["values"] = json_safe(arr.tolist())
        return Encoded(oid, size, self.kind, NPY, summary)

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:

        return npy_from_buffer(store.objects.read_buffer(version.oid))


def npy_from_buffer(buf: Any) -> Any:
    """An array over a checked ``.npy`` buffer, without copying it (object arrays refused)."""
    import io

    import numpy as np
    from numpy.lib import format as npy

    head = io.BytesIO(bytes(memoryview(buf)[: 1 << 20]))  # the header, never the data
    version = npy.read_magic(head)
    read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
    shape, fortran, dtype = read_header(head)
    if dtype.hasobject:
        raise ValueError("Object arrays cannot be loaded when allow_pickle=False")
    count = int(np.prod(shape, dtype=np.int64))
    flat = np.frombuffer(buf, dtype=dtype, count=count, offset=head.tell())
    return flat.reshape(shape, order="F" if fortran else "C")
