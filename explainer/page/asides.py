"""Stage 5, explain (asides): seed 004's proportional error split against the true gradient."""

from __future__ import annotations

import sympy as sp

from explainer.derive.derivation import Partial
from explainer.evaluate.worked import Blame, Share
from explainer.graph.network import sym
from explainer.page import notation
from explainer.page.context import Context
from explainer.page.model import Display, Item, Paragraph, Section, Seg, Table, math, text
from explainer.page.words import weight_sub
from explainer.read.scenario import neuron_key
from explainer.rules.activations import ACTIVATIONS


def error_split_section(ctx: Context) -> Section:
    """Seed 004: blame handed back in proportion to the weights, against the true gradient."""
    net = ctx.net
    if ctx.view.split is None:
        return Section("", 2, ())
    shares, blames = ctx.view.split
    true = "-" + notation.partial(ctx.sym(net.loss), r"\mathrm{out}_j")
    names = _indexed(ctx)
    t, o = (names[sym(key or "")] for key in (net.outputs[0].target, net.outputs[0].out))
    items: list[Item] = [
        Paragraph(
            text(
                "A popular shortcut hands each output's error ",
                math(rf"e_k = {t} - {o}"),
                " back to the weights that feed it, in proportion to their size (the loan "
                "officers of a bank blamed in proportion to their part in a bad loan):",
            )
        )
    ]
    items += _shares(ctx, shares)
    items.append(
        Paragraph(
            text(
                "Adding up what reaches each hidden neuron gives its share. The denominators "
                "only rescale, so they are often dropped, leaving ",
                math(r"e_{\mathrm{hidden}} = W^{\mathsf{T}} e"),
                ". Beside both, the true derivative that backpropagation computes, ",
                math(true),
                ":",
            )
        )
    )
    items.append(_blames(ctx, blames, true))
    items.append(Paragraph(text(*_gradient_of_a_weight(ctx, names))))
    items.append(
        Paragraph(
            text(
                "The proportional split agrees with the gradient only where the weights into "
                "an output add up to one, and the scaled form only where the output is linear "
                "and the loss is ½Σ(t − o)²; a sigmoid output multiplies each error by ",
                math(rf"{o}(1 - {o})"),
                " first, which neither shortcut does. Backpropagation is the version that is "
                "always right: it is the derivative.",
            )
        )
    )
    return Section("Splitting the error in proportion to the weights", 2, tuple(items), "split")


def _indexed(ctx: Context) -> dict[sp.Symbol, str]:
    """The page's own names with the neurons' names replaced by indices, k for the first output
    and j for the hidden neuron its first weight comes from: o_o1 → o_k, t_o1 → t_k, o_h1 → o_j
    (by the scenario's name patterns, as the page names every neuron)."""
    s, k = ctx.scenario, ctx.net.outputs[0]
    patterns = (
        (k.out, s.names.out, "k"),
        (k.net, s.names.net, "k"),
        (k.target or "", s.names.target, "k"),
        (k.sources[0], s.names.out, "j"),
    )
    return {sym(key): notation.default_symbol(neuron_key(p, i)) for key, p, i in patterns}


def _gradient_of_a_weight(ctx: Context, names: dict[sp.Symbol, str]) -> list[Seg | str]:
    """Seed 004's formula, ∂E/∂w = −(t_k − o_k)·o_k(1 − o_k)·o_j for a sigmoid output and
    ½Σ(t − o)²: the page's own local factors of the first output's first weight, printed with
    indices for the neurons, and the weight's indices in the order of the page's names."""
    net = ctx.net
    k = net.outputs[0]
    chain = [Partial(net.loss, k.out), Partial(k.out, k.net), Partial(k.net, k.weights[0])]
    locals_ = (ctx.d.local(f) for f in chain)
    factors = [x.textbook for x in locals_ if x is not None and x.textbook != 1]
    w = f"{ctx.sym(k.weights[0]).partition('_')[0]}_{{{weight_sub(net, 'j', 'k')}}}"
    return [
        "For a weight ",
        math(w),
        " from hidden neuron j into output k, the gradient is the product of the local "
        "derivatives along its one path, ",
        math(rf"{notation.partial(ctx.sym(net.loss), w)} = {notation.product(factors, names)}"),
        ".",
    ]


def _shares(ctx: Context, shares: tuple[Share, ...]) -> list[Item]:
    """Per output k, e_k·w_kj/Σw for each weight into it: symbols, numbers, value."""
    items: list[Item] = []
    for k in ctx.net.outputs:
        mine = [x for x in shares if x.output == k.name]
        total = " + ".join(ctx.sym(x.weight) for x in mine)
        total_num = " + ".join(ctx.num(ctx.ev.node(x.weight)) for x in mine)
        e = rf"e_{{{k.name}}}"
        rows = tuple(
            rf"{e} \cdot \frac{{{ctx.sym(x.weight)}}}{{{total}}} &= {ctx.factor_num(x.error)} "
            rf"\cdot \frac{{{ctx.num(ctx.ev.node(x.weight))}}}{{{total_num}}} = "
            rf"{ctx.num(x.value)}"
            for x in mine
        )
        items.append(Display(rows, ends=tuple(f"share_{x.weight}" for x in mine)))
    return items


def _blames(ctx: Context, blames: tuple[Blame, ...], true: str) -> Table:
    """Each hidden neuron's share by both shortcuts beside the true derivative; whether the
    proportional split agrees at the page's digits."""
    header = (
        text("hidden neuron"),
        text("proportional split"),
        text(math(r"W^{\mathsf{T}} e")),
        text(math(true)),
        text("the split agrees"),
    )
    rows = []
    for b in blames:
        g = "—" if b.gradient is None else ctx.num(b.gradient)
        same = b.gradient is not None and ctx.num(b.proportional) == g
        rows.append(
            (
                text(b.neuron),
                text(math(ctx.num(b.proportional))),
                text(math(ctx.num(b.scaled))),
                text(math(g) if b.gradient is not None else g),
                text("yes" if same else "no"),
            )
        )
    return Table(header, tuple(rows), (False, True, True, True, False))


def replaced_section(ctx: Context) -> Section:
    """Seed 003: the source's neurons began as threshold units, a step, replaced by a sigmoid
    because the chain rule needs a derivative. Each neuron's step and sigmoid side by side, at
    this example's net inputs: the step's slope is 0, so every chain through it is 0."""
    s, net = ctx.scenario, ctx.net
    if not s.replaced:
        return Section("", 2, ())
    step = ACTIVATIONS[s.replaced]
    smooth = ACTIVATIONS[step.surrogate]
    neurons = [n for n in net.neurons if n.has_net and n.activation == smooth.name]
    h, f = step.function_latex, smooth.function_latex
    columns = (
        r"\mathrm{net}",
        rf"{h}(\mathrm{{net}})",
        rf"{h}'(\mathrm{{net}})",
        rf"{f}(\mathrm{{net}})",
        rf"{f}'(\mathrm{{net}})",
    )
    header = (text("neuron"), *(text(math(x)) for x in columns))
    rows = tuple(
        (
            text(n.name),
            *(
                text(math(ctx.num(v)))
                for v in (
                    ctx.ev.node(n.net),
                    int(bool(step.forward(sp.Float(float(ctx.ev.node(n.net)))))),
                    0,
                    ctx.ev.node(n.out),
                    ctx.ev.partial(Partial(n.out, n.net)),
                )
            ),
        )
        for n in neurons
    )
    named = step.describe.split(" (")[0]
    x, y = sp.Symbol("net"), sp.Symbol("out")
    names = {x: r"\mathrm{net}", y: f}
    lead = text(
        f"The source's neurons start as threshold units, whose activation is {step.describe}. "
        f"Its derivative is "
        f"{step.derivative_note}. Every product of the chain rule that passes a neuron holds "
        f"that neuron's slope, so with {named} every gradient would be 0 and no weight would "
        f"ever move. {smooth.describe.capitalize()}, ",
        math(rf"{f}(\mathrm{{net}}) = {notation.latex(smooth.forward(x), names)}"),
        ", is a smooth step whose slope, ",
        math(rf"{f}' = {notation.latex(smooth.derivative(x, y), names)}"),
        ", is never 0. Both, at this example's net inputs:",
    )
    return Section(
        f"Why {smooth.describe.split(' (')[0]} and not {named}",
        2,
        (Paragraph(lead), Table(header, rows, (False, True, True, True, True, True))),
        "replaced",
    )
