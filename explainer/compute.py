"""Stage 4, evaluate (one run): network, chain rule, worked step and training of one convention.

The page's numbers and every alternative verification recomputes come from `run`. A run may be
given the network and derivation of an earlier one with the same convention (only the steps or
the arithmetic differ), so that each convention is built and derived once.
"""

from __future__ import annotations

from dataclasses import dataclass

from explainer import cost, derivation, evaluate, network, quantities, settings, trainer
from explainer.cost import STEPWISE_LIMIT
from explainer.errors import UsageError
from explainer.scenario import Scenario
from explainer.settings import ArithmeticSpec, parse_arithmetic

Derived = tuple[network.Network, derivation.Derivation]


@dataclass(frozen=True)
class Run:
    """The numbers of one scenario under one arithmetic: every node and partial of the worked
    step, and the training with the steps it recorded."""

    net: network.Network
    chain: derivation.Derivation
    evaluation: evaluate.Evaluation
    training: evaluate.Training
    schedule: settings.Schedule

    @property
    def derived(self) -> Derived:
        return self.net, self.chain


def derive(scenario: Scenario) -> Derived:
    net = network.build(scenario)
    return net, derivation.derive(net)


def run(
    scenario: Scenario,
    spec: ArithmeticSpec = ArithmeticSpec(),
    record: frozenset[int] = frozenset(),
    derived: Derived | None = None,
) -> Run:
    """The worked step and `scenario.steps` of training, recording the steps in `record` (and
    always the first and the last)."""
    cost.check(scenario)
    net, chain = derived or derive(scenario)
    mode = evaluate.mode(spec, scenario.limits.exact_digits)
    run = settings.schedule(scenario)
    numbers = evaluate.evaluate(net, chain, run, mode)
    if spec.kind == "float64":
        training = trainer.train(net, run, scenario.steps, record)
    elif scenario.steps > STEPWISE_LIMIT or scenario.data:
        raise UsageError(
            f"{scenario.path}: {mode.name} arithmetic trains by repeating the worked step, "
            f"for at most {STEPWISE_LIMIT} steps of a single example; found {scenario.steps} "
            f"steps{' and a training set' if scenario.data else ''} (use --steps)"
        )
    else:
        training = evaluate.train_stepwise(
            net, chain, run, scenario.steps, mode, record.__contains__
        )
    evaluate.check_finite(run.path, net, numbers, training)
    return Run(net, chain, numbers, training, run)


def values(
    scenario: Scenario,
    arithmetic: str = "float64",
    record: frozenset[int] = frozenset(),
    derived: Derived | None = None,
) -> dict[str, float | str]:
    """Every quantity of one run under its JSON key, including `<name>@k` for k in `record`."""
    r = run(scenario, parse_arithmetic(arithmetic), record, derived)
    return dict(
        quantities.values(
            r.net, r.evaluation, r.training, r.schedule, scenario.delta_sign, scenario.error_split
        )
    )
