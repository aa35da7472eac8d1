"""Stage 9, handouts (the layered view): a network's variants drawn, and one variant's numbers
→ a teacher's sheet (sheet.py, read from the page's own context)."""

from __future__ import annotations

from collections.abc import Sequence

from explainer.check.layered import LayeredResults
from explainer.evaluate.compute import derive
from explainer.handouts import sheet as handout
from explainer.handouts import variants
from explainer.handouts.variants import Student, Variant
from explainer.page.context import context
from explainer.read.scenario import Scenario


def drawn(
    s: Scenario, seed: int, count: int, roster: Sequence[Student], arithmetic: str
) -> tuple[tuple[Variant, ...], Scenario]:
    """The students' variants, and the givens the summary works (a training set's first
    example that meets the constraints); the network is derived once for all of them. The
    key's `arithmetic` does not change which variants a network's sheets take."""
    derived = derive(s)
    return variants.for_students(s, derived, seed, count, roster), variants.worked_step(s, derived)


def sheet(
    keyed: LayeredResults,
    measure: LayeredResults,
    variant: Variant | None,
    blank: tuple[str, ...],
    decimals: int,
    where: str = "handout.blank",
) -> handout.Sheet:
    """One variant's sheet: `keyed` in the handout's arithmetic, `measure` the other way."""
    return handout.sheet(context(keyed), measure, variant, blank, decimals, where)
