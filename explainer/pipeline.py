"""The whole pipeline, top to bottom: scenario → network → chain rule → numbers → page.

    load ─▶ Scenario ─build─▶ Network ─derive─▶ Derivation ─evaluate─▶ Evaluation, Training
         ─explain─▶ Explanation ─render─▶ text
Each stage returns a new value; none changes its input.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from explainer import autograd, evaluate, explanation, network, render, verify
from explainer.activations import ACTIVATIONS
from explainer.compute import compute
from explainer.cost import table_steps
from explainer.scenario import Scenario


@dataclass(frozen=True)
class Options:
    steps: int | None = None  # training steps; None: the scenario's own
    digits: int | None = None  # significant digits shown; None: the scenario's own
    arithmetic: str = "float64"  # float64, exact, or paper:K[:half-up|truncate]
    check_gradients: bool = False  # add central finite differences beside every gradient
    paper: str = "a4"  # a4 or letter, for LaTeX and PDF


def explain(scenario: Scenario, options: Options = Options()) -> explanation.Explanation:
    if options.steps is not None:
        scenario = dataclasses.replace(scenario, steps=options.steps)
    net, chain, numbers, training = compute(scenario, options.arithmetic)
    shown = table_steps(scenario.steps, scenario.table_steps)
    stand_in = _surrogate(scenario)
    # the stand-in trains for exactly the steps shown for the step network, so rows pair up
    compared = (
        evaluate.train(
            network.build(dataclasses.replace(stand_in, until_loss=None)),
            training.steps[-1].k,
            shown.__contains__,
        )
        if stand_in
        else None
    )
    if compared:
        evaluate.check_finite(net, numbers, compared)
    digits = options.digits or scenario.digits
    checked = verify.verify(scenario) if scenario.claims else ()
    differences = evaluate.central_differences(net) if options.check_gradients else {}
    torch = autograd.available() if options.check_gradients else ""
    opinions = (torch, autograd.gradients(net)) if torch else None
    page = explanation.build(
        net, chain, numbers, training, digits, compared, checked, differences, opinions
    )
    return dataclasses.replace(page, warnings=evaluate.saturation_warnings(net, numbers))


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
    scenario: Scenario,
    fmt: str,
    options: Options = Options(),
    body_only: bool = False,
) -> str | bytes:
    """The page of one scenario in one format (bytes for PDF)."""
    page = explain(scenario, options)
    return render.render(page, fmt, body_only, options.paper, scenario.limits.tex_seconds)
