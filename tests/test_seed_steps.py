"""The seed articles' steps on their pages, each checked against an independent computation:
seed 000's forecast of unseen points, seed 003's step replaced by the sigmoid and its "why the
½", seed 004's sum over the outputs dropped from the loss's derivative."""

from __future__ import annotations

import csv
import math

import pytest
import sympy as sp

from explainer.check.results import results
from explainer.evaluate.compute import run
from explainer.foundation.precision import show
from explainer.graph.network import sym
from explainer.page.model import Paragraph, Section, Table
from explainer.pipeline import explain
from explainer.read import scenario
from explainer.read.settings import resolve
from explainer.render.formats import render
from tests.conftest import SCENARIOS


def section(name: str, anchor: str) -> Section:
    page = explain(scenario.load(SCENARIOS / f"{name}.toml"))
    return next(x for x in page.sections if x.anchor == anchor)


def words(items: tuple[object, ...]) -> str:
    return " ".join(
        "".join(seg.value for seg in x.prose) for x in items if isinstance(x, Paragraph)
    )


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_the_sine_forecast_is_the_trained_network_on_the_unseen_rows() -> None:
    """Seed 000: the unseen windows, read from their CSV here, through a forward pass written
    out by hand with the last step's parameters."""
    s = scenario.load_network(SCENARIOS / "serengil-sine.toml")
    r = results(resolve(s))
    assert r.view.forecast is not None
    final = dict(
        zip(
            (p.key for p in r.view.run.net.params),
            r.view.run.training.steps[-1].params,
            strict=True,
        )
    )
    with open(SCENARIOS / "data" / "sine-unseen.csv", encoding="utf-8") as f:
        rows = [[float(v) for v in row] for row in list(csv.reader(f))[1:]]
    assert len(rows) == len(r.view.forecast.outputs) == 16
    training_points = {tuple(x) for x, _ in s.data}
    squares = []
    for row, (out,) in zip(rows, r.view.forecast.outputs, strict=True):
        x, y = row[:3], row[3]
        assert tuple(x) not in training_points
        h = [
            sigmoid(sum(final[f"w{3 * j + k + 1}"] * x[k] for k in range(3)) + final[f"b_h{j + 1}"])
            for j in range(3)
        ]
        o = sigmoid(sum(final[f"w{10 + j}"] * h[j] for j in range(3)) + final["b_o"])
        assert out == pytest.approx(o, rel=1e-12)
        squares.append((y - o) ** 2)
    assert r.view.forecast.loss == pytest.approx(sum(squares) / len(squares), rel=1e-12)
    part = section("serengil-sine", "forecast")
    assert show(r.view.forecast.loss, s.digits).latex in words(part.items)
    table = next(x for x in part.items if isinstance(x, Table))
    assert len(table.rows) == 16
    assert any(getattr(x, "kind", "") == "figure" for x in part.items)


def test_only_a_scenario_with_unseen_examples_forecasts() -> None:
    page = explain(scenario.load(SCENARIOS / "mazur-2-2-2.toml"))
    assert "forecast" not in {x.anchor for x in page.sections}


def test_blanco_compares_each_sigmoid_with_the_step_it_replaces() -> None:
    """Seed 003: H(net) and σ(net), σ′(net) at each neuron's net input, from the page's own
    forward pass recomputed here."""
    s = scenario.load_network(SCENARIOS / "blanco-performance.toml")
    ev = run(s).evaluation
    part = section("blanco-performance", "replaced")
    table = next(x for x in part.items if isinstance(x, Table))
    for row in table.rows:
        name = "".join(seg.value for seg in row[0])
        net = float(ev.node(f"net_{name}"))
        cells = ["".join(seg.value for seg in c) for c in row[1:]]
        expected = (
            net,
            1.0 if net > 0 else 0.0,
            0.0,
            sigmoid(net),
            sigmoid(net) * (1 - sigmoid(net)),
        )
        assert cells == [show(v, s.digits).latex for v in expected]
    assert "every gradient would be 0" in words(part.items)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("blanco-performance", "2 · (−½) = −1"),
        ("mazur-2-2-2", "2 · ½ = 1"),
        ("leonel-sigmoid", "2 · ½ = 1"),
    ],
)
def test_a_halved_loss_says_why_the_half(name: str, says: str) -> None:
    md = render(explain(scenario.load(SCENARIOS / f"{name}.toml")), "md")
    assert md.count("The ½ in the") == 1 and says in md


def test_no_half_no_reason_for_it() -> None:
    md = render(explain(scenario.load(SCENARIOS / "serengil-sine.toml")), "md")  # (y − o)²
    assert "The ½ in the" not in md


def test_blanco_derives_dP_dz_before_its_delta() -> None:
    md = render(explain(scenario.load(SCENARIOS / "blanco-performance.toml")), "md")
    derivation = md.index(r"\frac{\partial P}{\partial z_{1}} &= \frac{\partial}{\partial z_{1}}")
    assert derivation < md.index(r"\delta_{z1} &=")
    assert r"&= d - z_{1} \\" in md


def test_the_sum_over_the_outputs_drops_out_term_by_term() -> None:
    """Seed 004: each output's own term differentiated, the other terms 0 in their places; the
    step equals sympy.diff of the whole written-out loss."""
    s = scenario.load_network(SCENARIOS / "leonel-sigmoid.toml")
    r = run(s)
    net, d = r.net, r.chain
    written = sum(sp.Rational(1, 2) * (sym(n.target or "") - sym(n.out)) ** 2 for n in net.outputs)
    for at, n in enumerate(net.outputs):
        local = d.local(
            next(p for p in (x.partial for x in d.locals) if p.of == net.loss and p.by == n.out)
        )
        assert local is not None
        (step,) = local.steps
        assert isinstance(step, sp.Add)
        zeros = [i for i, a in enumerate(step.args) if a == 0]
        assert zeros == [i for i in range(len(net.outputs)) if i != at]
        assert sp.simplify(step.doit() - sp.diff(written, sym(n.out))) == 0
    md = render(explain(scenario.load(SCENARIOS / "leonel-sigmoid.toml")), "md")
    assert r"\cdot \left(-1\right) + 0 \\" in md and r"&= 0 + 2 \cdot" in md
    assert "the sum drops out" in md
