"""Every sentence true of its page: wording that depends on the network (bias, activation,
how many parameters are trained and in how many layers) checked on every shipped page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from explainer.derive.derivation import derive
from explainer.graph.network import Network, build
from explainer.page.model import Explanation, Paragraph, Section, Seg
from explainer.pipeline import explain, render_text
from explainer.read import scenario
from explainer.read.scenario import Scenario
from explainer.rules.activations import LOSSES
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


# Issue 13: pages a teacher hands out without editing ---------------------------------------


def _explained(name: str) -> tuple[Network, Explanation]:
    s = scenario.load(SCENARIOS / f"{name}.toml")
    assert isinstance(s, Scenario)
    page = explain(s)
    assert isinstance(page, Explanation)
    return build(s), page


def _words(prose: tuple[Seg, ...]) -> str:
    return "".join(seg.value for seg in prose if seg.kind != "math")


def _paragraphs(section: Section) -> list[str]:
    return [_words(x.prose) for x in section.items if isinstance(x, Paragraph)]


def test_the_chain_rule_is_named_once_a_section() -> None:
    """Mazur's page named it before each of its 12 plain chains; now once in each layer's
    section, and every other chain still gives the equations it uses."""
    net, page = _explained("mazur-2-2-2")
    layers = [x for x in page.sections if x.anchor.startswith("layer-")]
    assert len(layers) == len(net.layers)
    for section in layers:
        assert sum("chain rule" in p for p in _paragraphs(section)) == 1, section.title
    # the plain chains of the derivation (not a δ, a sum over paths or an alias), counted
    # without the page: each is introduced by the equations it uses
    d = derive(net)
    nets = {n.net for n in net.neurons if n.has_net}
    plain = [
        e
        for e in d.equations
        if e.kind == "chain" and not (e.partial.of == net.loss and e.partial.by in nets)
    ]
    intros = [
        p
        for x in layers
        for p in _paragraphs(x)
        if p.startswith(("With (", "By the chain rule, with ("))
    ]
    assert len(intros) == len(plain) == 12


@pytest.mark.parametrize("name", ["leonel-linear", "leonel-sigmoid"])
def test_the_rule_is_written_in_the_order_of_the_pages_weight_names(name: str) -> None:
    """Seed 004 names the weight from h2 into o1 w21: source first. The page's rule, applied to
    the page's own names, must give that weight."""
    net, page = _explained(name)
    o1 = net.neuron("o1")
    h2 = net.layers[-2].index("h2") + 1
    assert o1.weights[o1.sources.index(net.neuron("h2").out)] == f"w{h2}{1}"  # source, target
    math_ = " ".join(seg.value for x in page.sections for seg in _prose(x) if seg.kind == "math")
    if name == "leonel-linear":  # the delta rule: w_ij from input o_i into neuron j
        assert r"\partial w_{ij}} = \delta_j \cdot o_i" in math_
        assert r"\sum_k w_{jk}" in math_ and "w_{ji}" not in math_ and "w_{kj}" not in math_
    else:  # the gradient of a weight from hidden neuron j into output k
        assert r"\partial w_{jk}} = " in math_ and "w_{kj}" not in math_


def _prose(section: Section) -> list[Seg]:
    return [seg for x in section.items if isinstance(x, Paragraph) for seg in x.prose]


def test_the_default_order_stays_target_first() -> None:
    """Names that carry no two indices (seed 003's w5, w6) keep the textbook's w_ji."""
    _, page = _explained("blanco-performance")
    math_ = " ".join(seg.value for x in page.sections for seg in _prose(x) if seg.kind == "math")
    assert r"\partial w_{ji}} = \delta_j \cdot o_i" in math_ and r"\sum_k w_{kj}" in math_


def test_seed_004s_formula_is_math() -> None:
    """−(t_j − o_j)·o_j(1 − o_j)·o_i was plain text, its underscores escaped; it is math now,
    with the page's own letters (k the output, j the hidden neuron)."""
    _, page = _explained("leonel-sigmoid")
    words = " ".join(_words(tuple(_prose(x))) for x in page.sections)
    assert "_j" not in words and "_k" not in words and "_i" not in words
    formula = r"-\left(t_{k} - o_{k}\right) \cdot o_{k} \cdot \left(1 - o_{k}\right) \cdot o_{j}"
    assert any(
        seg.kind == "math" and formula in seg.value for x in page.sections for seg in _prose(x)
    )


def test_sequential_updates_are_shown_in_the_order_made() -> None:
    """Output layer first, each before the sentence that says it was updated above."""
    net, page = _page(SCENARIOS / "mazur-2-2-2-sequential.toml")
    order = [net.neuron(n).weights for layer in reversed(net.layers) for n in layer]
    expected = [w for ws in order for w in ws]  # w5 … w8, then w1 … w4
    rows = re.findall(r"^w_\{(\d+)\}\^\{\+\} &=", page, flags=re.M)
    assert [f"w{k}" for k in rows] == expected
    for m in re.finditer(r"\$w_\{(\d+)\}\$ has already been updated above", page):
        assert page.index(f"w_{{{m.group(1)}}}^{{+}} &=") < m.start()


def test_cross_entropy_keeps_one_sign_convention() -> None:
    """δ = o − t in (3); the chains through it keep (o − t), not sympy's −x·(t − o)."""
    _, page = _page(SCENARIOS / "cross-entropy.toml")
    assert r"t - \mathrm{out}_{o}" not in page
    assert r"&= \left(\mathrm{out}_{o} - t\right) \cdot \mathrm{out}_{h1}" in page
    assert r"&= \mathrm{out}_{o} - t \\" in page


def test_a_performance_is_not_called_a_loss() -> None:
    """Seed 003's P is maximised: the setup, the forward and the backward pass say so."""
    net, page = _explained("blanco-performance")
    assert LOSSES[net.loss_rule].ascent
    mine = [x for x in page.sections if x.anchor in ("setup", "forward", "backward")]
    mine += [x for x in page.sections if x.anchor.startswith("layer-")]
    words = [_words(tuple(_prose(x))) for x in mine]
    assert len(mine) == 2 + len(net.layers) + 1
    assert not any("loss" in w.lower() for w in words)
    assert "Performance: " in words[0]
