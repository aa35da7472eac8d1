"""Stage 5, explain (the layered view): a network's LayeredResults → its sections, in the order of LAYOUT.

Each module here writes one part of the page from an immutable Context: `forward` (the setup and
the forward pass), `backward` (chain-rule notation and the updates), `delta` (the delta rule),
`training`, `asides` (seed 004's error split), `checks` (published numbers, gradient checks) and
`captions` (the figures, each closing its section). Arranges; computes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from explainer.check.layered import LayeredResults
from explainer.page import (
    asides,
    backward,
    beside,
    captions,
    checks,
    delta,
    forecast,
    forward,
    matrix,
    story,
    training,
)
from explainer.page.context import Context, context
from explainer.page.model import Section
from explainer.page.view import Arranged

Part = Callable[[Context], list[Section]]


def _one(f: Callable[[Context], Section]) -> Part:
    return lambda ctx: [f(ctx)]


BACKWARD: dict[str, Part] = {
    "chain": backward.chain_layout,
    "single-weight": backward.chain_layout,
    "delta": delta.delta_layout,
    "matrix": matrix.matrix_layout,
}
# The forward pass by profile: neuron by neuron, or a layer's vectors at once
FORWARD: dict[str, Part] = {"matrix": _one(matrix.forward_section)}
LAYOUT: tuple[Part, ...] = (
    _one(forward.setup),
    lambda ctx: FORWARD.get(ctx.plan.profile, _one(forward.forward))(ctx),
    _one(asides.replaced_section),
    lambda ctx: BACKWARD[ctx.plan.profile](ctx),
    _one(training.no_gradient),
    _one(asides.error_split_section),
    _one(training.training),
    _one(forecast.forecast),
    _one(beside.beside),
    _one(story.summary),
    _one(checks.verification),
    _one(checks.gradient_check),
)


def arranged(results: LayeredResults) -> Arranged:
    """Every section in order, the figures closing theirs, and the opening paragraph."""
    ctx = context(results)
    sections = [x for part in LAYOUT for x in part(ctx)]
    pictures = captions.pictures(ctx)
    placed = tuple(
        Section(x.title, x.level, (*x.items, *pictures.get(x.anchor, ())), x.anchor)
        for x in sections
    )
    return Arranged(placed, lambda anchors: story.opening(ctx, anchors))
