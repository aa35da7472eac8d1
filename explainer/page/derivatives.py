"""Stage 5, explain (a graph's [derivatives]): forward mode beside the backward pass, and the
output's second derivatives. Arranges evaluate/tangents.py's and evaluate/hessian.py's numbers;
computes nothing.

    forward mode:  q̇ = Σ_u ∂q/∂u · u̇, from ẋ = 1 at the seed, gate by gate forward
    Hessian:       H_ab = ∂²f/∂a∂b, symmetric
    Jacobian:      J_ij = ∂q_i/∂x_j, column j the tangents of a forward pass seeded at x_j
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explainer.page.model import Display, Item, Paragraph, Section, Seg, Table, math, text
from explainer.page.words import listing, plural

if TYPE_CHECKING:
    from explainer.page.gates import Page


def opening(p: Page) -> tuple[Seg, ...]:
    """The clauses the page's opening adds for its [derivatives] sections."""
    v, out = p.results.view, p.sym(p.c.output)
    said: list[Seg] = []
    if v.tangents is not None:
        said += text("; then forward mode, every wire's derivative by ")
        said += [math(p.sym(v.tangents.seed)), *text(" carried forward from the leaves")]
    if v.hessian is not None:
        said += text("; then the second derivatives of ", math(out), " by ")
        said += text(*listing([math(p.sym(n)) for n in v.hessian.leaves]))
    if v.jacobian:
        said += text("; then the Jacobian of ")
        said += text(*listing([math(p.sym(n)) for n in p.results.plan.scenario.jacobian]))
        said += text(" by every leaf")
    return tuple(said)


def _dot(p: Page, wire: str) -> str:
    return rf"\dot{{{p.sym(wire)}}}"


def tangents(p: Page) -> Section | None:
    """Each gate's tangent in forward order, then the output's beside the backward pass's."""
    t = p.results.view.tangents
    if t is None:
        return None
    c, run = p.c, p.results.view.run
    seed, others = t.seed, [n for n, _ in c.leaves if n != t.seed]
    seeds = [math(f"{_dot(p, seed)} = 1")]
    if others:
        seeds += [math(", ".join(_dot(p, n) for n in others) + " = 0")]
    items: list[Item] = [
        Paragraph(
            text(
                "Forward mode takes the chain rule the other way round. It seeds the leaf it "
                "differentiates by, ",
                *listing(seeds),
                ", and then, gate by gate in the order of the forward pass, adds up each "
                "input's tangent times the gate's local derivative by that input: ",
                math(r"\dot{q} = \sum_u \frac{\partial q}{\partial u} \cdot \dot{u}"),
                ". Each tangent is that wire's derivative by ",
                math(p.sym(seed)),
                ".",
            )
        )
    ]
    rows, ends = [], []
    for g in t.gates:
        symbols = " + ".join(rf"{p.d(g.wire, x.wire)} \cdot {_dot(p, x.wire)}" for x in g.terms)
        numbers = " + ".join(rf"{p.factor(x.local)} \cdot {p.factor(x.tangent)}" for x in g.terms)
        rows.append(f"{_dot(p, g.wire)} &= {symbols} = {numbers} = {p.num(g.value)}")
        ends.append(f"dot_{g.wire}")
    items.append(Display(tuple(rows), ends=tuple(ends)))
    forward, backward = p.num(t.of(c.output)), p.num(run.gradients[seed])
    gap = p.num(abs(t.of(c.output) - run.gradients[seed]))
    agree = (
        ("the same number the backward pass gives, ",)
        if forward == backward
        else (  # each pass rounds its own intermediate values (on paper, in float32)
            f"where the backward pass, which rounds other intermediate values, gives a number "
            f"{gap} away, ",
        )
    )
    items.append(
        Paragraph(
            text(
                "The output's tangent is its derivative by ",
                math(p.sym(seed)),
                ", ",
                math(f"{_dot(p, c.output)} = {forward}"),
                ", ",
                *agree,
                math(f"{p.d(c.output, seed)} = {backward}"),
                ". One forward pass gives the derivative by one leaf (of every wire at once); "
                "the backward pass gave the output's derivative by every leaf at once, which "
                "is why a network with many weights and one loss is trained by the backward pass.",
            )
        )
    )
    return Section(
        f"Forward mode: every wire's derivative by {seed}", 2, tuple(items), "forward-mode"
    )


def second(p: Page) -> Section | None:
    """The Hessian's entries, each with its form where it is short, then the matrix."""
    h = p.results.view.hessian
    if h is None:
        return None
    out = p.sym(p.c.output)
    leaves = h.leaves
    items: list[Item] = [
        Paragraph(
            text(
                "The second derivatives of ",
                math(out),
                " by ",
                *listing([math(p.sym(n)) for n in leaves]),
                ": ",
                math(out),
                " written out in the leaves and differentiated twice by sympy, at the leaves' "
                "values. The order does not matter (",
                math(
                    rf"\frac{{\partial^2 {out}}}{{\partial a\,\partial b}} = "
                    rf"\frac{{\partial^2 {out}}}{{\partial b\,\partial a}}"
                ),
                ", Schwarz's theorem), so each pair is computed once.",
            )
        )
    ]
    rows, ends = [], []
    for e in h.entries:
        lhs = _second(p, e.row, e.col)
        form = f"{p.latex(e.form)} = " if e.form is not None else ""
        rows.append(f"{lhs} &= {form}{p.num(e.value)}")
        ends.append(f"d2{p.c.output}/d{e.row}/d{e.col}")
    items.append(Display(tuple(rows), ends=tuple(ends)))
    items.append(Paragraph(text("The Hessian, a row and a column per leaf:")))
    items.append(
        Table(
            (text(""), *(text(math(p.sym(n))) for n in leaves)),
            tuple(
                (text(math(p.sym(a))), *(text(math(p.num(h.at(a, b).value))) for b in leaves))
                for a in leaves
            ),
            (False, *([True] * len(leaves))),
        )
    )
    return Section("Second derivatives", 2, tuple(items), "hessian")


def _second(p: Page, a: str, b: str) -> str:
    out = p.sym(p.c.output)
    if a == b:
        return rf"\frac{{\partial^2 {out}}}{{\partial {p.sym(a)}^2}}"
    return rf"\frac{{\partial^2 {out}}}{{\partial {p.sym(a)}\,\partial {p.sym(b)}}}"


MATRIX_WIDTH = 6  # leaves (columns) a Jacobian is set as a matrix up to; a table beyond


def _matrix(rows: list[list[str]]) -> str:
    body = r" \\ ".join(" & ".join(r) for r in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def total(of: str, by: str) -> str:
    """d of / d by, upright d: a derivative through the whole graph, every path added (∂ is
    one gate's own local derivative on these pages)."""
    return rf"\frac{{\mathrm{{d}} {of}}}{{\mathrm{{d}} {by}}}"


def jacobian(p: Page) -> Section | None:
    """J = d(q, …)/d(leaves): the matrix in symbols and in numbers (or its transpose as a
    table, for many leaves), and how forward and reverse mode each make it."""
    columns = p.results.view.jacobian
    if not columns:
        return None
    wires, leaves = p.results.plan.scenario.jacobian, [col.seed for col in columns]
    m, n = len(wires), len(leaves)
    vector = ", ".join(p.sym(w) for w in wires)
    wide = n > MATRIX_WIDTH  # a row per leaf: the transpose fits the page
    passes = f"{n} forward {plural(n, 'pass', 'passes')}"
    made = (
        f"; each row of the table below is one of the {passes} (the table is the transpose, a "
        "row per leaf)"
        if wide
        else f"; the columns here are the {passes}"
    )
    output = (
        (
            ", and the output's "
            + ("column" if wide else "row")
            + " is the gradient the backward pass gave."
        )
        if p.c.output in wires
        else "."
    )
    items: list[Item] = [
        Paragraph(
            text(
                "The Jacobian of ",
                math(rf"({vector})"),
                " by the leaves: row ",
                math("i"),
                " holds wire ",
                math("i"),
                "'s derivatives by every leaf through the whole graph, every path added (written ",
                math(total("q", "x")),
                "; the gates' ",
                math(r"\frac{\partial q}{\partial x}"),
                " above is one gate's own), column ",
                math("j"),
                " every wire's derivative by leaf ",
                math("j"),
                ". Forward mode makes a column per pass: seeded at one leaf, a pass carries "
                "every wire's derivative by it. Reverse mode makes a row per pass: one backward "
                f"pass from a wire gives its derivative by every leaf. For {m} "
                f"{plural(m, 'wire', 'wires')} and {n} {plural(n, 'leaf', 'leaves')} that is "
                f"{passes} or {m} backward {plural(m, 'pass', 'passes')}{made}{output}",
            )
        )
    ]
    if not wide:
        by = ", ".join(p.sym(x) for x in leaves)
        lhs = rf"J = \frac{{\mathrm{{d}} ({vector})}}{{\mathrm{{d}} ({by})}}"
        symbols = _matrix([[total(p.sym(w), p.sym(x)) for x in leaves] for w in wires])
        numbers = _matrix([[p.num(col.of(w)) for col in columns] for w in wires])
        items.append(Display((f"{lhs} &= {symbols}", f"&= {numbers}")))
    else:
        items.append(
            Table(
                (text("leaf x"), *(text(math(total(p.sym(w), "x"))) for w in wires)),
                tuple(
                    (text(math(p.sym(col.seed))), *(text(math(p.num(col.of(w)))) for w in wires))
                    for col in columns
                ),
                (False, *([True] * m)),
            )
        )
    return Section("The Jacobian", 2, tuple(items), "jacobian")
