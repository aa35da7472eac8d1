"""Stage 5, check (the layered view's numbers): a network's Plan → Results, every number computed.

The worked step and training, the stand-in's training for a step activation, the stopping
rule's verdict, the error split, the published numbers checked, the gradient checks, the
one-weight plots' points and the chains that cancel: all of it here, before the page is
arranged, so that the explain stage only places what it is given. Verification reuses the
page's own run (its network, derivation and training), and builds and derives each other
convention once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from explainer.check import verify
from explainer.check.findings import Finding
from explainer.check.gradients import GradientCheck
from explainer.check.results import Results
from explainer.derive import derivation
from explainer.derive.derivation import Partial
from explainer.evaluate import autograd, compute, quantities, samples, trainer
from explainer.evaluate import worked as evaluate
from explainer.evaluate.quantities import values
from explainer.evaluate.worked import Blame, Share, Training
from explainer.foundation.errors import UsageError
from explainer.graph import network
from explainer.read import settings
from explainer.read.cost import table_steps
from explainer.read.scenario import DISTRIBUTION, Scenario
from explainer.read.settings import Plan
from explainer.rules.activations import ACTIVATIONS


@dataclass(frozen=True)
class Layered:
    """The numbers only a layered network's page has (results.Results holds what every page
    has: the plan, the checked claims, the JSON values, the warnings)."""

    run: compute.Run  # training: the page's rows only (step 0, the table's steps, the last)
    surrogate: Training | None  # a step activation's stand-in, trained for the same rows
    reached: bool  # training stopped because the loss fell below `until_loss`
    split: tuple[tuple[Share, ...], tuple[Blame, ...]] | None  # seed 004's error split
    torch: str  # PyTorch's version when its autograd is in the gradient checks, else ""
    deltas: Mapping[str, Any]  # delta profile: δ_j = sign·∂L/∂net_j per neuron name
    one_weight: samples.OneWeight | None
    cancelled: Mapping[Partial, sp.Expr]  # chains whose product cancels to a simpler form
    forecast: trainer.Forecast | None = None  # seed 000: unseen examples, after training
    # a float32 page: the same quantities computed in float64, by JSON key, to set beside them
    float64: Mapping[str, Any] = dataclasses.field(default_factory=dict)


LayeredResults = Results[Plan, Layered]  # a network's results: its plan, and the layers' numbers


def numbers(plan: Plan) -> tuple[compute.Run, compute.Run | None]:
    """The page's run (its training recording the table's steps) and, when the scenario makes
    claims and the page computes in float64, the same run recording the steps verification
    reads too, so that both share one training."""
    s = plan.scenario
    shown = table_steps(s.steps, s.table_steps)
    # the claims are checked in the scenario's stated arithmetic: the page's run serves when
    # both are float64
    shares = bool(s.claims) and plan.arithmetic.kind == "float64" == s.arithmetic
    around = verify.near(s) if shares else frozenset()
    full = compute.run(s, plan.arithmetic, shown | around)
    page = dataclasses.replace(full, training=only(full.training, shown))
    return page, (full if shares else None)


def _in_float64(plan: Plan) -> dict[str, Any]:
    """The page's quantities computed in float64 (its JSON values), to set beside float32's."""
    spec = dataclasses.replace(plan.arithmetic, kind="float64")
    return dict(results(dataclasses.replace(plan, arithmetic=spec), values_only=True).values)


def _classes(net: network.Network) -> tuple[str, ...]:
    """The targets that sum to 1 on every example (the reader holds a categorical
    cross-entropy's to it), else none."""
    if net.loss_rule not in DISTRIBUTION:
        return ()
    return tuple(n.target or "" for n in net.outputs)


def only(training: Training, shown: frozenset[int]) -> Training:
    """The recorded steps a page shows: the first, the table's and the last."""
    last = training.steps[-1].k
    rows = tuple(st for st in training.steps if st.k in shown or st.k in (0, last))
    return dataclasses.replace(training, steps=rows)


def results(plan: Plan, values_only: bool = False) -> LayeredResults:
    """Every number of the page; with `values_only`, just what JSON writes (no verification,
    gradient checks, figures' points or cancelled forms)."""
    s = plan.scenario
    page, shared = numbers(plan)
    net, ev, training = page.net, page.evaluation, page.training
    stand_in = _surrogate(s)
    # the stand-in trains for exactly the steps shown for the step network, so rows pair up
    compared = (
        trainer.train(
            network.build(stand_in),
            settings.schedule(dataclasses.replace(stand_in, until_loss=None)),
            training.steps[-1].k,
            table_steps(s.steps, s.table_steps),
        )
        if stand_in
        else None
    )
    if compared:
        evaluate.check_finite(s.path, net, ev, compared)
    torch = autograd.available() if plan.check_gradients and not values_only else ""
    split = evaluate.error_split(net, ev, s.path) if s.error_split else None
    layered = Layered(
        run=page,
        surrogate=compared,
        reached=evaluate.converged(page.schedule, training.steps[-1].loss),
        split=split,
        torch=torch,
        deltas=quantities.deltas(net, ev, plan.delta_sign),
        one_weight=None if values_only else samples.one_weight(net, ev, training, bool(s.data)),
        cancelled={} if values_only else derivation.cancellations(page.chain, _classes(net)),
        forecast=trainer.forecast(net, training.steps[-1].params, s.forecast)
        if s.forecast
        else None,
        float64=_in_float64(plan) if plan.arithmetic.kind == "float32" and not values_only else {},
    )
    if plan.check_gradients and s.fixed and s.fixed_on_page:
        raise UsageError(
            f"{s.path}: --check-gradients sets the chain rule beside finite differences of the "
            "loss, but this page's outputs are set by hand ([example.fixed]), so its gradients "
            "are not the loss function's; leave out one or the other"
        )
    return Results(
        plan=plan,
        view=layered,
        findings=verify.verify(s, shared) if s.claims and not values_only else (),
        values=values(net, ev, training, page.schedule, s.delta_sign, split or False),
        arithmetic=ev.arithmetic,
        warnings=evaluate.saturation_warnings(net, ev, s.path),
        checks=_gradient_checks(page, torch) if plan.check_gradients and not values_only else (),
    )


def findings(plan: Plan) -> tuple[Finding, ...]:
    """The source's printed numbers checked, without a page (verification's own float64 run)."""
    return verify.verify(plan.scenario)


def _gradient_checks(run: compute.Run, torch: str) -> tuple[GradientCheck, ...]:
    net = run.net
    estimates = evaluate.central_differences(net)
    opinions = autograd.gradients(net) if torch else {}
    checks = []
    for key, estimate in estimates.items():
        g = float(run.evaluation.partial(Partial(net.loss, key)))
        checks.append(GradientCheck(key, g, estimate, autograd=opinions.get(key)))
    return tuple(checks)


def _surrogate(scenario: Scenario) -> Scenario | None:
    """The same network with every step-like activation replaced by its differentiable stand-in."""
    layers = tuple(
        dataclasses.replace(layer, activation=ACTIVATIONS[layer.activation].surrogate)
        if ACTIVATIONS[layer.activation].surrogate
        else layer
        for layer in scenario.layers
    )
    return dataclasses.replace(scenario, layers=layers) if layers != scenario.layers else None
