"""The whole pipeline, top to bottom: scenario → network → chain rule → numbers → page.

    load ─▶ Scenario ─build─▶ Network ─derive─▶ Derivation ─evaluate─▶ Evaluation, Training
         ─explain─▶ Explanation ─render─▶ text
Each stage returns a new value; none changes its input.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from explainer import derivation, evaluate, explanation, network, render
from explainer.activations import ACTIVATIONS
from explainer.errors import UsageError
from explainer.scenario import Scenario


@dataclass(frozen=True)
class Options:
    steps: int | None = None  # training steps; None: the scenario's own
    digits: int | None = None  # significant digits shown; None: the scenario's own
    arithmetic: str = "float64"  # float64, exact, or paper:K[:half-up|truncate]


STEPWISE_LIMIT = 200  # exact and on-paper training repeat the whole worked step


def table_steps(total: int, first: int) -> frozenset[int]:
    """The steps the training table shows: the first few in full, then 10, 100, 1000, …"""
    shown = set(range(min(first, total) + 1))
    p = 10
    while p < total:
        shown.add(p)
        p *= 10
    return frozenset(shown | {total})


def explain(scenario: Scenario, options: Options = Options()) -> explanation.Explanation:
    if options.steps is not None:
        scenario = dataclasses.replace(scenario, steps=options.steps)
    net, chain, numbers, training = compute(scenario, options.arithmetic)
    shown = table_steps(scenario.steps, scenario.table_steps)
    stand_in = _surrogate(scenario)
    compared = (
        evaluate.train(network.build(stand_in), scenario.steps, shown.__contains__)
        if stand_in
        else None
    )
    digits = options.digits or scenario.digits
    return explanation.build(net, chain, numbers, training, digits, compared)


def compute(
    scenario: Scenario, arithmetic: str = "float64", also: frozenset[int] = frozenset()
) -> tuple[network.Network, derivation.Derivation, evaluate.Evaluation, evaluate.Training]:
    """The numbers without the page: the worked step and training, recording the steps the
    table shows and those in `also`."""
    net = network.build(scenario)
    chain = derivation.derive(net)
    mode = evaluate.arithmetic(arithmetic)
    numbers = evaluate.evaluate(net, chain, mode)
    shown = table_steps(scenario.steps, scenario.table_steps) | also
    if mode.name == "float64":
        training = evaluate.train(net, scenario.steps, shown.__contains__)
    elif scenario.steps > STEPWISE_LIMIT or scenario.data:
        raise UsageError(
            f"{scenario.path}: {mode.name} arithmetic trains by repeating the worked step, "
            f"for at most {STEPWISE_LIMIT} steps of a single example; found {scenario.steps} "
            f"steps{' and a training set' if scenario.data else ''} (use --steps)"
        )
    else:
        training = evaluate.train_stepwise(net, chain, scenario.steps, mode, shown.__contains__)
    return net, chain, numbers, training


def values(
    scenario: Scenario, arithmetic: str = "float64", also: frozenset[int] = frozenset()
) -> dict[str, float | str]:
    """Every quantity under its JSON key, including `<name>@k` for k in `also`."""
    return dict(explanation.values(*compute(scenario, arithmetic, also)))


def _surrogate(scenario: Scenario) -> Scenario | None:
    """The same network with every step-like activation replaced by its differentiable stand-in."""
    layers = tuple(
        dataclasses.replace(layer, activation=ACTIVATIONS[layer.activation].surrogate)
        if ACTIVATIONS[layer.activation].surrogate
        else layer
        for layer in scenario.layers
    )
    return dataclasses.replace(scenario, layers=layers) if layers != scenario.layers else None


def render_text(
    scenario: Scenario, fmt: str, options: Options = Options(), body_only: bool = False
) -> str:
    return render.render(explain(scenario, options), fmt, body_only)
