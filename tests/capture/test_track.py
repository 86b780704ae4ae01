"""%%track on a real IPython shell: the cell behaves as untracked, and the store holds the run."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from IPython.core.error import UsageError

from jupyter_artifacts import api
from jupyter_artifacts.store import Store

from .conftest import run


def events(store: Store, run_ref: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {"input": set(), "output": set()}
    for kind, version in store.run_events(run_ref):
        out[kind].add(version.ref)
    return out


def test_tracked_cell_keeps_namespace_and_displays_last_value(shell: Any, store: Store, capsys: Any) -> None:
    result = run(shell, "%%track\nx = 41\nx + 1")
    assert shell.user_ns["x"] == 41
    assert result.result == 42
    assert store.get_run("run-1").status == "ok"


def test_trailing_semicolon_suppresses_display(shell: Any, store: Store) -> None:
    result = run(shell, "%%track\n41 + 1;")
    assert result.result is None


def test_print_is_teed_live_and_recorded(shell: Any, store: Store, capsys: Any) -> None:
    run(shell, "%%track hello\nprint('hello from the cell')")
    assert "hello from the cell" in capsys.readouterr().out
    log = store.resolve("hello/stdout")
    assert store.objects.read_bytes(log.oid).decode() == "hello from the cell\n"


def test_params_inputs_model_and_metric(shell: Any, store: Store) -> None:
    run(shell, "import numpy as np\nfrom sklearn.linear_model import LogisticRegression\n"
               "max_iter = 300\nX = np.random.RandomState(0).rand(40, 3)\ny = (X[:, 0] > .5).astype(int)")
    run(shell, "%%track train --tag baseline\n"
               "model = LogisticRegression(max_iter=max_iter).fit(X, y)\nacc = model.score(X, y)")
    r = store.get_run("train")
    assert r.tags == ["baseline"]
    assert r.params == {"max_iter": 300}
    assert r.metrics["acc"] == pytest.approx(shell.user_ns["acc"])
    assert r.code is not None and "LogisticRegression" in r.code
    assert events(store, "train") == {"input": {"X:v1", "y:v1"}, "output": {"model:v1"}}
    assert store.resolve("model").summary["class"].endswith("LogisticRegression")


def test_rerun_unchanged_makes_no_new_versions(shell: Any, store: Store) -> None:
    run(shell, "import numpy as np\nX = np.arange(12.).reshape(4, 3)")
    cell = "%%track\nZ = X * 2"
    run(shell, cell)
    run(shell, cell)
    assert [v.ref for v in store.versions("Z")] == ["Z:v1"]
    assert [v.ref for v in store.versions("X")] == ["X:v1"]
    run(shell, "X = X + 1")
    run(shell, cell)
    assert [v.ref for v in store.versions("Z")] == ["Z:v1", "Z:v2"]
    assert events(store, "run-3")["input"] == {"X:v2"}
    assert store.is_stale("Z:v1") and not store.is_stale("Z:v2")


def test_method_call_mutation_is_an_output(shell: Any, store: Store) -> None:
    run(shell, "import numpy as np\nfrom sklearn.tree import DecisionTreeClassifier\n"
               "X = np.random.RandomState(1).rand(30, 2); y = (X[:, 1] > .5).astype(int)\n"
               "clf = DecisionTreeClassifier(max_depth=2)")
    run(shell, "%%track fit\nclf.fit(X, y)")
    assert "clf:v1" in events(store, "fit")["output"]


def test_failed_cell_is_recorded_and_reraises(shell: Any, store: Store) -> None:
    result = shell.run_cell("%%track boom\nlogged = 1\nraise ValueError('bad input')", store_history=True)
    assert isinstance(result.error_in_exec, ValueError)
    r = store.get_run("boom")
    assert r.status == "failed"
    assert r.error is not None and "ValueError: bad input" in r.error
    assert shell.user_ns["logged"] == 1
    run(shell, "%%track after\nok = True")
    assert store.get_run("after").status == "ok"


def test_keyboard_interrupt_marks_interrupted(shell: Any, store: Store) -> None:
    result = shell.run_cell("%%track stop\nraise KeyboardInterrupt", store_history=True)
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert store.get_run("stop").status == "interrupted"


def test_traceback_line_numbers_match_the_cell(shell: Any, store: Store, capsys: Any) -> None:
    shell.run_cell("%%track\n\nundefined_name", store_history=True)
    assert "line 3" in capsys.readouterr().out


def test_bad_options_raise_usage_error_and_do_not_run(shell: Any, store: Store) -> None:
    for line in ("%%track --bogus", "%%track a b", "%%track --save 1x", "%%track --tag"):
        result = shell.run_cell(f"{line}\nside_effect = 1", store_history=True)
        assert isinstance(result.error_in_exec, UsageError), line
    assert "side_effect" not in shell.user_ns
    assert store.query_runs().total == 0


def test_save_and_skip(shell: Any, store: Store) -> None:
    run(shell, "%%track --save note --skip big\nimport numpy as np\nnote = 'a string'\nbig = np.ones(10)")
    outputs = events(store, "run-1")["output"]
    assert "note:v1" in outputs
    assert not any(ref.startswith("big:") for ref in outputs)


def test_figures_stored_once_as_png_and_svg(shell: Any, store: Store) -> None:
    run(shell, "import matplotlib.pyplot as plt")
    run(shell, "%%track plots\nfig, ax = plt.subplots()\nax.plot([1, 2, 3]); ax.set_title('curve')\n"
               "plt.figure(); plt.plot([3, 2, 1]);")
    figures = [v for v in (v for _, v in store.run_events("plots")) if v.kind == "figure"]
    assert sorted(v.name for v in figures) == ["fig", "plots/figure2"]
    fig = store.resolve("fig")
    assert store.objects.read_bytes(fig.oid)[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in store.objects.read_bytes(fig.metadata["objects"]["svg"])[:400]
    assert fig.summary["title"] == "curve"
    run(shell, "%%track next\nvalue = 1.5")
    assert not any(v.kind == "figure" for _, v in store.run_events("next"))


def test_no_figures_option(shell: Any, store: Store) -> None:
    run(shell, "import matplotlib.pyplot as plt")
    run(shell, "%%track --no-figures\nplt.plot([1, 2]);")
    assert not any(v.kind == "figure" for _, v in store.run_events("run-1"))


def test_files_read_and_written_are_lineage(shell: Any, store: Store, tmp_path: Any) -> None:
    (tmp_path / "raw.csv").write_text("a,b\n1,2\n3,4\n")
    (tmp_path / "config.yaml").write_text("scale: 2\n")
    run(shell, "import pandas as pd, yaml")
    cell = ("%%track prep\ncfg = yaml.safe_load(open('config.yaml'))\ndf = pd.read_csv('raw.csv')\n"
            "df['c'] = df.a * cfg['scale']\ndf.to_parquet('features.parquet')")
    run(shell, cell)
    ev = events(store, "prep")
    assert {"raw.csv:v1", "config.yaml:v1"} <= ev["input"]
    assert {"features.parquet:v1", "df:v1"} <= ev["output"]
    (tmp_path / "config.yaml").write_text("scale: 3\n")
    run(shell, cell)
    assert {"raw.csv:v1", "config.yaml:v2"} <= events(store, "run-2")["input"]
    assert store.is_stale("features.parquet:v1")
    assert not store.is_stale("features.parquet:v2")


def test_explicit_api_calls_attach_to_the_run(shell: Any, store: Store) -> None:
    run(shell, "%%track loop\nimport jupyter_artifacts as ja\nja.log_param('lr', 0.1)\n"
               "for i in range(50):\n    ja.log_metric('loss', 1 / (i + 1), step=i)\n"
               "ja.save({'note': 1}, 'extra')")
    r = store.get_run("loop")
    assert r.params["lr"] == 0.1
    assert len(store.metric_series("loop", "loss")) == 50
    assert "extra:v1" in events(store, "loop")["output"]


def test_unstorable_output_is_skipped_with_a_note(shell: Any, store: Store) -> None:
    run(shell, "%%track --save gen\ngen = (i for i in range(3))\nvalue = 2.5\nscore = value / 2")
    r = store.get_run("run-1")
    assert r.status == "ok" and r.metrics["score"] == 1.25 and r.params["value"] == 2.5
    assert not any(v.name == "gen" for _, v in store.run_events("run-1"))


def test_store_failure_keeps_the_users_work(shell: Any, store: Store, capsys: Any) -> None:
    store.catalog.close()  # the store becomes unusable underneath the kernel
    result = shell.run_cell("%%track\nkept = 7\nkept", store_history=True)
    assert result.error_in_exec is None and result.result == 7
    assert "jupyter-artifacts:" in capsys.readouterr().err


def test_top_level_await(shell: Any, store: Store) -> None:
    shell.autoawait = True
    code = "%%track\nimport asyncio\nawait asyncio.sleep(0)\nawaited = 3"
    result = shell.run_cell(code, store_history=True)
    assert result.error_in_exec is None
    assert shell.user_ns["awaited"] == 3


def test_unload_removes_every_hook(store_dir: Any) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    main = sys.modules["__main__"]
    ip = InteractiveShell.instance()
    sys.modules["__main__"] = main
    before = {k: list(v) for k, v in ip.events.callbacks.items()}
    cleanup = list(ip.input_transformers_cleanup)
    ip.run_line_magic("load_ext", "jupyter_artifacts")
    ip.run_line_magic("unload_ext", "jupyter_artifacts")
    assert {k: list(v) for k, v in ip.events.callbacks.items()} == before
    assert list(ip.input_transformers_cleanup) == cleanup
    assert "track" not in ip.magics_manager.magics["cell"]
    assert "artifacts" not in ip.magics_manager.magics["line"]


def test_models_are_stored_from_a_snapshot_of_the_cells_end(shell: Any, store: Store,
                                                            monkeypatch: Any) -> None:
    """A model saved in the background is the one the cell produced, even if refitted at once."""
    from jupyter_artifacts.capture.background import wait_pending

    monkeypatch.setenv("JPY_SESSION_NAME", "/lab/notebook.ipynb")  # an interactive frontend

    shell.run_cell("import numpy as np\nfrom sklearn.pipeline import make_pipeline\n"
                   "from sklearn.preprocessing import StandardScaler\n"
                   "from sklearn.linear_model import LogisticRegression\n"
                   "X = np.random.RandomState(0).rand(60, 3); y = (X[:, 0] > .5).astype(int)")
    shell.run_cell("%%track\npipe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0)).fit(X, y)",
                   store_history=True)
    shell.run_cell("pipe.set_params(logisticregression__C=0.01).fit(X * 3, 1 - y)", store_history=True)
    wait_pending()
    from jupyter_artifacts.codecs import load_version

    stored = load_version(store, store.resolve("pipe:v1"), trust=True)
    assert stored.named_steps["logisticregression"].C == 1.0
    assert (stored.predict(X := shell.user_ns["X"]) == shell.user_ns["y"]).mean() > 0.8
    assert stored.named_steps["standardscaler"].mean_[0] == pytest.approx(X[:, 0].mean())


def test_large_objects_show_a_progress_bar(shell: Any, store: Store, monkeypatch: Any) -> None:
    from jupyter_artifacts.capture import progress

    monkeypatch.setattr(progress, "LARGE", 1024 * 1024)
    seen: list[int] = []
    original = progress.ProgressBar.__call__
    monkeypatch.setattr(progress.ProgressBar, "__call__", lambda self, done: (seen.append(done),
                                                                              original(self, done)))
    # Named with --save: stored whatever its size (not recorded for lineage only).
    run(shell, "%%track big --save big\nimport numpy as np\nbig = np.ones((64, 1024, 1024), dtype=np.uint8)")
    assert seen and seen[-1] >= 64 * 1024 * 1024 and seen == sorted(seen)
    assert store.resolve("big").size >= 64 * 1024 * 1024


def test_library_cache_files_are_not_inputs(shell: Any, store: Store, tmp_path: Any) -> None:
    cache = tmp_path / ".cache" / "lib"
    cache.mkdir(parents=True)
    (cache / "fontlist.json").write_text("{}")
    (tmp_path / "data.json").write_text("{}")
    # As a library does it: the path is not in the cell.
    font_cache = str(cache / "fontlist.json")
    run(shell, f"import json\ndef library_init():\n    return json.load(open({font_cache!r}))")
    run(shell, "%%track\nlibrary_init()\ncfg = json.load(open('data.json'))")
    assert events(store, "run-1")["input"] == {"data.json:v1"}


def test_a_capture_failing_after_the_run_started_leaves_nothing_hooked(
        shell: Any, store: Store, monkeypatch: Any, capsys: Any) -> None:
    import sys as system

    from jupyter_artifacts.capture.session import TrackingSession

    stdout = system.stdout

    def broken(self: Any, cell: Any) -> None:
        raise RuntimeError("live curve unavailable")

    monkeypatch.setattr(TrackingSession, "_attach_live_curve", broken)
    result = shell.run_cell("%%track\nkept = 3\nprint('still printed')", store_history=True)
    assert result.error_in_exec is None and shell.user_ns["kept"] == 3
    assert system.stdout is stdout  # the tee is gone
    assert "runs untracked" in capsys.readouterr().err
    assert store.get_run("run-1").status == "failed"


def test_data_changed_in_place_is_a_new_input_version(shell: Any, store: Store) -> None:
    run(shell, "import numpy as np\nimport pandas as pd\nX = np.zeros(8)\n"
               "frame = pd.DataFrame({'a': [1, 2]})")
    cell = "%%track\ntotal = float(X.sum()) + float(frame['a'].sum())"
    run(shell, cell)
    run(shell, "X[0] = 5.0\nframe.loc[0, 'a'] = 10")
    run(shell, cell)
    assert events(store, "run-2")["input"] == {"X:v2", "frame:v2"}


def test_torch_model_trained_in_place_is_a_new_version(shell: Any, store: Store) -> None:
    pytest.importorskip("torch", reason="torch is installed by .ci/run")
    run(shell, "import torch\ntorch.manual_seed(0)\nnet = torch.nn.Linear(3, 1)\n"
               "opt = torch.optim.SGD(net.parameters(), lr=0.1)")
    run(shell, "%%track first\nnet.train()")
    step = ("%%track train\nnet.train()\nloss = net(torch.ones(4, 3)).pow(2).mean()\n"
            "opt.zero_grad(); loss.backward(); opt.step()")
    run(shell, step)
    assert "net:v2" in events(store, "train")["output"]
    assert store.get_run("train").metrics["loss"] == pytest.approx(shell.user_ns["loss"].item())


def test_the_cells_result_is_recorded_like_its_displays(shell: Any, store: Store) -> None:
    run(shell, "import pandas as pd\ndf = pd.DataFrame({'a': range(10), 'b': list('abcdefghij')})\n"
               "class Card:\n    def _repr_html_(self):\n        return '<b>card</b>'")
    result = run(shell, "%%track head\ndf.head(3)")
    assert list(result.result["a"]) == [0, 1, 2]  # Out[n] is still the value itself
    html = store.objects.read_bytes(store.resolve("head/result").oid).decode()
    assert "<table" in html and ">2<" in html and ">3<" not in html
    outputs = api.load("head/outputs")["outputs"]
    assert [o.get("output_type") for o in outputs] == ["execute_result"]
    assert "text/plain" in outputs[0]["data"]
    run(shell, "%%track card\nCard()")
    assert store.objects.read_bytes(store.resolve("card/result").oid).decode() == "<b>card</b>"
    run(shell, "%%track quiet\ndf.head(3);")  # `;` shows nothing, so nothing is recorded
    assert not any(v.name.startswith("quiet/") for _, v in store.run_events("quiet"))
    assert "write_format_data" not in vars(shell.displayhook)  # unwrapped after the cell


def test_files_opened_through_paths_built_at_run_time_are_lineage(shell: Any, store: Store,
                                                                   tmp_path: Any) -> None:
    # No string constant names these files: only the audit hook can see them, whatever the
    # path's type (a Path, bytes) and whatever the cell opens besides (modules, a non-data file).
    (tmp_path / "part1.csv").write_text("a\n1\n")
    (tmp_path / "notes.bin").write_bytes(b"x")
    run(shell, "%%track files\nfrom pathlib import Path\nimport json, os\nstem = 'part' + str(1)\n"
               "rows = Path(stem + '.csv').read_text()\n"
               "blob = open(os.fsencode('notes' + '.bin'), 'rb').read()\n"
               "with open(os.fsencode(stem + '.json'), 'w') as f:\n    json.dump({'n': 1}, f)")
    ev = events(store, "files")
    assert "part1.csv:v1" in ev["input"] and "part1.json:v1" in ev["output"]
    assert not any(ref.startswith("notes.bin") for refs in ev.values() for ref in refs)


def test_a_model_of_a_class_defined_in_the_notebook_is_stored(shell: Any, store: Store,
                                                              monkeypatch: Any) -> None:
    """The helper process cannot unpickle a class defined in the kernel's ``__main__``: the
    kernel then stores the model itself rather than losing it."""
    from jupyter_artifacts.capture.background import wait_pending

    monkeypatch.setenv("JPY_SESSION_NAME", "/lab/notebook.ipynb")
    shell.run_cell("import numpy as np\nfrom sklearn.base import BaseEstimator, TransformerMixin\n"
                   "class Doubler(TransformerMixin, BaseEstimator):\n"
                   "    def fit(self, X, y=None):\n        self.scale_ = 2.0\n        return self\n"
                   "    def transform(self, X):\n        return X * self.scale_\n"
                   "X = np.arange(6.0).reshape(3, 2)")
    run(shell, "%%track doubling\ndoubler = Doubler().fit(X)")
    wait_pending()
    version = store.resolve("doubler:v1")
    assert version.kind == "model" and version.run_id == store.get_run("doubling").id
    assert "warnings" not in store.get_run("doubling").metadata


def test_a_model_that_cannot_be_stored_says_so_on_its_run(shell: Any, store: Store,
                                                          monkeypatch: Any) -> None:
    from jupyter_artifacts.capture.background import wait_pending

    monkeypatch.setenv("JPY_SESSION_NAME", "/lab/notebook.ipynb")
    shell.run_cell("from sklearn.base import BaseEstimator\n"
                   "class Streaming(BaseEstimator):\n"
                   "    def fit(self, X=None):\n        self.batches_ = (b for b in range(3))\n"
                   "        return self")
    run(shell, "%%track streaming\nstreamer = Streaming().fit()")
    wait_pending()
    warnings = store.get_run("streaming").metadata.get("warnings", [])
    assert any(w.startswith("streamer not stored: ") for w in warnings), warnings


def test_a_model_with_large_arrays_is_stored_whole_by_the_helper(shell: Any, store: Store,
                                                                monkeypatch: Any) -> None:
    """Its arrays reach the helper process beside the pickle (out of band), and come back."""
    from jupyter_artifacts.capture import linking
    from jupyter_artifacts.capture.background import wait_pending
    from jupyter_artifacts.codecs import load_version
    from jupyter_artifacts.codecs.svgworker import Pickled

    monkeypatch.setenv("JPY_SESSION_NAME", "/lab/notebook.ipynb")
    monkeypatch.setattr(linking, "save_object", lambda *a, **k: pytest.fail("stored in the kernel"))
    shell.run_cell("import numpy as np\nfrom sklearn.tree import DecisionTreeRegressor\n"
                   "X = np.random.default_rng(1).normal(size=(4000, 5)); y = X @ np.arange(5.0)")
    run(shell, "%%track deep\ntree = DecisionTreeRegressor(random_state=0).fit(X, y)")
    assert Pickled.of(shell.user_ns["tree"]).buffers  # large enough to go out of band
    wait_pending()
    stored = load_version(store, store.resolve("tree:v1"), trust=True)
    X = shell.user_ns["X"]
    assert (stored.predict(X) == shell.user_ns["tree"].predict(X)).all()
