"""The whole pipeline, top to bottom, each stage once and in order:

    load ─▶ Scenario ─resolve─▶ Plan ─build, derive, evaluate─▶ AnyResults ─explain─▶ Explanation
         ─render─▶ text ─compile─▶ PDF
Each stage returns a new value; none changes its input, and none imports a later one. A scenario
of either form takes the one path: its plan, its results (check/results.py, in the view its form
is read into: a layered network or gate by gate), its page (page.build).
"""

from __future__ import annotations

from explainer import page
from explainer.check import placing, results
from explainer.check.findings import Finding
from explainer.check.results import AnyResults
from explainer.page.model import Explanation
from explainer.read.article import Article
from explainer.read.scenario import AnyScenario
from explainer.read.settings import Options, plan
from explainer.render import formats as render
from explainer.render import pdf

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


def compute(scenario: AnyScenario, options: Options = Options()) -> AnyResults:
    """Every number of the scenario's page (its plan, values and checked claims)."""
    return results.results(plan(scenario, options))


def arrange(computed: AnyResults) -> Explanation:
    """The page model of computed results."""
    return page.build(computed)


def explain(scenario: AnyScenario, options: Options = Options()) -> Explanation:
    """The page model of one scenario: every number computed, then arranged."""
    return arrange(compute(scenario, options))


def explain_values(scenario: AnyScenario, options: Options = Options()) -> Explanation:
    """The values without the page (what JSON writes): no sections, figures or cancellations."""
    return page.values_only(results.results(plan(scenario, options), values_only=True))


def findings(scenario: AnyScenario) -> tuple[Finding, ...]:
    """Every printed number of the scenario's source, checked and diagnosed (in float64, with
    no page built)."""
    return results.findings(plan(scenario))


def article_claims(scenario: AnyScenario, article: Article) -> str:
    """The [claims] table of the numbers an article prints, each placed at the scenario's
    quantity it prints (check/placing.py), as TOML."""
    values = dict(explain_values(scenario, Options()).values)
    placed = placing.place(article, values, placing.extra_names(scenario))
    return placing.claims_toml(article, scenario.name, placed)


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
