"""PyTorch autograd as a third opinion on every gradient, where PyTorch is installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from explainer.derive import derivation
from explainer.derive.derivation import Partial
from explainer.evaluate import worked as evaluate
from explainer.graph import network
from explainer.read import scenario
from tests import networks
from tests.conftest import SCENARIOS

pytest.importorskip("torch", reason="PyTorch is not installed (pip install -e '.[torch]')")

from explainer.evaluate import autograd
from explainer.read.scenario import Scenario
from explainer.read.settings import schedule

SHIPPED = sorted(
    p
    for p in SCENARIOS.glob("*.toml")
    if "sequential" not in p.stem and "[graph]" not in p.read_text(encoding="utf-8")
)


def chain_rule(net: network.Network, s: Scenario) -> dict[str, float]:
    ev = evaluate.evaluate(net, derivation.derive(net), schedule(s))
    return {p.key: float(ev.partial(Partial(net.loss, p.key))) for p in net.trained}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_autograd_agrees_on_shipped_scenarios(path: Path) -> None:
    s = scenario.load_network(path)
    net = network.build(s)
    ours, theirs = chain_rule(net, s), autograd.gradients(net)
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert ours[key] == pytest.approx(theirs[key], rel=1e-10, abs=1e-14), key


@pytest.mark.parametrize("seed", range(10))
def test_autograd_agrees_on_random_networks(seed: int) -> None:
    s = networks.scenario(seed)
    if s.update == "sequential":  # lower layers then use updated weights, by design
        pytest.skip("sequential updates do not differentiate the loss itself below the top")
    net = network.build(s)
    ours, theirs = chain_rule(net, s), autograd.gradients(net)
    for key in ours:
        assert ours[key] == pytest.approx(theirs[key], rel=1e-9, abs=1e-13), key
