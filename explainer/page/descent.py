"""Stage 5, explain (a graph that learns): the worked update of its trained leaves, the table of
its training steps and the loss curve. Arranges the numbers graph_training computed; computes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from explainer.check.graph_results import GraphResults, shown
from explainer.draw import figures
from explainer.page.context import as_factor
from explainer.page.model import Display, Figure, Item, Paragraph, Section, Table, math, text
from explainer.page.training import LINE_DIGITS, Merged, column_width, merged, numbers
from explainer.page.words import listing, plural, span

Sym = Callable[[str], str]
Num = Callable[[Any], str]
RATE = r"\eta"


def updates(r: GraphResults, sym: Sym, num: Num) -> Section:
    """p⁺ = p − η·∂f/∂p for every trained leaf, from the backward pass above."""
    t, d = r.plan.scenario.training, r.training
    if t is None or d is None or not d.updates:
        return Section("", 2, ())
    out = r.circuit.output
    leaves = [sym(u.key) for u in d.updates]
    rate = num(t.learning_rate)
    d_out = rf"\frac{{\partial {sym(out)}}}{{\partial p}}"
    rows = tuple(
        rf"{sym(u.key)}^{{+}} &= {sym(u.key)} - {RATE} \cdot "
        rf"\frac{{\partial {sym(out)}}}{{\partial {sym(u.key)}}} = {num(u.old)} - "
        rf"{as_factor(rate)} \cdot {as_factor(num(u.gradient))} = {num(u.new)}"
        for u in d.updates
    )
    items: list[Item] = [
        Paragraph(
            text(
                "One step of gradient descent moves each trained leaf against its gradient, ",
                math(rf"p^{{+}} = p - {RATE} \cdot {d_out}"),
                ", with the learning rate ",
                math(f"{RATE} = {rate}"),
                f"; the trained {plural(len(leaves), 'leaf', 'leaves')} ",
                *listing([math(x) for x in leaves]),
                " learn",
                "s" if len(leaves) == 1 else "",
                ", all from the gradients of the one backward pass above (a simultaneous update)",
                "; the other leaves are given and stay as they are."
                if len(leaves) < len(r.circuit.leaves)
                else ".",
            )
        ),
        Display(rows, ends=tuple(f"{u.key}@1" for u in d.updates)),
    ]
    return Section("Updating the trained leaves", 2, tuple(items), "updates")


def training(r: GraphResults, sym: Sym, num: Num) -> Section:
    """The trained leaves and the named nodes at each shown step, and how far the output fell."""
    t, d = r.plan.scenario.training, r.training
    if t is None or d is None or len(d.steps) < 2:
        return Section("", 2, ())
    c = r.circuit
    columns = [u.key for u in d.updates] + [g.out for g in c.gates if g.named]
    table = shown(r.plan, d)
    rows = merged(
        (st.k, tuple(num(st.values[w]) for w in columns)) for st in d.steps if st.k in table
    )
    first, last = d.steps[0], d.steps[-1]
    out = sym(c.output)
    stopped = last.k < r.plan.steps
    items: list[Item] = [
        Paragraph(
            text(
                "Repeating forward pass, backward pass and update from the values above (step "
                "0). The row for step k shows the trained leaves after k updates and the "
                "forward pass they give.",
            )
        ),
        *_tables(columns, rows, sym),
        Paragraph(
            text(
                f"After {last.k:,} step{'s' if last.k != 1 else ''} ",
                math(out),
                " has gone from ",
                math(num(first.values[c.output])),
                " to ",
                math(num(last.values[c.output])),
                (
                    f", below the stopping value {num(t.until_loss)}, before the "
                    f"{r.plan.steps:,} steps asked for."
                    if stopped and t.until_loss is not None
                    else "."
                ),
            )
        ),
    ]
    figure = _curve(r, sym, num)
    if figure:
        items.append(figure)
    title = f"Training for {last.k:,} {plural(last.k, 'step', 'steps')}"
    return Section(title, 2, tuple(items), "training")


def _tables(columns: list[str], rows: Merged, sym: Sym) -> list[Table]:
    """The training table, its quantity columns split into as few tables as the page's width
    holds (the step column in each): Mazur's network as a graph has 19."""
    widths = [column_width(sym(w), [cells[i] for _, cells in rows]) for i, w in enumerate(columns)]
    step = column_width("step", [span(ks) for ks, _ in rows])
    groups: list[list[int]] = [[]]
    for i, w in enumerate(widths):  # columns in order, a new table when the line is full
        if groups[-1] and step + sum(widths[j] for j in groups[-1]) + w > LINE_DIGITS:
            groups.append([])
        groups[-1].append(i)
    return [
        Table(
            (text("step"), *(text(math(sym(columns[i]))) for i in block)),
            tuple((text(span(ks)), *numbers(tuple(cells[i] for i in block))) for ks, cells in rows),
            (False, *(True for _ in block)),
        )
        for block in groups
    ]


def _curve(r: GraphResults, sym: Sym, num: Num) -> Figure | None:
    d = r.training
    assert d is not None
    out = sym(r.circuit.output)
    drawing = figures.loss_curve(d.curve, out, "step", num, "output")
    if drawing is None:
        return None
    log = ", on a log scale" if figures.log_scale(d.curve) else ""
    return Figure("loss", drawing, text("The output ", math(out), f" after each step{log}."))
