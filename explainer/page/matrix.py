"""Stage 5, explain (matrix notation): a layered network's forward and backward pass as vectors
and matrices, a display per layer, as lecture slides and Nielsen's chapter 2 write it:

    a⁽⁰⁾ = x,   z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,   a⁽ˡ⁾ = f(z⁽ˡ⁾)
    δ⁽ᴸ⁾ = ∇ₐE ⊙ f′(z⁽ᴸ⁾),   δ⁽ˡ⁾ = ((W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾) ⊙ f′(z⁽ˡ⁾)
    ∂E/∂W⁽ˡ⁾ = δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ,   ∂E/∂b⁽ˡ⁾ = δ⁽ˡ⁾,   W⁽ˡ⁾⁺ = W⁽ˡ⁾ − η ∂E/∂W⁽ˡ⁾

δ = sign·∂E/∂z in the page's sign (DELTA_SIGN; + unless the scenario says otherwise, as
Nielsen writes it). Row j of W⁽ˡ⁾ holds the weights into neuron j, column k those from the
layer's k-th source. Every entry is a value the evaluation has (a node, a local factor, a
partial, an update) placed in its cell; nothing is computed here beyond turning a sign.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from explainer.derive.derivation import Partial
from explainer.evaluate.quantities import DELTA_SIGN
from explainer.graph.network import Neuron
from explainer.page import forward, notation
from explainer.page.backward import local_display
from explainer.page.batch import batch_gradients
from explainer.page.context import Context
from explainer.page.model import Display, Item, Paragraph, Section, math, strong, text
from explainer.page.words import layer_title, loss_noun

TRANSPOSE = r"^{\mathsf{T}}"
ONES = r"\mathbf{1}"
# A layer-wide output with its paired loss: δ⁽ᴸ⁾ collapses to the class probabilities minus the
# targets (derivation.cancellations proves it); (the probabilities in symbols, whether the
# numbers row can substitute the outputs as printed: a log-softmax's probability is e^out)
COLLAPSED = {"softmax": ("{a}", True), "log_softmax": ("e^{{{a}}}", False)}


def _bmatrix(rows: Sequence[Sequence[str]]) -> str:
    body = r" \\ ".join(" & ".join(r) for r in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def _column(cells: Sequence[str]) -> str:
    return _bmatrix([[c] for c in cells])


def _row(cells: Sequence[str]) -> str:
    return _bmatrix([list(cells)])


def _a(layer: int) -> str:
    """a⁽ˡ⁾ for layer l counted from 1 (the inputs x are a⁽⁰⁾)."""
    return "x" if layer == 0 else rf"a^{{({layer})}}"


def _z(layer: int) -> str:
    return rf"z^{{({layer})}}"


def _w(layer: int, after: str = "") -> str:
    """W⁽ˡ⁾, or with `after` = "+" the updated W⁽ˡ⁾⁺ (one superscript, not two)."""
    return rf"W^{{({layer}){after}}}"


def _b(layer: int, after: str = "") -> str:
    return rf"b^{{({layer}){after}}}"


def _transposed(layer: int) -> str:
    """(a⁽ˡ⁾)ᵀ, or xᵀ for the inputs."""
    return f"x{TRANSPOSE}" if layer == 0 else f"({_a(layer)}){TRANSPOSE}"


def _delta(layer: int) -> str:
    return rf"\delta^{{({layer})}}"


def _rows(lhs: str, forms: Sequence[str]) -> tuple[str, ...]:
    """lhs = f1 = f2 = …, one form per row, a form equal to the one before dropped. Not
    words.chain_rows: its wrapping splits at signs, and a matrix's cells carry signs."""
    kept = [f for i, f in enumerate(forms) if i == 0 or f != forms[i - 1]]
    return (f"{lhs} &= {kept[0]}", *(f"&= {f}" for f in kept[1:]))


def _bias_sign(ctx: Context) -> str:
    """How the rules write a layer's bias: − where every bias is a threshold on a −1 input
    (seed 003's θ), else +."""
    biased = [n for n in ctx.net.neurons if n.bias is not None]
    return "-" if biased and all(n.bias_input < 0 for n in biased) else "+"


# A layer's activation in the forward pass's words, by (over the whole layer, has a function)
APPLIED = {
    (False, True): ", applied to each entry",
    (True, True): ", one function of the whole column",
    (False, False): "",
}


def _neurons(ctx: Context, li: int) -> tuple[Neuron, ...]:
    return tuple(ctx.net.neuron(n) for n in ctx.net.layers[li])


def _nums(ctx: Context, values: Sequence[Any]) -> list[str]:
    return [ctx.num(v) for v in values]


def _bias(ctx: Context, li: int, names: bool) -> str:
    """The bias term of z⁽ˡ⁾ = W a ± b, in symbols or numbers ("" without a bias): one per neuron
    a vector b⁽ˡ⁾, one for the layer its value times a vector of ones; a threshold (bias input
    −1, seed 003) is subtracted."""
    ns = _neurons(ctx, li)
    if ns[0].bias is None:
        return ""
    op = "-" if ns[0].bias_input < 0 else "+"
    if names:
        term = rf"{ctx.sym(ns[0].bias)} {ONES}" if ns[0].bias_shared else _b(li + 1)
    else:
        term = _bias_column(ctx, li)
    return f" {op} {term}"


def _bias_column(ctx: Context, li: int) -> str:
    """b⁽ˡ⁾ in numbers, a shared bias repeated in every row."""
    return _column([ctx.num(ctx.ev.node(n.bias or "")) for n in _neurons(ctx, li)])


def _weights(ctx: Context, li: int, cell: Any) -> str:
    """W⁽ˡ⁾ with `cell(key)` in each entry: row j the weights into neuron j."""
    return _bmatrix([[cell(w) for w in n.weights] for n in _neurons(ctx, li)])


# ---------------------------------------------------------------- the forward pass


def forward_section(ctx: Context) -> Section:
    net = ctx.net
    first = _neurons(ctx, 0)[0]
    items: list[Item] = [
        Paragraph(
            text(
                "In matrix form each layer ",
                math("l"),
                " takes the column of the outputs below it, ",
                math("a^{(l-1)}"),
                " (the inputs ",
                math("x = a^{(0)}"),
                " for the first), to its net inputs ",
                math(rf"z^{{(l)}} = W^{{(l)}} a^{{(l-1)}} {_bias_sign(ctx)} b^{{(l)}}"),
                ", and applies its activation to each entry, ",
                math(r"a^{(l)} = f(z^{(l)})"),
                ". Row ",
                math("j"),
                " of ",
                math("W^{(l)}"),
                " holds the weights into neuron ",
                math("j"),
                ", column ",
                math("k"),
                " the weights from the layer's ",
                math("k"),
                "-th input.",
            )
        ),
        Display(
            (
                f"x &= {_column([ctx.sym(k) for k in first.sources])} = "
                + _column(_nums(ctx, [ctx.ev.node(k) for k in first.sources])),
            )
        ),
    ]
    for li in range(len(net.layers)):
        items += _forward_layer(ctx, li)
    outs = net.outputs
    items += [
        Paragraph(text("The targets, and the ", loss_noun(net), ":")),
        Display(
            (
                f"t &= {_column([ctx.sym(n.target or '') for n in outs])} = "
                + _column(_nums(ctx, [ctx.ev.node(n.target or "") for n in outs])),
            )
        ),
        *(forward.node_display(ctx, n.term) for n in outs if n.term),
        forward.node_display(ctx, net.loss),
    ]
    return Section("Forward pass in matrix form", 2, tuple(items), "forward")


def _forward_layer(ctx: Context, li: int) -> list[Item]:
    ns, n = _neurons(ctx, li), li + 1
    rule = ns[0].rule
    defined = [
        f"{_w(n)} &= {_weights(ctx, li, ctx.sym)} = "
        + _weights(ctx, li, lambda w: ctx.num(ctx.ev.node(w)))
    ]
    if ns[0].bias is not None and not ns[0].bias_shared:
        defined.append(
            f"{_b(n)} &= {_column([ctx.sym(x.bias or '') for x in ns])} = {_bias_column(ctx, li)}"
        )
    defined.append(f"{_z(n)} &= {_column([ctx.sym(x.net) for x in ns])}")
    # no activation ("none"): the outputs are the net inputs, a⁽ˡ⁾ = z⁽ˡ⁾
    defined.append(
        f"{_a(n)} &= {_column([ctx.sym(x.out) for x in ns])}"
        if ns[0].has_net
        else f"{_a(n)} &= {_z(n)}"
    )
    z_rows = _rows(
        _z(n),
        [
            f"{_w(n)} {_a(li)}{_bias(ctx, li, True)}",
            _weights(ctx, li, lambda w: ctx.num(ctx.ev.node(w)))
            + _column(_nums(ctx, [ctx.ev.node(k) for k in ns[0].sources]))
            + _bias(ctx, li, False),
            _column(_nums(ctx, [ctx.ev.node(x.net) for x in ns])),
        ],
    )
    items: list[Item] = [
        Paragraph(
            text(
                strong(layer_title(ctx.net, li)),
                f" ({rule.describe}{APPLIED[rule.over_layer, ns[0].has_net]}):"
                if ns[0].has_net
                else " (no activation: its outputs are its net inputs):",
            )
        ),
        Display(tuple(defined)),
        Display(z_rows),
    ]
    if ns[0].has_net:
        f = rule.function_latex
        applied = (
            rf"{f}\left({_column(_nums(ctx, [ctx.ev.node(x.net) for x in ns]))}\right)"
            if rule.over_layer
            else _column([rf"{f}\left({ctx.num(ctx.ev.node(x.net))}\right)" for x in ns])
        )
        items.append(
            Display(
                _rows(
                    _a(n),
                    [
                        rf"{f}\left({_z(n)}\right)",
                        applied,
                        _column(_nums(ctx, [ctx.ev.node(x.out) for x in ns])),
                    ],
                )
            )
        )
    return items


# ---------------------------------------------------------------- the backward pass


def backward_sections(ctx: Context) -> list[Section]:
    sign = DELTA_SIGN[ctx.plan.delta_sign]
    e = ctx.sym(ctx.net.loss)
    minus = "-" if sign < 0 else ""
    intro = text(
        "The error signal of layer ",
        math("l"),
        " is the column ",
        math(rf"\delta^{{(l)}} = {minus}\partial {e} / \partial z^{{(l)}}"),
        " (the sign is this page's convention). The output layer's comes from the "
        f"{loss_noun(ctx.net)}, ",
        math(_output_rule(ctx, sign)),
        "; each layer below takes the one above back through the transposed weights, ",
        math(
            r"\delta^{(l)} = \left((W^{(l+1)})^{\mathsf{T}} \delta^{(l+1)}\right) \odot f'(z^{(l)})"
        ),
        "; and a layer's weight gradient is the outer product of its error signal with its "
        "inputs, ",
        math(
            rf"\partial {e} / \partial W^{{(l)}} = {minus}\delta^{{(l)}} (a^{{(l-1)}})^{{\mathsf{{T}}}}"
        ),
        ". The product ",
        math(r"\odot"),
        " is entry by entry.",
    )
    sections = [Section("Backward pass in matrix form", 2, (Paragraph(intro),), "backward")]
    for block in ctx.d.layers:
        li = block.layer
        items = (
            _output_delta(ctx, sign)
            if li == len(ctx.net.layers) - 1
            else _hidden_delta(ctx, li, sign)
        )
        items += _gradients(ctx, li, sign)
        sections.append(Section(layer_title(ctx.net, li), 3, tuple(items), f"layer-{li + 1}"))
    return sections


def _output_rule(ctx: Context, sign: int) -> str:
    """δ⁽ᴸ⁾ in general: ∇ₐE ⊙ f′(z⁽ᴸ⁾), or a softmax's with its loss, p − t (t − p)."""
    out = ctx.net.outputs[0].rule
    if out.over_layer:
        p = COLLAPSED[out.name][0].format(a="a^{(L)}")
        return rf"\delta^{{(L)}} = {p} - t" if sign > 0 else rf"\delta^{{(L)}} = t - {p}"
    minus = "-" if sign < 0 else ""
    e = ctx.sym(ctx.net.loss)
    return rf"\delta^{{(L)}} = {minus}\nabla_{{a^{{(L)}}}} {e} \odot f'\left(z^{{(L)}}\right)"


def _locals(ctx: Context, ns: tuple[Neuron, ...]) -> list[Item]:
    """Each local derivative the page derives once (numbering.first_rule): the loss's by the
    first output, an activation's the first time its rule is met."""
    net, items = ctx.net, []
    for n in ns:
        act = ctx.d.local(Partial(n.out, n.net)) if n.has_net else None
        if act is not None and act.partial in ctx.numbering.first_rule and not n.rule.over_layer:
            items += local_display(ctx, act)
        if n.target and n.out == net.outputs[0].out and not n.rule.over_layer:
            err = ctx.d.local(Partial(net.loss, n.out))
            assert err is not None
            items += local_display(ctx, err, first=False)
    return items


def _slopes(ctx: Context, ns: tuple[Neuron, ...]) -> str:
    """f′(z⁽ˡ⁾), each entry ∂out_j/∂net_j."""
    return _column(_nums(ctx, [ctx.value(Partial(n.out, n.net)) for n in ns]))


def _deltas(ctx: Context, ns: tuple[Neuron, ...]) -> str:
    return _column(_nums(ctx, [ctx.view.deltas[n.name] for n in ns]))


def _output_delta(ctx: Context, sign: int) -> list[Item]:
    net = ctx.net
    li = len(net.layers) - 1
    ns, n, e = _neurons(ctx, li), li + 1, ctx.sym(net.loss)
    minus = "-" if sign < 0 else ""
    items = _locals(ctx, ns)
    rule = ns[0].rule
    if rule.over_layer:  # with its paired loss (the reader allows no other here)
        probability, substituted = COLLAPSED[rule.name]
        p = probability.format(a=_a(n))
        symbolic = f"{p} - t" if sign > 0 else f"t - {p}"
        outs = _column(_nums(ctx, [ctx.ev.node(x.out) for x in ns]))
        targets = _column(_nums(ctx, [ctx.ev.node(x.target or "") for x in ns]))
        numbers = (
            ([f"{outs} - {targets}" if sign > 0 else f"{targets} - {outs}"]) if substituted else []
        )
        items += [
            Paragraph(
                text(
                    f"Each output of the {rule.name.replace('_', '-')} depends on every net input "
                    "of the layer, so the gradient by ",
                    math(_z(n)),
                    " is the Jacobian's transpose times ",
                    math(rf"\nabla_{{{_a(n)}}} {e}"),
                    "; with this loss, and targets that sum to 1, the product collapses to the "
                    + (
                        "class probabilities minus the targets:"
                        if sign > 0
                        else "targets minus the class probabilities:"
                    ),
                )
            ),
            Display(_rows(_delta(n), [symbolic, *numbers, _deltas(ctx, ns)])),
        ]
        return items
    grad = _column(_nums(ctx, [ctx.value(Partial(net.loss, x.out)) for x in ns]))
    forms = [rf"{minus}\nabla_{{{_a(n)}}} {e}", f"{minus}{grad}", _deltas(ctx, ns)]
    if ns[0].has_net:
        forms[0] += rf" \odot f'\left({_z(n)}\right)"
        forms[1] += rf" \odot {_slopes(ctx, ns)}"
    items += [
        Paragraph(
            text(
                "The error signal of the output layer: the gradient of the ",
                loss_noun(net),
                " by the outputs, entries ",
                math(rf"\partial {e} / \partial \mathrm{{out}}_j"),
                *(
                    (", times the slope of the activation at each net input, ",)
                    if ns[0].has_net
                    else ("",)
                ),
                *(
                    (math(r"\partial \mathrm{out}_j / \partial \mathrm{net}_j"),)
                    if ns[0].has_net
                    else ()
                ),
                ":",
            )
        ),
        Display(_rows(_delta(n), forms)),
    ]
    return items


def _hidden_delta(ctx: Context, li: int, sign: int) -> list[Item]:
    net = ctx.net
    ns, n, above = _neurons(ctx, li), li + 1, _neurons(ctx, li + 1)
    # (Wᵀδ)_k = sign·∂E/∂out_k: the error reaching this layer's output k, summed over its paths
    back = _column(_nums(ctx, [sign * ctx.value(Partial(net.loss, x.out)) for x in ns]))
    transposed = _bmatrix(
        [[ctx.num(ctx.ev.node(a.weights[a.sources.index(x.out)])) for a in above] for x in ns]
    )
    product = rf"{transposed} {_deltas(ctx, above)}"
    forms = [rf"({_w(n + 1)}){TRANSPOSE} {_delta(n + 1)}", product, back, _deltas(ctx, ns)]
    if ns[0].has_net:
        forms[0] = rf"\left({forms[0]}\right) \odot f'\left({_z(n)}\right)"
        forms[1] = rf"\left({product}\right) \odot {_slopes(ctx, ns)}"
        forms[2] = rf"{back} \odot {_slopes(ctx, ns)}"
    else:
        forms = [forms[0], product, _deltas(ctx, ns)]
    return [
        *_locals(ctx, ns),
        Paragraph(
            text(
                "The error signal of this layer: the layer above's, taken back through the "
                "transposed weights (entry ",
                math("k"),
                " is the error reaching this layer's output ",
                math("k"),
                ")"
                + (
                    ", times the slope of the activation at each net input:"
                    if ns[0].has_net
                    else ":"
                ),
            )
        ),
        Display(_rows(_delta(n), forms)),
    ]


def _trained(ctx: Context, li: int) -> tuple[bool, bool]:
    layer = ctx.scenario.layers[li]
    return layer.train_weights, layer.train_biases and bool(layer.bias_names)


def _gradients(ctx: Context, li: int, sign: int) -> list[Item]:
    """∂E/∂W⁽ˡ⁾ = sign·δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ and the bias's gradient, for what the layer trains."""
    net, e = ctx.net, ctx.sym(ctx.net.loss)
    ns, n = _neurons(ctx, li), li + 1
    minus = "-" if sign < 0 else ""
    weights, biases = _trained(ctx, li)
    rows: list[str] = []
    if weights:
        inputs = _row(_nums(ctx, [ctx.ev.node(k) for k in ns[0].sources]))
        rows += _rows(
            notation.partial(e, _w(n)),
            [
                rf"{minus}{_delta(n)} {_transposed(li)}",
                f"{minus}{_deltas(ctx, ns)} {inputs}",
                _weights(ctx, li, lambda w: ctx.num(ctx.value(Partial(net.loss, w)))),
            ],
        )
    if biases:
        # ∂z_j/∂b = bias input (1, or −1 for a threshold): the bias's gradient is ±δ
        turned = sign * (-1 if ns[0].bias_input < 0 else 1)
        pre = "-" if turned < 0 else ""
        if ns[0].bias_shared:
            key = ns[0].bias or ""
            rows += _rows(
                notation.partial(e, ctx.sym(key)),
                [
                    rf"{pre}{ONES}{TRANSPOSE} {_delta(n)}",
                    rf"{pre}{_row(['1'] * len(ns))} {_deltas(ctx, ns)}",
                    ctx.num(ctx.value(Partial(net.loss, key))),
                ],
            )
        else:
            rows += _rows(
                notation.partial(e, _b(n)),
                [
                    f"{pre}{_delta(n)}",
                    _column(_nums(ctx, [ctx.value(Partial(net.loss, x.bias or "")) for x in ns])),
                ],
            )
    if not rows:
        return []
    whose = " (the worked example's; the step takes the batch's)" if ctx.ev.batch else ""
    return [
        Paragraph(text(f"This layer's gradients{whose}:")),
        Display(tuple(rows)),
    ]


# ---------------------------------------------------------------- the updates


def updates_section(ctx: Context) -> Section:
    """W⁽ˡ⁾⁺ = W⁽ˡ⁾ ∓ η·∂E/∂W⁽ˡ⁾, a matrix a layer, the gradient the step took (a batch's mean)."""
    if not ctx.ev.updates:
        return Section("", 2, ())
    net, s = ctx.net, ctx.scenario
    found = {u.key: u for u in ctx.ev.updates}
    op = "+" if ctx.plan.direction == "ascent" else "-"
    rate, e = s.rate_symbol, ctx.sym(net.loss)

    def by(x: str) -> str:
        g = notation.partial(e, x)
        return rf"\overline{{{g}}}" if ctx.ev.batch else g

    def cell(field: str) -> Any:
        return lambda key: ctx.num(getattr(found[key], field))

    displays: list[Item] = []  # a display a layer: a page may break between them
    for li in reversed(range(len(net.layers))):
        ns, n = _neurons(ctx, li), li + 1
        weights, biases = _trained(ctx, li)
        rows: list[str] = []
        if weights:
            rows += _rows(
                _w(n, "+"),
                [
                    rf"{_w(n)} {op} {rate} \cdot {by(_w(n))}",
                    rf"{_weights(ctx, li, cell('old'))} {op} {ctx.num(s.learning_rate)} \cdot "
                    + _weights(ctx, li, cell("gradient")),
                    _weights(ctx, li, cell("new")),
                ],
            )
        if biases:
            keys = [ns[0].bias or ""] if ns[0].bias_shared else [x.bias or "" for x in ns]
            name = ctx.sym(keys[0]) if ns[0].bias_shared else _b(n)
            after = f"{{{name}}}^{{+}}" if ns[0].bias_shared else _b(n, "+")

            def vector(field: str, keys: list[str] = keys, factor: bool = False) -> str:
                """A column of the layer's biases, or one shared bias (as a `factor`, a
                negative one in parentheses)."""
                if len(keys) == 1:
                    x = getattr(found[keys[0]], field)
                    return ctx.factor_num(x) if factor else ctx.num(x)
                return _column([cell(field)(k) for k in keys])

            rows += _rows(
                after,
                [
                    rf"{name} {op} {rate} \cdot {by(name)}",
                    rf"{vector('old')} {op} {ctx.num(s.learning_rate)} \cdot "
                    + vector("gradient", factor=True),
                    vector("new"),
                ],
            )
        if rows:
            displays.append(Display(tuple(rows)))
    lead = text(
        "Every trained parameter takes one step of gradient "
        f"{ctx.plan.direction}, a layer at a time, ",
        math(rf"W^{{+}} = W {op} {rate} \cdot {by('W')}"),
        " (every entry of a matrix moves at once):",
    )
    return Section(
        "Updating the weights",
        2,
        (*batch_gradients(ctx), Paragraph(lead), *displays),
        "updates",
    )


def matrix_layout(ctx: Context) -> list[Section]:
    return [*backward_sections(ctx), updates_section(ctx)]


def rules(ctx: Context) -> tuple[str, ...]:
    """The summary's rules in matrix form, in the page's sign, symbols and bias sign."""
    sign = DELTA_SIGN[ctx.plan.delta_sign]
    e = ctx.sym(ctx.net.loss)
    op = "+" if ctx.plan.direction == "ascent" else "-"
    bar = (lambda g: rf"\overline{{{g}}}") if ctx.ev.batch else (lambda g: g)
    bias = _bias_sign(ctx)
    rows = [
        rf"z^{{(l)}} &= W^{{(l)}} a^{{(l-1)}} {bias} b^{{(l)}}, \quad "
        r"a^{(l)} = f\left(z^{(l)}\right)",
        _output_rule(ctx, sign).replace(" = ", " &= ", 1),
    ]
    if len(ctx.net.layers) > 1:
        rows.append(
            r"\delta^{(l)} &= \left((W^{(l+1)})^{\mathsf{T}} \delta^{(l+1)}\right) \odot "
            r"f'\left(z^{(l)}\right)"
        )
    minus = "-" if sign < 0 else ""
    rows.append(
        rf"{notation.partial(e, 'W^{(l)}')} &= {minus}\delta^{{(l)}} (a^{{(l-1)}}){TRANSPOSE}"
    )
    if any(_trained(ctx, li)[1] for li in range(len(ctx.net.layers))):
        # ∂z/∂b is the bias input: +1, or −1 for a threshold
        turned = "-" if (sign < 0) != (bias == "-") else ""
        rows.append(rf"{notation.partial(e, 'b^{(l)}')} &= {turned}\delta^{{(l)}}")
    rows.append(
        rf"W^{{+}} &= W {op} {ctx.scenario.rate_symbol} \cdot {bar(notation.partial(e, 'W'))}"
    )
    if ctx.ev.batch:
        rows.append(ctx.batch_mean().replace(" = ", " &= ", 1))
    return tuple(rows)
