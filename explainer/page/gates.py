"""Stage 5, explain (circuit pages): a computational graph's page, gate by gate.

The expression and its gates; the forward pass, one row per gate; the backward pass from the
output (gradient 1) to the leaves, each gate's local derivatives derived and multiplied by the
upstream gradient (upstream × local = downstream), the shares summed where a wire feeds several
gates; the leaves' gradients; the circuit figure; the published numbers checked.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from explainer.check.gates import GateResults, share_key
from explainer.derive.local import rule
from explainer.draw import circuit_figure
from explainer.draw.drawing import legible
from explainer.evaluate.backprop import KINK_LIMIT, Flow, written_out
from explainer.foundation.precision import show
from explainer.foundation.work import SYMPY_CALLS
from explainer.graph.circuit import Circuit, Gate
from explainer.page import derivatives, descent, notation
from explainer.page.checks import Names, findings_section
from explainer.page.context import as_factor
from explainer.page.model import (
    Display,
    Figure,
    Item,
    Paragraph,
    Section,
    Table,
    math,
    strong,
    text,
)
from explainer.page.view import Arranged
from explainer.page.words import how_computed, listing
from explainer.read.expressions import Node, Num, Op, Ref
from explainer.rules.operations import OPERATIONS


@dataclass(frozen=True)
class Page:
    """A circuit page's fixed facts: symbols and numbers for every wire."""

    results: GateResults
    names: Mapping[sp.Symbol, str]  # wire → LaTeX
    numbers: Mapping[sp.Symbol, str]  # wire → its value, as a factor

    @property
    def c(self) -> Circuit:
        return self.results.view.circuit

    def sym(self, wire: str) -> str:
        return self.names[sp.Symbol(wire)]

    def num(self, x: Any) -> str:
        return show(x, self.results.plan.digits).latex

    def factor(self, x: Any) -> str:
        return as_factor(self.num(x))

    def latex(self, expr: sp.Expr, numbers: bool = False) -> str:
        return notation.latex(expr, self.numbers if numbers else self.names, iverson=True)

    def d(self, of: str, by: str) -> str:
        return notation.partial(self.sym(of), self.sym(by))


def page(results: GateResults) -> Page:
    s = results.plan.scenario
    overrides = dict(s.symbols)
    c = results.view.circuit
    names = {sp.Symbol(w): overrides.get(w, notation.default_symbol(w)) for w in c.wires}
    digits = results.plan.digits
    numbers = {
        sp.Symbol(w): as_factor(show(results.view.run.values[w], digits).latex) for w in c.wires
    }
    return Page(results, names, numbers)


# How a gate's definition is written, from its operands' LaTeX (already parenthesised).
DEFINITION: dict[str, Callable[..., str]] = {k: o.written for k, o in OPERATIONS.items()}
BARE = tuple(k for k, o in OPERATIONS.items() if o.bare)


NUMBER_IN_PARENTHESES = re.compile(r"\\left\((-[0-9.]+(?: \\times 10\^\{-?[0-9]+\})?)\\right\)")


def definition(p: Page, g: Gate, numbers: bool = False) -> str:
    """The gate's value as written: q = x + y, or with each operand's number put in."""
    if g.op == "node":  # a whole node: as written, or with its wires' numbers put in
        return p.latex(g.expr, True) if numbers else written(p, dict(p.c.written)[g.out])
    operands = []
    for a in g.args:
        s = p.latex(a, numbers)
        if numbers and g.op in BARE and (inner := NUMBER_IN_PARENTHESES.fullmatch(s)):
            s = inner[1]  # a call or a fraction delimits its operand: tanh(−0.58), not tanh((…))
        if numbers and g.op == "neg" and not s.startswith(r"\left("):
            s = rf"\left({s}\right)"  # −(1), not −1 = −1
        bare = g.op in BARE or not (s.startswith("-") or s.startswith(r"\left(-"))
        operands.append(s if bare or s.startswith(r"\left(") else rf"\left({s}\right)")
    return DEFINITION[g.op](*operands)


# How tightly each operation binds: an operand that binds less tightly than its place needs
# is put in parentheses (functions and fractions delimit their own operands).
BINDS = {"add": 1, "sub": 1, "mul": 2, "neg": 3, "pos": 3, "pow": 4}


def written(p: Page, node: Node) -> str:
    """A node's expression as the author wrote it (ReLU and σ by name, not expanded)."""
    if isinstance(node, Ref):
        return p.sym(node.name)
    if isinstance(node, Num):
        return node.text
    args = []
    for i, a in enumerate(node.args):
        s = written(p, a)
        if node.op in BINDS and isinstance(a, Op) and _looser(node.op, a.op, i):
            s = rf"\left({s}\right)"
        args.append(s)
    return args[0] if node.op == "pos" else DEFINITION[node.op](*args)


def _looser(parent: str, child: str, place: int) -> bool:
    mine, theirs = BINDS[parent], BINDS.get(child, 9)
    if parent == "pow":  # a power's base must be an atom; its exponent is raised, self-delimited
        return place == 0 and theirs < 9
    return theirs < mine or (theirs == mine and place == 1 and parent in ("sub", "mul"))


def setup(p: Page) -> Section:
    s, c = p.results.plan.scenario, p.c
    out = p.sym(c.output)
    items: list[Item] = [
        Paragraph(
            text(
                f"This page computes the gradient of {'' if len(c.leaves) > 1 else 'the output '}",
                math(out),
                f" with respect to each of its {len(c.leaves)} leaves"
                if len(c.leaves) > 1
                else " with respect to its leaf",
                " by hand: the forward pass gate by gate, from the leaves to ",
                math(f"{out} = {p.num(p.results.view.run.values[c.output])}"),
                "; then the backward pass, from ",
                math(out),
                " back to the leaves, each gate multiplying the gradient that arrives from "
                "above by its own local derivative",
                *derivatives.opening(p),
                ". A leaf's gradient says how fast ",
                math(out),
                " changes as that leaf moves, all else held; every number on the page is computed from "
                "these values.",
            )
        )
    ]
    if s.description:
        items.append(Paragraph(text(" ".join(s.description.split()))))
    items.append(
        Paragraph(
            text(
                "The leaves (the inputs): ",
                *listing(
                    math(f"{p.sym(n)} = {p.num(p.results.view.run.values[n])}") for n, _ in c.leaves
                ),
                ". The expression, node by node as the source writes it:",
            )
        )
    )
    items.append(Display(tuple(f"{p.sym(n)} &= {written(p, e)}" for n, e in c.written)))
    items += descent.data_set(p.results, p.sym, p.num)
    unnamed = [g for g in c.gates if not g.named]
    if unnamed:
        items.append(
            Paragraph(
                text(
                    f"Split into gates, one operation each, the circuit has {len(c.gates)} gates; "
                    "the values between them that have no name of their own are called ",
                    *listing(math(p.sym(g.out)) for g in unnamed),
                    ":",
                )
            )
        )
        items.append(
            Table(
                (text("gate"), text("computes"), text("from")),
                tuple(
                    (
                        text(math(p.sym(g.out))),
                        text(math(f"{p.sym(g.out)} = {definition(p, g)}")),
                        text(*listing(math(p.sym(w)) for w in g.inputs)),
                    )
                    for g in c.gates
                ),
                (False, False, False),
            )
        )
    items.append(
        Paragraph(
            text(
                "We want the gradient of the output ",
                math(p.sym(c.output)),
                " with respect to every leaf, ",
                *listing(math(p.d(c.output, n)) for n, _ in c.leaves),
                ", found by passing gradients back through the gates one at a time. Numbers "
                "are computed "
                + how_computed(
                    p.results.plan.arithmetic.kind,
                    p.results.view.run.arithmetic,
                    p.results.plan.digits,
                ),
            )
        )
    )
    return Section("The expression and its gates", 2, tuple(items), "setup")


def forward(p: Page) -> Section:
    values = p.results.view.run.values
    rows = tuple(
        f"{p.sym(g.out)} &= {definition(p, g)} = {definition(p, g, numbers=True)} = "
        f"{p.num(values[g.out])}"
        for g in p.c.gates
    )
    return Section(
        "Forward pass",
        2,
        (
            Paragraph(text("Each gate computes its value from its inputs, in order:")),
            Display(rows, ends=tuple(g.out for g in p.c.gates)),
        ),
        "forward",
    )


def _gate_items(p: Page, g: Gate, flows: tuple[Flow, ...]) -> list[Item]:
    c, out = p.c, p.c.output
    items: list[Item] = [
        Paragraph(
            text(
                strong("Gate"),
                " ",
                math(f"{p.sym(g.out)} = {definition(p, g)}"),
                f": {rule(g).says}",
                *((", ", math(rule(g).formula)) if rule(g).formula else ()),
                ". Upstream gradient ",
                math(f"{p.d(out, g.out)} = {p.num(p.results.view.run.gradients[g.out])}"),
                ".",
            )
        )
    ]
    rows, ends = [], []  # ends: the key each row's value is (an answer key marks it)
    for f in flows:
        rows.append(f"{p.d(g.out, f.wire)} &= {_local(p, f)}")
        ends.append(f"d{g.out}/d{f.wire}")
        if g.out == out:  # upstream is 1: the local derivative is the gradient
            continue
        product = rf"{p.d(out, g.out)} \cdot {p.d(g.out, f.wire)}"
        numbers = rf"{p.factor(f.upstream)} \cdot {p.factor(f.local)} = {p.num(f.downstream)}"
        if len(c.consumers(f.wire)) > 1:  # one share of its gradient; the sum comes later
            rows.append(f"{product} &= {numbers}")
            ends.append(share_key(out, g.out, f.wire))
        else:
            rows.append(f"{p.d(out, f.wire)} &= {product} = {numbers}")
            ends.append(f"d{out}/d{f.wire}")
    items.append(Display(tuple(rows), ends=tuple(ends)))
    return items


def _local(p: Page, f: Flow) -> str:
    """A local derivative: its form, then (unless that is a number or one wire) its numbers."""
    form = p.latex(f.form)
    if f.form.is_Number:
        return form
    if f.form.is_Symbol or not f.form.free_symbols:
        return f"{form} = {p.num(f.local)}"
    return f"{form} = {p.latex(f.form, numbers=True)} = {p.num(f.local)}"


def _sum_items(p: Page, wire: str) -> list[Item]:
    """A wire that feeds several gates: its gradient is the sum of what each sends back."""
    shares = p.results.view.run.shares(wire)
    if len(shares) < 2:
        return []
    out = p.c.output
    terms = " + ".join(rf"{p.d(out, f.gate)} \cdot {p.d(f.gate, wire)}" for f in shares)
    numbers = " + ".join(p.factor(f.downstream) for f in shares)
    return [
        Paragraph(
            text(
                math(p.sym(wire)),
                f" feeds {len(shares)} gates, so its gradient is the sum over its uses, of what "
                "each sends back:",
            )
        ),
        Display(
            (
                f"{p.d(out, wire)} &= {terms}",
                f"&= {numbers} = {p.num(p.results.view.run.gradients[wire])}",
            ),
            ends=("", f"d{out}/d{wire}"),
        ),
    ]


def backward(p: Page) -> Section:
    c, run = p.c, p.results.view.run
    items: list[Item] = [
        Paragraph(
            text(
                "The backward pass starts at the output, whose gradient with respect to itself is ",
                math(f"{p.d(c.output, c.output)} = 1"),
                ", and visits the gates from the last to the first. At each gate the gradient "
                "arriving from above (upstream) is multiplied by the gate's local derivative "
                "with respect to each input: upstream × local = downstream.",
            )
        )
    ]
    if any(f.form.is_Piecewise for f in run.flows):
        items.append(
            Paragraph(
                text(
                    math(r"\left[P\right]"),
                    " is 1 where the condition ",
                    math("P"),
                    " holds and 0 where it does not (Iverson's bracket).",
                )
            )
        )
    for g in reversed(c.gates):
        items += _sum_items(p, g.out)
        items += _gate_items(p, g, tuple(f for f in run.flows if f.gate == g.out))
    return Section("Backward pass, gate by gate", 2, tuple(items), "backward")


def gradients(p: Page) -> Section:
    c, run = p.c, p.results.view.run
    items: list[Item] = []
    for n, _ in c.leaves:
        items += _sum_items(p, n)
    items.append(
        Table(
            (text("leaf"), text("value"), text("gradient of ", math(p.sym(c.output)))),
            tuple(
                (
                    text(math(p.sym(n))),
                    text(math(p.num(run.values[n]))),
                    text(math(p.num(run.gradients[n]))),
                )
                for n, _ in c.leaves
            ),
            (False, True, True),
        )
    )
    return Section("The gradients of the leaves", 2, tuple(items), "gradients")


def _shown(x: float, digits: int) -> str:
    return show(x, digits).latex


FIGURE_DIGITS = 3  # the fewest significant digits a circuit's labels are cut to, to fit


def figure(p: Page) -> Figure | Paragraph:
    """The circuit with every value and gradient; where labels at the page's digits would make
    it too wide to print them legibly, at fewer digits (the caption says how many); where even
    those do not fit, a sentence that says so in its place."""
    run = p.results.view.run
    digits = p.results.plan.digits
    for shown in range(digits, min(digits, FIGURE_DIGITS) - 1, -1):
        drawing = circuit_figure.circuit(
            p.c,
            {k: float(v) for k, v in run.values.items()},
            {k: float(v) for k, v in run.gradients.items()},
            p.sym,
            functools.partial(_shown, digits=shown),
            lambda e: p.latex(e),
        )
        if legible(drawing):
            break
    else:
        return Paragraph(
            text(
                f"The circuit, {len(p.c.leaves)} leaves and {len(p.c.gates)} gates, is too large "
                "to draw with legible labels on a page; the gates are listed above, and every "
                "value and gradient is worked below."
            )
        )
    fewer = f", to {shown} significant digits" if shown < digits else ""
    caption = text(
        "The circuit: each gate a circle, each wire labelled above with its value (blue) and "
        "below with the gradient of ",
        math(p.sym(p.c.output)),
        f" with respect to it (orange){fewer}.",
    )
    return Figure("circuit", drawing, caption)


def _left_out(p: Page) -> str:
    """Why sympy.diff of the whole expression is not in the table (values used several times
    repeat in the expression written out)."""
    size = written_out(p.c)
    return {
        "operations": f". The whole expression written out has {size.operations:,} operations "
        "(values used several times repeat), too long for sympy.diff; its column is left empty.",
        "cases": f". The whole expression written out has {size.kinks:,} operations with cases "
        f"(max, min, ReLU, |·|; values used several times repeat), more than the {KINK_LIMIT} "
        "whose cases sympy.diff can carry in good time; its column is left empty.",
        "work": ". sympy.diff of the whole expression was stopped after "
        f"{SYMPY_CALLS:,} steps of its work, without a result; its column is left empty.",
        "undefined": ". sympy could not build the whole expression over real numbers (one of "
        "its cases is undefined, such as the log of 0 inside a ReLU); its column is left empty.",
    }[p.results.view.symbolic_left_out]


def checks(p: Page) -> Section:
    rows = tuple(
        (
            text(math(p.sym(x.key))),
            text(math(p.num(x.chain))),
            text(math(p.num(x.symbolic)) if x.symbolic is not None else "—"),
            text(math(p.num(x.estimate)) if x.estimate is not None else "—"),
        )
        for x in p.results.checks
    )
    taken = not p.results.view.symbolic_left_out  # sympy.diff of the whole expression is there
    undefined = "".join(
        words
        for missing, words in (
            (
                any(x.estimate is None for x in p.results.checks),
                " A difference whose step reaches where the expression is undefined is left empty.",
            ),
            (
                taken and any(x.symbolic is None for x in p.results.checks),
                " Where sympy's exact value is not a finite real number (a negative number to "
                "an irrational power), its cell is left empty.",
            ),
        )
        if missing
    )
    if not rows:
        return Section("", 2, ())
    return Section(
        "An independent check of the gradients",
        2,
        (
            Paragraph(
                text(
                    "Each leaf's gradient from the backward pass beside sympy.diff of the whole "
                    "expression (no gates) and a central finite difference, ",
                    math(r"\frac{f(x + h) - f(x - h)}{2h}"),
                    " with ",
                    math(r"h = 10^{-6}"),
                    "." if taken else _left_out(p),
                    undefined,
                )
            ),
            Table(
                (
                    text("leaf"),
                    text("backward pass"),
                    text("sympy.diff"),
                    text("finite differences"),
                ),
                rows,
                (False, True, True, True),
            ),
        ),
        "gradient-check",
    )


def arranged(results: GateResults) -> Arranged:
    """Every section in order: the setup with the circuit drawn beside its gate table (every
    value and gradient on it, as lecture notes draw it), the forward and backward pass, the
    gradients, the updates and the training, the published numbers and the gradient checks."""
    p = page(results)
    setup_ = setup(p)
    return Arranged(
        (
            Section(setup_.title, setup_.level, (*setup_.items, figure(p)), setup_.anchor),
            forward(p),
            backward(p),
            gradients(p),
            *(
                x
                for x in (derivatives.tangents(p), derivatives.second(p), derivatives.jacobian(p))
                if x is not None
            ),
            descent.updates(results, p.sym, p.num),
            descent.training(results, p.sym, p.num),
            findings_section(results.findings, Names(p.sym, p.num)),
            checks(p),
        )
    )
