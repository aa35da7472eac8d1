"""The whole pipeline, top to bottom, each stage once and in order:

    load ─▶ Scenario ─resolve─▶ Plan ─build, derive, evaluate─▶ Results ─explain─▶ Explanation
         ─render─▶ text ─compile─▶ PDF
Each stage returns a new value; none changes its input, and none imports a later one. A network
and a computational graph take the same stages through their own modules, one row each in KINDS.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from explainer import page
from explainer.check import results, verify
from explainer.check.findings import Finding
from explainer.page.model import Explanation
from explainer.read.graph_scenario import GraphScenario
from explainer.read.scenario import AnyScenario, Scenario
from explainer.read.settings import Options, resolve, resolve_graph
from explainer.render import formats as render
from explainer.render import pdf

if TYPE_CHECKING:
    from typing import TypeAlias

    from explainer.check import graph_results

    AnyResults: TypeAlias = results.Results | graph_results.GraphResults

__all__ = [
    "Options",
    "arrange",
    "compile_pdf",
    "compute",
    "explain",
    "explain_values",
    "findings",
    "render_text",
]


def _lazy(module: str) -> Any:
    """A module imported on first use: a graph's stages are not loaded for a network's page."""
    return importlib.import_module(f"explainer.{module}")


@dataclass(frozen=True)
class Kind:
    results: Callable[[AnyScenario, Options, bool], AnyResults]  # (…, values_only)
    page: Callable[[AnyResults], Explanation]
    values: Callable[[AnyResults], Explanation]  # what JSON writes: no sections
    findings: Callable[[AnyScenario], tuple[Finding, ...]]  # verify, without a page


def _network(s: AnyScenario) -> Scenario:
    assert isinstance(s, Scenario)
    return s


def _graph(s: AnyScenario) -> GraphScenario:
    assert isinstance(s, GraphScenario)
    return s


def _of_network(r: AnyResults) -> results.Results:
    assert isinstance(r, results.Results)
    return r


def _of_graph(r: AnyResults) -> graph_results.GraphResults:
    from explainer.check.graph_results import GraphResults  # loaded with the graph's first stage

    assert isinstance(r, GraphResults)
    return r


KINDS: dict[type, Kind] = {
    Scenario: Kind(
        results=lambda s, o, values_only: results.results(resolve(_network(s), o), values_only),
        page=lambda r: page.build(_of_network(r)),
        values=lambda r: page.values_only(_of_network(r)),
        findings=lambda s: verify.verify(_network(s)),
    ),
    GraphScenario: Kind(
        results=lambda s, o, values_only: _lazy("check.graph_results").results(
            resolve_graph(_graph(s), o), values_only
        ),
        page=lambda r: _lazy("page.circuit").build(_of_graph(r)),
        values=lambda r: _lazy("page.circuit").values_only(_of_graph(r)),
        findings=lambda s: _lazy("check.graph_results").results(resolve_graph(_graph(s))).findings,
    ),
}


def compute(scenario: AnyScenario, options: Options = Options()) -> AnyResults:
    """Every number of the scenario's page (its plan, values and checked claims)."""
    return KINDS[type(scenario)].results(scenario, options, False)


def arrange(computed: AnyResults) -> Explanation:
    """The page model of computed results."""
    return KINDS[type(computed.plan.scenario)].page(computed)


def explain(scenario: AnyScenario, options: Options = Options()) -> Explanation:
    """The page model of one scenario: every number computed, then arranged."""
    return arrange(compute(scenario, options))


def explain_values(scenario: AnyScenario, options: Options = Options()) -> Explanation:
    """The values without the page (what JSON writes): no sections, figures or cancellations."""
    kind = KINDS[type(scenario)]
    return kind.values(kind.results(scenario, options, True))


def findings(scenario: AnyScenario) -> tuple[Finding, ...]:
    """Every printed number of the scenario's source, checked and diagnosed (in float64, with
    no page built)."""
    return KINDS[type(scenario)].findings(scenario)


def compile_pdf(explanation: Explanation, paper: str = "a4", tex_seconds: int = 120) -> bytes:
    """The page as a PDF: its LaTeX compiled by TeX Live (stopped after `tex_seconds`; a failed
    compile raises TexError with TeX's log)."""
    tex = render.render(explanation, "tex", paper=paper)
    return pdf.compile_pdf(tex, explanation.name, tex_seconds)


def render_text(
    scenario: AnyScenario,
    fmt: str,
    options: Options = Options(),
    body_only: bool = False,
) -> str | bytes:
    """The page of one scenario in one format (bytes for PDF)."""
    explanation = explain(scenario, options)
    if render.FORMATS[fmt].compiled:
        return compile_pdf(explanation, options.paper, scenario.limits.tex_seconds)
    return render.render(explanation, fmt, body_only, options.paper)
