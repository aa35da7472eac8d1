"""A graph that learns: its trained leaves after k steps against gradient descent written
independently (plain Python, central differences of the whole expression), the compiled loop
against the stepwise pass, exact arithmetic against fractions by hand, claims at steps with
their diagnoses, and the [training] table's errors."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import tomllib
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sympy as sp

from explainer.check import gates
from explainer.cli import main
from explainer.derive import local
from explainer.evaluate import arithmetic, graph_step, graph_training, trainer
from explainer.foundation.errors import ScenarioError
from explainer.graph import circuit
from explainer.pipeline import explain, explain_values, findings
from explainer.read.graph_scenario import GraphScenario
from explainer.read.scenario import from_mapping, load
from explainer.read.settings import Options, resolve_graph
from tests.conftest import SCENARIOS

NEURON = SCENARIOS / "circuit-neuron-training.toml"


def graph(
    nodes: dict[str, str],
    leaves: dict[str, float],
    training: dict[str, Any],
    claims: dict[str, Any] | None = None,
    **more: Any,
) -> GraphScenario:
    raw = {"title": "t", "graph": {"leaves": leaves, "nodes": nodes, **more}, "training": training}
    if claims:
        raw["claims"] = claims
    s = from_mapping(raw, "g")
    assert isinstance(s, GraphScenario)
    return s


def graph_of(raw: dict[str, Any]) -> GraphScenario:
    s = from_mapping(raw, "g")
    assert isinstance(s, GraphScenario)
    return s


def values(s: Any, **options: Any) -> dict[str, Any]:
    return dict(explain_values(s, Options(**options)).values)


def _neuron_loss(w0: float, w1: float, w2: float) -> float:
    # the shipped scenario's graph written out by hand: L = (t − σ(w0·x0 + w1·x1 + w2))²
    x0, x1, t = -1.0, -2.0, 1.0
    f = 1.0 / (1.0 + math.exp(-(w0 * x0 + w1 * x1 + w2)))
    return (t - f) ** 2


def _descend(loss: Any, start: list[float], rate: float, steps: int) -> list[list[float]]:
    """Gradient descent with central-difference gradients: shares nothing with explainer."""
    h, path, p = 1e-6, [list(start)], list(start)
    for _ in range(steps):
        g = []
        for i in range(len(p)):
            up, down = list(p), list(p)
            up[i] += h
            down[i] -= h
            g.append((loss(*up) - loss(*down)) / (2 * h))
        p = [x - rate * gi for x, gi in zip(p, g, strict=True)]
        path.append(list(p))
    return path


def test_the_shipped_neuron_trains_as_independent_gradient_descent() -> None:
    s = load(NEURON)
    assert isinstance(s, GraphScenario) and s.training is not None
    v = values(s)
    path = _descend(_neuron_loss, [2.0, -3.0, -3.0], s.training.learning_rate, s.training.steps)
    for k in range(1, s.training.steps + 1):
        for i, leaf in enumerate(("w0", "w1", "w2")):
            assert v[f"{leaf}@{k}"] == pytest.approx(path[k][i], abs=1e-8)
        assert v[f"L@{k}"] == pytest.approx(_neuron_loss(*path[k]), abs=1e-10)
    # the worked update is the first step, and its change is new − old
    assert v["w0@1"] == pytest.approx(2.0 - s.training.learning_rate * v["dL/dw0"], abs=1e-15)
    assert v["Δw1@1"] == pytest.approx(v["w1@1"] - v["w1"], abs=1e-15)
    # the fixed leaves do not move, and have no keys after step 0
    assert "x0@1" not in v and "t@3" not in v


def test_more_steps_from_the_command_line(tmp_path: Path) -> None:
    s = load(NEURON)
    v = values(s, steps=40)
    path = _descend(_neuron_loss, [2.0, -3.0, -3.0], 1.0, 40)
    assert v["w2@40"] == pytest.approx(path[40][2], abs=1e-7)
    assert v["L@40"] < v["L@10"] < v["L"]


GRAPHS = [
    # (nodes, leaves, trained): a sigmoid neuron, a ReLU with a max, a shared leaf, a power
    (
        {"s": "w*x + b", "f": "1 / (1 + exp(-s))", "L": "(t - f)**2"},
        {"w": 0.5, "x": 1.5, "b": -0.2, "t": 0.0},
        ["w", "b"],
    ),
    ({"h": "relu(a*x - 1)", "m": "max(h, a)", "L": "(m - 3)**2 / 2"}, {"a": 2.0, "x": 1.25}, ["a"]),
    ({"q": "w*w + w*v + 4", "L": "sqrt(q) + log(1 + v*v)"}, {"w": 1.5, "v": 0.5}, ["w", "v"]),
    ({"y": "tanh(a*x)", "L": "abs(y - 0.25)"}, {"a": 0.7, "x": 2.0}, ["a"]),
]


@pytest.mark.parametrize(("nodes", "leaves", "trained"), GRAPHS)
def test_the_compiled_loop_is_the_stepwise_pass(
    nodes: dict[str, str], leaves: dict[str, float], trained: list[str]
) -> None:
    s = graph(nodes, leaves, {"train": trained, "learning_rate": 0.1, "steps": 25})
    assert s.training is not None
    c = circuit.split(s)
    locals_ = local.derive(c)
    assert graph_step.loop_for(c, locals_, s.training.train) is not None
    ar = arithmetic.arithmetic("float64")
    every = frozenset(range(26))
    fast = graph_training.train(c, locals_, ar, s.training, 25, every, every)
    slow = graph_training.stepwise(c, locals_, ar, s.training, 25, every, every)
    assert [x.k for x in fast.steps] == [x.k for x in slow.steps] == list(range(26))
    for a, b in zip(fast.steps, slow.steps, strict=True):
        for w in c.wires:
            assert float(a.values[w]) == pytest.approx(float(b.values[w]), rel=1e-12, abs=1e-14)
    assert [k for k, _ in fast.curve] == [k for k, _ in slow.curve]


@pytest.mark.parametrize("until", [None, 1e-4])
@pytest.mark.parametrize(
    ("record", "sample"),
    [(frozenset(), frozenset({0, 25})), (frozenset({7, 19}), frozenset({0, 3, 4, 11, 25}))],
)
def test_the_compiled_loop_runs_between_the_steps_it_keeps_as_the_stepwise_pass_steps(
    until: float | None, record: frozenset[int], sample: frozenset[int]
) -> None:
    # the loop tests nothing between two kept steps; with a stopping rule, after every step
    s = graph(
        {"y": "sigmoid(w*x + b)", "L": "(y - t)**2"},
        {"w": 0.3, "x": 1.5, "b": -0.2, "t": 0.9},
        {"train": ["w", "b"], "learning_rate": 2.0, "steps": 25}
        | ({"until_loss": until} if until else {}),
    )
    assert s.training is not None
    c = circuit.split(s)
    locals_ = local.derive(c)
    ar = arithmetic.arithmetic("float64")
    fast = graph_training.train(c, locals_, ar, s.training, 25, record, sample)
    slow = graph_training.stepwise(c, locals_, ar, s.training, 25, record, sample)
    kept = [x.k for x in slow.steps]
    assert [x.k for x in fast.steps] == kept
    assert kept == ([0, 7, 19, 25] if record and until is None else kept)
    if until is not None:  # stopped early, between two kept steps, at the first below it
        assert kept[-1] not in {0, 25, *record, *sample}
        assert float(slow.steps[-1].values["L"]) < until <= float(slow.steps[-2].values["L"])
    for a, b in zip(fast.steps, slow.steps, strict=True):
        for w in c.wires:
            assert float(a.values[w]) == pytest.approx(float(b.values[w]), rel=1e-12, abs=1e-14)
    assert [k for k, _ in fast.curve] == [k for k, _ in slow.curve]
    assert [x for _, x in fast.curve] == pytest.approx([x for _, x in slow.curve], rel=1e-12)


def test_a_stopping_rule_keeps_a_bounded_even_curve_in_both_loops() -> None:
    # 2,000 steps and a threshold never met: more than 2·CURVE_POINTS steps, so the stride
    # doubles (curve.Watched); the generated loop writes the same rule out
    s = graph(
        {"y": "w*x", "L": "(y - t)**2 + 1"},
        {"w": 0.8, "x": 1.5, "t": 0.5},
        {"train": ["w"], "learning_rate": 0.01, "steps": 2000, "until_loss": 0.5},
    )
    assert s.training is not None
    c = circuit.split(s)
    locals_ = local.derive(c)
    ar = arithmetic.arithmetic("float64")
    fast = graph_training.train(c, locals_, ar, s.training, 2000, frozenset(), frozenset())
    slow = graph_training.stepwise(c, locals_, ar, s.training, 2000, frozenset(), frozenset())
    ks = [k for k, _ in slow.curve]
    assert [k for k, _ in fast.curve] == ks
    assert [x for _, x in fast.curve] == pytest.approx([x for _, x in slow.curve], rel=1e-12)
    assert ks[0] == 0 and ks[-1] == 2000 and len(ks) <= trainer.CURVE_POINTS + 1
    assert len({b - a for a, b in itertools.pairwise(ks[:-1])}) <= 2  # evenly spread


def test_exact_arithmetic_is_gradient_descent_in_fractions() -> None:
    # L = (w·x − t)², ∂L/∂w = 2x(w·x − t): by hand in fractions, three steps with η = 1/10
    s = graph(
        {"y": "w*x", "L": "(y - t)**2"},
        {"w": 0.8, "x": 1.5, "t": 0.5},
        {"train": ["w"], "learning_rate": 0.1, "steps": 3},
    )
    v = values(s, arithmetic="exact")
    w, x, t, eta = Fraction(4, 5), Fraction(3, 2), Fraction(1, 2), Fraction(1, 10)
    for k in (1, 2, 3):
        w = w - eta * 2 * x * (w * x - t)
        assert Fraction(v[f"w@{k}"]) == w
    assert Fraction(v["L@3"]) == (w * x - t) ** 2


def test_until_loss_stops_the_training_early() -> None:
    s = graph(
        {"y": "w*x", "L": "(y - t)**2"},
        {"w": 0.8, "x": 1.5, "t": 0.5},
        {"train": ["w"], "learning_rate": 0.1, "steps": 500, "until_loss": 1e-6},
    )
    v = values(s)
    last = max(int(k.split("@")[1]) for k in v if k.startswith("L@"))
    w, k = 0.8, 0  # by hand: the first step whose loss is below 10⁻⁶
    while (1.5 * w - 0.5) ** 2 >= 1e-6:
        w, k = w - 0.1 * 2 * 1.5 * (1.5 * w - 0.5), k + 1
    assert last == k < 500 and v[f"L@{last}"] < 1e-6
    page = explain(s)
    text = json.dumps([str(x) for x in page.sections])
    assert "below the stopping value" in text


def test_claims_at_steps_are_checked_and_diagnosed() -> None:
    s = load(NEURON)
    assert isinstance(s, GraphScenario)
    v = values(s)
    raw = {
        "title": "t",
        "graph": {
            "leaves": dict(s.leaves),
            "nodes": {"s": "w0*x0 + w1*x1 + w2", "f": "sigmoid(s)", "L": "(t - f)**2"},
            "output": "L",
        },
        "training": {"train": ["w0", "w1", "w2"], "learning_rate": 1, "steps": 3},
        "claims": {
            "w0@3": f"{v['w0@3']:.4f}",
            "L@3": f"{v['L@2']:.4f}",  # the loss one step early
            "Δw2@1": f"{-v['Δw2@1']:.4f}",  # the change printed as the amount subtracted
        },
    }
    checked = {f.claim.key: f for f in findings(from_mapping(raw, "g"))}
    assert checked["w0@3"].reproduced
    assert not checked["L@3"].reproduced
    assert "one step fewer (2 instead of 3)" in checked["L@3"].diagnosis
    assert "amount subtracted" in checked["Δw2@1"].diagnosis
    # more steps on the command line move no verdict
    more = gates.results(resolve_graph(graph_of(raw), Options(steps=50)))
    assert {f.claim.key: f.reproduced for f in more.findings} == {
        k: f.reproduced for k, f in checked.items()
    }


def test_the_page_shows_each_update_and_the_training_table() -> None:
    page = explain(load(NEURON))
    anchors = [x.anchor for x in page.sections]
    assert anchors.index("gradients") < anchors.index("updates") < anchors.index("training")
    updates = next(x for x in page.sections if x.anchor == "updates")
    rows = [r for item in updates.items if item.kind == "display" for r in item.rows]
    assert len(rows) == 3 and all(
        r.startswith(("w_{0}^{+}", "w_{1}^{+}", "w_{2}^{+}")) for r in rows
    )
    table = next(
        i for x in page.sections if x.anchor == "training" for i in x.items if i.kind == "table"
    )
    assert len(table.rows) == 4  # steps 0 to 3


@pytest.mark.parametrize(
    ("training", "key", "expected"),
    [
        ({"train": "w", "learning_rate": 0.1}, "training.train", "a list of the leaves"),
        ({"train": ["w", "z"], "learning_rate": 0.1}, "training.train[1]", "a leaf of the graph"),
        ({"train": ["w", "w"], "learning_rate": 0.1}, "training.train", "each leaf once"),
        ({"train": ["w"], "learning_rate": -1}, "training.learning_rate", "positive"),
        ({"train": ["w"], "learning_rate": 0.1, "steps": 0}, "training.steps", ""),
        ({"train": ["w"], "learning_rate": 0.1, "momentum": 0.9}, "training.momentum", ""),
    ],
)
def test_a_bad_training_table_is_located(training: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as e:
        graph({"y": "w*x", "L": "(y - t)**2"}, {"w": 0.8, "x": 1.5, "t": 0.5}, training)
    assert e.value.key == key
    assert expected in str(e.value)


def test_a_diverging_training_names_the_quantity(
    write_scenario: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scenario(
        'title = "d"\n[graph]\nleaves = { w = 3, x = 2 }\nnodes = { y = "w*w*x" }\n'
        '[training]\ntrain = ["w"]\nlearning_rate = 50\nsteps = 300\n',
        "diverge",
    )
    assert main(["render", str(path), "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert "graph.nodes.y" in err and "training steps" in err and "Traceback" not in err


def _json(name: str) -> dict[str, Any]:
    return dict(explain_values(load(SCENARIOS / f"{name}.toml")).values)


def test_mazur_as_a_graph_computes_every_value_the_network_form_does() -> None:
    network, graph_form = _json("mazur-2-2-2"), _json("mazur-2-2-2-graph")
    common = [k for k in network if k in graph_form]
    # all but the layered view's own quantities: δ and the per-output terms' shares
    left = sorted(set(network) - set(common))
    assert all(k.startswith(("delta_", "dE_o1/", "dE_o2/")) for k in left), left
    assert len(common) >= 280 and "E_total@10000" in common and "dE_total/di1" in common
    for k in common:
        assert graph_form[k] == pytest.approx(network[k], abs=1e-12), k


def test_mazur_as_a_graph_gets_the_network_forms_verdicts() -> None:
    network = {f.claim.key: f for f in findings(load(SCENARIOS / "mazur-2-2-2.toml"))}
    graph_form = findings(load(SCENARIOS / "mazur-2-2-2-graph.toml"))
    for f in graph_form:
        if f.claim.key in network and f.claim.printed == network[f.claim.key].claim.printed:
            assert f.reproduced == network[f.claim.key].reproduced
            assert f.diagnosis == network[f.claim.key].diagnosis
    assert "sequential updates" in {f.claim.key: f for f in graph_form}["E_total@1"].diagnosis


def test_a_sequential_graph_update_is_the_networks_layer_by_layer_update() -> None:
    # the network moves w5…w8 before it differentiates the hidden layer; the graph moves each
    # leaf once its gradient is complete: the same numbers (but for the inputs' gradients,
    # which the network takes at the starting weights)
    def sequential(name: str) -> dict[str, Any]:
        raw = tomllib.loads((SCENARIOS / f"{name}.toml").read_text(encoding="utf-8"))
        raw["training"].update(update="sequential", steps=30)
        return dict(explain_values(from_mapping(raw, name)).values)

    network, graph_form = sequential("mazur-2-2-2"), sequential("mazur-2-2-2-graph")
    common = [k for k in network if k in graph_form and not k.startswith("dE_total/di")]
    assert "dnet_o1/dout_h1" in common and "w1@30" in common
    for k in common:
        assert graph_form[k] == pytest.approx(network[k], abs=1e-12), k


def test_the_compiled_sequential_loop_is_the_stepwise_pass() -> None:
    s = load(SCENARIOS / "mazur-2-2-2-graph.toml")
    assert isinstance(s, GraphScenario) and s.training is not None
    t = dataclasses.replace(s.training, update="sequential")
    c = circuit.split(s)
    locals_ = local.derive(c)
    ar = arithmetic.arithmetic("float64")
    every = frozenset(range(21))
    fast = graph_training.train(c, locals_, ar, t, 20, every, every)
    slow = graph_training.stepwise(c, locals_, ar, t, 20, every, every)
    for a, b in zip(fast.steps, slow.steps, strict=True):
        for w in c.wires:
            assert float(a.values[w]) == pytest.approx(float(b.values[w]), rel=1e-12, abs=1e-15)
    simultaneous = graph_training.train(c, locals_, ar, s.training, 20, every, every)
    assert float(simultaneous.at(20).values["w1"]) != pytest.approx(
        float(fast.at(20).values["w1"]), abs=1e-9
    )


# ---------------------------------------------------------------- found in review


def test_a_forward_value_past_float_range_is_located_in_the_compiled_loop(
    write_scenario: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # the compiled loop once checked only the trained leaves: L = inf reached the JSON
    path = write_scenario(
        'title = "t"\n[graph]\nleaves = { w = 1, x = 3, t = 1 }\nnodes = { e = "w*x - t", '
        'L = "e*e" }\n[training]\ntrain = ["w"]\nlearning_rate = 1\nsteps = 200\n'
    )
    assert main(["render", str(path), "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert "graph.nodes.L" in err and "after 126 training steps" in err


def test_a_leaf_too_large_to_carry_on_paper_is_located(
    write_scenario: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scenario(
        'title = "t"\n[graph]\nleaves = { w = 1e300, x = 2, t = 3 }\nnodes = { L = "(w*x - t)**2" }\n'
    )
    assert main(["render", str(path), "--format", "json", "--arithmetic", "paper:4"]) == 2
    assert "graph.leaves.w" in capsys.readouterr().err


@pytest.mark.parametrize("data", ["", '[data]\nleaves = ["x", "t"]\nrows = [[2, 3], [1, 1]]\n'])
@pytest.mark.parametrize("command", [["render", "--format", "json"], ["handout", "-f", "tex"]])
def test_a_learning_rate_too_large_to_carry_on_paper_is_located(
    write_scenario: Any,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    data: str,
    command: list[str],
) -> None:
    """Found by the fuzz run (seed 41): a handout of a graph with η = 1.2e214, whose key is
    worked on paper, was an internal error."""
    path = write_scenario(
        'title = "t"\n[graph]\nleaves = { w = 0.5, x = 2, t = 3 }\nnodes = { L = "(w*x - t)**2" }\n'
        '[training]\ntrain = ["w"]\nlearning_rate = 1.2e214\nsteps = 3\n' + data
    )
    out = tmp_path / "out"
    argv = [command[0], str(path), *command[1:], "--arithmetic", "paper:4", "-o", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{path}: training.learning_rate" in err and "Traceback" not in err
    assert not out.exists()


def test_fewer_steps_on_the_command_line_keep_the_claims_of_later_steps() -> None:
    s = load(SCENARIOS / "mazur-2-2-2-graph.toml")
    assert isinstance(s, GraphScenario)
    few = gates.results(resolve_graph(s, Options(steps=1)))
    own = {f.claim.key: (f.reproduced, f.diagnosis) for f in findings(s)}
    assert {f.claim.key: (f.reproduced, f.diagnosis) for f in few.findings} == own
    assert "E_total@1" in dict(few.values) and "E_total@10000" not in dict(few.values)


def test_a_sequential_step_differentiates_one_gate_at_one_point() -> None:
    # L = (p·q − 1.5)², both trained: swapping p and q swaps their gradients
    def gradients(p: float, q: float) -> tuple[float, float]:
        s = graph(
            {"L": "(p*q - 1.5)**2"},
            {"p": p, "q": q},
            {"train": ["p", "q"], "learning_rate": 0.1, "update": "sequential"},
        )
        v = values(s)
        return v["dL/dp"], v["dL/dq"]

    dp, dq = gradients(0.5, 2.0)
    assert gradients(2.0, 0.5) == (dq, dp)
    assert (dp, dq) == pytest.approx((2 * (1.0 - 1.5) * 2.0, 2 * (1.0 - 1.5) * 0.5), abs=1e-15)


@pytest.mark.parametrize("arithmetic", ["float64", "exact"])
def test_a_stopping_value_met_at_the_start_takes_no_step(arithmetic: str) -> None:
    s = graph(
        {"y": "w*x", "L": "(y - 1)**2"},
        {"w": 0.6, "x": 2.0},
        {"train": ["w"], "learning_rate": 0.1, "steps": 5, "until_loss": 0.5},
    )
    v = values(s, arithmetic=arithmetic)
    assert not [k for k in v if "@" in k]


def test_the_printer_brackets_a_negative_base() -> None:
    code = graph_step._Code(graph_step.PRINTERS["python"], {})
    text = code.expr(sp.Pow(sp.Integer(-2), sp.Integer(2), evaluate=False))
    assert eval(text) == 4.0


def test_claims_with_no_step_on_a_graph_that_learns_are_verified() -> None:
    # found by the fuzzer: with no claim at a step, the steps to train to were max() of one
    s = graph(
        {"y": "w*x", "L": "(y - 1)**2"},
        {"w": 0.6, "x": 2.0},
        {"train": ["w"], "learning_rate": 0.1},
        claims={"dL/dw": "0.8"},
    )
    (finding,) = findings(s)
    assert finding.reproduced


@pytest.mark.parametrize(
    ("written", "factor", "diagnosis"),
    [
        ("(t - f)**2", 0.5, "with a ½ in the output"),
        ("(t - f)**2 / 2", 2.0, "without the ½ in the output"),
        ("0.5 * (t - f)**2", 2.0, "without the ½ in the output"),
    ],
)
def test_the_half_of_a_squared_error_is_a_diagnosis(
    written: str, factor: float, diagnosis: str
) -> None:
    s = load(NEURON)
    assert isinstance(s, GraphScenario)
    nodes = {"s": "w0*x0 + w1*x1 + w2", "f": "sigmoid(s)", "L": written}
    training = {"train": ["w0", "w1", "w2"], "learning_rate": 1, "steps": 3}
    v = values(graph(nodes, dict(s.leaves), training, output="L"))
    # the source's gradient and its weight after three steps, by the other convention: its
    # gradient is `factor` times ours (by hand, the same graph with the output scaled)
    other = {"L": f"({written}) * {factor}"}
    w = values(graph({**nodes, **other}, dict(s.leaves), training, output="L"))
    assert w["dL/dw0"] == pytest.approx(factor * v["dL/dw0"], rel=1e-12)
    claims = {"dL/dw0": f"{w['dL/dw0']:.4f}", "w0@3": f"{w['w0@3']:.4f}"}
    checked = findings(graph(nodes, dict(s.leaves), training, claims, output="L"))
    assert all(not f.reproduced and diagnosis in f.diagnosis for f in checked)


def test_an_output_that_is_not_a_squared_error_has_no_half() -> None:
    s = graph(
        {"y": "w*x", "L": "y**3"}, {"w": 0.8, "x": 1.5}, {"train": ["w"], "learning_rate": 0.1}
    )
    assert gates.halved(s) is None
