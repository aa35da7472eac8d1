"""Stage 5, explain (training): the table of many steps, the parameters at each shown step,
predictions, and a step activation's stand-in.

Every table here shows a row once: rows equal at the page's digits are merged into one, its
label naming every step or example it stands for ("0–10, 50"); a table whose rows are all equal
is a sentence instead. The numbers are formatted before they are compared, so "equal" is equal as
printed, never a tolerance.
"""

from __future__ import annotations

import math as _math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from explainer.evaluate import quantities
from explainer.evaluate.classes import Classes
from explainer.evaluate.trainer import Step
from explainer.foundation.precision import show
from explainer.page.context import Context
from explainer.page.model import Item, Paragraph, Prose, Section, Table, math, text
from explainer.page.words import (
    epoch_loss,
    epoch_words,
    first_batch,
    first_epoch,
    listing,
    loss_noun,
    plural,
    span,
    training_unit,
)
from explainer.rules.activations import ACTIVATIONS

Cells = tuple[str, ...]  # a row's numbers, LaTeX at the page's digits
Merged = tuple[tuple[tuple[int, ...], Cells], ...]  # (steps or examples, their one row)


def merged(rows: Iterable[tuple[int, Cells]]) -> Merged:
    """Each distinct row of cells once, in the order first met, with the steps or examples of
    every row it stands for (a training that comes back to an earlier state lists both)."""
    groups: dict[Cells, list[int]] = {}
    for key, cells in rows:
        groups.setdefault(cells, []).append(key)
    return tuple((tuple(keys), cells) for cells, keys in groups.items())


def numbers(cells: Cells) -> tuple[Prose, ...]:
    return tuple(text(math(c)) for c in cells)


def training(ctx: Context) -> Section:
    """The table of training steps, every trained parameter at each shown step, and how far the
    loss fell."""
    s, steps = ctx.scenario, ctx.view.run.training.steps
    if len(steps) < 2:
        return Section("Training", 2, ())
    several, unit = training_unit(s)
    columns = _columns(ctx)
    rows = merged((st.k, tuple(ctx.num(c.value(st)) for c in columns)) for st in steps)
    items: list[Item] = [
        Paragraph(_training_intro(ctx, several, unit, rows)),
        _table(unit, columns, rows) if len(rows) > 1 else Paragraph(_same(ctx, columns, rows)),
        *_parameters(ctx, unit),
    ]
    summary = _summary(ctx, unit)
    if several:
        items += [Paragraph(summary + _predictions_note(ctx)), _predictions(ctx)]
    else:
        items.append(Paragraph(summary + _outputs(ctx)))
    title = (
        f"Training for many {unit}s"
        if steps[-1].k > 1
        else f"The {loss_noun(ctx.net)} after one {unit}"
    )
    return Section(title, 2, tuple(items), "training")


SHOWN_OUTPUTS = 4  # output columns of the training table; a wider network's are in the JSON
SHOWN_PARAMS = 4  # trained parameters shown as columns of the training table; more: their own


# Where a column of the training table reads its value in a recorded step.
READ: dict[str, Callable[[Step, int], Any]] = {
    "param": lambda st, i: st.params[i],  # i in Network.params order
    "output": lambda st, i: st.outputs[i],  # of the first example
    "loss": lambda st, i: st.loss,  # the mean over the examples
}


@dataclass(frozen=True)
class Column:
    """A value column of the training table: its symbol, where its value is, what the header
    adds."""

    symbol: str  # LaTeX
    read: str  # a key of READ
    index: int = 0
    note: str = ""

    def value(self, st: Step) -> Any:
        return READ[self.read](st, self.index)


def _columns(ctx: Context) -> tuple[Column, ...]:
    """The parameters (at most SHOWN_PARAMS trained ones), the outputs (one example) and the loss."""
    net = ctx.net
    several, _ = training_unit(ctx.scenario)
    shown = len(net.trained) <= SHOWN_PARAMS
    outputs = () if several else net.outputs[:SHOWN_OUTPUTS]
    return (
        *(
            Column(ctx.sym(p.key), "param", i)
            for i, p in enumerate(net.params)
            if p.trained and shown
        ),
        *(Column(ctx.sym(n.out), "output", j) for j, n in enumerate(outputs)),
        Column(
            ctx.sym(net.loss),
            "loss",
            note=f" ({epoch_loss(ctx.scenario)} over the examples)" if several else "",
        ),
    )


def _table(unit: str, columns: Sequence[Column], rows: Merged) -> Table:
    """A row per distinct shown state, labelled with the steps that reach it."""
    header = (text(unit), *(text(math(c.symbol), c.note) for c in columns))
    body = tuple((text(span(ks)), *numbers(cells)) for ks, cells in rows)
    return Table(header, body, (False, *([True] * len(columns))))


def _same(ctx: Context, columns: Sequence[Column], rows: Merged) -> Prose:
    """Every shown step alike: the values once, in a sentence, and why when the page knows."""
    ((ks, cells),) = rows
    _, unit = training_unit(ctx.scenario)
    return text(
        f"Every shown {unit} ({span(ks)}) gives the same values: ",
        *listing(math(f"{c.symbol} = {v}") for c, v in zip(columns, cells, strict=True)),
        ".",
        _still(ctx),
    )


def _still(ctx: Context) -> str:
    """Why nothing moves, said only where the worked step proves it: one example whose every
    gradient is zero is a fixed point of gradient descent (p − η·0 = p, the same forward pass
    again); when the output neuron is a step, each chain has its zero derivative as a factor."""
    several, _ = training_unit(ctx.scenario)
    if several or any(u.gradient != 0 for u in ctx.view.run.evaluation.updates):
        return ""
    out = ctx.scenario.layers[-1].rule
    cause = (
        f" (each chain has the derivative of {out.describe.split(' (')[0]} at the output as a "
        "factor)"
        if out.surrogate
        else ""
    )
    return f" Every gradient is zero{cause}, so no parameter moves."


# The parameter table is transposed, a row per parameter and a column per shown step, so that a
# network of 8–16 parameters fits. Its width, in digits: A4 less 2.2 cm margins is 166 mm of
# text, at 11 pt about 86 digits (0.5 em, 1.93 mm each), ~78 beside the parameters' names. A
# column is as wide as dcolumn sets it, the widest integer part (with its sign) and the widest
# fraction ("× 10ᵏ" eight digits more) with the point between, or as its header ("epoch 100"),
# and the space between columns (2 × 6 pt) two more: 7 columns at 4 digits, 5 at Mazur's 9.
LINE_DIGITS, COLUMN_GAP, MAX_COLUMNS = 78, 2, 7
MAX_PARAMETER_ROWS = 30  # a wider network's are in the JSON (`w5@k`)


def column_width(header: str, cells: Iterable[str]) -> int:
    """A step column's width in digits: its header or its numbers, and the gap after it."""
    parts = [(c.partition(".")[0].partition(" ")[0], c.partition(".")[2]) for c in cells]
    left = max((len(i) for i, _ in parts), default=0)
    right = max((len(f.partition(" ")[0]) + 8 * (r"\times" in f) for _, f in parts), default=0)
    return max(len(header), left + 1 + right) + COLUMN_GAP


def step_columns(widths: Iterable[int]) -> int:
    """How many step columns of the parameter table fit the page's width, the widest deciding."""
    return max(1, min(MAX_COLUMNS, LINE_DIGITS // max(widths, default=1)))


def blocks(n: int, most: int) -> tuple[range, ...]:
    """n columns in as few tables of at most `most` as can hold them, sized evenly (14 columns
    at most 6 a table: 5, 5 and 4, not 6, 6 and 2)."""
    count = _math.ceil(n / most)
    size = _math.ceil(n / count) if n else 0
    return tuple(range(i, min(i + size, n)) for i in range(0, n, size or 1))


def _parameters(ctx: Context, unit: str) -> list[Item]:
    """Every trained parameter at each shown step, when there are too many for the training
    table's columns: a row per parameter, a column per distinct shown state (steps whose
    parameters agree at the digits shown share one), in tables narrow enough for the page."""
    net, steps = ctx.net, ctx.view.run.training.steps
    if len(net.trained) <= SHOWN_PARAMS:
        return []
    index = [i for i, p in enumerate(net.params) if p.trained]
    states = merged((st.k, tuple(ctx.num(st.params[i]) for i in index)) for st in steps)
    names = [ctx.sym(p.key) for p in net.trained][:MAX_PARAMETER_ROWS]
    more = (
        f" (the first {len(names)} of {len(index)}; every parameter is in the JSON)"
        if len(index) > len(names)
        else ""
    )
    if len(states) == 1:
        return [Paragraph(_parameters_same(unit, states[0], names, more))]
    lead = text(f"Every trained parameter after each shown {unit}, a column per {unit}{more}:")
    heads = [f"{unit} {span(ks)}" for ks, _ in states]
    widths = (
        column_width(h, cells[: len(names)]) for h, (_, cells) in zip(heads, states, strict=True)
    )
    tables = [
        Table(
            (text("parameter"), *(text(heads[c]) for c in block)),
            tuple(
                (text(math(name)), *numbers(tuple(states[c][1][r] for c in block)))
                for r, name in enumerate(names)
            ),
            (False, *([True] * len(block))),
        )
        for block in blocks(len(states), step_columns(widths))
    ]
    return [Paragraph(lead), *tables]


def _parameters_same(
    unit: str, state: tuple[tuple[int, ...], Cells], names: Sequence[str], more: str
) -> Prose:
    ks, cells = state
    return text(
        f"The trained parameters are the same at every shown {unit} ({span(ks)}){more}: ",
        *listing(math(f"{n} = {v}") for n, v in zip(names, cells, strict=False)),
        ".",
    )


def _summary(ctx: Context, unit: str) -> Prose:
    """Why training stopped, and the loss before and after."""
    s, steps = ctx.scenario, ctx.view.run.training.steps
    last, first = steps[-1], steps[0]
    stop = ""
    if s.until_loss is not None:
        stop = (
            f"Training stops once the loss is below {show(s.until_loss, ctx.plan.digits).text}, "
            f"or after {s.steps} {unit}s at most; "
            + ("the threshold was reached. " if ctx.view.reached else "the cap came first. ")
        )
    before, after = ctx.num(first.loss), ctx.num(last.loss)
    noun = loss_noun(ctx.net)
    moved = (
        (f" the {noun} has gone from ", math(before), " to ", math(after))
        if before != after
        else (f" the {noun} is still ", math(after))
    )
    return text(stop, f"After {last.k} {plural(last.k, unit, unit + 's')}", *moved, ".")


def _outputs(ctx: Context) -> Prose:
    net, last = ctx.net, ctx.view.run.training.steps[-1]
    outputs = net.outputs[:SHOWN_OUTPUTS]
    more = len(net.outputs) - len(outputs)
    one = len(net.outputs) == 1
    return text(
        " The output is " if one else " The outputs are ",
        *listing(
            math(f"{ctx.sym(n.out)} = {ctx.num(o)}")
            for n, o in zip(outputs, last.outputs, strict=False)
        ),
        " against the target " if one else " against the targets ",
        *listing(
            math(f"{ctx.sym(n.target or '')} = {ctx.num(t)}")
            for n, t in zip(outputs, ctx.scenario.targets, strict=False)
        ),
        f" (and {more} more outputs, in the JSON)." if more else ".",
    )


# What a row of the training table holds, by whether the parameters are its columns.
ROW_HOLDS = {
    True: "the parameters after k updates and the forward pass they give",
    False: "the forward pass after k updates",
}


def _training_intro(ctx: Context, several: bool, unit: str, rows: Merged) -> Prose:
    """What training repeats, and what a row of the table holds: said only when there is a
    table (more than one distinct row), and a merged row's meaning only when there is one."""
    s = ctx.scenario
    holds = {
        False: f"step k shows {ROW_HOLDS[len(ctx.net.trained) <= SHOWN_PARAMS]}",
        True: "epoch k shows the state after k epochs",
    }[several]
    shared = any(len(ks) > 1 for ks, _ in rows)
    table = (
        f" The row for {holds}"
        + (f"; {unit}s that agree to the digits shown share a row." if shared else ".")
        if len(rows) > 1
        else ""
    )
    if not several:
        return text(
            "Repeating forward pass, backward pass and update, from the example above (step 0)."
            + table
        )
    row = first_batch(s)[0]
    first = "batch" if s.mode == "minibatch" else "epoch's shuffled order"
    worked = "the first" if row == 0 else f"example {row + 1} (the first of the first {first})"
    return text(
        f"The training set has {len(s.data)} examples; {worked} was worked through in full "
        f"above. Each epoch passes over all of them, with {epoch_words(s)}.{first_epoch(s)}"
        f"{table}"
    )


MAX_PREDICTIONS = 30


def _prediction_rows(ctx: Context) -> Merged:
    """Each example's inputs, targets and outputs after training; an example that repeats an
    earlier one (a periodic training set) shares its row."""
    s, found = ctx.scenario, _classes(ctx)
    return merged(
        (
            i + 1,
            tuple(ctx.num(v) for v in (*x, *t, *o))
            + (
                (str(found.predicted[i]), RIGHT[found.predicted[i] == found.wanted[i]])
                if found
                else ()
            ),
        )
        for i, ((x, t), o) in enumerate(zip(s.data, ctx.view.run.training.predictions, strict=True))
    )


RIGHT = {True: "yes", False: "no"}  # the predicted class is the target's


def _classes(ctx: Context) -> Classes | None:
    return quantities.predicted(ctx.view.run.schedule, ctx.view.run.training.predictions)


def _predictions(ctx: Context) -> Table:
    net = ctx.net
    header = (
        text("example"),
        *(text(math(ctx.sym(k))) for k in net.inputs),
        *(text(math(ctx.sym(n.target or ""))) for n in net.outputs),
        *(text(math(ctx.sym(n.out))) for n in net.outputs),
        *((text("class"), text("right")) if _classes(ctx) else ()),
    )
    words = 1 if _classes(ctx) else 0  # the last cell says yes or no: words, not a number
    rows = tuple(
        (
            text(span(ks)),
            *numbers(cells[: len(cells) - words]),
            *map(text, cells[len(cells) - words :]),
        )
        for ks, cells in _prediction_rows(ctx)[:MAX_PREDICTIONS]
    )
    return Table(header, rows, (False, *([True] * (len(header) - 1))))


def _percent(right: int, count: int) -> str:
    """right/count as a percentage cut (not rounded) to one decimal: 199 of 200 is 99.5%,
    never 100%; a whole number when it is one."""
    tenths = 1000 * right // count
    return f"{tenths // 10}%" if tenths % 10 == 0 else f"{tenths / 10:.1f}%"


def _predictions_note(ctx: Context) -> Prose:
    rows, count = _prediction_rows(ctx), len(ctx.scenario.data)
    shared = " (examples that repeat an earlier one share its row)" if len(rows) < count else ""
    found = _classes(ctx)
    scored = (
        f" Each example's class is {found.rule.says}: {found.right} of {count} right, an "
        f"accuracy of {_percent(found.right, count)}."
        if found
        else ""
    )
    if len(rows) <= MAX_PREDICTIONS:
        return text(f"{scored} Predictions against targets{shared}:")
    return text(
        f"{scored} Predictions against targets{shared}, the first {MAX_PREDICTIONS} rows of "
        f"{len(rows)}:"
    )


def no_gradient(ctx: Context) -> Section:
    """A step activation passes no gradient: say so, and show its stand-in learning instead."""
    surrogate = ctx.view.surrogate
    if surrogate is None:
        return Section("", 2, ())
    net = ctx.net
    steps = [ACTIVATIONS[a] for a in dict.fromkeys(x.activation for x in ctx.scenario.layers)]
    step = next(a for a in steps if a.surrogate)
    stand_in = ACTIVATIONS[step.surrogate]
    loss = ctx.sym(net.loss)
    pairs = [
        (a.k, ctx.num(a.loss), ctx.num(b.loss))
        for a in ctx.view.run.training.steps
        for b in surrogate.steps
        if a.k == b.k
    ]
    # The step's loss never moves: said once, and the table shows the stand-in's alone.
    still = len({x for _, x, _ in pairs}) == 1
    both = merged((k, ((x,) if not still else ()) + (y,)) for k, x, y in pairs)
    named = step.describe.split(" (")[0]
    lead = (
        text(
            f" With {named}, the loss stays ",
            math(f"{loss} = {pairs[0][1]}"),
            f" at every shown step ({span(k for k, _, _ in pairs)}); with {stand_in.describe}:",
        )
        if still
        else text(" The same training, both ways:")
    )
    header = (
        text("step"),
        *((text(math(loss), f" with {step.name}"),) if not still else ()),
        text(math(loss), f" with {stand_in.name}"),
    )
    return Section(
        f"Why {named} cannot learn",
        2,
        (
            Paragraph(
                text(
                    f"The derivative of {step.describe} is {step.derivative_note}. Every chain "
                    "that passes through a step neuron contains that factor, so each weight and "
                    "bias feeding a step neuron gets a zero gradient and stays where it was: no "
                    "error, however large, reaches it. This is not a bug of the example; it is "
                    "why networks trained "
                    f"by backpropagation use a smooth activation. Replacing it by {stand_in.describe}, "
                    "which has a similar shape and a non-zero derivative, lets learning proceed."
                )
                + lead
            ),
            Table(
                header,
                tuple((text(span(k)), *numbers(cells)) for k, cells in both),
                (False, *([True] * (len(header) - 1))),
            ),
        ),
        "surrogate",
    )
