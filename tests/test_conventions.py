"""Each convention of issue 3 checked against an independent computation: a hand-written numpy
network, a closed form, or central finite differences of the loss."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pytest

from explainer.derive import derivation
from explainer.derive.derivation import Partial
from explainer.evaluate import trainer
from explainer.evaluate import worked as evaluate
from explainer.evaluate.worked import Blame
from explainer.graph import network
from explainer.page.model import Explanation, Table
from explainer.pipeline import explain, render_text
from explainer.read import scenario
from explainer.read.settings import schedule
from tests.conftest import SCENARIOS, WriteScenario


def load(name: str) -> scenario.Scenario:
    return scenario.load_network(SCENARIOS / f"{name}.toml")


def floats(e: Explanation) -> dict[str, float]:
    """A page's values; in float arithmetic every one is a float (only exact arithmetic writes
    a fraction as the string "6/5")."""
    return cast(dict[str, float], dict(e.values))


def values(name: str, **changes: Any) -> dict[str, float]:
    s = dataclasses.replace(load(name), **changes) if changes else load(name)
    return floats(explain(s))


def gradient(b: Blame) -> float:
    assert b.gradient is not None, b.neuron  # None only where backpropagation derived none
    return float(b.gradient)


def sig(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 1 / (1 + np.exp(-z))


MAZUR_X = np.array([0.05, 0.10])
MAZUR_T = np.array([0.01, 0.99])
MAZUR_W1 = np.array([[0.15, 0.20], [0.25, 0.30]])
MAZUR_W2 = np.array([[0.40, 0.45], [0.50, 0.55]])


def mazur_by_hand(sequential: bool, steps: int = 1) -> float:
    """Mazur's network written out with numpy, independent of explainer's graph code."""
    w1, w2 = MAZUR_W1.copy(), MAZUR_W2.copy()
    for _ in range(steps):
        h = sig(w1 @ MAZUR_X + 0.35)
        o = sig(w2 @ h + 0.60)
        d2 = -(MAZUR_T - o) * o * (1 - o)
        w2_new = w2 - 0.5 * np.outer(d2, h)
        d1 = ((w2_new if sequential else w2).T @ d2) * h * (1 - h)
        w1 = w1 - 0.5 * np.outer(d1, MAZUR_X)
        w2 = w2_new
    h = sig(w1 @ MAZUR_X + 0.35)
    o = sig(w2 @ h + 0.60)
    return float(0.5 * np.sum((MAZUR_T - o) ** 2))


@pytest.mark.parametrize("order", ["simultaneous", "sequential"])
def test_update_order_matches_hand_written_network(order: str) -> None:
    v = values("mazur-2-2-2", update=order, steps=5)
    for k in (1, 5):
        assert v[f"E_total@{k}"] == pytest.approx(mazur_by_hand(order == "sequential", k), 1e-12)


def test_sequential_reproduces_the_published_error_after_one_step() -> None:
    # Mazur prints 0.291027924 after the first round; only the sequential order gives it.
    assert round(values("mazur-2-2-2-sequential")["E_total@1"], 9) == 0.291027924
    assert round(values("mazur-2-2-2")["E_total@1"], 9) == 0.291027774


def test_sequential_walkthrough_equals_its_training_loop() -> None:
    v = values("mazur-2-2-2-sequential")
    s = dataclasses.replace(load("mazur-2-2-2-sequential"), steps=1)
    step = trainer.train(network.build(s), schedule(s), 1, range(1 + 1)).at(1)
    keys = [p.key for p in network.build(s).params]
    for key, value in zip(keys, step.params, strict=True):
        assert v.get(f"{key}@1", value) == pytest.approx(value, rel=1e-12)


def test_sequential_page_shows_the_updated_weight() -> None:
    md = render_text(load("mazur-2-2-2-sequential"), "md")
    assert "Sequential update" in md and "w_{5}^{+}" in md


def loss_by_finite_differences(s: scenario.Scenario, key: str, h: float = 1e-6) -> float:
    net = network.build(s)
    ar = evaluate.ARITHMETIC["float64"]

    def loss(shift: float) -> float:
        params = {p.key: ar.number(p.value + (shift if p.key == key else 0)) for p in net.params}
        return float(evaluate.forward(net, params, ar)[net.loss])

    return (loss(h) - loss(-h)) / (2 * h)


@pytest.mark.parametrize(
    "name", ["blanco-performance", "cross-entropy", "leonel-linear", "leonel-sigmoid"]
)
def test_gradients_equal_finite_differences(name: str) -> None:
    s = load(name)
    net = network.build(s)
    ev = evaluate.evaluate(net, derivation.derive(net), schedule(s))
    for p in net.trained:
        g = float(ev.partial(Partial(net.loss, p.key)))
        assert g == pytest.approx(loss_by_finite_differences(s, p.key), rel=1e-6, abs=1e-9)


def test_threshold_bias_is_a_weight_on_minus_one() -> None:
    # net = Σ w·x + θ·(−1), so ∂net/∂θ = −1 and the threshold moves against the bias.
    v = values("blanco-performance")
    assert v["dnet_z1/dt3"] == -1
    assert v["net_z1"] == pytest.approx(0.4 * v["h1"] - 0.7 * v["h2"] - 0.3, rel=1e-15)


def test_performance_function_is_climbed() -> None:
    # P = −½(d − z)²: the update is w + r·∂P/∂w and P rises towards its maximum 0.
    v = values("blanco-performance")
    z, d = v["z1"], v["d"]
    assert v["dP/dz1"] == pytest.approx(d - z, rel=1e-15)
    assert v["w5@1"] == pytest.approx(0.4 + 1.0 * v["dP/dw5"], rel=1e-15)
    assert v["P@1"] > v["P"] and v["P@200"] > v["P@1"]


def test_delta_notation_closed_forms() -> None:
    # seed 003: δ = z(1 − z)(d − z) at the output; δ_h = h(1 − h)·w·δ for a hidden neuron.
    v = values("blanco-performance")
    z, d, h1 = v["z1"], v["d"], v["h1"]
    assert v["delta_z1"] == pytest.approx(z * (1 - z) * (d - z), rel=1e-14)
    assert v["delta_h1"] == pytest.approx(h1 * (1 - h1) * 0.4 * v["delta_z1"], rel=1e-14)
    md = render_text(load("blanco-performance"), "md")
    assert r"\delta_{z1} &=" in md and r"w^{+} = w + r \cdot \delta_j \cdot o_i" in md


def test_delta_sign_is_a_setting() -> None:
    base = load("leonel-linear")
    minus = floats(explain(base))
    plus = floats(explain(dataclasses.replace(base, delta_sign="plus")))
    assert plus["delta_o1"] == pytest.approx(-minus["delta_o1"])
    assert plus["w11@1"] == pytest.approx(minus["w11@1"])  # same mathematics, other sign


def test_cross_entropy_cancels_to_out_minus_target() -> None:
    v = values("cross-entropy")
    assert v["dL/dnet_o"] == pytest.approx(v["out_o"] - v["t"], rel=1e-12)
    md = render_text(load("cross-entropy"), "md")
    assert r"&= \mathrm{out}_{o} - t \\" in md


def test_step_activation_passes_no_gradient_and_its_stand_in_learns() -> None:
    e = explain(load("serengil-step"))
    v = dict(e.values)
    assert v["dE/dw1"] == 0 and v["w1@1"] == 0.6
    assert v["E@50"] == v["E"]  # the step neuron cannot learn
    section = next(x for x in e.sections if x.anchor == "surrogate")
    table = section.items[-1]
    assert isinstance(table, Table)
    sigmoid_loss = [float(row[-1][0].value) for row in table.rows]
    assert sigmoid_loss[-1] < sigmoid_loss[0] / 2


def test_error_split_closed_forms() -> None:
    # seed 004: e1 = 1 − 0.92 = 0.08 is shared as e1·w11/Σw; dropping Σw gives Wᵀe, which for a
    # linear output and ½Σ(t − o)² is exactly −∂E/∂out_h.
    s = load("leonel-linear")
    net = network.build(s)
    ev = evaluate.evaluate(net, derivation.derive(net), schedule(s))
    shares, blames = evaluate.error_split(net, ev, s.path)
    assert round(float(ev.node("o_o1")), 12) == 0.92
    first = shares[0]
    assert float(first.value) == pytest.approx(0.08 * 0.9 / (0.9 + 0.8 + 0.4 + 0.15), rel=1e-12)
    w = np.array([[0.9, 0.8, 0.4, 0.15], [0.3, 0.2, 0.5, 0.6]])
    e = np.array([1.0, 0.6]) - np.array([float(ev.node("o_o1")), float(ev.node("o_o2"))])
    for b, expected in zip(blames, w.T @ e, strict=True):
        assert float(b.scaled) == pytest.approx(expected, rel=1e-12)
        assert gradient(b) == pytest.approx(expected, rel=1e-12)
        assert float(b.proportional) != pytest.approx(expected, rel=1e-3)


def test_sigmoid_output_breaks_the_scaled_split() -> None:
    s = load("leonel-sigmoid")
    net = network.build(s)
    ev = evaluate.evaluate(net, derivation.derive(net), schedule(s))
    _, blames = evaluate.error_split(net, ev, s.path)
    assert all(float(b.scaled) != pytest.approx(gradient(b), rel=1e-3) for b in blames)


def test_training_set_batch_mode_is_the_mean_gradient() -> None:
    data = (((0.0, 1.0), (0.2,)), ((1.0, 0.0), (0.8,)), ((1.0, 1.0), (0.5,)))
    s = dataclasses.replace(load("cross-entropy"), loss="half_sse", data=data, mode="batch")
    net = network.build(s)
    trained = trainer.train(net, schedule(s), 1, range(1 + 1))
    # independent: the gradient of the mean loss over the set, by finite differences
    grads = []
    for p in net.params:

        def mean_loss(shift: float, key: str = p.key) -> float:
            total = 0.0
            for x, t in data:
                one = dataclasses.replace(s, input_values=x, targets=t, data=())
                n1 = network.build(one)
                ar = evaluate.ARITHMETIC["float64"]
                params = {
                    q.key: ar.number(q.value + (shift if q.key == key else 0)) for q in n1.params
                }
                total += float(evaluate.forward(n1, params, ar)[n1.loss])
            return total / len(data)

        grads.append((mean_loss(1e-6) - mean_loss(-1e-6)) / 2e-6)
    expected = [p.value - s.learning_rate * g for p, g in zip(net.params, grads, strict=True)]
    assert trained.at(1).params == pytest.approx(expected, rel=1e-6)


def test_training_set_stochastic_mode_updates_per_example() -> None:
    data = (((0.0, 1.0), (0.2,)), ((1.0, 0.0), (0.8,)))
    s = dataclasses.replace(load("cross-entropy"), data=data, mode="stochastic")
    epoch = trainer.train(network.build(s), schedule(s), 1, range(1 + 1)).at(1).params
    # by hand: one single-example step per row, in order
    current = s
    for x, t in data:
        one = dataclasses.replace(current, input_values=x, targets=t, data=())
        step = trainer.train(network.build(one), schedule(one), 1, range(1 + 1)).at(1).params
        layers = _with_values(current, step)
        current = dataclasses.replace(current, layers=layers)
    final = [p.value for p in network.build(current).params]
    assert epoch == pytest.approx(final, rel=1e-12)


def _with_values(s: scenario.Scenario, params: tuple[float, ...]) -> tuple[scenario.Layer, ...]:
    it = iter(params)
    layers = []
    for layer in s.layers:
        weights = tuple(tuple(next(it) for _ in row) for row in layer.weights)
        biases = tuple(next(it) for _ in layer.biases)
        layers.append(dataclasses.replace(layer, weights=weights, biases=biases))
    return tuple(layers)


def test_sine_training_set_from_csv() -> None:
    s = load("serengil-sine")
    assert len(s.data) == 24 and s.input_values == s.data[0][0]
    e = explain(s)
    v = floats(e)
    last = max(int(k.split("@")[1]) for k in v if k.startswith("E@"))
    assert v[f"E@{last}"] < 0.0005 < v["E"]  # stopped by the threshold
    assert last < s.steps


def test_until_loss_stops_at_the_first_step_below_the_threshold() -> None:
    s = dataclasses.replace(load("single-weight"), steps=100, until_loss=1e-6)
    rows = trainer.train(network.build(s), schedule(s), 100, range(100 + 1)).steps
    assert rows[-1].loss < 1e-6 <= rows[-2].loss


def test_narrative_is_rendered_escaped(write_scenario: WriteScenario) -> None:
    text = (SCENARIOS / "single-weight.toml").read_text(encoding="utf-8")
    text += '\n[narrative]\nforward = "A <b>bold</b> claim: 100% & $5_x."\n'
    s = scenario.load_network(write_scenario(text))
    md = render_text(s, "md")
    assert r"A \<b\>bold\</b\> claim: 100% &amp; \$5\_x." in md
    assert r"A \textless{}b\textgreater{}bold" in render_text(s, "tex")


def test_json_of_every_shipped_scenario_is_plain_numbers() -> None:
    for path in sorted(SCENARIOS.glob("*.toml")):
        data = json.loads(render_text(scenario.load(path), "json"))
        assert all(isinstance(x, float) for x in data["values"].values()), path.stem
