"""Stage 5, explain (the author's own prose): each `[narrative]` entry first in its section, as
written; where the page has no such section, in the nearest section before it. Arranges;
computes nothing.
"""

from __future__ import annotations

from explainer.page.model import Paragraph, Section, text
from explainer.read.scenario import SECTIONS


def with_narrative(sections: tuple[Section, ...], prose: dict[str, str]) -> tuple[Section, ...]:
    """The author's own prose for a section, first in it, as written (escaped when rendered).
    Where a page has no such section (the delta profile updates inside the backward pass), the
    prose goes to the nearest section before it."""
    order = list(SECTIONS)
    present = [x.anchor for x in sections]
    home: dict[str, list[str]] = {}
    for key, words in prose.items():
        at = next(a for a in reversed(order[: order.index(key) + 1]) if a in present)
        home.setdefault(at, []).append(" ".join(words.split()))
    return tuple(
        Section(
            x.title, x.level, (*(Paragraph(text(w)) for w in home[x.anchor]), *x.items), x.anchor
        )
        if x.anchor in home
        else x
        for x in sections
    )
