"""Stage 5, explain (figures and captions): the page's pictures, drawn from computed numbers,
each with a caption that says what it shows."""

from __future__ import annotations

from collections.abc import Callable

from explainer.derive.derivation import Partial
from explainer.draw import figures
from explainer.graph.network import Network
from explainer.page import notation
from explainer.page.context import Context
from explainer.page.model import Figure, math, text
from explainer.page.words import epoch_loss, loss_noun, training_unit

THRESHOLD = " A bias below a neuron multiplies the constant input −1 (a threshold)."


def pictures(ctx: Context) -> dict[str, tuple[Figure, ...]]:
    """The page's pictures, by the anchor of the section they close."""
    return {
        anchor: tuple(f for make in makers if (f := make(ctx)) is not None)
        for anchor, makers in PLACES.items()
    }


def network_figure(ctx: Context) -> Figure | None:
    """The network with the highlighted parameter's chain-rule paths."""
    net, s = ctx.net, ctx.scenario
    key = ctx.highlight
    if not key or _widest(net) > FIGURE_WIDTH:  # a thicket of edges: the tables instead
        return None
    values = {k: float(v) for k, v in ctx.ev.nodes}
    paths, terms = figures.path_count(net, key, drawn=True), figures.path_count(net, key)
    loss = ctx.sym(net.loss)
    threshold = any(layer.biases and layer.bias_input == -1 for layer in s.layers)
    gradient = math(notation.partial(loss, ctx.sym(key), ctx.ordinary))
    sums = (
        (gradient, " is the sum of one product of local derivatives per path.")
        if terms == paths
        else (  # through a softmax: every output depends on every net input of its layer
            "; each passes through the softmax, where every output depends on every net input, so ",
            gradient,
            f" is the sum of {terms} products of local derivatives, {terms // paths} per path.",
        )
    )
    caption = text(
        "The network with the worked example's numbers: each input and neuron "
        "shows its value, each edge its weight. Highlighted: the ",
        "path" if paths == 1 else f"{paths} paths",
        " from ",
        math(loss),
        " back to ",
        math(ctx.sym(key)),
        *(("; ", *sums) if terms == paths else sums),
        *((THRESHOLD,) if threshold else ()),
    )
    marks = figures.forward_marks(net, values, ctx.sym, ctx.num)
    return Figure("network", figures.network(net, marks, ctx.sym, key), caption)


def backward_figure(ctx: Context) -> Figure | None:
    """The same network with the backward pass's results: ∂L/∂w on each edge, δ at each neuron."""
    net = ctx.net
    key = ctx.highlight
    if not key or _widest(net) > FIGURE_WIDTH:
        return None
    known = dict(ctx.ev.partials)
    wanted = [*(p.key for p in net.params), *(n.net for n in net.neurons if n.has_net)]
    gradients = {
        k: float(known[Partial(net.loss, k)]) for k in wanted if Partial(net.loss, k) in known
    }
    loss = ctx.sym(net.loss)
    marks = figures.backward_marks(net, gradients, ctx.sym, ctx.num)
    title = f"The network with the gradient of {net.loss} by each weight on its edge"
    caption = text(
        "The results of the backward pass on the network: each edge shows ",
        math(notation.partial(loss, "w", ctx.ordinary)),
        " for its weight ",
        math("w"),
        *(
            (
                ", each neuron ",
                math(notation.partial(loss, r"\mathrm{net}", ctx.ordinary)),
                ", its net input's gradient",
            )
            if marks.nodes
            else ()
        ),
        ". Highlighted, as before: the "
        + ("path" if figures.path_count(net, key, drawn=True) == 1 else "paths")
        + " from ",
        math(loss),
        " back to ",
        math(ctx.sym(key)),
        ".",
    )
    return Figure("backward", figures.network(net, marks, ctx.sym, key, title), caption)


FIGURE_WIDTH = 6  # inputs or neurons in a layer, at most, for the network to be drawn


def _widest(net: Network) -> int:
    return max(len(net.inputs), *(len(layer) for layer in net.layers))


def loss_figure(ctx: Context) -> Figure | None:
    """The loss over the training steps."""
    net, training = ctx.net, ctx.view.run.training
    several, unit = training_unit(ctx.scenario)
    curve = figures.loss_curve(training.curve, ctx.sym(net.loss), unit, ctx.num, loss_noun(net))
    if curve is None:
        return None
    caption = text(
        f"The {loss_noun(net)} ",
        math(ctx.sym(net.loss)),
        f" after each {unit}"
        + (f" ({epoch_loss(ctx.scenario)} over the examples)" if several else "")
        + (", on a log scale" if figures.log_scale(training.curve) else "")
        + ".",
    )
    return Figure("loss", curve, caption)


def descent_figure(ctx: Context) -> Figure | None:
    """Seed 001: the output and the cost against the one trained weight."""
    data, net = ctx.view.one_weight, ctx.net
    if data is None:
        return None
    out, target = net.outputs[0].out, net.outputs[0].target or ""
    pair = figures.one_weight(data, ctx.sym, ctx.num, out, net.loss, target)
    w, a, cost = ctx.sym(net.trained[0].key), ctx.sym(out), ctx.sym(net.loss)
    caption = text(
        "Left: the output ",
        math(a),
        " as a function of ",
        math(w),
        "; the dashed line is the target, and the dashed drop marks the weight "
        "that minimises the cost. Right: the cost ",
        math(cost),
        " as a function of ",
        math(w),
        "; the dashed tangent at the starting weight has slope ",
        math(notation.partial(cost, w, ctx.ordinary)),
        ", and the arrows join the weights of the training table, step by step "
        "down towards the minimum.",
    )
    return Figure("descent", pair, caption)


# Which section each figure closes, in order.
PLACES: dict[str, tuple[Callable[[Context], Figure | None], ...]] = {
    "setup": (network_figure,),
    "backward": (backward_figure,),
    "training": (loss_figure, descent_figure),
}
