"""Stage 5, explain (backward pass, chain-rule notation): every partial derivative, local factors first, then the updates."""

from __future__ import annotations

from typing import Any

from explainer import notation
from explainer.activations import ACTIVATIONS
from explainer.derivation import Equation, Local, Partial
from explainer.network import sym
from explainer.page.context import Context, Place
from explainer.page.model import (
    Display,
    Item,
    Paragraph,
    Prose,
    Section,
    Table,
    math,
    strong,
    text,
)
from explainer.page.words import (
    WRAP_TERMS,
    chain_rows,
    layer_title,
    listing,
    neuron_of,
    plural,
    terms,
    update_order,
    update_row,
)

CHAIN = (
    " directly, so {it} split by the chain rule into local derivatives, starting at the output "
    "and working back. Each local factor is derived from the expression of one node; values "
    "shown before are referred to by their equation number."
)


def _intro(ctx: Context) -> Prose:
    """What the backward pass is after: the one derivative, or every trained parameter's."""
    net = ctx.net
    loss = math(ctx.sym(net.loss))
    first, last = (
        math(ctx.partial(Partial(net.loss, p.key))) for p in (net.trained[0], net.trained[-1])
    )
    if len(net.trained) == 1:
        return text(
            "We want ",
            first,
            ". The parameter does not appear in ",
            loss,
            CHAIN.format(it="the derivative is"),
        )
    return text(
        "We want the derivative of ",
        loss,
        " with respect to every trained parameter, from ",
        first,
        " to ",
        last,
        ". No parameter appears in ",
        loss,
        CHAIN.format(it="each derivative is"),
    )


def backward_sections(ctx: Context) -> list[Section]:
    net, d = ctx.net, ctx.d
    if not d.layers:
        nothing = text("No parameter is trained, so there is nothing to differentiate.")
        return [Section("Backward pass", 2, (Paragraph(nothing),), "backward")]
    intro = _intro(ctx)
    sections = [Section("Backward pass", 2, (Paragraph(intro),), "backward")]
    for block, here in zip(d.layers, layer_contexts(ctx), strict=True):
        items: list[Item] = []
        for nb in block.neurons:
            items.append(Paragraph(text(strong(f"Neuron {nb.neuron}"))))
            for p in (*nb.defines, *nb.gradients):
                items += _shown(here, (block.layer, nb.neuron, p))
        for p in block.shared:
            shared = strong(f"Shared parameter {p.by}")
            items.append(
                Paragraph(text(shared, " (used by several neurons, so its paths are summed)"))
            )
            items += _shown(here, (block.layer, "", p))
        title = layer_title(net, block.layer)
        sections.append(Section(title, 3, tuple(items), f"layer-{block.layer + 1}"))
    return sections


def layer_contexts(ctx: Context) -> list[Context]:
    """One context per layer block, output layer first. Sequential update: a block sees the
    parameters of the blocks before it as updated."""
    if ctx.plan.update != "sequential":
        return [ctx] * len(ctx.d.layers)
    out, here = [], ctx
    for block in ctx.d.layers:
        out.append(here)
        here = here.after(
            (u.key, u.new) for u in ctx.ev.updates if ctx.net.param(u.key).layer == block.layer
        )
    return out


def _shown(ctx: Context, place: Place) -> list[Item]:
    """What is newly shown at this place of the derivation: local factors derived, then the
    equation that uses them (the numbering decided which, up front)."""
    items: list[Item] = []
    for p in ctx.numbering.shows[place]:
        local = ctx.d.local(p)
        eq = ctx.d.equation(p)
        if local is not None:
            items += local_display(ctx, local)
        elif eq is not None:
            items += _equation(ctx, eq)
    return items


def local_display(ctx: Context, x: Local) -> list[Item]:
    p = x.partial
    net = ctx.net
    node = net.node(p.of)
    d_by = notation.operator(ctx.sym(p.by), ctx.ordinary)
    expression = notation.latex(x.expression, ctx.names)
    # ∂/∂w(…) of a long sum cannot wrap inside its brackets: the term that holds w is enough
    forms = [rf"{d_by}\left({expression}\right)"] if len(terms(expression)) <= WRAP_TERMS else []
    items: list[Item] = []
    if node.kind == "out":
        act = ACTIVATIONS[x.rule]
        if p in ctx.numbering.first_rule and x.steps:
            forms += [notation.latex(step, ctx.names) for step in x.steps]
            items.append(
                Paragraph(
                    text(
                        f"The derivative of the activation, {act.derivative_note}, derived once here:"
                    )
                )
            )
        elif act.derivative_note:
            items.append(Paragraph(text(f"The activation's derivative, {act.derivative_note}:")))
    elif node.kind == "loss":
        forms += [notation.latex(step, ctx.names) for step in x.steps]
        others = "; the other outputs' terms do not contain it" if len(net.outputs) > 1 else ""
        items.append(
            Paragraph(
                text(
                    "The loss differentiated with respect to ",
                    math(ctx.sym(p.by)),
                    f" (its own term by the chain rule{others}):",
                )
            )
        )
    names, numbers = ctx.maps()
    early = [k for k in ctx.updated if sym(k) in x.textbook.free_symbols]
    if early:
        items.append(
            Paragraph(
                text(
                    "Sequential update: ",
                    *listing(math(ctx.sym(k)) for k in early),
                    " has already been updated above, so the new value is used here.",
                )
            )
        )
    forms += [
        notation.latex(x.textbook, names),
        notation.latex(x.textbook, numbers),
        ctx.num(ctx.value(p)),
    ]
    rows = chain_rows(ctx.partial(p), forms)
    items.append(Display(rows, ctx.tag(p)))
    return items


def _equation(ctx: Context, eq: Equation) -> list[Item]:
    p = eq.partial
    net = ctx.net
    refs = [f for term in eq.terms for f in term]
    if eq.kind == "alias":
        (source,) = refs
        intro = text(
            "Only ",
            math(ctx.sym(p.of)),
            " depends on ",
            math(ctx.sym(p.by)),
            ", so its share equals the total's, from ",
            ctx.ref(source),
            ":",
        )
        alias = f"{ctx.partial(p)} &= {ctx.partial(source)} = {ctx.num(ctx.value(p))}"
        return [Paragraph(intro), Display((alias,), ctx.tag(p))]
    symbolic = " + ".join(r" \cdot ".join(ctx.partial(f) for f in term) for term in eq.terms)
    numbers = " + ".join(
        r" \cdot ".join(ctx.factor_num(ctx.value(f)) for f in term) for term in eq.terms
    )
    cancelled = _cancellation(ctx, eq)
    forms = [symbolic, *(cancelled or [numbers]), ctx.num(ctx.value(p))]
    rows: tuple[str, ...]
    if sum(len(t) for t in eq.terms) > 3 and len(eq.terms) > 1:
        rows = _long_sum(ctx, eq)
    else:
        rows = chain_rows(ctx.partial(p), forms)
    used = ", ".join(dict.fromkeys(ctx.ref(f) for f in refs))
    if p.of == net.loss and any(n.has_net and n.net == p.by for n in net.neurons):
        what = text(
            "The error signal at the net input of neuron ",
            neuron_of(net, p.by),
            " (δ in the delta rule), with ",
            used,
            ":",
        )
    elif eq.kind == "sum":
        what = text(
            math(ctx.sym(p.by)),
            " reaches ",
            math(ctx.sym(p.of)),
            " along ",
            str(len(eq.terms)),
            " paths, one through each neuron it feeds; their contributions add up, with ",
            used,
            ":",
        )
    else:
        what = text("By the chain rule, with ", used, ":")
    return [Paragraph(what), Display(rows, ctx.tag(p))]


def _cancellation(ctx: Context, eq: Equation) -> list[str]:
    """The product of the factors' textbook forms and what it cancels to, when that is much
    simpler: cross-entropy after a sigmoid, (o − t)/(o(1 − o)) · o(1 − o) = o − t."""
    simplified = ctx.results.cancelled.get(eq.partial)
    if simplified is None:
        return []
    forms = [ctx.d.local(f).textbook for f in eq.terms[0]]  # type: ignore[union-attr]
    names, numbers = ctx.maps()
    return [
        r" \cdot ".join(notation.latex(f, names) for f in forms),
        notation.latex(simplified, names),
        notation.latex(simplified, numbers),
    ]


def _long_sum(ctx: Context, eq: Equation) -> tuple[str, ...]:
    """A sum of products too long for one line: one term per line, symbols then numbers."""
    lhs = ctx.partial(eq.partial)
    rows = []
    for i, term in enumerate(eq.terms):
        body = r" \cdot ".join(ctx.partial(f) for f in term)
        rows.append(f"{lhs} &= {body}" if i == 0 else f"&\\quad + {body}")
    for i, term in enumerate(eq.terms):
        body = r" \cdot ".join(ctx.factor_num(ctx.value(f)) for f in term)
        rows.append(f"&= {body}" if i == 0 else f"&\\quad + {body}")
    rows.append(f"&= {ctx.num(ctx.value(eq.partial))}")
    return tuple(rows)


def _updates(ctx: Context) -> Section:
    net, s = ctx.net, ctx.scenario
    if not ctx.ev.updates:
        return Section("Updates", 2, ())
    rate = s.rate_symbol
    ascent = ctx.plan.direction == "ascent"
    op = "+" if ascent else "-"
    rows = []
    shown = _written_params(ctx)
    for u in ctx.ev.updates:
        if u.key in shown:
            g = ctx.partial(Partial(net.loss, u.key))
            rows.append(update_row(ctx, u, op, g, ctx.factor_num(u.gradient)))
    frozen = [p for p in net.params if not p.trained]
    items: list[Item] = [
        Paragraph(
            text(
                f"Gradient {'ascent' if ascent else 'descent'} moves "
                f"{plural(len(net.trained), 'the parameter', 'each parameter')} a step "
                f"{'along' if ascent else 'against'} its gradient, ",
                math(
                    rf"w^{{+}} = w {op} {rate} \cdot {notation.partial(ctx.sym(net.loss), 'w', ctx.ordinary)}"
                ),
                "; " + update_order(net, ctx.plan.update) + ":",
            )
        ),
        Display(tuple(rows)),
    ]
    if len(shown) < len(ctx.ev.updates):
        items.append(
            Paragraph(
                text(
                    f"The other {len(ctx.ev.updates) - len(shown):,} parameters are updated the "
                    "same way, each from its own gradient; their new values are in the JSON "
                    f"(explainer render … --format json), under keys such as "
                    f"{ctx.ev.updates[-1].key}@1.",
                )
            )
        )
    if frozen:
        items.append(
            Paragraph(
                text(
                    *listing(math(ctx.sym(p.key)) for p in frozen),
                    " are not trained and keep their values.",
                )
            )
        )
    return Section("Updating the parameters", 2, tuple(items), "updates")


def _written_params(ctx: Context) -> frozenset[str]:
    """The parameters whose gradients the page writes out (all, unless it summarises)."""
    return frozenset(
        p.by
        for block in ctx.d.layers
        for p in (*(q for nb in block.neurons for q in nb.gradients), *block.shared)
    )


def matrix_form(ctx: Context) -> Section:
    """A summarised page's other neurons: each layer's error signals as a table, and the
    gradients as the outer product of that column with the layer's inputs."""
    if not ctx.summary:
        return Section("", 2, ())
    net, loss = ctx.net, ctx.net.loss
    items: list[Item] = [
        Paragraph(
            text(
                "The page has written out the first neuron of each layer; every other neuron's "
                "numbers follow the same equations. Per layer, the error signal at each neuron "
                "j's output and at its net input (",
                math(rf"\delta_j = \partial {ctx.sym(loss)} / \partial \mathrm{{net}}_j"),
                "):",
            )
        )
    ]
    known = dict(ctx.ev.partials)
    for block in ctx.results.run.chain.layers:
        layer = net.layers[block.layer]
        header = (
            text("neuron"),
            text(math(rf"\partial {ctx.sym(loss)} / \partial \mathrm{{out}}")),
            text(math(rf"\partial {ctx.sym(loss)} / \partial \mathrm{{net}}")),
        )
        rows = tuple(
            (
                text(name),
                text(math(ctx.num(ctx.value(Partial(loss, net.neuron(name).out))))),
                text(math(_or_dash(ctx, known, Partial(loss, net.neuron(name).net)))),
            )
            for name in layer
        )
        items += [
            Paragraph(text(strong(layer_title(net, block.layer)))),
            Table(header, rows, (False, True, True)),
        ]
    items.append(
        Paragraph(
            text(
                "Each weight's gradient is its neuron's error signal at the net input times the "
                "input the weight multiplies, ",
                math(rf"\partial {ctx.sym(loss)} / \partial w_{{jk}} = \delta_j \cdot x_k"),
                ": the gradient matrix of a layer is the outer product of this column with the "
                "layer's inputs, and the error reaching the layer below is ",
                math(r"W^{\mathsf{T}} \delta"),
                f". Every gradient is in the JSON under keys such as d{loss}/d{net.params[-1].key}.",
            )
        )
    )
    return Section("The other neurons, in matrix form", 3, tuple(items), "matrix-form")


def _or_dash(ctx: Context, known: dict[Partial, Any], p: Partial) -> str:
    return ctx.num(known[p]) if p in known else "—"


def chain_layout(ctx: Context) -> list[Section]:
    return [*backward_sections(ctx), matrix_form(ctx), _updates(ctx)]
