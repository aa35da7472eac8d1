"""Stage 1, load (settings): a scenario and the user's options resolved into one frozen Plan.

Every choice a later stage makes by reading an option is made here once: the steps trained, the
digits shown, the arithmetic (parsed once), the update order, the direction of the update
(descent against the gradient, ascent along it), the sign of δ, the paper size. The stages
receive the Plan; none of them parses an option again. Nothing is computed here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Literal, cast, get_args

from explainer.foundation.errors import UsageError
from explainer.read.arithmetic_spec import ArithmeticSpec as ArithmeticSpec  # re-exported
from explainer.read.arithmetic_spec import parse_arithmetic as parse_arithmetic
from explainer.read.graph_scenario import GraphScenario
from explainer.read.scenario import AnyScenario, Scenario
from explainer.rules.activations import LOSSES
from explainer.rules.batching import IN_ORDER, Batching
from explainer.rules.optimizers import DEFAULT_SETTINGS, Settings

UpdateOrder = Literal["simultaneous", "sequential"]
Direction = Literal["descent", "ascent"]
DeltaSign = Literal["minus", "plus"]
Paper = Literal["a4", "letter"]
Profile = Literal["chain", "delta", "single-weight", "matrix"]

Example = tuple[tuple[float, ...], tuple[float, ...]]  # (inputs, targets)


@dataclass(frozen=True)
class Schedule:
    """How a network is trained and where its numbers come from: all the evaluate stage reads of
    a scenario (the network itself is the graph; this is the run)."""

    path: str  # the scenario's file, named in error messages
    learning_rate: float
    direction: Direction
    update: UpdateOrder
    # with a training set: an update per example, per epoch, or per mini-batch (`batching`)
    mode: Literal["stochastic", "batch", "minibatch"]
    until_loss: float | None  # stop once the loss (−P for ascent) is below this
    examples: tuple[Example, ...]  # the training set, or the one worked example
    several: bool  # a training set: a step is an epoch, and @1 is after the first epoch
    steps: int
    optimizer: str = "sgd"  # a row of rules/optimizers.OPTIMIZERS
    settings: Settings = DEFAULT_SETTINGS
    batching: Batching = IN_ORDER

    @property
    def plain(self) -> bool:
        """Plain gradient descent, p − η·g: no optimizer state and no penalty (weight decay, L1)."""
        return self.optimizer == "sgd" and not self.settings.penalized


def schedule(s: Scenario) -> Schedule:
    return Schedule(
        path=s.path,
        learning_rate=s.learning_rate,
        direction=direction(s.loss),
        update=cast(UpdateOrder, s.update),
        mode=cast(Literal["stochastic", "batch", "minibatch"], s.mode),
        until_loss=s.until_loss,
        examples=s.data or ((s.input_values, s.targets),),
        several=bool(s.data),
        steps=s.steps,
        optimizer=s.optimizer,
        settings=s.optimizer_settings,
        batching=s.epoch,
    )


@dataclass(frozen=True)
class Options:
    """What a user may choose for one run, as given (the CLI's flags, the API's arguments)."""

    steps: int | None = None  # training steps; None: the scenario's own
    digits: int | None = None  # significant digits shown; None: the scenario's own
    # float64, float32, exact, or paper:K[:half-up|truncate]; "": the scenario's own
    # ([display] arithmetic of a network, else float64)
    arithmetic: str = ""
    check_gradients: bool = False  # add central finite differences beside every gradient
    paper: Paper = "a4"  # for LaTeX and PDF


# the views a scenario is read into; each names a module in every stage that differs by view
View = Literal["layered", "gates"]
VIEW_STAGES = ("check", "page", "handouts")


@dataclass(frozen=True)
class Plan:
    """The run's settings, resolved: what each stage needs to know, decided once."""

    # the view a network is read into: each later stage's module of this name (check/layered,
    # page/layered, handouts/layered) does that stage's part for it
    view: ClassVar[View] = "layered"

    scenario: Scenario  # with the steps of the run
    digits: int
    arithmetic: ArithmeticSpec
    update: UpdateOrder
    direction: Direction  # descent: w − η·∂L/∂w; ascent (an objective to climb): w + η·∂P/∂w
    delta_sign: DeltaSign  # δ_j = −∂L/∂net_j (minus) or +∂L/∂net_j (plus)
    profile: Profile
    check_gradients: bool
    paper: Paper

    @property
    def sign(self) -> int:
        """The update is p + sign·η·∂L/∂p."""
        return 1 if self.direction == "ascent" else -1


def direction(loss: str) -> Direction:
    """Descent against the gradient of a loss; ascent along that of an objective to climb
    (seed 003's performance P). The one place this is decided."""
    return "ascent" if LOSSES[loss].ascent else "descent"


DIGITS = range(1, 16)


def _check(options: Options, max_steps: int) -> None:
    """The options a caller may pass without the command line's own checks (the API)."""
    steps, digits = options.steps, options.digits
    if steps is not None and (not _is_int(steps) or not 0 <= steps <= max_steps):
        raise UsageError(
            f"steps = {steps!r}: expected a whole number from 0 to the limit steps = "
            f"{max_steps:,} (raise it with --limit steps=N, or limits= in Python)"
        )
    if digits is not None and (not _is_int(digits) or digits not in DIGITS):
        raise UsageError(f"digits = {digits!r}: expected a whole number from 1 to 15")
    check_paper(options.paper)
    if not isinstance(options.check_gradients, bool):
        raise UsageError(f"check_gradients = {options.check_gradients!r}: expected True or False")


def check_paper(paper: object) -> Paper:
    if paper not in get_args(Paper):
        raise UsageError(f"paper = {paper!r}: expected one of {', '.join(get_args(Paper))}")
    return cast(Paper, paper)


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


@dataclass(frozen=True)
class GraphPlan:
    """A graph scenario's run: the digits, the arithmetic, the checks, and the steps of its
    training (0 for a graph whose leaves do not learn)."""

    view: ClassVar[View] = "gates"  # a graph, gate by gate: check/gates, page/gates, handouts/gates
    scenario: GraphScenario
    digits: int
    arithmetic: ArithmeticSpec
    check_gradients: bool
    paper: Paper
    steps: int = 0


def resolve_graph(scenario: GraphScenario, options: Options = Options()) -> GraphPlan:
    training = scenario.training
    if options.steps is not None and training is None:
        raise UsageError(
            f"steps = {options.steps!r}: {scenario.path} is a computational graph that is "
            "not trained (it has no [training] table; give --steps to a graph with one, or to a "
            "network)"
        )
    _check(options, scenario.limits.steps)
    if options.steps is not None and options.steps < 1:
        raise UsageError(f"steps = {options.steps!r}: a graph trains for at least one step")
    steps = training.steps if training else 0
    return GraphPlan(
        scenario=scenario,
        digits=options.digits or scenario.digits,
        arithmetic=parse_arithmetic("float64" if options.arithmetic == "" else options.arithmetic),
        check_gradients=options.check_gradients,
        paper=options.paper,
        steps=options.steps if options.steps is not None else steps,
    )


def resolve(scenario: Scenario, options: Options = Options()) -> Plan:
    """The Plan of one run: the scenario's own settings, overridden by the options."""
    _check(options, scenario.limits.steps)
    if options.steps is not None:
        scenario = dataclasses.replace(scenario, steps=options.steps)
    return Plan(
        scenario=scenario,
        digits=options.digits or scenario.digits,
        arithmetic=parse_arithmetic(
            scenario.arithmetic if options.arithmetic == "" else options.arithmetic
        ),
        update=cast(UpdateOrder, scenario.update),
        direction=direction(scenario.loss),
        delta_sign=cast(DeltaSign, scenario.delta_sign),
        profile=cast(Profile, scenario.profile),
        check_gradients=options.check_gradients,
        paper=options.paper,
    )


AnyPlan = Plan | GraphPlan


def plan(scenario: AnyScenario, options: Options = Options()) -> AnyPlan:
    """The plan of a scenario of either form (a [network] or a [graph])."""
    if isinstance(scenario, GraphScenario):
        return resolve_graph(scenario, options)
    return resolve(scenario, options)
