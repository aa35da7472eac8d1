"""Stage 5, explain (backward pass, delta notation): one error signal δ per neuron, updates Δw = η·δ·input (seeds 003, 004)."""

from __future__ import annotations

from typing import Any

import sympy as sp

from explainer.derive.derivation import Partial
from explainer.evaluate.quantities import DELTA_SIGN, worked_step
from explainer.graph.network import Neuron, sym
from explainer.page import notation
from explainer.page.backward import backward_sections, layer_contexts, local_display
from explainer.page.batch import batch_gradients
from explainer.page.context import Context
from explainer.page.model import Display, Item, Paragraph, Section, math, strong, text
from explainer.page.words import (
    bracketed,
    chain_rows,
    ending,
    layer_title,
    loss_noun,
    update_row,
    updated_key,
    weight_sub,
)
from explainer.rules.activations import negated, residual


def delta_sym(name: str) -> str:
    return rf"\delta_{{{name}}}"


def delta_layout(ctx: Context) -> list[Section]:
    """The delta rule (seeds 003, 004): one error signal δ per neuron, updates Δw = η·δ·input."""
    net, d = ctx.net, ctx.d
    if not d.layers:
        return backward_sections(ctx)
    sign = DELTA_SIGN[ctx.plan.delta_sign]
    e = ctx.sym(net.loss)
    dnet = notation.partial(e, r"\mathrm{net}_j")
    dout = notation.partial(e, r"\mathrm{out}_j")
    minus = "-" if sign < 0 else ""
    # the weights' indices in the order of the page's own names: w_kj or w_jk from j into k
    up, into = (rf"w_{{{weight_sub(net, a, b)}}}" for a, b in (("j", "k"), ("i", "j")))
    link = text(
        "Each neuron j carries an error signal ",
        math(rf"\delta_j = {minus}{dnet}"),
        " (the sign is this page's convention). By the chain rule ",
        math(rf"\delta_j = {minus}{dout} \cdot f'(\mathrm{{net}}_j)"),
        f": for an output neuron the first factor comes from the {loss_noun(net)}; for a hidden "
        "neuron it is ",
        math(rf"\sum_k {up}\,\delta_k"),
        ", the deltas of the layer above weighted by the connections (",
        math(up),
        " from j into k). Then ",
        math(rf"{minus}{notation.partial(e, into)} = \delta_j \cdot o_i"),
        " for the weight ",
        math(into),
        " from input ",
        math("o_i"),
        " into neuron j, and every update is a multiple of ",
        math(r"\delta_j \cdot o_i"),
        ".",
    )
    sections = [Section("Backward pass: the delta rule", 2, (Paragraph(link),), "backward")]
    for block, here in zip(d.layers, layer_contexts(ctx), strict=True):
        items: list[Item] = []
        for nb in block.neurons:
            items += _delta(here, net.neuron(nb.neuron), sign)
        items += _delta_updates(here, block.layer, sign)
        title = layer_title(net, block.layer)
        sections.append(Section(title, 3, tuple(items), f"layer-{block.layer + 1}"))
    return sections


def _delta(ctx: Context, n: Neuron, sign: int) -> list[Item]:
    net = ctx.net
    names, numbers = ctx.maps()
    items: list[Item] = []
    factors: list[tuple[str, str, bool]] = []  # (symbols, numbers, a sum needing parentheses)
    if n.rule.over_layer:  # a softmax with the cross-entropy: −∂L/∂net_j = t_j − out_j
        return _shortcut(ctx, n, sign)
    if n.has_net:
        act = ctx.d.local(Partial(n.out, n.net))
        assert act is not None
        if act.partial in ctx.numbering.first_rule:
            items += local_display(ctx, act)
        factors.append(
            (notation.latex(act.textbook, names), notation.latex(act.textbook, numbers), False)
        )
    if n.target:
        err = ctx.d.local(Partial(net.loss, n.out))
        assert err is not None
        if n.out == net.outputs[0].out:  # ∂P/∂z derived once, as the activation's slope is
            items += local_display(ctx, err, first=False)
        form = err.textbook if sign > 0 else negated(err.textbook)
        factors.append(
            (notation.latex(form, names), notation.latex(form, numbers), isinstance(form, sp.Add))
        )
        what = "the output's error times the slope of its activation"
    else:
        above = [k for k in net.neurons if n.out in k.sources]
        weights = [k.weights[k.sources.index(n.out)] for k in above]
        factors.append(
            (
                " + ".join(
                    f"{names[sym(w)]} {delta_sym(k.name)}"
                    for w, k in zip(weights, above, strict=True)
                ),
                " + ".join(
                    rf"{numbers[sym(w)]} \cdot {ctx.factor_num(_delta_value(ctx, k, sign))}"
                    for w, k in zip(weights, above, strict=True)
                ),
                len(above) > 1,
            )
        )
        what = "the slope of its activation times the deltas above, weighted"

    def wrap(f: str, is_sum: bool) -> str:
        return rf"\left({f}\right)" if is_sum and len(factors) > 1 else f

    rows = chain_rows(
        delta_sym(n.name),
        [
            r" \cdot ".join(wrap(f, b) for f, _, b in factors),
            r" \cdot ".join(wrap(v, b) for _, v, b in factors),
            ctx.num(_delta_value(ctx, n, sign)),
        ],
    )
    return [
        *items,
        Paragraph(text(strong(f"Neuron {n.name}"), f": {what}.")),
        Display(rows, ends=ending(rows, f"delta_{n.name}")),
    ]


def _how(ctx: Context) -> str:
    return "sum" if ctx.scenario.batching.summed else "mean"


def _over_batch(ctx: Context, x: str) -> str:
    """x's mean over the batch's examples (a bar), or their sum."""
    return rf"\sum_{{n}} {x}" if ctx.scenario.batching.summed else rf"\overline{{{x}}}"


# The loss an activation over the layer is paired with, in words
PAIRED = {"categorical_cross_entropy": "cross-entropy", "nll": "negative log-likelihood"}


def _shortcut(ctx: Context, n: Neuron, sign: int) -> list[Item]:
    """δ of an output of a softmax trained on the categorical cross-entropy: the chain
    profile's collapsed sum (derivation.cancellations), out_j − t_j, in the page's sign."""
    names, numbers = ctx.maps()
    t = sym(n.target or "")
    # the reader allows no other loss after a softmax here: the collapse is p_j − t_j, p_j the
    # class's probability (out_j of a softmax, e^out_j of a log-softmax)
    collapsed = ctx.view.cancelled.get(Partial(ctx.net.loss, n.net))
    assert collapsed is not None
    form = residual("out-target" if sign > 0 else "target-out", t, collapsed + t)
    on_paper = ctx.plan.arithmetic.kind == "paper"  # the sum's rounding: see backward.ON_PAPER
    rows = chain_rows(
        delta_sym(n.name),
        [
            notation.latex(form, names),
            *([] if on_paper else [notation.latex(form, numbers)]),
            ctx.num(_delta_value(ctx, n, sign)),
        ],
    )
    order = (
        "the target minus the class's probability"
        if sign < 0
        else "the class's probability minus the target"
    )
    what = (
        f"the {n.rule.name.replace('_', '-')}'s outputs all depend on its net input, and with "
        f"the {PAIRED[ctx.net.loss_rule]} their sum collapses (the targets sum to 1) to {order}"
    )
    note = (
        " On paper δ is the sum over the layer of factors already rounded, which the "
        "subtraction of the rounded numbers can miss in the last decimal."
        if on_paper
        else ""
    )
    return [
        Paragraph(text(strong(f"Neuron {n.name}"), f": {what}.{note}")),
        Display(rows, ends=ending(rows, f"delta_{n.name}")),
    ]


def _delta_value(ctx: Context, n: Neuron, sign: int) -> Any:
    return ctx.view.deltas[n.name]


def _delta_updates(ctx: Context, layer: int, sign: int) -> list[Item]:
    net, s = ctx.net, ctx.scenario
    op = "+" if ctx.plan.sign * sign > 0 else "-"  # ascent climbs ∂P/∂w, descent goes against
    rate = s.rate_symbol
    names, numbers = ctx.maps()
    rows, ends = [], []
    for u in ctx.ev.updates:
        if net.param(u.key).layer != layer:
            continue
        ends.append(updated_key(u.key, worked_step(ctx.view.run.schedule)))
        users = [j for j in net.neurons if u.key in j.weights or u.key == j.bias]
        terms_sym, terms_num = [], []
        for j in users:
            x = (
                j.sources[j.weights.index(u.key)]
                if u.key in j.weights
                else None  # a bias multiplies the constant bias input
            )
            constant = int(s.layers[layer].bias_input)
            x_sym = names[sym(x)] if x else ctx.factor_num(constant)
            x_num = numbers[sym(x)] if x else ctx.factor_num(constant)
            terms_sym.append(rf"{delta_sym(j.name)} \cdot {x_sym}")
            terms_num.append(rf"{ctx.factor_num(_delta_value(ctx, j, sign))} \cdot {x_num}")
        if ctx.ev.batch:  # the batch's mean of δ_j·o_i over the examples: sign·∂L/∂w, averaged
            rows.append(
                update_row(
                    ctx,
                    u,
                    op,
                    _over_batch(ctx, bracketed(terms_sym)),
                    ctx.factor_num(sign * u.gradient),
                )
            )
        else:
            rows.append(update_row(ctx, u, op, bracketed(terms_sym), bracketed(terms_num)))
    if not rows:
        return []
    product = r"\delta_j \cdot o_i"
    return [
        *(batch_gradients(ctx) if layer == ctx.d.layers[0].layer else ()),
        Paragraph(
            text(
                "Updates of this layer's parameters, ",
                math(
                    rf"w^{{+}} = w {op} {rate} \cdot "
                    + (_over_batch(ctx, product) if ctx.ev.batch else product)
                ),
                f" (the {_how(ctx)} over the examples)" if ctx.ev.batch else "",
                ":",
            )
        ),
        Display(tuple(rows), ends=tuple(ends)),
    ]
