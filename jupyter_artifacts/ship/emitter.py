"""Post a run's OpenLineage events to an OpenLineage HTTP endpoint after the run ends.

Configured with ``ja.configure(openlineage_url=...)`` or ``$OPENLINEAGE_URL`` (the base URL,
as the OpenLineage clients take it; ``$OPENLINEAGE_ENDPOINT`` overrides ``api/v1/lineage``).
Posting happens on the background worker that stores models, after the saves queued before
it, so the COMPLETE event lists the run's outputs; it never fails or delays the cell. A post
that fails is recorded as a warning on the run.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from .openlineage import run_events

if TYPE_CHECKING:
    from concurrent.futures import Future

    from ..store import Store

ENDPOINT_ENV = "OPENLINEAGE_ENDPOINT"
DEFAULT_ENDPOINT = "api/v1/lineage"
TIMEOUT_S = 5.0


def lineage_endpoint(url: str) -> str:
    """The URL events are posted to: ``url`` plus the endpoint unless it names one already."""
    if url.rstrip("/").endswith(DEFAULT_ENDPOINT):
        return url
    endpoint = os.environ.get(ENDPOINT_ENV, DEFAULT_ENDPOINT).strip("/")
    return f"{url.rstrip('/')}/{endpoint}"


def post(endpoint: str, event: dict[str, Any]) -> None:
    """POST one event as JSON; raises ``OSError`` (``URLError``) when it does not arrive."""
    request = urllib.request.Request(endpoint, data=json.dumps(event).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        response.read()


def emit_run(store: Store, run_id: str, url: str) -> int:
    """Post every event of the run; returns how many arrived (failures become run warnings)."""
    endpoint = lineage_endpoint(url)
    sent = 0
    try:
        for event in run_events(store, run_id):
            post(endpoint, event)
            sent += 1
    except (OSError, ValueError) as exc:  # unreachable, refused, an HTTP error status, a bad URL
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        store.add_run_warning(run_id, f"OpenLineage: events not posted to {endpoint}: {reason}")
    return sent


def emit_in_background(store: Store, run_id: str, url: str) -> Future[Any]:
    """Queue :func:`emit_run` behind the run's pending saves (the "save" worker is FIFO)."""
    from ..codecs.background import submit

    def job() -> int:
        try:
            return emit_run(store, run_id, url)
        except Exception:  # a closed store, a bug of ours: lineage never breaks tracking
            return 0

    return submit(job, lane="save")
