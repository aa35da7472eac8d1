"""Stage 5, explain: AnyResults → Explanation, the page model. Arranges; computes nothing.

One builder for both views: the view's module (the plan's `view`: `layered`, a network's neurons
and layers, its parts written by `forward`, `backward`, `delta`, `training`, `asides`, `checks`,
`story` and `captions`; `gates`, a graph gate by gate, with `descent`) writes its sections in
order; the author's own prose goes first in its section (or the nearest before it the page
has), and the opening paragraph first on the page.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from explainer.check.results import AnyResults
from explainer.page.model import Explanation, Item, Section
from explainer.page.narrative import with_narrative
from explainer.page.view import Arranged


def build(results: AnyResults) -> Explanation:
    """The page of one run: every section in order, the author's prose placed, the opening."""
    view = importlib.import_module(f"explainer.page.{results.plan.view}")  # imported on first use
    made: Arranged = view.arranged(results)
    s = results.plan.scenario
    told = with_narrative(tuple(x for x in made.sections if x.items), dict(s.narrative))
    if made.opening is not None:
        told = _opened(made.opening, told)
    return Explanation(
        name=s.name,
        title=s.title,
        source=s.source,
        sections=told,
        values=results.values,
        arithmetic=results.arithmetic,
        warnings=results.warnings,
    )


def values_only(results: AnyResults) -> Explanation:
    """A page with no sections: the title, the values and the arithmetic (what JSON writes)."""
    s = results.plan.scenario
    return Explanation(
        name=s.name,
        title=s.title,
        source=s.source,
        sections=(),
        values=results.values,
        arithmetic=results.arithmetic,
        warnings=results.warnings,
    )


def _opened(
    opening: Callable[[tuple[str, ...]], Item], sections: tuple[Section, ...]
) -> tuple[Section, ...]:
    """The opening paragraph, first on the page, before the author's own prose."""
    first, *rest = sections
    lead = opening(tuple(x.anchor for x in sections))
    return (Section(first.title, first.level, (lead, *first.items), first.anchor), *rest)
