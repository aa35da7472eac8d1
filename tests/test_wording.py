"""Every sentence true of its page: wording that depends on the network (bias, activation,
how many parameters are trained and in how many layers) checked on every shipped page."""

from __future__ import annotations

from pathlib import Path

import pytest

from explainer import scenario
from explainer.network import Network, build
from explainer.pipeline import render_text
from explainer.scenario import Scenario
from tests.conftest import SCENARIOS

NETWORKS = [p for p in sorted(SCENARIOS.glob("*.toml")) if "[network]" in p.read_text()]


def _page(path: Path) -> tuple[Network, str]:
    s = scenario.load(path)
    assert isinstance(s, Scenario)
    page = render_text(s, "md")
    assert isinstance(page, str)
    return build(s), page


@pytest.mark.parametrize("path", NETWORKS, ids=[p.stem for p in NETWORKS])
def test_no_sentence_names_what_the_network_lacks(path: Path) -> None:
    net, page = _page(path)
    if not any(n.bias for n in net.neurons):
        assert "its bias" not in page
    if not any(n.has_net for n in net.neurons):
        assert "applies its activation function" not in page
    layers = {p.layer for p in net.trained}
    if len(layers) == 1:  # the update order cannot matter
        assert "simultaneous update" not in page and "sequential update" not in page
    if len(net.trained) == 1:
        assert "every trained parameter" not in page and "each parameter" not in page
    for names in net.layers:
        if len(names) == 1:
            assert f"neurons {names[0]}" not in page


def test_the_checks_see_the_smallest_network() -> None:
    """single-weight: one weight, no bias, no activation: every branch above applies."""
    net, page = _page(SCENARIOS / "single-weight.toml")
    assert len(net.trained) == 1 and not any(n.bias or n.has_net for n in net.neurons)
    assert "The neuron outputs the sum of its weighted inputs" in page
