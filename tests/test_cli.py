"""The ``jupyter-artifacts`` command line on a real store."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.cli import main
from jupyter_artifacts.store import Store


@pytest.fixture
def filled(store: Store) -> Store:
    """A store with two versions of a model, an alias and one finished run."""
    with ja.run("train", params={"lr": 0.1}):
        ja.log_metric("acc", 0.9)
        ja.save({"acc": 0.9}, "scores")
    ja.save("v1 text", "notes")
    ja.save("v2 text", "notes")
    return store


def cli(store: Store, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["--store", str(store.root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_ls(filled: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(filled, "ls", capsys=capsys)
    assert code == 0 and "notes" in out and "scores" in out
    code, out, _ = cli(filled, "--json", "ls", "notes", capsys=capsys)
    assert [v["ref"] for v in json.loads(out)] == ["notes:v1", "notes:v2"]


def test_runs_json(filled: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(filled, "--json", "runs", "--sort", "metrics.acc", capsys=capsys)
    data = json.loads(out)
    assert code == 0 and data["total"] == 1
    assert data["runs"][0]["metrics"] == {"acc": 0.9} and data["runs"][0]["status"] == "ok"


def test_show_version_and_run(filled: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(filled, "--json", "show", "notes:v1", capsys=capsys)
    assert code == 0 and json.loads(out)["ref"] == "notes:v1"
    code, out, _ = cli(filled, "show", "run-1", capsys=capsys)
    assert code == 0 and "train" in out and "output   scores:v1" in out


def test_export(filled: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "notes.txt"
    code, _, _ = cli(filled, "export", "notes:v1", "-o", str(target), capsys=capsys)
    assert code == 0 and target.read_text() == "v1 text"
    assert target.stat().st_mode & stat.S_IWUSR  # an exported copy is the user's to edit


def test_alias(filled: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(filled, "alias", "notes:v1", "production", capsys=capsys)
    assert code == 0 and "notes:production -> notes:v1" in out
    assert filled.resolve("notes:production").ref == "notes:v1"
    code, out, _ = cli(filled, "alias", "--remove", "notes:production", capsys=capsys)
    assert code == 0 and "notes:production removed (was notes:v1)" in out
    code, _, err = cli(filled, "alias", "--remove", "notes:production", capsys=capsys)
    assert code != 0 and "no alias 'notes:production'" in err


def test_gc_and_verify(filled: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(filled, "--json", "gc", capsys=capsys)
    assert code == 0 and json.loads(out)["removed_objects"] == []
    code, out, _ = cli(filled, "verify", capsys=capsys)
    assert code == 0 and out.startswith("checked 3 objects: ok")


def test_verify_fails_on_a_corrupt_store(filled: Store, capsys: pytest.CaptureFixture[str]) -> None:
    path = filled.objects.path(filled.resolve("notes:v1").oid)
    os.chmod(path, 0o644)
    path.write_text("tampered")
    code, out, _ = cli(filled, "--json", "verify", capsys=capsys)
    assert code == 1 and json.loads(out)["ok"] is False


@pytest.mark.parametrize("args", [["show", "nothing:v1"], ["show", "notes:v9"], ["export", "zzz", "-o", "x"],
                                  ["alias", "notes", "v3"], ["runs", "--sort", "bogus"]])
def test_bad_references_give_one_line_and_exit_2(
    filled: Store, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(filled, *args, capsys=capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("jupyter-artifacts: ")


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("JUPYTER_ARTIFACTS_DIR", None)
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("store_args", [["--store", "missing"], []])
def test_bad_store_gives_one_line_and_exit_2(tmp_path: Path, store_args: list[str]) -> None:
    result = _run_cli("jupyter-artifacts", *store_args, "ls", cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / ".artifacts").exists()  # reading never creates a store


def test_not_a_catalog_gives_one_line(tmp_path: Path) -> None:
    (tmp_path / ".artifacts").mkdir()
    (tmp_path / ".artifacts" / "catalog.sqlite").write_text("not sqlite at all, " * 100)
    result = _run_cli("jupyter-artifacts", "ls", cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_reachable_as_jupyter_subcommand(filled: Store, tmp_path: Path) -> None:
    result = _run_cli("jupyter", "artifacts", "--store", str(filled.root), "--json", "ls", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert {a["name"] for a in json.loads(result.stdout)} == {"notes", "scores"}


@pytest.mark.parametrize("args", [
    ["--store", "{root}", "--json", "ls"], ["ls", "--store", "{root}", "--json"],
    ["--json", "ls", "--store", "{root}"], ["--store", "/nowhere", "ls", "--store", "{root}", "--json"],
])
def test_global_flags_work_before_and_after_the_command(
    filled: Store, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([a.format(root=filled.root) for a in args])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert {a["name"] for a in json.loads(out)} == {"notes", "scores"}


def test_verify_accepts_store_after_the_command(filled: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--store", str(filled.root)]) == 0
    assert capsys.readouterr().out.startswith("checked 3 objects: ok")


@pytest.mark.parametrize("ref, message", [
    ("nosuch:v1", "no artifact version matches 'nosuch:v1'"),
    ("notes:v9", "artifact 'notes' has no version v9"),
    ("nosuch", "no artifact, version or run matches 'nosuch'"),
])
def test_show_says_what_is_missing(filled: Store, ref: str, message: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(filled, "show", ref, capsys=capsys)
    assert code == 2 and err.strip() == f"jupyter-artifacts: {message}"
    assert "run" not in err.replace("run matches 'nosuch'", "")


@pytest.mark.parametrize("argv", [["--help"], ["runs", "--help"], ["show", "-h"], ["verify", "--help"]])
def test_help_is_plain_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "usage: jupyter-artifacts" in out and "`" not in out


@pytest.mark.parametrize("argv", [[], ["bogus"], ["runs", "--limit", "0"], ["runs", "--limit", "x"],
                                  ["runs", "--status", "zombie"], ["show"], ["export", "x"],
                                  ["ls", "--nope"], ["--store"]])
def test_usage_errors_are_one_line_and_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("jupyter-artifacts: ")


def test_a_closed_pipe_is_not_an_error(store: Store, tmp_path: Path) -> None:
    for i in range(300):  # more than a pipe holds, so writing must meet the closed end
        store.create_run(f"run-name-{i}", params={"text": "x" * 200})
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.Popen(["jupyter-artifacts", "--store", str(store.root), "--json", "runs",
                             "--limit", "300"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # what `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) in (0, 1)
    assert err == "", err


def test_a_shell_pipe_to_head_prints_nothing_on_stderr(store: Store, tmp_path: Path) -> None:
    for i in range(300):
        store.create_run(f"r{i}", params={"text": "x" * 200})
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(f"jupyter-artifacts --store '{store.root}' --json runs --limit 300 | head -1",
                            shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "{" and result.stderr == ""
