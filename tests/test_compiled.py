"""The compiled training loop against the numpy loop: the same steps, to the last bits of float
arithmetic, on the shipped networks and on random ones; and code made of our own names only."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest

from explainer.check.layered import Layered
from explainer.derive import local
from explainer.evaluate import compiled, graph_step, trainer
from explainer.graph import network, network_graph
from explainer.pipeline import compute
from explainer.read.scenario import Scenario, load_network
from explainer.read.settings import schedule
from tests import networks
from tests.conftest import SCENARIOS

SHIPPED = sorted(
    p for p in SCENARIOS.glob("*.toml") if "[network]" in p.read_text(encoding="utf-8")
)
RECORD = {0, 1, 2, 3, 7, 50}


def _both(s: Scenario, steps: int = 60) -> tuple[trainer.Training, trainer.Training] | None:
    net, run = network.build(s), schedule(s)
    if not compiled.compilable(net, run):
        return None
    fast = trainer.train(net, run, steps, RECORD)
    slow = trainer._numpy(net, run, steps, RECORD, None)
    return fast, slow


def _agree(fast: trainer.Training, slow: trainer.Training) -> None:
    assert [s.k for s in fast.steps] == [s.k for s in slow.steps]
    # a random network that diverges does so in both loops alike: NaN where the other has NaN
    for a, b in zip(fast.steps, slow.steps, strict=True):
        # absolute near 0, where a loss is a residual of a few ulps, squared
        assert a.loss == pytest.approx(b.loss, rel=1e-12, abs=1e-14, nan_ok=True)
        assert a.params == pytest.approx(b.params, rel=1e-12, abs=1e-15, nan_ok=True)
        assert a.outputs == pytest.approx(b.outputs, rel=1e-12, abs=1e-15, nan_ok=True)
        flat = [x for pair in a.neurons for x in pair]
        assert flat == pytest.approx(
            [x for pair in b.neurons for x in pair], rel=1e-12, abs=1e-15, nan_ok=True
        )
    assert [k for k, _ in fast.curve] == [k for k, _ in slow.curve]
    assert [x for _, x in fast.curve] == pytest.approx(
        [x for _, x in slow.curve], abs=1e-14, nan_ok=True
    )
    assert fast.predictions[0] == pytest.approx(
        slow.predictions[0], rel=1e-12, abs=1e-15, nan_ok=True
    )


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_compiled_loop_is_the_numpy_loop_on_shipped_networks(path: Path) -> None:
    pair = _both(load_network(path))
    if pair is None:
        pytest.skip("a batch over a training set: the numpy loop trains it")
    _agree(*pair)


@pytest.mark.parametrize("seed", networks.SEEDS)
@pytest.mark.parametrize("update", ["simultaneous", "sequential"])
def test_the_compiled_loop_is_the_numpy_loop_on_random_networks(seed: int, update: str) -> None:
    pair = _both(dataclasses.replace(networks.scenario(seed), update=update), steps=25)
    assert pair is not None
    _agree(*pair)


@pytest.mark.parametrize("update", ["simultaneous", "sequential"])
@pytest.mark.parametrize("until", [0.05, 1e-300])  # stops early; never stops (the curve's stride)
def test_a_stopping_rule_trains_by_the_generated_loop_as_by_the_numpy_loop(
    until: float, update: str
) -> None:
    s = load_network(SCENARIOS / "mazur-2-2-2.toml")
    s = dataclasses.replace(s, until_loss=until, update=update)
    net, run = network.build(s), schedule(s)
    assert compiled.compilable(net, run)
    fast = trainer._compiled(net, run, 3000, RECORD, None)
    assert fast is not None  # the generated loop took it
    slow = trainer._numpy(net, run, 3000, RECORD, None)
    _agree(fast, slow)
    last = slow.steps[-1]
    if until > 1e-200:  # stopped at the first step below the threshold, and drawn to it
        assert last.k < 3000 and last.loss < until <= slow.steps[-2].loss
    assert fast.curve[-1] == pytest.approx((last.k, last.loss))
    assert len(fast.curve) <= trainer.CURVE_POINTS + 1


@pytest.mark.parametrize("until", [None, 0.0005])
def test_a_training_set_trains_by_each_examples_generated_pass_as_by_the_numpy_loop(
    until: float | None,
) -> None:
    s = dataclasses.replace(load_network(SCENARIOS / "serengil-sine.toml"), until_loss=until)
    net, run = network.build(s), schedule(s)
    assert len(run.examples) > 1 and run.mode == "stochastic" and compiled.compilable(net, run)
    fast = trainer._epochs(net, run, 400, RECORD, None)
    assert fast is not None  # the generated pass took it
    slow = trainer._numpy(net, run, 400, RECORD, None)
    _agree(fast, slow)
    every = [x for row in slow.predictions for x in row]  # every example's, after the last
    assert [x for row in fast.predictions for x in row] == pytest.approx(every, rel=1e-12)


def test_mazur_ends_where_every_peer_ends() -> None:
    """10,000 updates of Mazur's network end on the loss the issue's peers all print."""
    s = load_network(SCENARIOS / "mazur-2-2-2.toml")
    done = trainer.train(network.build(s), schedule(s), 10_000)
    assert done.steps[-1].loss == pytest.approx(3.510187782978859e-05, rel=1e-13)


def test_the_generated_code_holds_only_our_names() -> None:
    """Whatever a scenario names its inputs and weights, the network's step (generated from it
    as a graph) is written in v<i>, d<i>, r<i> and u<i>: no text of the file reaches compile()."""
    s = load_network(SCENARIOS / "mazur-2-2-2.toml")
    net = network.build(s)
    c = network_graph.circuit(net)
    train = tuple(p.key for p in net.params if p.trained)
    source = graph_step.source(c, local.derive(c), train)
    words = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", source))
    ours = {"def", "loop", "steps", "rate", "stops", "record", "sample", "until", "rows", "k"}
    ours |= {"curve", "for", "in", "stop", "range", "if", "not", "or", "append", "return", "_"}
    ours |= {"raise", "OverflowError", "finite", *graph_step.RUNTIME}
    assert {w for w in words if not re.fullmatch(r"[vdru][0-9]+", w)} <= ours
    assert "w5" not in words and "out_h1" not in words


def test_the_training_continues_the_worked_step_bit_for_bit() -> None:
    """The training table's row 0 is the page's forward pass, the same float64 (before the one
    engine, the network's own loop summed a weighted sum in another order than its page, and
    row 0 of Mazur's table, and of serengil-sine's on its training set, differed in the last
    place); on one example, row 1 is the worked update to the last place (the loop takes (η·δ)·x, the page η·(δ·x): equal when η is a power of two, as
    in most shipped networks, else within an ulp or two)."""
    checked = 0
    for path in SHIPPED:
        s = load_network(path)
        net, run = network.build(s), schedule(s)
        if not compiled.compilable(net, run):
            continue
        checked += 1
        r = compute(s)
        assert isinstance(r.view, Layered)
        rows = {st.k: st for st in r.view.run.training.steps}
        nodes = dict(r.view.run.evaluation.nodes)
        assert rows[0].neurons == tuple((nodes[n.net], nodes[n.out]) for n in net.neurons)
        new = {u.key: u.new for u in r.view.run.evaluation.updates}
        if 1 in rows and len(run.examples) == 1:  # on a training set, 1 is after an epoch
            got = dict(zip((p.key for p in net.params), rows[1].params, strict=True))
            for k, want in new.items():
                assert abs(got[k] - want) <= 2 * math.ulp(want), (path.stem, k)
    assert checked >= 7


def test_an_overflow_falls_back_to_the_numpy_loop_and_its_error() -> None:
    s = load_network(SCENARIOS / "mazur-2-2-2.toml")
    wild = dataclasses.replace(s, learning_rate=1e300)
    net, run = network.build(wild), schedule(wild)
    done = trainer.train(net, run, 5, range(5 + 1))
    assert [st.k for st in done.steps] == [0, 1, 2, 3, 4, 5]  # the numpy loop's rows, with inf
