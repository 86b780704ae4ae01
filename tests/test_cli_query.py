"""``jupyter-artifacts runs --filter ... --order-by ...`` on a real store."""

from __future__ import annotations

import json

import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.cli import main
from jupyter_artifacts.store import Store


def test_runs_filter_and_order_by(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(4):
        with ja.run(f"fit-{i}", params={"model": "rf" if i % 2 else "lr"}):
            ja.log_metric("acc", i / 4)
    code = main(["--store", str(store.root), "--json", "runs", "--filter",
                 "params.model = 'rf'", "--order-by", "metrics.acc DESC", "--limit", "1"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["total"] == 2
    assert [r["name"] for r in data["runs"]] == ["fit-3"]
    code = main(["--store", str(store.root), "runs", "--filter", "metrics.acc >"])
    err = capsys.readouterr().err
    assert code == 2 and "column 14" in err and len(err.strip().splitlines()) == 1
