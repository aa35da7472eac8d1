"""Stage 5, explain (forecast): seed 000's unseen points, forecast by the trained network."""

from __future__ import annotations

from explainer.draw import figures
from explainer.page.context import Context
from explainer.page.model import Figure, Paragraph, Section, Table, math, text
from explainer.page.words import loss_noun, training_unit


def forecast(ctx: Context) -> Section:
    """The trained network on the scenario's unseen examples: a table of inputs, targets and
    forecasts, the mean loss beside the training set's, and a plot of the fit."""
    done, s, net = ctx.view.forecast, ctx.scenario, ctx.net
    if done is None:
        return Section("", 2, ())
    last = ctx.view.run.training.steps[-1]
    _, unit = training_unit(s)
    loss = ctx.sym(net.loss)
    ins = [ctx.sym(k) for k in net.inputs]
    outs = [(ctx.sym(n.target or ""), ctx.sym(n.out)) for n in net.outputs]
    header = (
        text("example"),
        *(text(math(x)) for x in ins),
        *(text(math(x)) for pair in outs for x in pair),
    )
    rows = tuple(
        (
            text(str(i)),
            *(text(math(ctx.num(v))) for v in x),
            *(text(math(ctx.num(v))) for pair in zip(t, o, strict=True) for v in pair),
        )
        for i, ((x, t), o) in enumerate(zip(s.forecast, done.outputs, strict=True), start=1)
    )
    lead = text(
        f"The trained network, after {last.k} {unit}s, on {len(s.forecast)} examples it never "
        f"saw in training. Its {loss_noun(net)} over them, ",
        math(f"{loss} = {ctx.num(done.loss)}"),
        " (mean over the examples), beside ",
        math(ctx.num(last.loss)),
        " over the training set, says how well what it learned carries over:",
    )
    target, out = outs[0]
    plot = figures.fit(
        tuple(t[0] for _, t in s.forecast),
        tuple(o[0] for o in done.outputs),
        target,
        out,
        ctx.num,
    )
    caption = text(
        "Each unseen example's target ",
        math(target),
        " (dashed) and the trained network's forecast ",
        math(out),
        " (dots, joined by a line), in the order of the file.",
    )
    numeric = (False, *([True] * (len(header) - 1)))
    return Section(
        "Forecasting unseen examples",
        2,
        (Paragraph(lead), Table(header, rows, numeric), Figure("fit", plot, caption)),
        "forecast",
    )
