"""Stage 5, explain (the story): what a page computes, said at its start, and its results and
rules summed up at its end.

The opening names the parts the page has, in its order, from the sections present (a table of
anchor → clause), and says why the derivatives are wanted. The summary gathers the rules the
page used, written in its own symbols (the chain rule for the highlighted parameter, one local
factor of each kind, the update rule), and every parameter before and after the step.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from explainer.derive.derivation import Equation, Local, Partial
from explainer.graph.network import Network, sym
from explainer.page import matrix, notation
from explainer.page.backward import layer_contexts
from explainer.page.context import Context
from explainer.page.model import Display, Item, Paragraph, Prose, Section, Seg, Table, math, text
from explainer.page.update_rule import moved_by, optimizer_rule, writer
from explainer.page.words import (
    chain_rows,
    epoch_loss,
    first_batch,
    plural,
    training_unit,
)
from explainer.rules.activations import LOSSES

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
    s = ctx.scenario
    how = "sum" if s.batching.summed else "mean"
    whose = "first batch's " if s.mode == "minibatch" else ""
    mean = f", from the {how} of the {whose}{len(ctx.ev.batch)} examples' gradients, "
    kind = "mini-batch" if s.mode == "minibatch" else "batch"
    batch = f"{kind} gradient {way}{mean}" if ctx.ev.batch else f"gradient {way} "
    if not ctx.view.run.schedule.plain:  # an optimizer's step, not plain descent's
        batch = f"one step of {moved_by(writer(ctx))}" + (mean if ctx.ev.batch else " ")
        return text(f"{batch}with ", math(f"{rate} = {ctx.num(ctx.scenario.learning_rate)}"))
    return text(
        f"one step of {batch}with ", math(f"{rate} = {ctx.num(ctx.scenario.learning_rate)}")
    )


def _training(ctx: Context) -> Prose:
    steps = ctx.view.run.training.steps
    several, unit = training_unit(ctx.scenario)
    noun = NOUN[ctx.plan.direction]
    if several:  # the worked example's loss is one example's; training's is the set's mean
        noun += f" ({epoch_loss(ctx.scenario)} over the training set)"
    k = steps[-1].k
    run = (
        f"then {k:,} {unit}s of training, in which the {noun}"
        if k > 1
        else f"then the {noun} after one {unit}, which"
    )
    if steps[-1].loss == steps[0].loss:
        return text(f"{run} stays at ", math(ctx.num(steps[0].loss)))
    return text(
        f"{run} goes from ",
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


# With an optimizer the step is not in proportion to the gradient (Adam's first moves each
# parameter by about η): the sign says which way, the optimizer how far.
OPTIMIZER_WHY = (
    "The derivative of the loss by a parameter says how fast the loss changes as that "
    "parameter moves, so its sign says which way to move the parameter to lower the loss; the "
    "optimizer decides how far, from the gradient and from what it keeps of the steps before."
)


def opening(ctx: Context, anchors: tuple[str, ...]) -> Paragraph:
    """What the page computes, from what, in the order of its sections, and why."""
    parts = [OPENING[a](ctx) for a in anchors if a in OPENING]
    several, _ = training_unit(ctx.scenario)
    row = first_batch(ctx.scenario)[0]
    example = (
        ("the first example" if row == 0 else f"example {row + 1}") + " of its training set"
        if several
        else "one training example"
    )
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
            *text(
                ". Every number on the page is computed from these givens. "
                # a penalty on plain descent keeps the step in proportion to its gradient
                + (WHY[ctx.plan.direction] if ctx.scenario.optimizer == "sgd" else OPTIMIZER_WHY)
            ),
        )
    )


# ---------------------------------------------------------------- the summary

WIDE_SUM = 3  # a sum over more paths than this is the page's to write out, not the summary's
MAX_ROWS = 24  # parameters in the before-and-after table; a wider network's are in the JSON


def summary(ctx: Context) -> Section:
    """The rules used, in the page's symbols, and every parameter before and after the step."""
    if not ctx.ev.updates:
        return Section("", 2, ())
    items: list[Item] = [
        Paragraph(text("The rules this page used, in its own symbols:")),
        Display(RULES.get(ctx.plan.profile, rules)(ctx)),
    ]
    items += _parameters(ctx)
    items += _second_pass(ctx)
    items += _exact_minimum(ctx)
    return Section("Summary", 2, tuple(items), "summary")


def _second_pass(ctx: Context) -> list[Item]:
    """Seed 002's check that the step helped: the loss of a forward pass with the new values."""
    steps = ctx.view.run.training.steps
    after = next((st for st in steps if st.k == 1), None)
    if after is None or len(steps) < 2 or len(ctx.scenario.data) > 1:
        return []
    noun = NOUN[ctx.plan.direction]
    given = text(
        "A second forward pass, with the updated parameters, gives ",
        math(f"{ctx.sym(ctx.net.loss)} = {ctx.num(after.loss)}"),
    )
    if after.loss == steps[0].loss:  # no gradient reached any parameter (a step activation)
        return [Paragraph(given + text(f": the {noun} has not moved."))]
    moved = "down" if after.loss < steps[0].loss else "up"
    return [
        Paragraph(
            given
            + text(
                f", {moved} from ",
                math(ctx.num(steps[0].loss)),
                f": one step has moved the {noun} the way it should"
                if (moved == "down") == (ctx.plan.direction == "descent")
                else f": this step has moved the {noun} the wrong way (the rate is too large)",
                ".",
            )
        )
    ]


def _exact_minimum(ctx: Context) -> list[Item]:
    """Seed 001's closing step, for one weight and a loss polynomial in it: dC/dw in symbols,
    then in the weight alone, and the weight where it is zero, solved exactly (sympy, over the
    scenario's numbers as exact decimals)."""
    net = ctx.net
    if ctx.view.one_weight is None:
        return []
    key = net.trained[0].key
    w = sym(key)
    cost = _in_leaves(net, sym(net.loss))
    exact = {sym(k): sp.Rational(repr(float(v))) for k, v in ctx.ev.nodes if k != key}
    c = sp.expand(cost.subs(exact))
    if not c.is_polynomial(w) or sp.degree(c, w) > 4:
        return []
    slope = sp.diff(c, w)
    best = [r for r in sp.solve(slope, w) if r.is_real and sp.diff(slope, w).subs(w, r) > 0]
    if len(best) != 1:
        return []
    names, _ = ctx.maps()
    chain = next(e for e in ctx.chain.equations if e.partial == Partial(net.loss, key))
    locals_ = {x.partial: x for x in ctx.chain.locals}
    product = sp.Mul(*(locals_[f].textbook for f in chain.terms[0] if f in locals_), evaluate=False)
    grad = ctx.partial(Partial(net.loss, key))
    rows = (
        f"{grad} &= {notation.latex(product, names)}",
        f"&= {notation.latex(sp.factor(sp.diff(cost, w)), names)}",
        rf"{ctx.sym(key)}^{{*}} &= {sp.latex(best[0])} \approx {ctx.num(float(best[0]))}",
    )
    return [
        Paragraph(
            text(
                "The minimum, exactly: with ",
                math(ctx.sym(key)),
                " the only trained parameter, its derivative is a formula in it, and the "
                "weight where that formula is zero is the minimum the steps approach:",
            )
        ),
        Display(rows),
        Paragraph(
            text(
                f"After {ctx.view.run.training.steps[-1].k} steps the weight is ",
                math(ctx.num(ctx.view.run.training.steps[-1].params[0])),
                ".",
            )
        ),
    ]


def _in_leaves(net: Network, expr: sp.Expr) -> sp.Expr:
    """An expression with every computed node replaced by its formula, down to the leaves."""
    computed = {sym(n.key): n.expr for n in net.nodes if n.expr is not None}
    while expr.free_symbols & computed.keys():
        expr = expr.subs(computed)
    return expr


def _key(ctx: Context) -> str:
    return ctx.highlight or ctx.net.trained[0].key


def rules(ctx: Context) -> tuple[str, ...]:
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
            if f in equations and equations[f].kind == "sum" and len(equations[f].terms) <= WIDE_SUM
        ]
    seen: set[tuple[str, bool]] = set()
    # sequential: the key's layer is differentiated through the layers above as updated (w5⁺)
    blocks = [b.layer for b in ctx.d.layers]
    layer = net.param(key).layer
    here = layer_contexts(ctx)[blocks.index(layer)] if layer in blocks else ctx
    names, _ = here.maps()
    for x in _reached(target, equations, locals_):
        kind = (x.rule, x.partial.by in {p.key for p in net.params})
        if kind not in seen:
            seen.add(kind)
            if LOSSES[net.loss_rule].over_layer and x.rule == net.loss_rule:
                # a loss over the layer: its brackets [margin > 0], a class a line
                form = notation.latex(x.textbook, names, iverson=True)
                rows += chain_rows(ctx.partial(x.partial), [form], per_line=1)
            else:
                rows.append(f"{ctx.partial(x.partial)} &= {notation.latex(x.textbook, names)}")
    op = "+" if ctx.plan.direction == "ascent" else "-"
    if ctx.view.run.schedule.plain:
        rows.append(rf"w^{{+}} &= w {op} {ctx.scenario.rate_symbol} \cdot {ctx.step_gradient('w')}")
    else:  # an optimizer's rule, its state named as the updates section names it
        rows += optimizer_rule(writer(ctx), ctx.step_gradient("w"))
    if ctx.ev.batch:  # the mean a batch step takes
        rows.append(ctx.batch_mean().replace(" = ", " &= ", 1))
    return tuple(rows)


# A profile that writes its own rules (a layer's equations at once)
RULES: dict[str, Callable[[Context], tuple[str, ...]]] = {"matrix": matrix.rules}


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
    header = (
        text("parameter"),
        text("before"),
        text(math(ctx.step_gradient("w"))),
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
