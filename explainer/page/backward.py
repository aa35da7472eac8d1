"""Stage 5, explain (backward pass, chain-rule notation): every partial derivative, local factors first, then the updates."""

from __future__ import annotations

from typing import Any

import sympy as sp

from explainer.derive.derivation import Equation, LayerBlock, Local, Partial
from explainer.evaluate.quantities import worked_step
from explainer.evaluate.worked import Update
from explainer.graph.network import sym
from explainer.page import notation
from explainer.page.batch import batch_gradients
from explainer.page.context import Context, Place
from explainer.page.model import (
    Display,
    Item,
    Paragraph,
    Prose,
    Section,
    Seg,
    Table,
    math,
    strong,
    text,
)
from explainer.page.update_rule import intro, optimizer_rows, writer
from explainer.page.words import (
    WRAP_TERMS,
    chain_rows,
    ending,
    layer_title,
    listing,
    loss_noun,
    neuron_of,
    plural,
    terms,
    update_order,
    update_row,
    updated_key,
    weight_sub,
)
from explainer.rules.activations import LOSSES, residual

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
    early = _updated_early(ctx)
    for block, here in zip(d.layers, layer_contexts(ctx), strict=True):
        first = _first_chain(here, block)
        items: list[Item] = []
        for nb in block.neurons:
            items.append(Paragraph(text(strong(f"Neuron {nb.neuron}"))))
            for p in (*nb.defines, *nb.gradients):
                items += _shown(here, (block.layer, nb.neuron, p), first)
        for p in block.shared:
            shared = strong(f"Shared parameter {p.by}")
            items.append(
                Paragraph(text(shared, " (used by several neurons, so its paths are summed)"))
            )
            items += _shown(here, (block.layer, "", p), first)
        items += _early_updates(ctx, [u for u in early if net.param(u.key).layer == block.layer])
        title = layer_title(net, block.layer)
        sections.append(Section(title, 3, tuple(items), f"layer-{block.layer + 1}"))
    return sections


def _places(block: LayerBlock) -> list[Place]:
    """A layer block's places in reading order: each neuron's partials, then the shared ones."""
    return [
        *(
            (block.layer, nb.neuron, p)
            for nb in block.neurons
            for p in (*nb.defines, *nb.gradients)
        ),
        *((block.layer, "", p) for p in block.shared),
    ]


def _first_chain(ctx: Context, block: LayerBlock) -> Partial | None:
    """The partial whose words name the chain rule in this section: the first shown that uses
    it, the loss differentiated by one output's term or a plain chain (not a δ, a sum or an
    alias); later ones give only the equations they use."""
    shown = (q for place in _places(block) for q in ctx.numbering.shows[place])
    return next((q for q in shown if _names_the_chain_rule(ctx, q)), None)


def _names_the_chain_rule(ctx: Context, q: Partial) -> bool:
    if ctx.d.local(q) is not None:
        return ctx.net.node(q.of).kind == "loss"
    eq = ctx.d.equation(q)
    return eq is not None and _wording(ctx, eq) == "chain"


def _wording(ctx: Context, eq: Equation) -> str:
    """How an equation is introduced: an alias, a δ (the loss by a net input), a sum over paths,
    or a plain chain."""
    p = eq.partial
    if eq.kind == "alias":
        return "alias"
    if p.of == ctx.net.loss and any(n.has_net and n.net == p.by for n in ctx.net.neurons):
        return "delta"
    return "sum" if eq.kind == "sum" else "chain"


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


def _shown(ctx: Context, place: Place, first: Partial | None) -> list[Item]:
    """What is newly shown at this place of the derivation: local factors derived, then the
    equation that uses them (the numbering decided which, up front)."""
    items: list[Item] = []
    for p in ctx.numbering.shows[place]:
        local = ctx.d.local(p)
        eq = ctx.d.equation(p)
        if local is not None:
            items += local_display(ctx, local, p == first)
        elif eq is not None:
            items += _equation(ctx, eq, p == first)
    return items


# How the loss's derivative by one output is introduced, by (the section names the chain rule
# here, the loss has a term per output): the chain rule is named once a section.
LOSS_NOTE = {
    (True, True): " (by the chain rule; {other} not contain it, so {gives} 0 and the sum drops"
    " out)",
    (True, False): " (by the chain rule)",
    (False, True): " ({other} not contain it: {gives} 0, and the sum drops out)",
    (False, False): "",
}
# A loss over the layer (the multiclass hinge): every output's term holds the true class's score
JOINT_NOTE = {
    True: " (by the chain rule; every output's term holds the true class's score, so each term "
    "that holds this output is differentiated)",
    False: " (every output's term holds the true class's score, so each term that holds this "
    "output is differentiated)",
}
OTHERS = {  # (one other output) → its words
    True: {"other": "the other output's term does", "gives": "it gives"},
    False: {"other": "the other outputs' terms do", "gives": "each gives"},
}


def _jacobian_intro(ctx: Context, x: Local) -> Paragraph:
    """An entry ∂out_i/∂net_j of an activation over the layer (softmax): its own net (i = j)
    or another's, derived by the quotient rule the first time each kind is met."""
    p = x.partial
    own = ctx.net.neuron(ctx.net.node(p.of).neuron or "").net == p.by
    what = "its own net input" if own else "another output's net input"
    if p in ctx.numbering.first_rule:
        return Paragraph(
            text(
                f"Every output of the {_named(x.rule)} depends on every net input of its layer. Its "
                f"derivative by {what}, {DERIVED_BY.get(x.rule, 'by sympy')}, derived once here:"
            )
        )
    return Paragraph(text(f"The {_named(x.rule)}'s derivative by {what}, as derived above:"))


# How an activation over a layer's Jacobian entries are derived, in words
DERIVED_BY = {
    "softmax": "by the quotient rule",
    "log_softmax": "by the chain rule through the logarithm",
}


def _named(rule: str) -> str:
    """An activation's name in prose: log_softmax → log-softmax."""
    return rule.replace("_", "-")


def local_display(ctx: Context, x: Local, first: bool = True) -> list[Item]:
    """A local derivative derived from its node's expression; `first`: the section names the
    chain rule here."""
    p = x.partial
    net = ctx.net
    node = net.node(p.of)
    d_by = notation.operator(ctx.sym(p.by), ctx.ordinary)
    expression = notation.latex(x.expression, ctx.names)
    # ∂/∂w(…) of a long sum cannot wrap inside its brackets: the term that holds w is enough
    forms = [rf"{d_by}\left({expression}\right)"] if len(terms(expression)) <= WRAP_TERMS else []
    items: list[Item] = []
    if node.kind == "out":
        act = net.neuron(node.neuron or "").rule
        if act.over_layer:
            items.append(_jacobian_intro(ctx, x))
            if p in ctx.numbering.first_rule:
                forms += [notation.latex(step, ctx.names) for step in x.steps]
        elif p in ctx.numbering.first_rule and x.steps:
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
        items.append(
            Paragraph(
                text(
                    f"The {loss_noun(net)} differentiated with respect to ",
                    math(ctx.sym(p.by)),
                    (
                        LOSS_NOTE[first, len(net.outputs) > 1].format(
                            **OTHERS[len(net.outputs) == 2]
                        )
                        if not LOSSES[net.loss_rule].over_layer
                        else JOINT_NOTE[first]
                    )
                    + ":",
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
                    plural(len(early), " has", " have")
                    + " already been updated above, so "
                    + plural(len(early), "the new value is", "the new values are")
                    + " used here.",
                )
            )
        )
    # a loss over the layer writes its cases of 1 or 0 as Iverson brackets [margin > 0], a
    # class a line; the whole loss it differentiates is the forward pass's, written there
    joint = node.kind == "loss" and LOSSES[net.loss_rule].over_layer
    forms = forms[1:] if joint and forms else forms
    forms += [
        notation.latex(x.textbook, names, joint),
        notation.latex(x.textbook, numbers, joint),
        ctx.num(ctx.value(p)),
    ]
    rows = chain_rows(ctx.partial(p), forms, per_line=1 if joint else 0)
    items.append(Display(rows, ctx.tag(p), ending(rows, p.key)))
    if node.kind == "loss" and p.by == net.outputs[0].out:
        items += _why_half(ctx, x)
    return items


def _why_half(ctx: Context, x: Local) -> list[Item]:
    """Why the loss is halved (Mazur; seed 003): 2 · ½ = 1 leaves the derivative bare."""
    loss = LOSSES[ctx.net.loss_rule]
    if not loss.halved:
        return []
    half, product = ("½", "1") if loss.coefficient(1) > 0 else ("(−½)", "−1")
    return [
        Paragraph(
            text(
                f"The ½ in the {loss_noun(ctx.net)} is there for this step: the power rule "
                f"brings down the exponent 2, and 2 · {half} = {product}, so ",
                math(f"{ctx.partial(x.partial)} = {notation.latex(x.textbook, ctx.names)}"),
                " carries no constant factor. Any constant there would only rescale the "
                "learning rate.",
            )
        )
    ]


def _equation(ctx: Context, eq: Equation, first: bool) -> list[Item]:
    p = eq.partial
    refs = [f for term in eq.terms for f in term]
    wording = _wording(ctx, eq)
    if wording == "alias":
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
        return [Paragraph(intro), Display((alias,), ctx.tag(p), (p.key,))]
    symbolic = " + ".join(r" \cdot ".join(ctx.partial(f) for f in term) for term in eq.terms)
    numbers = " + ".join(
        r" \cdot ".join(ctx.factor_num(ctx.value(f)) for f in term) for term in eq.terms
    )
    # on paper the value is the product of the carried (rounded) factors, which the cancelled
    # form's own numbers can miss in the last decimal: the product is written, not the form
    cancelled = _cancellation(ctx, eq) if ctx.plan.arithmetic.kind != "paper" else []
    forms = [symbolic, *(cancelled or [numbers]), ctx.num(ctx.value(p))]
    rows: tuple[str, ...]
    if sum(len(t) for t in eq.terms) > 3 and len(eq.terms) > 1:
        rows = _long_sum(ctx, eq)
    else:
        rows = chain_rows(ctx.partial(p), forms)
    used = ", ".join(dict.fromkeys(ctx.ref(f) for f in refs))
    if wording == "delta":
        what = text(
            "The error signal at the net input of neuron ",
            neuron_of(ctx.net, p.by),
            " (δ in the delta rule), with ",
            used,
            ":",
        )
    elif wording == "sum":
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
    else:  # the chain rule is named once a section, at its first plain chain
        what = text("By the chain rule, with " if first else "With ", used, ":")
    shown: list[Item] = [Paragraph(what), Display(rows, ctx.tag(p), ending(rows, p.key))]
    return shown + (_collapse(ctx, eq) if len(eq.terms) > 1 else [])


def _collapse(ctx: Context, eq: Equation) -> list[Item]:
    """The shortcut a sum over a softmax layer adds up to once the targets sum to 1: the sum of
    the textbook forms is out_j·Σ_i t_i − t_j, which is out_j − t_j (derivation.cancellations
    proves the collapse; the middle form is shown where sympy confirms it equals the sum)."""
    simplified = ctx.view.cancelled.get(eq.partial)
    if simplified is None:
        return []
    names, numbers = ctx.maps()
    neuron = next(n for n in ctx.net.outputs if n.net == eq.partial.by)
    targets = [sym(n.target or "") for n in ctx.net.outputs]
    t_j = sym(neuron.target or "")
    p_j = simplified + t_j  # the class's probability: out_j (softmax), e^out_j (log-softmax)
    sums = sp.Add(*targets, evaluate=False)
    within = sp.Add(sp.Mul(p_j, sums, evaluate=False), -t_j, evaluate=False)
    total = sp.Add(*(sp.Mul(*(ctx.d.local(f).textbook for f in term)) for term in eq.terms))  # type: ignore[union-attr]
    middle = [notation.product([within], names)] if sp.expand(total.doit() - within) == 0 else []
    lhs = ctx.partial(eq.partial)
    written = residual("out-target", t_j, p_j)  # p_j − t_j, the probability first
    # on paper the sum's value carries each factor's rounding, which the subtraction of the
    # rounded outputs can miss in the last decimal: the shortcut is written, not worked
    on_paper = ctx.plan.arithmetic.kind == "paper"
    worked = [] if on_paper else [notation.latex(written, numbers), ctx.num(ctx.value(eq.partial))]
    rows = chain_rows(lhs, [*middle, notation.latex(written, names), *worked])
    collapsed = [q for q in ctx.view.cancelled if len(ctx.d.equation(q).terms) > 1]  # type: ignore[union-attr]
    if collapsed[0] != eq.partial:
        intro = text("The same shortcut, as the targets sum to 1:")
    else:
        intro = text(
            "Written in the factors' forms above, the sum adds up to something short, because "
            "the targets are a distribution over the classes, ",
            math(rf"{notation.latex(sums, names)} = 1"),
            ". This is the well-known shortcut of a softmax with the cross-entropy: the error at "
            "each net input is the class's probability minus its target.",
        )
    if on_paper:
        return [Paragraph(intro), Display(rows), Paragraph(text(ON_PAPER))]
    return [Paragraph(intro), Display(rows, "", ending(rows, eq.partial.key))]


ON_PAPER = (
    "On paper the sum above multiplies factors already rounded, so its value can differ in the "
    "last decimal from the subtraction of the rounded outputs; the page carries the sum's."
)


def _cancellation(ctx: Context, eq: Equation) -> list[str]:
    """The product of the factors' textbook forms and what it cancels to, when that is much
    simpler: cross-entropy after a sigmoid, (o − t)/(o(1 − o)) · o(1 − o) = o − t."""
    simplified = ctx.view.cancelled.get(eq.partial)
    if simplified is None:
        return []
    forms = [ctx.d.local(f).textbook for f in eq.terms[0]]  # type: ignore[union-attr]
    kept = _as_before(ctx, eq.terms[0], simplified)
    names, numbers = ctx.maps()
    return [
        r" \cdot ".join(notation.latex(f, names) for f in forms),
        notation.product(kept, names),
        notation.product(kept, numbers),
    ]


def _as_before(ctx: Context, factors: tuple[Partial, ...], simplified: sp.Expr) -> list[sp.Expr]:
    """A cancelled chain in the form the page gave its δ: a chain that begins with the factors
    of an earlier cancelled one (∂L/∂w5 = ∂L/∂out · ∂out/∂net · ∂net/∂w5, after δ = o − t) is
    that form times the rest, (o − t) · out_h1, not sympy's −out_h1 · (t − o); so δ keeps one
    sign convention on every line. A factor 1 (a bias's input) is left out."""
    heads = [
        (len(e.terms[0]), ctx.view.cancelled[q])
        for q in ctx.view.cancelled
        if (e := ctx.d.equation(q)) and factors[: len(e.terms[0])] == e.terms[0] != factors
    ]
    if not heads:
        return [simplified]
    n, head = max(heads, key=lambda h: h[0])
    rest = (ctx.d.local(f).textbook for f in factors[n:])  # type: ignore[union-attr]
    return [head, *(x for x in rest if x != 1)]


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
    op = _OP[ascent]
    shown = _written_params(ctx)
    early = _updated_early(ctx)
    rest = [u for u in _in_order(ctx) if u.key in shown and u not in early]
    frozen = [p for p in net.params if not p.trained]
    items: list[Item] = [
        _optimizer_intro(ctx)
        if not ctx.view.run.schedule.plain
        else Paragraph(
            text(
                f"Gradient {'ascent' if ascent else 'descent'} moves "
                f"{plural(len(net.trained), 'the parameter', 'each parameter')} a step "
                f"{'along' if ascent else 'against'} its gradient, ",
                math(rf"w^{{+}} = w {op} {rate} \cdot {ctx.step_gradient('w')}"),
                "; " + update_order(net, ctx.plan.update),
                *_updated_above(ctx, early, rest),
            )
        ),
    ]
    if ctx.ev.batch and not early:  # the mean the rows below take (sequential: shown above)
        items[:0] = batch_gradients(ctx)
    if rest:
        items += _update_displays(ctx, rest)
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


_OP = {True: "+", False: "-"}  # ascent climbs ∂P/∂w, descent goes against ∂L/∂w


def _optimizer_intro(ctx: Context) -> Paragraph:
    """What the optimizer does, with its settings and the state it starts from."""
    return Paragraph(
        text(
            *intro(writer(ctx), "parameters", "parameter"),
            " " + update_order(ctx.net, ctx.plan.update).capitalize() + ".",
        )
    )


def _update_displays(ctx: Context, updates: list[Update]) -> list[Item]:
    """Plain descent: one display, a row per update. An optimizer: a display per parameter,
    its state's rows first (one display of them all would not break across pages)."""
    if ctx.view.run.schedule.plain:
        return [_update_display(ctx, updates)]
    out: list[Item] = []
    for u in updates:
        rows = optimizer_rows(writer(ctx), u, ctx.step_gradient(ctx.sym(u.key)))
        out.append(Display(tuple(r for r, _ in rows), ends=tuple(e for _, e in rows)))
    return out


def _update_display(ctx: Context, updates: list[Update]) -> Display:
    """One row per update, each ending in the parameter's new value."""
    op = _OP[ctx.plan.direction == "ascent"]
    rows = tuple(
        update_row(ctx, u, op, ctx.step_gradient(ctx.sym(u.key)), ctx.factor_num(u.gradient))
        for u in updates
    )
    step = worked_step(ctx.view.run.schedule)
    return Display(rows, ends=tuple(updated_key(u.key, step) for u in updates))


def _in_order(ctx: Context) -> list[Update]:
    """The updates in the order the step makes them: sequential, layer block by layer block
    from the output, as the evaluation does; simultaneous, all at once, in declared order."""
    if ctx.plan.update != "sequential":
        return list(ctx.ev.updates)
    rank = {block.layer: i for i, block in enumerate(ctx.d.layers)}
    return sorted(ctx.ev.updates, key=lambda u: rank.get(ctx.net.param(u.key).layer, len(rank)))


def _updated_early(ctx: Context) -> list[Update]:
    """Sequential update: the (written-out) updates of every layer block but the last, made
    before the layers below are differentiated through them, so shown at the end of their own
    layer's section, where they happen."""
    if ctx.plan.update != "sequential":
        return []
    shown = _written_params(ctx)
    before = {block.layer for block in ctx.d.layers[:-1]}
    return [u for u in _in_order(ctx) if u.key in shown and ctx.net.param(u.key).layer in before]


def _early_updates(ctx: Context, updates: list[Update]) -> list[Item]:
    """A layer's updates where a sequential step makes them: before the layer below is
    differentiated, which then uses the new values."""
    if not updates:
        return []
    lead = text(
        "Sequential update: this layer's parameters are updated now, before the layer below is "
        "differentiated through them:"
    )
    # a batch's mean is shown before the first update that takes it
    first = ctx.net.param(updates[0].key).layer == ctx.d.layers[0].layer
    return [
        *(batch_gradients(ctx) if first else ()),
        Paragraph(lead),
        *_update_displays(ctx, updates),
    ]


def _updated_above(ctx: Context, early: list[Update], rest: list[Update]) -> list[Seg | str]:
    """The end of the updates' opening sentence: which layers were updated above already."""
    if not early:
        return [":"]
    titles = dict.fromkeys(layer_title(ctx.net, ctx.net.param(u.key).layer).lower() for u in early)
    return [
        ". The parameters of the ",
        *listing(titles),
        " were updated above, at the end of ",
        plural(len(titles), "its section", "their sections"),
        "; the others:" if rest else ".",
    ]


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
    for block in ctx.view.run.chain.layers:
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
                math(
                    rf"\partial {ctx.sym(loss)} / \partial w_{{{weight_sub(net, 'k', 'j')}}} "
                    r"= \delta_j \cdot x_k"
                ),
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
