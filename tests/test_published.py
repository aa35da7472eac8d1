"""The numbers the sources print, reproduced from the shipped scenarios.

Mazur, "A Step by Step Backpropagation Example" (scenarios/mazur-2-2-2.toml) and seed 001's single
weight (scenarios/single-weight.toml). A printed number is matched to its own precision: the
computed value may differ by at most half a unit in the last printed decimal.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest

from explainer.derive.derivation import Partial, derive
from explainer.evaluate.trainer import train
from explainer.evaluate.worked import Evaluation, Training, evaluate
from explainer.graph.network import Network, build
from explainer.read.scenario import Scenario
from explainer.read.scenario import load_network as load
from explainer.read.settings import schedule

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@cache
def _scenario(name: str) -> Scenario:
    return load(SCENARIOS / f"{name}.toml")


@cache
def _walkthrough(name: str) -> tuple[Network, Evaluation]:
    net = build(_scenario(name))
    return net, evaluate(net, derive(net), schedule(_scenario(name)))


def _train(name: str, steps: int, record: Collection[int] = ()) -> Training:
    return train(build(_scenario(name)), schedule(_scenario(name)), steps, record)


def _as_printed(x: float, printed: str) -> bool:
    """Whether `x` rounds to `printed`: |x − printed| ≤ ½ unit in its last decimal place."""
    exponent = Decimal(printed).as_tuple().exponent
    assert isinstance(exponent, int), printed
    half_unit = Fraction(1, 2) * Fraction(10) ** exponent
    return abs(Fraction(float(x)) - Fraction(Decimal(printed))) <= half_unit


def test_as_printed_is_strict() -> None:
    """The comparison itself: one printed digit further off fails."""
    assert _as_printed(0.2983711087, "0.298371109")
    assert not _as_printed(0.2983711096, "0.298371109")
    assert _as_printed(0.59, "0.59")
    assert not _as_printed(0.596, "0.59")


def _value(net: Network, ev: Evaluation, what: str) -> float:
    """A node key (E_total), a partial (dE_total/dw5) or an update (w5')."""
    if what.endswith("'"):
        return float(next(u.new for u in ev.updates if u.key == what[:-1]))
    if "/" in what:
        of, by = what.split("/")
        return float(ev.partial(Partial(of[1:], by[1:])))
    return float(ev.node(what))


# (scenario, quantity, the number as the source prints it)
PRINTED = [
    ("mazur-2-2-2", "E_total", "0.298371109"),
    ("mazur-2-2-2", "out_h1", "0.593269992"),
    ("mazur-2-2-2", "out_o1", "0.75136507"),
    ("mazur-2-2-2", "dE_total/dout_o1", "0.74136507"),
    ("mazur-2-2-2", "dout_o1/dnet_o1", "0.186815602"),
    ("mazur-2-2-2", "dE_total/dw5", "0.082167041"),
    ("mazur-2-2-2", "dE_total/dout_h1", "0.036350306"),
    ("mazur-2-2-2", "w5'", "0.35891648"),
    ("mazur-2-2-2", "w6'", "0.408666186"),
    ("mazur-2-2-2", "w7'", "0.511301270"),
    ("mazur-2-2-2", "w8'", "0.561370121"),
    ("mazur-2-2-2", "w1'", "0.149780716"),
    ("mazur-2-2-2", "w2'", "0.19956143"),
    ("mazur-2-2-2", "w3'", "0.24975114"),
    ("mazur-2-2-2", "w4'", "0.29950229"),
    ("single-weight", "a", "1.2"),
    ("single-weight", "C", "0.49"),
    ("single-weight", "dC/da", "1.4"),
    ("single-weight", "da/dw", "1.5"),
    ("single-weight", "dC/dw", "2.1"),
    ("single-weight", "w'", "0.59"),
]


@pytest.mark.parametrize(
    ("scenario", "what", "printed"), PRINTED, ids=[f"{s}:{w}={p}" for s, w, p in PRINTED]
)
def test_walkthrough_number(scenario: str, what: str, printed: str) -> None:
    net, ev = _walkthrough(scenario)
    x = _value(net, ev, what)
    assert _as_printed(x, printed), f"{what} = {x!r}, printed {printed}"


def test_mazur_error_after_one_step() -> None:
    loss = _train("mazur-2-2-2", 1).at(1).loss
    assert _as_printed(loss, "0.291027774"), loss


def test_mazur_error_after_ten_thousand_steps() -> None:
    assert _scenario("mazur-2-2-2").steps == 10_000
    loss = _train("mazur-2-2-2", 10_000).at(10_000).loss
    assert abs(loss - 3.51e-5) < 1e-6, loss


def test_mazur_trains_weights_only_and_all_from_one_forward_pass() -> None:
    """Both biases are frozen; w1…w8 are each updated once, from the same pass."""
    net, ev = _walkthrough("mazur-2-2-2")
    assert [u.key for u in ev.updates] == [f"w{k}" for k in range(1, 9)]
    step = _train("mazur-2-2-2", 1).at(1)
    trained = dict(zip([p.key for p in net.params], step.params, strict=True))
    assert trained["b1"] == 0.35 and trained["b2"] == 0.60
    for u in ev.updates:
        assert trained[u.key] == pytest.approx(float(u.new), rel=1e-12)


def test_single_weight_after_one_step_in_the_training_loop() -> None:
    step = _train("single-weight", 1).at(1)
    assert _as_printed(step.params[0], "0.59")
    assert _as_printed(step.outputs[0], "0.885")  # a = 1.5 · 0.59


def test_single_weight_converges_to_one_third() -> None:
    """a = 1.5 w reaches the target 0.5 at w = 1/3; each step shrinks the gap by 1 − 0.1·2·1.5²."""
    assert _scenario("single-weight").steps == 20
    training = _train("single-weight", 20, range(20 + 1))
    gaps = [abs(training.at(k).params[0] - 1 / 3) for k in range(21)]
    assert gaps[20] < 1e-5, training.at(20).params
    for k in range(20):
        assert gaps[k + 1] == pytest.approx(0.55 * gaps[k], rel=1e-6, abs=1e-15)
