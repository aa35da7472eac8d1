"""Stage 5, explain (the story): what a page computes, said at its start, and its results and
rules summed up at its end.

The opening names the parts the page has, in its order, from the sections present (a table of
anchor → clause), and says why the derivatives are wanted. The summary gathers the rules the
page used, written in its own symbols (the chain rule for the highlighted parameter, one local
factor of each kind, the update rule), and every parameter before and after the step.
"""

from __future__ import annotations

from collections.abc import Callable

from explainer import notation
from explainer.derivation import Equation, Local, Partial
from explainer.page.context import Context
from explainer.page.model import Display, Item, Paragraph, Prose, Section, Seg, Table, math, text
from explainer.page.words import plural, training_unit

Clause = Callable[[Context], Prose]


def _forward(ctx: Context) -> Prose:
    loss = ctx.net.loss
    return text(
        f"the forward pass, from the inputs to the {NOUN[ctx.plan.direction]} ",
        math(f"{ctx.sym(loss)} = {ctx.num(ctx.ev.node(loss))}"),
    )


def _backward(ctx: Context) -> Prose:
    loss, trained = ctx.sym(ctx.net.loss), ctx.net.trained
    if len(trained) == 1:
        wanted = text("the derivative ", math(ctx.partial(Partial(ctx.net.loss, trained[0].key))))
    else:
        wanted = text(
            "the derivative of ", math(loss), f" by each of the {len(trained)} trained parameters"
        )
    return (
        *text("the backward pass: "),
        *wanted,
        *text(", split by the chain rule into local factors, each derived before it is used"),
    )


def _updates(ctx: Context) -> Prose:
    way = "ascent" if ctx.plan.direction == "ascent" else "descent"
    rate = ctx.scenario.rate_symbol
    return text(
        f"one step of gradient {way} with ", math(f"{rate} = {ctx.num(ctx.scenario.learning_rate)}")
    )


def _training(ctx: Context) -> Prose:
    steps = ctx.results.run.training.steps
    _, unit = training_unit(ctx.scenario)
    return text(
        f"then {steps[-1].k:,} {unit}s of training, in which the {NOUN[ctx.plan.direction]} goes from ",
        math(ctx.num(steps[0].loss)),
        " to ",
        math(ctx.num(steps[-1].loss)),
    )


def _verification(ctx: Context) -> Prose:
    n = len(ctx.results.findings)
    return text(f"a check of {plural(n, 'the number', f'the {n} numbers')} the source prints")


def _gradient_check(ctx: Context) -> Prose:
    return text("an independent check of every gradient by finite differences")


OPENING: dict[str, Clause] = {
    "forward": _forward,
    "backward": _backward,
    "updates": _updates,
    "training": _training,
    "verification": _verification,
    "gradient-check": _gradient_check,
}
NOUN = {"descent": "loss", "ascent": "performance"}  # what the step lowers, or raises
WHY = {
    "descent": (
        "The derivative of the loss by a parameter says how fast the loss changes as that "
        "parameter moves, so its sign says which way to move the parameter to lower the loss, "
        "and gradient descent takes a step the other way, in proportion to it."
    ),
    "ascent": (
        "The derivative of the performance by a parameter says how fast the performance "
        "changes as that parameter moves, so gradient ascent takes a step the same way, in "
        "proportion to it, to raise the performance."
    ),
}


def opening(ctx: Context, anchors: tuple[str, ...]) -> Paragraph:
    """What the page computes, from what, in the order of its sections, and why."""
    parts = [OPENING[a](ctx) for a in anchors if a in OPENING]
    several, _ = training_unit(ctx.scenario)
    example = "the first example of its training set" if several else "one training example"
    joined: list[Seg] = []
    for i, part in enumerate(parts):
        if i:
            joined += text("; and " if i == len(parts) - 1 else "; ")
        joined += part
    return Paragraph(
        (
            *text(
                f"This page works through backpropagation by hand for the network below, on {example}: "
            ),
            *joined,
            *text(". Every number is computed from the scenario file. " + WHY[ctx.plan.direction]),
        )
    )


# ---------------------------------------------------------------- the summary

MAX_ROWS = 24  # parameters in the before-and-after table; a wider network's are in the JSON


def summary(ctx: Context) -> Section:
    """The rules used, in the page's symbols, and every parameter before and after the step."""
    if not ctx.ev.updates:
        return Section("", 2, ())
    items: list[Item] = [
        Paragraph(text("The rules this page used, in its own symbols:")),
        Display(_rules(ctx)),
    ]
    items += _parameters(ctx)
    return Section("Summary", 2, tuple(items), "summary")


def _key(ctx: Context) -> str:
    net = ctx.net
    return ctx.scenario.highlight or next(
        (p.key for p in net.trained if p.kind == "weight"), net.trained[0].key
    )


def _rules(ctx: Context) -> tuple[str, ...]:
    """The chain rule of the highlighted parameter, one local factor of each kind it uses, and
    the update rule."""
    net, d = ctx.net, ctx.chain
    key = _key(ctx)
    equations = {e.partial: e for e in d.equations}
    locals_ = {x.partial: x for x in d.locals}
    target = Partial(net.loss, key)
    rows = []
    if target in equations:  # its chain rule, and each factor that is a sum over paths
        top = equations[target]
        rows.append(_chain_row(ctx, top))
        rows += [
            _chain_row(ctx, equations[f])
            for term in top.terms
            for f in term
            if f in equations and equations[f].kind == "sum"
        ]
    seen: set[tuple[str, bool]] = set()
    for x in _reached(target, equations, locals_):
        kind = (x.rule, x.partial.by in {p.key for p in net.params})
        if kind not in seen:
            seen.add(kind)
            names, _ = ctx.maps()
            rows.append(f"{ctx.partial(x.partial)} &= {notation.latex(x.textbook, names)}")
    op = "+" if ctx.plan.direction == "ascent" else "-"
    grad = notation.partial(ctx.sym(net.loss), "w", ctx.ordinary)
    rows.append(rf"w^{{+}} &= w {op} {ctx.scenario.rate_symbol} \cdot {grad}")
    return tuple(rows)


def _chain_row(ctx: Context, eq: Equation) -> str:
    products = [r" \cdot ".join(ctx.partial(f) for f in term) for term in eq.terms]
    return f"{ctx.partial(eq.partial)} &= {' + '.join(products)}"


def _reached(
    p: Partial, equations: dict[Partial, Equation], locals_: dict[Partial, Local]
) -> list[Local]:
    """The local factors p is built from, depth first, in the order the chain rule writes them."""
    if p in locals_:
        return [locals_[p]]
    out: list[Local] = []
    for term in equations[p].terms if p in equations else ():
        for f in term:
            out += [x for x in _reached(f, equations, locals_) if x not in out]
    return out


def _parameters(ctx: Context) -> list[Item]:
    updates = ctx.ev.updates
    if len(updates) > MAX_ROWS:
        return [
            Paragraph(
                text(
                    f"The {len(updates):,} parameters before and after the step are in the JSON "
                    "(explainer render … --format json)."
                )
            )
        ]
    loss = ctx.sym(ctx.net.loss)
    header = (
        text("parameter"),
        text("before"),
        text(math(notation.partial(loss, "w", ctx.ordinary))),
        text("after one step"),
    )
    rows = tuple(
        (
            text(math(ctx.sym(u.key))),
            text(math(ctx.num(u.old))),
            text(math(ctx.num(u.gradient))),
            text(math(ctx.num(u.new))),
        )
        for u in updates
    )
    return [
        Paragraph(text("Every trained parameter before and after the worked step:")),
        Table(header, rows, (False, True, True, True)),
    ]
