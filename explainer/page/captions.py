"""Stage 5, explain (figures and captions): the page's pictures, drawn from computed numbers, with what they show."""

from __future__ import annotations

from explainer import figures, notation
from explainer.page.context import Context
from explainer.page.model import Figure, math, text
from explainer.page.words import training_unit


def pictures(ctx: Context) -> dict[str, tuple[Figure, ...]]:
    """The page's pictures, by the anchor of the section they close."""
    net, s, training = ctx.net, ctx.scenario, ctx.results.run.training
    values = {k: float(v) for k, v in ctx.ev.nodes}
    key = s.highlight or next((p.key for p in net.trained if p.kind == "weight"), "")
    setup: list[Figure] = []
    if key:
        paths = figures.path_count(net, key)
        setup.append(
            Figure(
                "network",
                figures.network(net, values, ctx.sym, ctx.num, key),
                text(
                    "The network with the worked example's numbers: each input and neuron "
                    "shows its value, each edge its weight. Highlighted: the ",
                    "path" if paths == 1 else f"{paths} paths",
                    " from ",
                    math(ctx.sym(net.loss)),
                    " back to ",
                    math(ctx.sym(key)),
                    "; ",
                    math(notation.partial(ctx.sym(net.loss), ctx.sym(key), ctx.ordinary)),
                    " is the sum of one product of local derivatives per path.",
                    *(
                        (" A bias below a neuron multiplies the constant input −1 (a threshold).",)
                        if any(layer.biases and layer.bias_input == -1 for layer in s.layers)
                        else ()
                    ),
                ),
            )
        )
    several, unit = training_unit(s)
    trained: list[Figure] = []
    curve = figures.loss_curve(training.curve, ctx.sym(net.loss), unit, ctx.num)
    if curve is not None:
        trained.append(
            Figure(
                "loss",
                curve,
                text(
                    "The loss ",
                    math(ctx.sym(net.loss)),
                    f" after each {unit}"
                    + (" (mean over the examples)" if several else "")
                    + (", on a log scale" if figures.log_scale(training.curve) else "")
                    + ".",
                ),
            )
        )
    data = ctx.results.one_weight
    if data is not None:
        pair = figures.one_weight(
            data, ctx.sym, ctx.num, net.outputs[0].out, net.loss, net.outputs[0].target or ""
        )
        w, a = ctx.sym(net.trained[0].key), ctx.sym(net.outputs[0].out)
        cost = ctx.sym(net.loss)
        trained.append(
            Figure(
                "descent",
                pair,
                text(
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
                ),
            )
        )
    return {"setup": tuple(setup), "training": tuple(trained)}
