"""Stage 6, explain (label layout): labels laid out, not placed by rule: what a label may not
touch, and a greedy placer.

A label may not overlap another label, sit on a node, be struck by a line, or leave the
drawing, with two exceptions the drawing model records: a label's `over` shape (the edge it
names, with the label's white halo over it, or the node it is written in) and background lines
(a plot's grid, which every halo covers). Boxes are drawing.box()'s estimates of TikZ's nodes.
The placer takes each label's candidate positions in order of preference and keeps the first
that touches nothing already there; the figures offer the candidates.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from explainer.draw.drawing import INNER_SEP, Box, Circle, Drawing, Label, Path, Point, Shape, box

BACKGROUND = frozenset({"grid"})  # lines a label's halo may cover
GAP = 0.03  # cm kept between two labels' boxes
EDGE = 1e-6  # a line that only touches a box's border does not strike it
SEARCH = 20_000  # tries before a layer's labels are given up as not fitting together


@dataclass(frozen=True)
class Clash:
    label: Label
    other: Shape | None  # None: the label leaves the drawing
    why: str


def _crosses(a: Point, b: Point, r: Box) -> bool:
    """Whether segment ab passes through the inside of r (Liang–Barsky clipping)."""
    x0, y0, x1, y1 = r.x0 + EDGE, r.y0 + EDGE, r.x1 - EDGE, r.y1 - EDGE
    dx, dy = b[0] - a[0], b[1] - a[1]
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo > hi:
            return False
    return True


def _inside_circle(c: Circle, r: Box) -> bool:
    """Whether the disc and the box share any area."""
    nx = min(max(c.at[0], r.x0), r.x1)
    ny = min(max(c.at[1], r.y0), r.y1)
    return math.hypot(c.at[0] - nx, c.at[1] - ny) < c.radius - EDGE


def _within(c: Circle, r: Box) -> bool:
    """Whether the text in the box (its inner sep aside) lies inside the circle."""
    corners = itertools.product(
        (r.x0 + INNER_SEP, r.x1 - INNER_SEP), (r.y0 + INNER_SEP, r.y1 - INNER_SEP)
    )
    return all(math.dist(c.at, p) <= c.radius + EDGE for p in corners)


def touches(label: Label, r: Box, other: Shape) -> str:
    """Why a label with box r may not be where it is because of `other` ("" when it may)."""
    if other == label.over and isinstance(other, Circle):
        return "" if _within(other, r) else "spills out of its node"
    if other == label.over:
        return ""
    if isinstance(other, Label):
        return "overlaps a label" if r.meets(box(other), GAP) else ""
    if isinstance(other, Circle):
        return "sits on a node" if _inside_circle(other, r) else ""
    if other.style in BACKGROUND:
        return ""
    points = (*other.points, other.points[0]) if other.closed else other.points
    hit = any(_crosses(a, b, r) for a, b in itertools.pairwise(points))
    return "is struck by a line" if hit else ""


def _fits(r: Box, width: float, height: float) -> bool:
    return r.x0 >= -EDGE and r.y0 >= -EDGE and r.x1 <= width + EDGE and r.y1 <= height + EDGE


def clashes(d: Drawing) -> tuple[Clash, ...]:
    """Every label of the drawing that touches what it may not, once per pair of labels."""
    out = []
    shapes = d.shapes
    for i, s in enumerate(shapes):
        if not isinstance(s, Label):
            continue
        r = box(s)
        if not _fits(r, d.width, d.height):
            out.append(Clash(s, None, "leaves the drawing"))
        for j, other in enumerate(shapes):
            if isinstance(other, Label) and j <= i:
                continue
            if why := touches(s, r, other) or (
                touches(other, box(other), s) if isinstance(other, Label) else ""
            ):
                out.append(Clash(s, other, why))
    return tuple(out)


class Placer:
    """Labels put down one by one among fixed shapes, each where it first touches nothing."""

    def __init__(self, fixed: Iterable[Shape], width: float, height: float) -> None:
        self.shapes: list[Shape] = list(fixed)
        self.width, self.height = width, height

    def free(self, label: Label, extra: Sequence[Label] = ()) -> bool:
        r = box(label)
        return _fits(r, self.width, self.height) and not any(
            touches(label, r, other) for other in (*self.shapes, *extra)
        )

    def first(self, choices: Iterable[Label]) -> Label | None:
        """The first of the choices that fits, placed; None when none does."""
        for c in choices:
            if self.free(c):
                self.shapes.append(c)
                return c
        return None

    def all_or_none(self, choices: Sequence[Sequence[Label]]) -> tuple[Label, ...] | None:
        """One of each label's choices, placed together, or nothing placed at all.

        A depth-first search: the labels with fewest free places go first, each tries its
        places in order of preference, and a label that finds none sends the search back to
        the one before. At most SEARCH tries, so a crowded layer gives up quickly."""
        free = [[c for c in options if self.free(c)] for options in choices]
        order = sorted(range(len(free)), key=lambda i: (len(free[i]), i))
        boxes = {c: box(c) for options in free for c in options}
        chosen: list[Label] = []
        tries = 0

        def search(k: int) -> bool:
            nonlocal tries
            if k == len(order):
                return True
            for c in free[order[k]]:
                tries += 1
                if tries > SEARCH:
                    return False
                if any(boxes[c].meets(boxes[o], GAP) for o in chosen):
                    continue
                chosen.append(c)
                if search(k + 1):
                    return True
                chosen.pop()
            return False

        if not search(0):
            return None
        placed = sorted(zip(order, chosen, strict=True))
        self.shapes += [c for _, c in placed]
        return tuple(c for _, c in placed)

    @property
    def labels(self) -> tuple[Label, ...]:
        return tuple(s for s in self.shapes if isinstance(s, Label))


def lines(shapes: Iterable[Shape]) -> tuple[Path | Circle, ...]:
    return tuple(s for s in shapes if not isinstance(s, Label))
