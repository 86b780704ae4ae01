"""``python -m ja_model input.csv`` predicts; ``python -m ja_model serve`` serves over HTTP."""

from __future__ import annotations

import argparse
import io
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import BundledModel


def _predictions(values: Any) -> list[Any]:
    return [v.item() if hasattr(v, "item") else v for v in list(values)]


def _parse_body(body: bytes, content_type: str) -> Any:
    """A CSV body, or JSON as MLflow's scoring server takes it (dataframe_split/records)."""
    import pandas as pd

    if content_type.startswith("text/csv"):
        return pd.read_csv(io.BytesIO(body))
    data = json.loads(body)
    if "dataframe_split" in data:
        split = data["dataframe_split"]
        return pd.DataFrame(split["data"], columns=split.get("columns"))
    if "dataframe_records" in data:
        return pd.DataFrame(data["dataframe_records"])
    return data.get("inputs", data.get("instances"))


def serve(model: BundledModel, host: str, port: int) -> None:
    """Serve ``POST /invocations`` (CSV or JSON) and ``GET /ping`` until interrupted."""

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path in ("/ping", "/health"):
                self._reply(200, {"status": "ok"})
            else:
                self._reply(404, {"error": "not found"})

        def do_POST(self) -> None:
            if self.path != "/invocations":
                self._reply(404, {"error": "not found"})
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                rows = _parse_body(body, self.headers.get("Content-Type", "application/json"))
                self._reply(200, {"predictions": _predictions(model.predict(rows))})
            except Exception as exc:  # a bad request must not stop the server
                self._reply(400, {"error": f"{type(exc).__name__}: {exc}"})

    server = ThreadingHTTPServer((host, port), Handler)
    print(f"serving on http://{host}:{port}/invocations", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ja_model",
                                     description="Predict with the bundled model.")
    parser.add_argument("input", help="a CSV file whose header names the model's input columns, "
                                      "or 'serve' to serve over HTTP")
    parser.add_argument("-o", "--output", help="write predictions here (default: stdout)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    model = BundledModel()
    if args.input == "serve":
        serve(model, args.host, args.port)
        return 0
    import pandas as pd

    predictions = model.predict(pd.read_csv(args.input))
    text = pd.DataFrame({"prediction": _predictions(predictions)}).to_csv(index=False)
    if args.output:
        with open(args.output, "w") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
