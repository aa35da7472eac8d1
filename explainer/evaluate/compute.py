"""Stage 4, evaluate (one run): network, chain rule, worked step and training of one convention.

The page's numbers and every alternative verification recomputes come from `run`. A run may be
given the network and derivation of an earlier one with the same convention (only the steps or
the arithmetic differ), so that each convention is built and derived once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from explainer.derive import derivation
from explainer.evaluate import quantities, trainer
from explainer.evaluate import worked as evaluate
from explainer.foundation.errors import UsageError
from explainer.graph import network
from explainer.read import cost, settings
from explainer.read.cost import STEPWISE_LIMIT
from explainer.read.scenario import Scenario
from explainer.read.settings import ArithmeticSpec, parse_arithmetic

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
    # a source's hand-set outputs ([example.fixed]) replace the computed ones on the page
    hand_set = dict(scenario.fixed) if scenario.fixed_on_page else None
    numbers = evaluate.evaluate(net, chain, run, mode, carried=hand_set)
    if spec.kind != "float64" and (scenario.steps > STEPWISE_LIMIT or scenario.data):
        fix = "--arithmetic float64" if scenario.data else "--steps"
        raise UsageError(
            f"{scenario.path}: {mode.name} arithmetic trains by repeating the worked step, "
            f"for at most {STEPWISE_LIMIT} steps of a single example; found {scenario.steps} "
            f"steps{' and a training set' if scenario.data else ''} (use {fix})"
        )
    training = _train(net, chain, run, spec, scenario.steps, record)
    evaluate.check_finite(run.path, net, numbers, training)
    return Run(net, chain, numbers, training, run)


def _train(
    net: network.Network,
    chain: derivation.Derivation,
    run: settings.Schedule,
    spec: ArithmeticSpec,
    steps: int,
    record: frozenset[int],
    start: trainer.Step | None = None,
    exact_digits: int = 1_000,
) -> evaluate.Training:
    """Training to `steps` (from `start`, a recorded step): the vectorised loop in float64,
    else the worked step repeated in its arithmetic."""
    if spec.kind == "float64":
        return trainer.train(net, run, steps, record, start)
    mode = evaluate.mode(spec, exact_digits)
    return evaluate.train_stepwise(net, chain, run, steps, mode, record.__contains__, start)


class Continued:
    """One convention's run trained on demand: asked for step k, it trains on from the step it
    last reached, so claims at steps 1, 2, …, 300 train 300 steps, not 45,150, and its values
    grow by the new steps' rows only. (A run that stopped early, on `until_loss`, stays.)"""

    def __init__(
        self,
        scenario: Scenario,
        spec: str = "float64",
        record: frozenset[int] = frozenset(),
        derived: Derived | None = None,
    ) -> None:
        self._s, self._spec, self._record = scenario, parse_arithmetic(spec), record
        self._derived = derived
        self._run: Run | None = None
        self._values: dict[str, float | str] = {}
        self._reached = 0  # the step the run was last trained to

    def values(self, k: int) -> dict[str, float | str]:
        """Every quantity, `<name>@j` for each recorded j up to at least k."""
        if self._run is None:
            self._run = run(
                dataclasses.replace(self._s, steps=k), self._spec, self._record, self._derived
            )
            self._values = dict(
                quantities.values(
                    self._run.net,
                    self._run.evaluation,
                    self._run.training,
                    self._run.schedule,
                    self._s.delta_sign,
                    self._s.error_split,
                )
            )
            self._reached = k
        elif k > self._reached and self._run.training.steps[-1].k == self._reached:
            self._on(self._run, k)
        return self._values

    def _on(self, done: Run, k: int) -> None:
        more = _train(
            done.net,
            done.chain,
            done.schedule,
            self._spec,
            k,
            self._record,
            done.training.steps[-1],
            self._s.limits.exact_digits,
        )
        evaluate.check_finite(done.schedule.path, done.net, done.evaluation, more)
        steps = (*done.training.steps, *more.steps[1:])
        self._run = dataclasses.replace(
            done, training=dataclasses.replace(done.training, steps=steps)
        )
        for step in more.steps[1:]:
            self._values.update(quantities.at_step(done.net, step))
        self._values.update(quantities.trained_outputs(done.net, more))
        self._reached = k


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
