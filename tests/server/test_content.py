"""Serving version bytes: media type, ETag from the oid, 304, streaming of large objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_artifacts.store import Store

from .conftest import PNG, Fetch


async def test_content_bytes_type_and_etag(api: Fetch, ids: dict[str, Any]) -> None:
    response = await api("versions/confusion:v1/content")
    assert response.code == 200
    assert response.body == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["ETag"] == f'"{ids["png_oid"]}"'
    assert response.headers["Content-Length"] == str(len(PNG))
    assert response.headers["Content-Disposition"].startswith("inline")


async def test_content_304_on_matching_etag(api: Fetch, ids: dict[str, Any]) -> None:
    etag = f'"{ids["png_oid"]}"'
    response = await api("versions/confusion:latest/content", headers={"If-None-Match": etag})
    assert response.code == 304 and response.body == b""
    response = await api("versions/confusion:latest/content", headers={"If-None-Match": '"other"'})
    assert response.code == 200


async def test_download_and_slash_names(api: Fetch, ids: dict[str, Any]) -> None:
    response = await api("versions/data%2Ftrain:v1/content?download=1")
    assert response.code == 200 and response.body == b"a,b\n1,2\n3,4\n"
    assert response.headers["Content-Disposition"] == 'attachment; filename="data_train-v1"'


async def test_large_content_streams_whole(api: Fetch, ids: dict[str, Any], store_root: Path) -> None:
    blob = bytes(range(256)) * (4 * 1024 * 3 + 7)  # ~3 MB, not a multiple of the chunk size
    store = Store.open(store_root, create=False)
    try:
        oid, size, _ = store.objects.put_bytes(blob)
        store.add_version("weights", oid=oid, kind="model", media_type="application/octet-stream",
                          codec="bytes", size=size)
    finally:
        store.close()
    response = await api("versions/weights/content")
    assert response.code == 200 and response.body == blob


async def test_missing_object_is_404_not_500(api: Fetch, ids: dict[str, Any], store_root: Path) -> None:
    store = Store.open(store_root, create=False)
    try:
        path = store.objects.path(ids["png_oid"])
    finally:
        store.close()
    path.chmod(0o644)
    path.unlink()
    response = await api("versions/confusion:v1/content")
    assert response.code == 404


async def test_figure_svg_is_served_from_the_catalogs_list(api: Fetch, ids: dict[str, Any],
                                                           store_root: Path) -> None:
    import matplotlib

    matplotlib.use("agg")
    from matplotlib.figure import Figure

    from jupyter_artifacts.codecs import save_object
    from jupyter_artifacts.codecs.background import wait_pending

    fig = Figure()
    fig.add_subplot().plot([1, 2, 3])
    store = Store.open(store_root, create=False)
    try:
        version, _ = save_object(store, fig, "curve")
        wait_pending()  # the SVG is rendered in the background
        version = store.get_version(version.id)
    finally:
        store.close()
    response = await api("versions/curve:v1/content?object=svg")
    assert response.code == 200 and response.headers["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.body[:500]
    assert response.headers["ETag"] == f'"{version.metadata["objects"]["svg"]}"'
    assert response.headers["Content-Disposition"].endswith('curve-v1.svg"')
    for bad in ("png", "../catalog.sqlite", version.oid):
        assert (await api(f"versions/curve:v1/content?object={bad}")).code == 404
    assert (await api("versions/confusion:v1/content?object=svg")).code == 404
