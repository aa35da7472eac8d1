"""The whole pipeline, top to bottom, each stage once and in order:

    load ─▶ Scenario ─resolve─▶ Plan ─build, derive, evaluate─▶ Results ─explain─▶ Explanation
         ─render─▶ text ─compile─▶ PDF
Each stage returns a new value; none changes its input, and none imports a later one.
"""

from __future__ import annotations

from explainer import page, pdf, render, results
from explainer.page.model import Explanation
from explainer.scenario import Scenario
from explainer.settings import Options, resolve

__all__ = ["Options", "compile_pdf", "explain", "explain_values", "render_text"]


def explain(scenario: Scenario, options: Options = Options()) -> Explanation:
    """The page model of one scenario: every number computed, then arranged."""
    return page.build(results.results(resolve(scenario, options)))


def explain_values(scenario: Scenario, options: Options = Options()) -> Explanation:
    """The values without the page (what JSON writes): no sections, figures or cancellations."""
    return page.values_only(results.results(resolve(scenario, options), values_only=True))


def compile_pdf(explanation: Explanation, paper: str = "a4", tex_seconds: int = 120) -> bytes:
    """The page as a PDF: its LaTeX compiled by TeX Live (stopped after `tex_seconds`; a failed
    compile raises TexError with TeX's log)."""
    tex = render.render(explanation, "tex", paper=paper)
    return pdf.compile_pdf(tex, explanation.name, tex_seconds)


def render_text(
    scenario: Scenario,
    fmt: str,
    options: Options = Options(),
    body_only: bool = False,
) -> str | bytes:
    """The page of one scenario in one format (bytes for PDF)."""
    explanation = explain(scenario, options)
    if render.FORMATS[fmt].compiled:
        return compile_pdf(explanation, options.paper, scenario.limits.tex_seconds)
    return render.render(explanation, fmt, body_only, options.paper)
