"""Stage 5, explain (setup and forward pass): the network, the example, and each node's value."""

from __future__ import annotations

from explainer.graph.network import Network
from explainer.page import notation
from explainer.page.context import Context
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
from explainer.page.update_rule import moved_by, writer
from explainer.page.words import (
    chain_rows,
    ending,
    equals,
    first_batch,
    how_computed,
    layer_title,
    listing,
    loss_noun,
    plural,
    update_order,
)
from explainer.read.scenario import Scenario
from explainer.rules.activations import LOSSES


def setup(ctx: Context) -> Section:
    net, s = ctx.net, ctx.scenario
    values = dict(ctx.ev.nodes)
    items: list[Item] = []
    if s.description:
        items.append(Paragraph(text(" ".join(s.description.split()))))
    if len(s.data) > 1:
        items.append(
            Paragraph(
                text(
                    f"A training set of {len(s.data)} examples; {_worked(s)} is worked "
                    "through in full, with these values."
                )
            )
        )
    items.append(
        Paragraph(
            text(
                "Input: " if len(net.inputs) == 1 else "Inputs: ",
                *listing(equals(ctx, k, values[k]) for k in net.inputs),
                ". Desired output (target): "
                if len(net.outputs) == 1
                else ". Desired outputs (targets): ",
                *listing(equals(ctx, n.target or "", values[n.target or ""]) for n in net.outputs),
                ".",
            )
        )
    )
    items += [Paragraph(_layer(ctx, li)) for li in range(len(net.layers))]
    if ctx.scenario.init is not None:  # a source that prints only its seed
        biased = any(layer.bias_names for layer in ctx.scenario.layers)
        items.append(Paragraph(text(ctx.scenario.init.describe(biased))))
    items.append(Paragraph(_loss(ctx)))
    return Section("The network and the training example", 2, tuple(items), "setup")


def _layer(ctx: Context, li: int) -> Prose:
    """One layer: its neurons, activation, weights and bias, and what is trained."""
    net, layer = ctx.net, ctx.scenario.layers[li]
    role = "output layer" if li == len(net.layers) - 1 else f"hidden layer {li + 1}"
    act = layer.rule
    weights = [p for p in net.params if p.layer == li and p.kind == "weight"]
    biases = [p for p in net.params if p.layer == li and p.kind == "bias"]
    shown = weights if not ctx.summary else weights[: len(net.neuron(net.layers[li][0]).weights)]
    parts: list[Seg | str] = [
        strong(f"Layer {li + 1}"),
        f" ({role}): ",
        *(
            (plural(len(net.layers[li]), "neuron ", "neurons "), *listing(net.layers[li]))
            if not ctx.summary
            else (f"{len(net.layers[li])} neurons, ", net.layers[li][0], " to ", net.layers[li][-1])
        ),
        f"; activation: {act.describe}; {plural(len(weights), 'weight', 'weights')} ",
        *listing(equals(ctx, p.key, p.value) for p in shown),
        f" (those of {net.layers[li][0]}; {len(weights):,} in all, every one in the JSON)"
        if len(shown) < len(weights)
        else "",
        "" if layer.train_weights else " (not trained)",
    ]
    if biases:
        shared = " shared by all its neurons" if layer.bias == "shared" else ""
        parts += [
            "; bias ",
            *listing(equals(ctx, p.key, p.value) for p in biases),
            shared,
            "" if layer.train_biases else ", not trained",
        ]
    else:
        parts.append("; no bias")
    return text(*parts, ".")


def _how_moved(ctx: Context) -> str:
    """Gradient descent (or ascent), or the optimizer that moves the parameters."""
    if ctx.view.run.schedule.plain:
        return f"gradient {ctx.plan.direction}"
    return moved_by(writer(ctx))


def _loss(ctx: Context) -> Prose:
    """The loss, the learning rate, the update and the arithmetic."""
    s, plan = ctx.scenario, ctx.plan
    return text(
        f"{loss_noun(ctx.net).capitalize()}: ",
        LOSSES[s.loss].describe,
        ", written ",
        math(ctx.sym(ctx.net.loss)),
        ". Learning rate ",
        math(f"{s.rate_symbol} = {ctx.num(s.learning_rate)}"),
        f"; {_how_moved(ctx)}; {update_order(ctx.net, plan.update)}. Numbers are computed "
        + how_computed(plan.arithmetic.kind, ctx.ev.describe, plan.digits),
    )


# What a neuron computes, by (has a bias, has an activation function): no sentence names a part
# the page's network does not have.
NEURON = {
    (True, True): "sums its weighted inputs and its bias (the net input), then applies its "
    "activation function (the output).",
    (False, True): "sums its weighted inputs (the net input), then applies its activation "
    "function (the output).",
    (True, False): "outputs the sum of its weighted inputs and its bias; there is no activation "
    "function.",
    (False, False): "outputs the sum of its weighted inputs; there is no activation function.",
}


def _what_a_neuron_does(net: Network) -> str:
    parts = (any(n.bias for n in net.neurons), any(n.has_net for n in net.neurons))
    return plural(len(net.neurons), "The neuron ", "Each neuron ") + NEURON[parts]


def forward(ctx: Context) -> Section:
    net = ctx.net
    items: list[Item] = [Paragraph(text(_what_a_neuron_does(net)))]
    for li, names in enumerate(net.layers):
        for name in names[:1] if ctx.summary else names:
            n = net.neuron(name)
            for key in (n.net, n.out) if n.has_net else (n.net,):
                items += _set_by_hand(ctx, key)
                items.append(node_display(ctx, key))
        if ctx.summary:
            items += _layer_table(ctx, li)
    scores = [n.key for n in net.nodes if n.kind == "score"]
    if scores:  # a loss over the layer: the true class's score first
        items.append(
            Paragraph(
                text(
                    "The score of the true class y, the one the one-hot target marks, which every "
                    "output's term of the loss compares with:"
                )
            )
        )
        items += [node_display(ctx, k) for k in scores]
    terms = [n.term for n in net.outputs if n.term]
    if terms:
        items.append(Paragraph(text("The error of each output, then the total:")))
        items += [node_display(ctx, t) for t in terms]
    else:
        items.append(Paragraph(text(f"The {loss_noun(net)}:")))
    items.append(node_display(ctx, net.loss))
    return Section("Forward pass", 2, tuple(items), "forward")


def _set_by_hand(ctx: Context, key: str) -> list[Item]:
    """The sentence before a value the source sets by hand ([example.fixed])."""
    if key not in ctx.hand_set:
        return []
    return [
        Paragraph(
            text(
                "Set by hand, as the source does, rather than computed: ",
                math(ctx.sym(key)),
                " takes the source's value, and everything after it on this page is computed "
                "from that value.",
            )
        )
    ]


def _layer_table(ctx: Context, li: int) -> list[Item]:
    """A summarised page: every neuron of a layer, its net input and output."""
    net = ctx.net
    names = net.layers[li]
    rows = tuple(
        (
            text(name),
            text(math(ctx.num(ctx.ev.node(net.neuron(name).net)))),
            text(math(ctx.num(ctx.ev.node(net.neuron(name).out)))),
        )
        for name in names
    )
    return [
        Paragraph(
            text(f"Every neuron of {layer_title(net, li).lower()} the same way ({len(names)}):")
        ),
        Table((text("neuron"), text("net input"), text("output")), rows, (False, True, True)),
    ]


def node_display(ctx: Context, key: str) -> Display:
    if key in ctx.hand_set:  # the source's own number, not computed (set_by_hand says so)
        return Display((f"{ctx.sym(key)} &= {ctx.num(ctx.ev.node(key))}",), ends=(key,))
    node = ctx.net.node(key)
    # a loss over the layer (the multiclass hinge): each output's term is a row's width
    joint = node.kind == "loss" and LOSSES[ctx.net.loss_rule].over_layer
    rows = chain_rows(
        ctx.sym(key),
        [
            notation.latex(node.display, ctx.names),
            notation.latex(node.display, ctx.numbers),
            ctx.num(ctx.ev.node(key)),
        ],
        per_line=1 if joint else 0,
    )
    return Display(rows, ends=ending(rows, key))


def _worked(s: Scenario) -> str:
    """Which example of the training set the page works: the first of the first batch."""
    row = first_batch(s)[0]
    if row == 0:
        return "the first"
    first = "mini-batch" if s.mode == "minibatch" else "epoch's shuffled order"
    return f"example {row + 1}, the first of the first {first},"
