"""Labelled arrays: xarray Datasets and DataArrays as NetCDF-4, and torch tensors.

Both are written by their own library's safe format: xarray's ``to_netcdf`` (HDF5 through
h5netcdf or netCDF4; netCDF-3 through scipy when neither is installed) and, for tensors,
safetensors when installed, else ``torch.save`` read back with ``weights_only=True``.
Neither format can run code when read.
"""

from __future__ import annotations

import importlib.util
import io
from typing import TYPE_CHECKING, Any, cast

from ..errors import UnsupportedObjectError
from .base import Codec, Encoded, Progress, json_safe, mro_names, type_name
from .models import load_torch

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Store

NETCDF = "application/x-netcdf"
SAFETENSORS = "application/vnd.safetensors"
TORCH = "application/vnd.pytorch"
_ENGINES = (("h5netcdf", "h5netcdf"), ("netcdf4", "netCDF4"), ("scipy", "scipy"))
SAMPLE = 1_000_000  # elements looked at for min/max/mean


def _engine() -> str:
    for engine, module in _ENGINES:
        if importlib.util.find_spec(module) is not None:
            return engine
    raise UnsupportedObjectError("storing xarray objects needs h5netcdf, netCDF4 or scipy installed")


def _xarray_summary(obj: Any, is_array: bool) -> dict[str, Any]:
    ds = obj.to_dataset(name=obj.name if obj.name is not None else "__xarray_dataarray_variable__") \
        if is_array else obj
    return {
        "type": "DataArray" if is_array else "Dataset",
        "dims": {str(k): int(v) for k, v in ds.sizes.items()},
        "coords": [str(c) for c in list(ds.coords)[:50]],
        "variables": {str(k): {"dims": [str(d) for d in v.dims], "dtype": str(v.dtype)}
                      for k, v in list(ds.data_vars.items())[:50]},
        "attrs": json_safe(dict(obj.attrs)),
        "nbytes": int(obj.nbytes),
        "preview": repr(obj)[:3000],
    }


class XarrayCodec(Codec):
    """xarray Dataset / DataArray -> NetCDF through xarray itself (coords, attrs, encodings)."""

    name = "xarray.netcdf"
    kind = "dataset"
    module = "xarray"

    def matches(self, obj: Any) -> bool:
        names = mro_names(obj)
        return "xarray.core.dataset.Dataset" in names or "xarray.core.dataarray.DataArray" in names

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        is_array = "xarray.core.dataarray.DataArray" in mro_names(obj)
        engine = _engine()
        try:
            data = obj.to_netcdf(engine=engine)
        except (TypeError, ValueError, NotImplementedError) as exc:  # object dtypes, odd attrs
            raise UnsupportedObjectError(f"cannot store this {type_name(obj)} as NetCDF: {exc}") from exc
        oid, size, _ = store.objects.put_bytes(bytes(data))
        return Encoded(oid, size, self.kind, NETCDF, _xarray_summary(obj, is_array),
                       {"engine": engine, "python_type": "DataArray" if is_array else "Dataset"})

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        import xarray as xr

        opener = xr.open_dataarray if version.metadata.get("python_type") == "DataArray" else xr.open_dataset
        stored = version.metadata.get("engine", "h5netcdf")
        engine = stored if importlib.util.find_spec(dict(_ENGINES).get(stored, stored)) else _engine()
        with opener(store.objects.verified_path(version.oid), engine=engine) as value:
            return value.load()  # read into memory and close: no open handle into the store


class TensorCodec(Codec):
    """A torch tensor -> safetensors (else ``torch.save``), loaded without running code."""

    name = "torch.tensor"
    kind = "dataset"
    module = "torch"

    def matches(self, obj: Any) -> bool:
        return "torch.Tensor" in mro_names(obj)

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        import torch

        tensor = obj.detach().cpu()
        fmt = "safetensors" if importlib.util.find_spec("safetensors") and tensor.layout == torch.strided \
            else "torch"
        if fmt == "safetensors":
            from safetensors.torch import save

            data = save({"tensor": tensor.contiguous()})
        else:
            buf = io.BytesIO()
            torch.save(tensor, cast(Any, buf))
            data = buf.getvalue()
        oid, size, _ = store.objects.put_bytes(data)
        summary: dict[str, Any] = {
            "type": "tensor", "shape": list(tensor.shape), "dtype": str(tensor.dtype).removeprefix("torch."),
            "device": str(obj.device), "requires_grad": bool(obj.requires_grad), "numel": tensor.numel(),
        }
        if tensor.numel() and tensor.layout == torch.strided and not tensor.is_complex() \
                and tensor.dtype != torch.bool:
            # A strided sample, as for numpy arrays: exact statistics cost passes over 1 GB.
            flat = tensor.reshape(-1)
            sample = flat[:: -(-flat.numel() // SAMPLE)].double()
            summary.update(min=json_safe(sample.min().item()), max=json_safe(sample.max().item()),
                           mean=json_safe(sample.mean().item()), sampled=sample.numel() < flat.numel())
        if tensor.numel() <= 400 and tensor.layout == torch.strided:
            summary["values"] = json_safe(tensor.tolist())
        return Encoded(oid, size, self.kind, SAFETENSORS if fmt == "safetensors" else TORCH, summary,
                       {"format": fmt, "requires_grad": bool(obj.requires_grad)})

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        if version.metadata.get("format") == "safetensors":
            from safetensors.torch import load

            tensor = load(store.objects.read_bytes(version.oid))["tensor"]
        else:
            tensor = load_torch(version, store, trust)
        return tensor.requires_grad_(True) if version.metadata.get("requires_grad") else tensor
