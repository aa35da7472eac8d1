"""The seam of the one engine: every shipped network, read into one circuit (its nodes as gates),
gives through the graph engine's own forward and backward pass every number of the network
engine's worked step, and its training through the graph's generated loop the network
trainer's."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from explainer.derive import local
from explainer.evaluate import arithmetic, backprop, compute, graph_training, trainer
from explainer.graph import network_graph
from explainer.pipeline import explain_values
from explainer.read.graph_scenario import GraphTraining
from explainer.read.scenario import Scenario, load
from explainer.read.settings import schedule
from tests.conftest import SCENARIOS

NETWORKS = [p.stem for p in sorted(SCENARIOS.glob("*.toml")) if isinstance(load(p), Scenario)]
FLOAT64 = arithmetic.arithmetic("float64")


def _graph_of(name: str) -> tuple[Scenario, Any, Any, tuple[local.Local, ...]]:
    s = load(SCENARIOS / f"{name}.toml")
    assert isinstance(s, Scenario)
    s = dataclasses.replace(s, arithmetic="float64")  # the graph engine's worked step: float64
    net, _ = compute.derive(s)
    c = network_graph.circuit(net)
    return s, net, c, local.derive(c)


def _training(s: Scenario, net: Any, steps: int) -> GraphTraining:
    return GraphTraining(tuple(p.key for p in net.trained), s.learning_rate, steps, None, s.update)


@pytest.mark.parametrize("name", NETWORKS)
def test_the_graph_engine_computes_the_networks_worked_step(name: str) -> None:
    s, net, c, locals_ = _graph_of(name)
    moved = graph_training.moves(_training(s, net, 1), FLOAT64)
    run = backprop.run(c, locals_, FLOAT64, moved=moved)
    network = dict(explain_values(s).values)
    flows = {f"d{f.gate}/d{f.wire}": f.local for f in run.flows}
    checked = 0
    for key, want in network.items():
        if "@" in key or key.startswith(("delta_", "dE_o", "share_", "split_", "scaled_")):
            continue
        if key in run.values:
            got = run.values[key]
        elif key.startswith(f"d{net.loss}/d") and key.partition("/d")[2] in run.gradients:
            if key.partition("/d")[2] in net.inputs and s.update == "sequential":
                continue  # the network takes an input's gradient at the starting weights
            got = run.gradients[key.partition("/d")[2]]
        elif key in flows:
            got = flows[key]
        else:
            continue
        assert float(got) == pytest.approx(want, abs=1e-12), key
        checked += 1
    assert checked >= 9  # seed 001's nine, Mazur's fifty and more


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in NETWORKS
        if isinstance(s := load(SCENARIOS / f"{n}.toml"), Scenario)
        and not s.data
        and s.loss != "performance"
        and s.optimizer == "sgd"  # a graph's training is plain descent (optimizers: the network's)
    ],
)
def test_the_graphs_generated_loop_trains_the_network_as_its_trainer_does(name: str) -> None:
    s, net, c, locals_ = _graph_of(name)
    steps = min(s.steps, 2_000)
    t = _training(s, net, steps)
    graph = graph_training.train(c, locals_, FLOAT64, t, steps, frozenset({steps}), frozenset())
    network = trainer.train(net, schedule(s), steps, (steps,))
    last = network.at(steps)
    for i, p in enumerate(net.params):
        assert float(graph.at(steps).values[p.key]) == pytest.approx(
            last.params[i], rel=1e-9, abs=1e-12
        ), p.key
    assert float(graph.at(steps).values[net.loss]) == pytest.approx(last.loss, rel=1e-9)


@pytest.mark.parametrize("name", NETWORKS)
def test_the_graph_engines_worked_step_is_the_networks_bit_for_bit(name: str) -> None:
    """Not only to 10⁻¹²: every value the same float64, the activations' and the cross-entropy's
    local derivatives being their table rows'. Where a wire feeds three gates or more, the
    network adds the paths first to last and the graph last to first, which may differ in the
    last place: that gradient, and every one the backward pass takes through it, is left out."""
    s, net, c, locals_ = _graph_of(name)
    run = backprop.run(
        c, locals_, FLOAT64, moved=graph_training.moves(_training(s, net, 1), FLOAT64)
    )
    reordered = {w for w in c.wires if len(c.consumers(w)) >= 3}
    for g in reversed(c.gates):  # through a reordered gradient, the ones below it
        if g.out in reordered:
            reordered.update(g.inputs)
    network = dict(explain_values(s).values)
    flows = {f"d{f.gate}/d{f.wire}": f.local for f in run.flows}
    checked = 0
    for key, want in network.items():
        wire = key.partition("/d")[2]
        if key in run.values or key in flows:
            got = run.values[key] if key in run.values else flows[key]
        elif key == f"d{net.loss}/d{wire}" and wire in run.gradients and wire not in reordered:
            if wire in net.inputs and s.update == "sequential":
                continue  # the network takes an input's gradient at the starting weights
            got = run.gradients[wire]
        else:
            continue
        assert float(got) == want, key
        checked += 1
    assert checked >= 9


def test_a_weighted_sums_derivatives_read_off_its_terms_are_sympys() -> None:
    """derive/local reads a weighted sum's derivatives off its terms (no sympy.diff: a
    [8, 8, 8] network's 216 took a quarter of a second): the same expressions sympy.diff
    gives, on 500 random sums of monomials, and None for what is not one."""
    import random

    import sympy as sp

    from explainer.derive.local import _linear, _monomials

    rng = random.Random(3)
    names = sp.symbols("a b c d e f g", real=True)  # as a network's symbols are
    checked = 0
    for _ in range(500):
        e = sp.Add(
            *(
                sp.Mul(rng.choice([1, -1, 2, sp.Rational(1, 2), 0.5, -3]), *rng.sample(names, 2))
                for _ in range(rng.randint(1, 4))
            )
        )
        monomials = _monomials(e)
        if monomials is None:
            continue
        for x in e.free_symbols:
            assert _linear(monomials, x.name) == sp.diff(e, x)
            checked += 1
    assert checked > 1000
    a, b = names[:2]
    assert _monomials(a * a + b) is None and _monomials(sp.exp(a) + b) is None
