"""Stage 5, explain: Results → Explanation, the page model. Arranges; computes nothing.

Each module here writes one part of the page from an immutable Context: `forward` (the
setup and the forward pass), `backward` (chain-rule notation and the updates), `delta` (the
delta rule), `training`, `asides` (seed 004's error split), `checks` (published numbers,
gradient checks) and `captions` (the figures). The sections run in the order of LAYOUT; the
author's own prose goes first in its section.
"""

from __future__ import annotations

from collections.abc import Callable

from explainer.check.results import Results
from explainer.page import (
    asides,
    backward,
    captions,
    checks,
    delta,
    forecast,
    forward,
    story,
    training,
)
from explainer.page.context import Context, context
from explainer.page.model import Explanation, Section
from explainer.page.narrative import with_narrative

Part = Callable[[Context], list[Section]]


def _one(f: Callable[[Context], Section]) -> Part:
    return lambda ctx: [f(ctx)]


BACKWARD: dict[str, Part] = {
    "chain": backward.chain_layout,
    "single-weight": backward.chain_layout,
    "delta": delta.delta_layout,
}
LAYOUT: tuple[Part, ...] = (
    _one(forward.setup),
    _one(forward.forward),
    _one(asides.replaced_section),
    lambda ctx: BACKWARD[ctx.plan.profile](ctx),
    _one(training.no_gradient),
    _one(asides.error_split_section),
    _one(training.training),
    _one(forecast.forecast),
    _one(story.summary),
    _one(checks.verification),
    _one(checks.gradient_check),
)


def build(results: Results) -> Explanation:
    """The page of one run: every section in order, the figures closing theirs."""
    ctx = context(results)
    s = ctx.scenario
    sections = [x for part in LAYOUT for x in part(ctx)]
    pictures = captions.pictures(ctx)
    placed = tuple(
        Section(x.title, x.level, (*x.items, *pictures.get(x.anchor, ())), x.anchor)
        for x in sections
    )
    told = with_narrative(tuple(x for x in placed if x.items), dict(s.narrative))
    return Explanation(
        name=s.name,
        title=s.title,
        source=s.source,
        sections=_opened(ctx, told),
        values=results.values,
        arithmetic=results.run.evaluation.arithmetic,
        warnings=results.warnings,
    )


def values_only(results: Results) -> Explanation:
    """A page with no sections: the title, the values and the arithmetic (what JSON writes)."""
    s = results.plan.scenario
    return Explanation(
        name=s.name,
        title=s.title,
        source=s.source,
        sections=(),
        values=results.values,
        arithmetic=results.run.evaluation.arithmetic,
        warnings=results.warnings,
    )


def _opened(ctx: Context, sections: tuple[Section, ...]) -> tuple[Section, ...]:
    """The opening paragraph, first on the page, before the author's own prose."""
    first, *rest = sections
    lead = story.opening(ctx, tuple(x.anchor for x in sections))
    return (Section(first.title, first.level, (lead, *first.items), first.anchor), *rest)
