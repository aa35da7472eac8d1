"""Stage 5, explain (a view's page): what a view hands the page builder (page/__init__.py).

A view (the layered network, page/layered.py; gate by gate, page/gates.py) writes its
sections in order; the builder places the author's prose in them and opens the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from explainer.page.model import Item, Section


@dataclass(frozen=True)
class Arranged:
    sections: tuple[Section, ...]  # in order, before the author's prose is placed
    # the page's first paragraph, from the anchors of the sections it has (None: no opening)
    opening: Callable[[tuple[str, ...]], Item] | None = None
