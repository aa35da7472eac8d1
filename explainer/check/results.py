"""Stage 5, check (the results): one plan → Results, every number of its page, in either view.

A scenario is read into one of the two views of its graph: a layered network (neurons, layers,
δ notation, the error split: check/layered.py) or gate by gate (check/gates.py). Results holds
what every page has (its plan, the source's printed numbers checked, the values under their
JSON keys, the arithmetic in words, the warnings, the gradient checks) and the view's own
numbers. A view's module is imported on first use: a network's page does not load the gates'.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from explainer.check.findings import Finding
from explainer.check.gradients import GradientCheck
from explainer.evaluate.quantities import Values
from explainer.read.settings import AnyPlan

if TYPE_CHECKING:
    from explainer.check.gates import Gates
    from explainer.check.layered import Layered


P = TypeVar("P", bound=AnyPlan)  # the plan of the form the scenario was written in
V = TypeVar("V", bound="Layered | Gates")  # its view's numbers


@dataclass(frozen=True)
class Results(Generic[P, V]):
    """Results[GraphPlan, Gates] of a graph, Results[Plan, Layered] of a network."""

    plan: P
    view: V  # the numbers only this view's page has
    findings: tuple[Finding, ...]  # the source's printed numbers, checked
    values: Values  # every quantity under its JSON key
    arithmetic: str  # how the numbers were made, in words
    warnings: tuple[str, ...] = ()  # saturated neurons
    checks: tuple[GradientCheck, ...] = ()  # with --check-gradients: each gradient, checked


AnyResults = Results[Any, Any]  # of either form


def _view(plan: AnyPlan) -> Any:
    """The module of the plan's view's numbers (Plan.view: check/layered.py, check/gates.py;
    tests/test_architecture.py holds every view's modules to the functions they are asked)."""
    return importlib.import_module(f"explainer.check.{plan.view}")


def results(plan: AnyPlan, values_only: bool = False) -> AnyResults:
    """Every number of the page; with `values_only`, just what JSON writes (no verification,
    gradient checks, figures' points or cancelled forms)."""
    made: AnyResults = _view(plan).results(plan, values_only)
    return made


def findings(plan: AnyPlan) -> tuple[Finding, ...]:
    """The source's printed numbers, checked and diagnosed (in float64), without a page."""
    found: tuple[Finding, ...] = _view(plan).findings(plan)
    return found
