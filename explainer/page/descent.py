"""Stage 5, explain (a graph that learns): the worked update of its trained leaves, the table of
its training steps and the loss curve. Arranges the numbers graph_training computed; computes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from explainer.check.gates import GateResults, shown, worked_step
from explainer.draw import figures
from explainer.page.context import as_factor
from explainer.page.model import Display, Figure, Item, Paragraph, Section, Table, math, text
from explainer.page.training import (
    LINE_DIGITS,
    Merged,
    blocks,
    column_width,
    merged,
    numbers,
    step_columns,
)
from explainer.page.update_rule import Writer, intro, optimizer_rows
from explainer.page.words import epoch_in_words, first_epoch_of, listing, plural, span
from explainer.rules.optimizers import OPTIMIZERS

Sym = Callable[[str], str]
Num = Callable[[Any], str]
RATE = r"\eta"
DATA_ROWS = 12  # a longer training set's first rows (every one is in the scenario)


def data_set(r: GateResults, sym: Sym, num: Num) -> list[Item]:
    """The training set's rows: the leaves each example gives, example 1 the one worked."""
    data, t = r.plan.scenario.data, r.plan.scenario.training
    if data is None or t is None:
        return []
    n = len(data.rows)
    shown = data.rows[:DATA_ROWS]
    more = f" (the first {len(shown)} of the {n:,})" if n > len(shown) else ""
    how = epoch_in_words(t.mode, t.batching, n)
    worked = t.batching.first(n)[0] + 1
    return [
        Paragraph(
            text(
                f"A training set of {n:,} {plural(n, 'example', 'examples')} gives ",
                *listing([math(sym(x)) for x in data.leaves]),
                f" their values{more}; example {worked} is the one this page works in full (the "
                f"values above), and training takes {how}:",
            )
        ),
        Table(
            (text("example"), *(text(math(sym(x))) for x in data.leaves)),
            tuple(
                (text(f"{i}"), *numbers(tuple(num(v) for v in row)))
                for i, row in enumerate(shown, start=1)
            ),
            (False, *(True for _ in data.leaves)),
        ),
        *(
            [Paragraph(text(order.strip()))]
            if (order := first_epoch_of(t.mode, t.batching, n))
            else []
        ),
    ]


def updates(r: GateResults, sym: Sym, num: Num) -> Section:
    """p⁺ = p − η·∂f/∂p for every trained leaf, from the backward pass above."""
    t, d = r.plan.scenario.training, r.view.training
    if t is None or d is None or not d.updates:
        return Section("", 2, ())
    if not t.plain:
        return _optimized(r, sym, num)
    out = r.view.circuit.output
    leaves = [sym(u.key) for u in d.updates]
    rate = num(t.learning_rate)
    d_out = rf"\frac{{\partial {sym(out)}}}{{\partial p}}"
    batch = bool(d.batch)  # the mean of the examples' gradients, written with a bar
    rows = tuple(
        rf"{sym(u.key)}^{{+}} &= {sym(u.key)} - {RATE} \cdot "
        rf"{_gradient(sym(out), sym(u.key), batch)} = {num(u.old)} - "
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
                *_from(r, sym(out)),
                "; the other leaves are given and stay as they are."
                if len(leaves) < len(r.view.circuit.leaves)
                else ".",
            )
        ),
        *_batch(r, sym, num),
        Display(rows, ends=tuple(f"{u.key}@{worked_step(d)}" for u in d.updates)),
    ]
    return Section("Updating the trained leaves", 2, tuple(items), "updates")


def _optimized(r: GateResults, sym: Sym, num: Num) -> Section:
    """An optimizer's first step (t = 1) of every trained leaf, its rule written out with its
    state from 0: a display per leaf, state rows first (rules/optimizers.py computed them)."""
    t, d = r.plan.scenario.training, r.view.training
    assert t is not None and d is not None
    w = writer(r, sym, num)
    out = sym(r.view.circuit.output)
    batch = bool(d.batch)
    given = len(d.updates) < len(r.view.circuit.leaves)
    items: list[Item] = [
        Paragraph(
            text(
                *intro(w, "trained leaves", "trained leaf"),
                " Each takes its gradient ",
                math(_gradient(out, "p", batch)),
                *_from(r, out),
                "; the other leaves are given and stay as they are." if given else ".",
            )
        ),
        *_batch(r, sym, num),
    ]
    for u in d.updates:
        rows = optimizer_rows(w, u, _gradient(out, sym(u.key), batch))
        items.append(Display(tuple(x for x, _ in rows), ends=tuple(e for _, e in rows)))
    return Section("Updating the trained leaves", 2, tuple(items), "updates")


def writer(r: GateResults, sym: Sym, num: Num) -> Writer:
    """A graph page's writer of an optimizer's rows: its training's rule, its names and numbers."""
    t, d = r.plan.scenario.training, r.view.training
    assert t is not None and d is not None
    return Writer(t.optimizer, t.settings, RATE, t.learning_rate, worked_step(d), sym, num)


def _gradient(out: str, leaf: str, batch: bool) -> str:
    d = rf"\frac{{\partial {out}}}{{\partial {leaf}}}"
    return rf"\overline{{{d}}}" if batch else d


def _from(r: GateResults, out: str) -> tuple[str | Any, ...]:
    s = r.plan.scenario
    if s.data is None:
        return (", all from the gradients of the one backward pass above (a simultaneous update)",)
    d = r.view.training
    assert s.training is not None and d is not None
    summed = s.training.batching.summed
    how, scale = ("sum", "") if summed else ("mean", r"\frac{1}{N} ")
    if d.batch:
        whole = len(d.batch) == len(s.data.rows)
        return (
            ", one update for the whole epoch" if whole else ", one update for the first batch",
            f", from the {how} of {'the' if whole else 'its'} examples' gradients, ",
            math(
                rf"{_gradient(out, 'p', True)} = {scale}\sum_{{n=1}}^{{N}} "
                rf"\frac{{\partial {out}_{{n}}}}{{\partial p}}"
            ),
            " over the " if whole else " over its ",
            math(f"N = {len(d.batch):,}"),
            " examples",
            *(
                ("; the epoch goes on with the next batch at the moved values",)
                if d.next_row
                else ()
            ),
        )
    first = s.training.batching.first(len(s.data.rows))[0] + 1
    if not d.next_row:
        return (f", from example {first}'s gradients above",)
    return (
        f", from example {first}'s gradients above; the epoch goes on with example "
        f"{d.next_row} at the moved values, and so on through the set",
    )


def _batch(r: GateResults, sym: Sym, num: Num) -> list[Item]:
    """Each example's gradient of each trained leaf, and their mean (a batch step's)."""
    d = r.view.training
    if d is None or not d.batch:
        return []
    t = r.plan.scenario.training
    assert t is not None
    how = "sum" if t.batching.summed else "mean"
    columns = [
        (f"example {n}", [num(g) for g in row])
        for n, row in zip(d.batch_rows, d.batch, strict=True)
    ]
    columns.append((how, [num(u.gradient) for u in d.updates]))
    widths = (column_width(head, cells) for head, cells in columns)
    return [
        Paragraph(
            text(
                f"Each example's gradients, computed as example {d.batch_rows[0]}'s above, and "
                f"their {how}:"
            )
        ),
        *(
            Table(
                (text("leaf"), *(text(columns[c][0]) for c in block)),
                tuple(
                    (text(math(sym(u.key))), *numbers(tuple(columns[c][1][i] for c in block)))
                    for i, u in enumerate(d.updates)
                ),
                (False, *([True] * len(block))),
            )
            for block in blocks(len(columns), step_columns(widths))
        ),
    ]


def training(r: GateResults, sym: Sym, num: Num) -> Section:
    """The trained leaves and the named nodes at each shown step, and how far the output fell."""
    t, d = r.plan.scenario.training, r.view.training
    if t is None or d is None or len(d.steps) < 2:
        return Section("", 2, ())
    c = r.view.circuit
    # with a training set the output is its mean over the examples, the only node recorded
    named = [c.output] if d.epochs else [g.out for g in c.gates if g.named]
    columns = [u.key for u in d.updates] + named
    table = shown(r.plan, d)
    rows = merged(
        (st.k, tuple(num(st.values[w]) for w in columns)) for st in d.steps if st.k in table
    )
    first, last = d.steps[0], d.steps[-1]
    out = sym(c.output)
    stopped = last.k < r.plan.steps
    step, steps = ("epoch", "epochs") if d.epochs else ("step", "steps")
    items: list[Item] = [
        Paragraph(
            text(
                *_repeating(r, out),
            )
        ),
        *_tables(columns, rows, sym, step),
        Paragraph(
            text(
                f"After {last.k:,} {plural(last.k, step, steps)} ",
                math(out),
                " has gone from ",
                math(num(first.values[c.output])),
                " to ",
                math(num(last.values[c.output])),
                (
                    f", below the stopping value {num(t.until_loss)}, before the "
                    f"{r.plan.steps:,} {steps} asked for."
                    if stopped and t.until_loss is not None
                    else "."
                ),
            )
        ),
    ]
    figure = _curve(r, sym, num)
    if figure:
        items.append(figure)
    title = f"Training for {last.k:,} {plural(last.k, step, steps)}"
    return Section(title, 2, tuple(items), "training")


def _repeating(r: GateResults, out: str) -> tuple[str | Any, ...]:
    data, t = r.plan.scenario.data, r.plan.scenario.training
    carried = ""
    if t is not None and OPTIMIZERS[t.optimizer].state:
        state = " and ".join(OPTIMIZERS[t.optimizer].state)
        carried = f" The optimizer's state ({state}) is carried from each update to the next."
    if data is None:
        return (
            "Repeating forward pass, backward pass and update from the values above (step "
            "0). The row for step k shows the trained leaves after k updates and the "
            f"forward pass they give.{carried}",
        )
    n = len(data.rows)
    how = "sum" if t is not None and t.batching.summed else "mean"
    return (
        "Repeating the epoch from the values above (epoch 0). The row for epoch k shows the "
        "trained leaves after k epochs and, in the column ",
        math(out),
        f", its {how} over the {n:,} {plural(n, 'example', 'examples')} at those leaves.{carried}",
    )


def _tables(columns: list[str], rows: Merged, sym: Sym, unit: str = "step") -> list[Table]:
    """The training table, its quantity columns split into as few tables as the page's width
    holds (the step column in each): Mazur's network as a graph has 19."""
    widths = [column_width(sym(w), [cells[i] for _, cells in rows]) for i, w in enumerate(columns)]
    step = column_width(unit, [span(ks) for ks, _ in rows])
    groups: list[list[int]] = [[]]
    for i, w in enumerate(widths):  # columns in order, a new table when the line is full
        if groups[-1] and step + sum(widths[j] for j in groups[-1]) + w > LINE_DIGITS:
            groups.append([])
        groups[-1].append(i)
    return [
        Table(
            (text(unit), *(text(math(sym(columns[i]))) for i in block)),
            tuple((text(span(ks)), *numbers(tuple(cells[i] for i in block))) for ks, cells in rows),
            (False, *(True for _ in block)),
        )
        for block in groups
    ]


def _curve(r: GateResults, sym: Sym, num: Num) -> Figure | None:
    d = r.view.training
    assert d is not None
    out = sym(r.view.circuit.output)
    t = r.plan.scenario.training
    summed = t is not None and t.batching.summed
    step, what = (
        ("epoch", "summed output" if summed else "mean output") if d.epochs else ("step", "output")
    )
    drawing = figures.loss_curve(d.curve, out, step, num, what)
    if drawing is None:
        return None
    log = ", on a log scale" if figures.log_scale(d.curve) else ""
    over = " over the training set" if d.epochs else ""
    return Figure(
        "loss", drawing, text(f"The {what} ", math(out), f"{over} after each {step}{log}.")
    )
