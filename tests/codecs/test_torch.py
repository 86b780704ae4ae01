"""torch modules and state dicts: stored as state dicts, loaded with weights_only=True."""

from __future__ import annotations

import pytest

from jupyter_artifacts.codecs import codec_for, load_version, save_object
from jupyter_artifacts.store import Store

torch = pytest.importorskip("torch", reason="torch is installed by .ci/run (the CPU build on disk)")


class TinyNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = torch.nn.Linear(4, 8)
        self.out = torch.nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.hidden(x)))


def test_module_is_stored_as_its_state_dict(store: Store) -> None:
    torch.manual_seed(0)
    net = TinyNet()
    version, created = save_object(store, net, "net")
    assert created and version.kind == "model" and version.codec == "torch.state_dict"
    assert version.summary["parameters"] == 4 * 8 + 8 + 8 * 2 + 2
    assert version.summary["layers"]["hidden.weight"] == [8, 4]
    assert version.metadata["module_class"].endswith("TinyNet")
    state = load_version(store, version)
    fresh = TinyNet()
    fresh.load_state_dict(state)
    x = torch.randn(3, 4)
    assert torch.equal(fresh(x), net(x))


def test_unchanged_weights_make_no_new_version_and_training_does(store: Store) -> None:
    torch.manual_seed(0)
    net = TinyNet()
    first, _ = save_object(store, net, "net")
    again, created = save_object(store, net, "net")
    assert not created and again.ref == first.ref
    with torch.no_grad():
        net.out.bias.add_(1.0)
    trained, created = save_object(store, net, "net")
    assert created and trained.ref == "net:v2"


def test_a_plain_state_dict_round_trips(store: Store) -> None:
    state = {"w": torch.arange(6.0).reshape(2, 3), "b": torch.zeros(3)}
    assert codec_for(state).name == "torch.state_dict"
    version, _ = save_object(store, state, "weights")
    loaded = load_version(store, version)
    assert set(loaded) == {"w", "b"} and torch.equal(loaded["w"], state["w"])


def test_torch_before_2_6_loads_only_with_trust(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_artifacts.errors import UntrustedPickleError

    version, _ = save_object(store, {"w": torch.zeros(2)}, "weights")
    # torch < 2.6's weights_only loader could be made to run code (CVE-2025-32434).
    monkeypatch.setattr(torch, "__version__", "2.5.1+cpu")
    with pytest.raises(UntrustedPickleError, match="CVE-2025-32434"):
        load_version(store, version)
    assert torch.equal(load_version(store, version, trust=True)["w"], torch.zeros(2))
