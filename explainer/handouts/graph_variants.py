"""Stage 4, evaluate (a graph's variants): one graph, many sets of leaf values, each good to
work by hand.

`[handout.vary]` names leaves, each with its grid (`w0 = { from = -3, to = 3, step = 1 }`); a
variant draws each named leaf from its grid with numpy's default_rng, seeded by the batch's seed
and the variant's number (or a hash of the student's ID), as a network's variants are drawn
(variants.choose). A draw is kept when its numbers meet `[handout.constraints]`: every gradient
the page works (every wire's, in the key's arithmetic) at least `min_gradient` in size, no given
with more decimals than allowed, the whole pass defined, and no two variants alike.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from explainer.check.gates import results
from explainer.foundation.errors import NumericError
from explainer.handouts import variants
from explainer.handouts.variants import Drawn, Student, Variant
from explainer.read.graph_scenario import GraphScenario
from explainer.read.settings import Options, resolve_graph


def worked_step(s: GraphScenario) -> GraphScenario:
    """The givens a sheet works: one step (for a graph that learns), nothing to verify. A
    training set's sheet works its first example alone, the update from that example's own
    gradient (the rule the sheet states; a batch's mean would need every example's pass)."""
    t = s.training and dataclasses.replace(s.training, steps=1, until_loss=None, mode="stochastic")
    return dataclasses.replace(s, training=t, claims=(), data=None)


def for_students(
    s: GraphScenario,
    seed: int,
    count: int,
    roster: Sequence[Student] = (),
    arithmetic: str = "float64",
) -> tuple[Variant, ...]:
    """`count` numbered variants, or one per student of the roster; `arithmetic`: the key's,
    in which no asked gradient may round away."""
    base = worked_step(s)
    grids = dict(s.handout.vary)
    rules = s.handout.constraints
    capacity = math.prod(len(set(g.values)) for g in grids.values()) if grids else 1

    def draw(stream: tuple[int, ...], seen: set[tuple[float, ...]]) -> Drawn:
        rng = np.random.default_rng(list(stream))
        for _ in range(rules.draws):
            picked = {k: float(rng.choice(g.values)) for k, g in grids.items()}
            givens = tuple(picked.values())
            if givens in seen or any(variants.places(x) > rules.decimals for x in givens):
                continue
            leaves = tuple((n, picked.get(n, v)) for n, v in base.leaves)
            variant = dataclasses.replace(base, leaves=leaves)
            if _good(variant, rules.min_gradient, arithmetic):
                return variant, givens
        raise variants.impossible(s.path, rules, stream)

    names = [n for n, _ in s.leaves]
    return variants.choose(
        s.path,
        base,
        bool(grids),
        min(capacity, 10**9),
        draw,
        seed,
        count,
        roster,
        what=f"leaves of the graph ({', '.join(names)})",
        example=names[0],
    )


def _good(s: GraphScenario, min_gradient: float, arithmetic: str) -> bool:
    """The key's numbers: defined, and no asked gradient vanishingly small (on paper, a
    gradient that rounds to 0 would make every answer below it 0)."""
    try:
        r = results(resolve_graph(s, Options(arithmetic=arithmetic)), values_only=True)
    except NumericError:
        return False
    # every gradient the page works, not only the leaves': on paper one that rounds away
    # (∂f/∂g = −1/g² of a large g) carries its rounding into every answer below it
    return all(abs(float(g)) >= min_gradient for g in r.view.run.gradients.values())
