"""A run's recorded environment as the files that rebuild it: ``requirements.txt`` and
``environment.yml`` (conda, with the packages under ``pip:``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import NotFoundError
from ..store import Store

# Not requirements of the notebook: the installer's own tools.
_TOOLING = {"pip", "setuptools", "wheel", "distribute"}


def run_environment(store: Store, ref: str) -> dict[str, Any]:
    """The environment recorded for run ``ref`` (or for the run that made version ``ref``)."""
    try:
        run_id = store.resolve(ref).run_id
        if run_id is None:
            raise NotFoundError(f"{ref} was not made by a run: it has no recorded environment")
    except NotFoundError:
        if ":" in ref:
            raise
        run_id = store.get_run(ref).id
    run = store.get_run(run_id)
    env = store.environment(run.environment_id) if run.environment_id else None
    if env is None:
        raise NotFoundError(f"{run.ref} has no recorded environment")
    return env


def _pinned(packages: dict[str, str]) -> list[str]:
    return [f"{name}=={version}" for name, version in sorted(packages.items())
            if name not in _TOOLING and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._\-]*", name)]


def requirements_txt(env: dict[str, Any]) -> str:
    """``name==version`` lines, one per recorded distribution, with the Python it ran on."""
    header = [f"# recorded environment {env.get('id', '')[:12]}: Python {env['python']} "
              f"on {env['platform']}"]
    return "\n".join([*header, *_pinned(env["packages"])]) + "\n"


def environment_yml(env: dict[str, Any], name: str = "replay") -> str:
    """A conda environment with the recorded Python and the packages pinned through pip."""
    lines = [f"name: {name}", "channels:", "  - conda-forge", "dependencies:",
             f"  - python={env['python']}", "  - pip", "  - pip:"]
    lines += [f"      - {req}" for req in _pinned(env["packages"])]
    return "\n".join(lines) + "\n"


def write_environment(env: dict[str, Any], folder: str | Path, name: str = "replay") -> list[Path]:
    """Write both files into ``folder`` (created if needed); return their paths."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, text in (("requirements.txt", requirements_txt(env)),
                           ("environment.yml", environment_yml(env, name))):
        (target / filename).write_text(text, encoding="utf-8")
        written.append(target / filename)
    return written


def package_differences(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """``numpy 1.26.4 -> 2.0.1``, ``torch 2.3.0 -> missing``: packages whose versions differ."""
    diffs = []
    for name in sorted(set(recorded) | set(current)):
        was, now = recorded.get(name), current.get(name)
        if was != now and name not in _TOOLING:
            diffs.append(f"{name} {was or 'absent'} -> {now or 'missing'}")
    return diffs
