"""Stage 5, explain (the circuit figure): a computational graph drawn as lecture notes draw it.

Leaves on the left, each gate a circle in the column of its depth (one more than its deepest
input), wires left to right. Every wire starts with a short straight stub before it fans out to
the gates it feeds: above the stub its name and forward value (blue), below it the gradient of
the output with respect to it (orange). Position and colour both tell them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy as sp

from explainer.circuit import Circuit, Gate
from explainer.drawing import Circle, Drawing, Label, Path, Point, Shape

Names = Callable[[str], str]
Num = Callable[[float], str]

RADIUS, DY, GAP, CHAR = 0.3, 1.5, 0.35, 0.14  # cm; CHAR: a \scriptsize character's rough width
SYMBOL: dict[str, str] = {
    "add": "+",
    "sub": "-",
    "mul": r"\times",
    "div": r"\div",
    "neg": "-x",
    "exp": "e^x",
    "log": r"\ln",
    "sqrt": r"\sqrt{x}",
    "abs": r"|x|",
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
    "relu": r"\mathrm{ReLU}",
    "max": r"\max",
    "min": r"\min",
}


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
    inputs, in that order, without two in one place."""
    row: dict[str, float] = {n: float(i) for i, (n, _) in enumerate(c.leaves)}
    for col in range(1, max(depth.values()) + 1):
        gates = [g for g in c.gates if depth[g.out] == col]
        wanted = sorted(
            ((sum(row[w] for w in g.inputs) / len(g.inputs), i, g.out) for i, g in enumerate(gates))
        )
        last = -1e9
        for want, _, out in wanted:
            row[out] = max(want, last + 1)
            last = row[out]
    return row


def circuit(
    c: Circuit,
    values: Mapping[str, float],
    gradients: Mapping[str, float],
    names: Names,
    num: Num,
    constant: Callable[[sp.Expr], str],
) -> Drawing:
    depth = _depths(c)
    row = _rows(c, depth)
    above = {w: f"{names(w)} = {num(values[w])}" for w in c.wires}
    below = {w: num(gradients[w]) for w in c.wires}
    widest = max(len(_visible(t)) for t in (*above.values(), *below.values()))
    stub = max(1.0, widest * CHAR + 0.2)
    dx = 2 * RADIUS + stub + GAP
    top = max(row.values())
    height = (top + 1) * DY + 0.4
    width = 0.8 + max(depth.values()) * dx + 2 * RADIUS + stub + 0.8

    def at(w: str) -> Point:
        return (0.8 + depth[w] * dx + (RADIUS if depth[w] else 0.0), height - 0.9 - row[w] * DY)

    shapes: list[Shape] = []
    labels: list[Shape] = []
    for w in c.wires:
        x, y = at(w)
        start = x + (RADIUS if depth[w] else 0.05)
        end = (start + stub, y)
        shapes.append(Path(((start, y), end), "wire"))
        for g in c.consumers(w):
            gx, gy = at(g.out)
            shapes.append(Path((end, (gx - RADIUS, gy)), "wire"))
        labels.append(
            Label(((start + end[0]) / 2, y + 0.05), above[w], "south", style="label-value")
        )
        labels.append(
            Label(((start + end[0]) / 2, y - 0.05), below[w], "north", style="label-gradient")
        )
    for g in c.gates:
        shapes.append(Circle(at(g.out), RADIUS, "gate"))
        symbol = gate_symbol(g, constant)
        size = "small" if len(_visible(symbol)) <= 2 else "tiny"
        labels.append(Label(at(g.out), symbol, "center", size, "label-plain"))
    return Drawing(
        width,
        height,
        (*shapes, *labels),
        f"The circuit of {names(c.output)}: values above the wires, gradients below",
    )


def _visible(latex: str) -> str:
    """Roughly the characters a label shows: commands and braces dropped."""
    out, i = [], 0
    while i < len(latex):
        ch = latex[i]
        if ch == "\\":
            j = i + 1
            while j < len(latex) and latex[j].isalpha():
                j += 1
            out.append("x")  # a command shows as about one character
            i = j
            continue
        if ch not in "{}_^":
            out.append(ch)
        i += 1
    return "".join(out)
