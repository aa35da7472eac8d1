"""Stage 5, explain (training): the table of many steps, predictions, and a step activation's stand-in."""

from __future__ import annotations

from explainer.activations import ACTIVATIONS
from explainer.page.context import Context
from explainer.page.model import Item, Paragraph, Prose, Section, Table, math, text
from explainer.page.words import listing, training_unit
from explainer.precision import show


def training(ctx: Context) -> Section:
    """The table of training steps, and how far the loss fell."""
    s, steps = ctx.scenario, ctx.results.run.training.steps
    if len(steps) < 2:
        return Section("Training", 2, ())
    several, unit = training_unit(s)
    items: list[Item] = [Paragraph(_training_intro(ctx, several, unit)), _table(ctx)]
    summary = _summary(ctx, unit)
    if several:
        items += [Paragraph(summary + _predictions_note(len(s.data))), _predictions(ctx)]
    else:
        items.append(Paragraph(summary + _outputs(ctx)))
    return Section(f"Training for many {unit}s", 2, tuple(items), "training")


SHOWN_OUTPUTS = 4  # output columns of the training table; a wider network's are in the JSON


def _table(ctx: Context) -> Table:
    """A row per recorded step: the parameters (when there are at most four), the outputs
    (for a single example) and the loss."""
    net, steps = ctx.net, ctx.results.run.training.steps
    several, unit = training_unit(ctx.scenario)
    trained = [p for p in net.params if p.trained]
    show_params = len(trained) <= 4
    outputs = net.outputs[:SHOWN_OUTPUTS]
    header = [
        text(unit),
        *([text(math(ctx.sym(p.key))) for p in trained] if show_params else []),
        *(() if several else (text(math(ctx.sym(n.out))) for n in outputs)),
        text(math(ctx.sym(net.loss)), " (mean over the examples)" if several else ""),
    ]
    index = {p.key: i for i, p in enumerate(net.params)}
    rows = []
    for st in steps:
        row = [text(str(st.k))]
        if show_params:
            row += [text(math(ctx.num(st.params[index[p.key]]))) for p in trained]
        if not several:
            row += [text(math(ctx.num(o))) for o in st.outputs[: len(outputs)]]
        row.append(text(math(ctx.num(st.loss))))
        rows.append(tuple(row))
    return Table(tuple(header), tuple(rows), (False, *([True] * (len(header) - 1))))


def _summary(ctx: Context, unit: str) -> Prose:
    """Why training stopped, and the loss before and after."""
    s, steps = ctx.scenario, ctx.results.run.training.steps
    last, first = steps[-1], steps[0]
    stop = ""
    if s.until_loss is not None:
        stop = (
            f"Training stops once the loss is below {show(s.until_loss, ctx.plan.digits).text}, "
            f"or after {s.steps} {unit}s at most; "
            + ("the threshold was reached. " if ctx.results.reached else "the cap came first. ")
        )
    return text(
        stop,
        f"After {last.k} {unit}s the loss has gone from ",
        math(ctx.num(first.loss)),
        " to ",
        math(ctx.num(last.loss)),
        ".",
    )


def _outputs(ctx: Context) -> Prose:
    net, last = ctx.net, ctx.results.run.training.steps[-1]
    outputs = net.outputs[:SHOWN_OUTPUTS]
    more = len(net.outputs) - len(outputs)
    return text(
        " The outputs are ",
        *listing(
            math(f"{ctx.sym(n.out)} = {ctx.num(o)}")
            for n, o in zip(outputs, last.outputs, strict=False)
        ),
        " against the targets ",
        *listing(
            math(f"{ctx.sym(n.target or '')} = {ctx.num(t)}")
            for n, t in zip(outputs, ctx.scenario.targets, strict=False)
        ),
        f" (and {more} more outputs, in the JSON)." if more else ".",
    )


def _training_intro(ctx: Context, several: bool, unit: str) -> Prose:
    s = ctx.scenario
    if not several:
        return text(
            "Repeating forward pass, backward pass and update; the row for step k shows the "
            "parameters after k updates and the forward pass they give (step 0 is the example "
            "above)."
        )
    how = (
        "one update per example, in order (stochastic gradient descent)"
        if s.mode == "stochastic"
        else "one update per epoch, from the mean of the examples' gradients (batch gradient descent)"
    )
    return text(
        f"The training set has {len(s.data)} examples; the first was worked through in full "
        f"above. Each epoch passes over all of them, with {how}. The row for epoch k shows the "
        "state after k epochs."
    )


MAX_PREDICTIONS = 30


def _predictions(ctx: Context) -> Table:
    net, s = ctx.net, ctx.scenario
    header = (
        text("example"),
        *(text(math(ctx.sym(k))) for k in net.inputs),
        *(text(math(ctx.sym(n.target or ""))) for n in net.outputs),
        *(text(math(ctx.sym(n.out))) for n in net.outputs),
    )
    rows = tuple(
        (text(str(i + 1)), *(text(math(ctx.num(v))) for v in (*x, *t, *o)))
        for i, ((x, t), o) in enumerate(
            zip(s.data, ctx.results.run.training.predictions, strict=True)
        )
        if i < MAX_PREDICTIONS
    )
    return Table(header, rows, (False, *([True] * (len(header) - 1))))


def _predictions_note(count: int) -> Prose:
    if count <= MAX_PREDICTIONS:
        return text(" Predictions against targets:")
    return text(f" Predictions against targets, the first {MAX_PREDICTIONS} of {count}:")


def no_gradient(ctx: Context) -> Section:
    """A step activation passes no gradient: say so, and show its stand-in learning instead."""
    surrogate = ctx.results.surrogate
    if surrogate is None:
        return Section("", 2, ())
    net = ctx.net
    steps = [ACTIVATIONS[a] for a in dict.fromkeys(x.activation for x in ctx.scenario.layers)]
    step = next(a for a in steps if a.surrogate)
    stand_in = ACTIVATIONS[step.surrogate]
    loss = ctx.sym(net.loss)
    rows = tuple(
        (text(str(a.k)), text(math(ctx.num(a.loss))), text(math(ctx.num(b.loss))))
        for a in ctx.results.run.training.steps
        for b in surrogate.steps
        if a.k == b.k
    )
    return Section(
        f"Why {step.describe.split(' (')[0]} cannot learn",
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
                    "which has a similar shape and a non-zero derivative, lets learning proceed. "
                    "The same training, both ways:"
                )
            ),
            Table(
                (
                    text("step"),
                    text(math(loss), f" with {step.name}"),
                    text(math(loss), f" with {stand_in.name}"),
                ),
                rows,
                (False, True, True),
            ),
        ),
        "surrogate",
    )
