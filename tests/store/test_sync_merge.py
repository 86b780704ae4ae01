"""Generated histories: any interleaving of offline work on two machines, then pushes and
pulls in any order, converges on the same global ids with unique ``name:vN`` per store."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_artifacts.store import Store
from jupyter_artifacts.store.remotes import add_remote

from .sync_helpers import ids, make_model_versions, team_store

NAMES = ("model", "data")
step = st.one_of(
    st.tuples(st.just("make"), st.integers(0, 1), st.sampled_from(NAMES), st.integers(1, 2)),
    st.tuples(st.just("push"), st.integers(0, 1)),
    st.tuples(st.just("pull"), st.integers(0, 1)),
    st.tuples(st.just("alias"), st.integers(0, 1), st.sampled_from(NAMES), st.integers(1, 9)),
    st.tuples(st.just("unalias"), st.integers(0, 1), st.sampled_from(NAMES)),
)


def _numbering(store: Store) -> dict[str, list[int]]:
    return {name: [v.version for v in store.versions(name)]
            for name in (a["name"] for a in store.list_artifacts())}


def _alias(store: Store, name: str, alias: str) -> str | None:
    row = store.catalog.query_one("SELECT version_id FROM aliases WHERE name = ? AND alias = ?",
                                  (name, alias))
    return None if row is None else str(row[0])


@settings(max_examples=int(os.environ.get("FUZZ_N", 30)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, max_size=14))
def test_any_interleaving_of_offline_work_and_syncs_converges(steps: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        team = team_store(Path(tmp) / "team")
        machines = [Store.open(Path(tmp) / f"m{i}" / ".artifacts") for i in range(2)]
        for machine in machines:
            add_remote(machine.root, "team", str(team))
        made: set[str] = set()
        for action, who, *rest in steps:
            machine = machines[who]
            if action == "make":
                made |= set(make_model_versions(machine, rest[0], rest[1], f"m{who}"))
            elif action == "push":
                machine.push("team")
            elif action == "pull":
                machine.pull("team")
            elif action == "unalias":
                if _alias(machine, rest[0], "best") is not None:
                    machine.remove_alias(f"{rest[0]}:best")
            else:
                versions = [v for v in machine.list_artifacts() if v["name"] == rest[0]]
                if versions:
                    number = 1 + rest[1] % versions[0]["latest"]
                    machine.set_alias(f"{rest[0]}:v{number}", "best")
        for sync in ("push", "push", "pull", "pull"):  # everyone sends, then everyone takes
            for machine in machines:
                getattr(machine, sync)("team")
        shared = Store.open(team, create=False)
        stores = [*machines, shared]
        assert ids(shared)["versions"] == made
        for store in stores:
            assert ids(store) == ids(shared)
            for numbers in _numbering(store).values():
                assert numbers == list(range(1, len(numbers) + 1))  # unique, no gaps
        for name in NAMES:  # aliases agree everywhere after the final pull
            for alias in ("best", "latest"):
                assert len({_alias(store, name, alias) for store in stores}) == 1, (name, alias)
            newest = max(store.catalog.query("SELECT created_at, id FROM versions WHERE name = ?",
                                             (name,)), default=None, key=tuple)
            assert _alias(shared, name, "latest") == (newest[1] if newest else None)
        for machine in machines:
            assert machine.push("team").moved_nothing and machine.pull("team").moved_nothing
        for store in stores:
            store.close()
