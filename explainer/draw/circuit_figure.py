"""Stage 5, explain (the circuit figure): a computational graph drawn as lecture notes draw it.

Leaves on the left, each gate a circle in the column of its depth (one more than its deepest
input), wires left to right. Every wire starts with a short straight stub before it fans out to
the gates it feeds: above the stub its name and forward value (blue), below it the gradient of
the output with respect to it (orange). Position and colour both tell them apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import sympy as sp

from explainer.draw.drawing import Circle, Drawing, Label, Path, Point, Shape, extent
from explainer.graph.circuit import Circuit, Gate
from explainer.rules.operations import OPERATIONS

Names = Callable[[str], str]
Num = Callable[[float], str]

RADIUS, DY, GAP = 0.3, 1.5, 0.35  # cm: smallest gate radius, row spacing, gap between columns
SYMBOL: dict[str, str] = {k: o.symbol for k, o in OPERATIONS.items()}


def gate_symbol(g: Gate, constant: Callable[[sp.Expr], str]) -> str:
    """What the circle shows: the operation, with a constant operand written in where it
    stands (+1, ×(−1), 1/x, 2−x, x^2, 2^x)."""
    if g.op == "node":
        return r"\mathrm{f}"
    place = next((i for i, a in enumerate(g.args) if not isinstance(a, sp.Symbol)), None)
    if place is None or g.op not in BINARY_SIGN:
        return SYMBOL[g.op]
    c = constant(g.args[place])
    if g.op == "pow":
        return rf"x^{{{c}}}" if place == 1 else rf"{{{c}}}^x"
    if g.op == "div" and place == 0:
        return f"{c}/x"
    bracketed = rf"({c})" if c.startswith("-") else c
    if g.op == "sub" and place == 0:
        return f"{bracketed}-x"
    return f"{SYMBOL[g.op]}{bracketed}"


BINARY_SIGN = ("add", "sub", "mul", "div", "pow")


def _depths(c: Circuit) -> dict[str, int]:
    depth = {n: 0 for n, _ in c.leaves}
    for g in c.gates:
        depth[g.out] = 1 + max(depth[w] for w in g.inputs)
    return depth


def _rows(c: Circuit, depth: Mapping[str, int]) -> dict[str, float]:
    """Each wire's row in its column: leaves as declared; a gate near the mean row of its
    inputs, in that order, without two in one place, and off the row of a wire that runs on
    through its column to a later one (which would strike the gate)."""
    row: dict[str, float] = {n: float(i) for i, (n, _) in enumerate(c.leaves)}
    reach = {w: max((depth[g.out] for g in c.consumers(w)), default=0) for w in c.wires}
    for col in range(1, max(depth.values()) + 1):
        gates = [g for g in c.gates if depth[g.out] == col]
        through = [row[w] for w in row if depth[w] < col < reach[w]]
        wanted = sorted(
            ((sum(row[w] for w in g.inputs) / len(g.inputs), i, g.out) for i, g in enumerate(gates))
        )
        last = -1e9
        for want, _, out in wanted:
            at = max(want, last + 1)
            while any(abs(at - r) < 0.5 for r in through):  # half a row clears the wire
                at += 0.5
            row[out] = at
            last = at
    return row


def circuit(
    c: Circuit,
    values: Mapping[str, float],
    gradients: Mapping[str, float],
    names: Names,
    num: Num,
    constant: Callable[[sp.Expr], str],
) -> Drawing:
    """The circuit with each wire's value above it and its gradient below; a wire missing from
    `values` shows its name alone, one missing from `gradients` nothing below (a student's
    sheet shows the givens and leaves the rest to be worked out)."""
    depth = _depths(c)
    row = _rows(c, depth)
    above = {w: f"{names(w)} = {num(values[w])}" if w in values else names(w) for w in c.wires}
    below = {w: num(gradients[w]) if w in gradients else "" for w in c.wires}
    symbol = {g.out: gate_symbol(g, constant) for g in c.gates}
    radius = {out: max(RADIUS, _fitting(sym)) for out, sym in symbol.items()}
    columns = max(depth.values())
    # A column: its widest gate, then the stubs of the wires leaving it (long enough for their
    # labels), then the gap to the next column
    wide = [
        max((2 * radius[g.out] for g in c.gates if depth[g.out] == k), default=0.0)
        for k in range(columns + 1)
    ]
    stub = [
        max(
            0.9,
            *(
                extent(t, "small")[0] + 0.3
                for w in c.wires
                if depth[w] == k
                for t in (above[w], below[w])
            ),
        )
        for k in range(columns + 1)
    ]
    left = [0.8]
    for k in range(columns):
        left.append(left[-1] + wide[k] + stub[k] + GAP)
    height = (max(row.values()) + 1) * DY + 0.4
    width = left[-1] + wide[-1] + stub[-1] + 0.8

    def at(w: str) -> Point:
        k = depth[w]
        return (left[k] + wide[k] / 2, height - 0.9 - row[w] * DY)

    shapes: list[Shape] = []
    labels: list[Shape] = []
    gates = {g.out: Circle(at(g.out), radius[g.out], "gate") for g in c.gates}
    for w in c.wires:
        x, y = at(w)
        start = x + (radius[w] if w in gates else 0.05)
        end = (left[depth[w]] + wide[depth[w]] + stub[depth[w]], y)
        wire = Path(((start, y), end), "wire")
        shapes.append(wire)
        for g in c.consumers(w):
            gx, gy = at(g.out)
            k = depth[g.out] - 1  # a wire to a later column runs on at its height until then
            bend = (left[k] + wide[k] + stub[k], y) if k > depth[w] else end
            shapes.append(Path(tuple(dict.fromkeys((end, bend, (gx - radius[g.out], gy)))), "wire"))
        middle = (start + end[0]) / 2
        labels.append(Label((middle, y + 0.05), above[w], "south", style="label-value"))
        if below[w]:
            labels.append(Label((middle, y - 0.05), below[w], "north", style="label-gradient"))
    for out, circle in gates.items():
        shapes.append(circle)
        labels.append(Label(circle.at, symbol[out], "center", "small", "label-plain", circle))
    return Drawing(
        width,
        height,
        (*shapes, *labels),
        f"The circuit of {c.output}: values above the wires, gradients below",  # plain text
    )


def _fitting(latex: str) -> float:
    """The radius of a circle the symbol's text fits in, with a little room."""
    width, height, depth = extent(latex, "small")
    return math.hypot(width / 2, (height + depth) / 2) + 0.04
