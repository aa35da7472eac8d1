"""Stage 5, explain: Network + Derivation + Evaluation + Training → Explanation, the view model.

Everything a template places is decided here, as strings (LaTeX for math, plain text for prose)
and numbers; no sympy object passes beyond this module. Prose is a tuple of segments, text or math,
so each renderer can escape the text for its own format and leave the math alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp

from explainer import figures, notation
from explainer.activations import ACTIVATIONS, LOSSES, negated
from explainer.derivation import Derivation, Equation, Local, Partial
from explainer.drawing import Drawing
from explainer.evaluate import (
    Evaluation,
    Training,
    Update,
    arithmetic,
    converged,
    error_split,
)
from explainer.findings import Finding, diagnosis
from explainer.network import Network, Neuron, sym
from explainer.precision import show
from explainer.scenario import SECTIONS, Scenario


@dataclass(frozen=True)
class Seg:
    kind: str  # "text" | "math" | "strong"
    value: str


Prose = tuple[Seg, ...]


def text(*parts: str | Seg) -> Prose:
    """Prose from plain strings and math segments: text("the error ", math("E"), " falls")."""
    return tuple(p if isinstance(p, Seg) else Seg("text", p) for p in parts)


def math(latex: str) -> Seg:
    return Seg("math", latex)


def strong(s: str) -> Seg:
    return Seg("strong", s)


@dataclass(frozen=True)
class Paragraph:
    prose: Prose
    kind: str = "paragraph"


@dataclass(frozen=True)
class Display:
    """Aligned display math: each row holds one `&` before its relation; the tag numbers it."""

    rows: tuple[str, ...]
    tag: str = ""
    kind: str = "display"


@dataclass(frozen=True)
class Table:
    header: tuple[Prose, ...]
    rows: tuple[tuple[Prose, ...], ...]
    numeric: tuple[bool, ...]  # per column: right-align
    kind: str = "table"


@dataclass(frozen=True)
class Figure:
    """A picture with its caption; `key` names it (the Markdown page's SVG file ends in it)."""

    key: str
    drawing: Drawing
    caption: Prose
    kind: str = "figure"


Item = Paragraph | Display | Table | Figure


@dataclass(frozen=True)
class Section:
    title: str
    level: int  # 2: section, 3: subsection
    items: tuple[Item, ...]
    anchor: str = ""


@dataclass(frozen=True)
class Explanation:
    name: str
    title: str
    source: str
    sections: tuple[Section, ...]
    values: tuple[tuple[str, float | str], ...]  # every quantity under its stable JSON key
    arithmetic: str
    warnings: tuple[str, ...] = ()  # numeric trouble worth a word on the terminal (saturation)


@dataclass
class _Page:
    """Running state while the page is written: symbols, shown quantities and equation tags."""

    net: Network
    d: Derivation
    ev: Evaluation
    digits: int
    names: dict[sp.Symbol, str]
    numbers: dict[sp.Symbol, str] = field(init=False)  # each node's value, ready to substitute
    tags: dict[Partial, str] = field(default_factory=dict)
    updated: dict[str, Any] = field(default_factory=dict)  # sequential: new values so far

    def __post_init__(self) -> None:
        self.numbers = {sym(k): self.factor_num(v) for k, v in self.ev.nodes}

    def sym(self, key: str) -> str:
        return self.names[sym(key)]

    def maps(self) -> tuple[dict[sp.Symbol, str], dict[sp.Symbol, str]]:
        """Symbol names and numbers, with parameters already updated shown as w⁺ and new values."""
        names, numbers = dict(self.names), dict(self.numbers)
        for key, new in self.updated.items():
            names[sym(key)] = f"{{{self.names[sym(key)]}}}^{{+}}"
            numbers[sym(key)] = self.factor_num(new)
        return names, numbers

    def num(self, x: Any) -> str:
        return show(x, self.digits).latex

    def factor_num(self, x: Any) -> str:
        s = self.num(x)
        return rf"\left({s}\right)" if s.startswith("-") else s

    def partial(self, p: Partial) -> str:
        return notation.partial(self.sym(p.of), self.sym(p.by), self.ordinary)

    @property
    def ordinary(self) -> bool:
        return self.net.scenario.profile == "single-weight"

    def tag(self, p: Partial) -> str:
        self.tags[p] = str(len(self.tags) + 1)
        return self.tags[p]

    def ref(self, p: Partial) -> str:
        return f"({self.tags[p]})"

    def value(self, p: Partial) -> Any:
        return self.ev.partial(p)


def build(
    net: Network,
    d: Derivation,
    ev: Evaluation,
    training: Training,
    digits: int,
    surrogate: Training | None = None,
    checked: tuple[Finding, ...] = (),
    differences: dict[str, float] | None = None,
    autograd: tuple[str, dict[str, float]] | None = None,  # (PyTorch version, gradients)
) -> Explanation:
    s = net.scenario
    overrides = dict(s.symbols)
    names = {sym(n.key): overrides.get(n.key, notation.default_symbol(n.key)) for n in net.nodes}
    page = _Page(net, d, ev, digits, names)
    sections = (
        _setup(page),
        _forward(page),
        *BACKWARD[s.profile](page),
        _no_gradient(page, training, surrogate),
        _error_split(page),
        _training(page, training),
        _verification(page, checked),
        _gradient_check(page, differences or {}, autograd),
    )
    pictures = _figures(page, training)
    sections = tuple(
        Section(x.title, x.level, (*x.items, *pictures.get(x.anchor, ())), x.anchor)
        for x in sections
    )
    return Explanation(
        name=s.name,
        title=s.title,
        source=s.source,
        sections=_with_narrative(tuple(x for x in sections if x.items), dict(s.narrative)),
        values=values(net, d, ev, training),
        arithmetic=ev.arithmetic,
    )


def _figures(page: _Page, training: Training) -> dict[str, tuple[Figure, ...]]:
    """The page's pictures, by the anchor of the section they close."""
    net, s = page.net, page.net.scenario
    values = {k: float(v) for k, v in page.ev.nodes}
    key = s.highlight or next((p.key for p in net.trained if p.kind == "weight"), "")
    setup: list[Figure] = []
    if key:
        paths = figures.path_count(net, key)
        setup.append(
            Figure(
                "network",
                figures.network(net, values, page.sym, page.num, key),
                text(
                    "The network with the worked example's numbers: each input and neuron "
                    "shows its value, each edge its weight. Highlighted: the ",
                    "path" if paths == 1 else f"{paths} paths",
                    " from ",
                    math(page.sym(net.loss)),
                    " back to ",
                    math(page.sym(key)),
                    "; ",
                    math(notation.partial(page.sym(net.loss), page.sym(key), page.ordinary)),
                    " is the sum of one product of local derivatives per path.",
                    *(
                        (" A bias below a neuron multiplies the constant input −1 (a threshold).",)
                        if any(layer.biases and layer.bias_input == -1 for layer in s.layers)
                        else ()
                    ),
                ),
            )
        )
    several, unit = _unit(s)
    trained: list[Figure] = []
    curve = figures.loss_curve(training.curve, page.sym(net.loss), unit, page.num)
    if curve is not None:
        trained.append(
            Figure(
                "loss",
                curve,
                text(
                    "The loss ",
                    math(page.sym(net.loss)),
                    f" after each {unit}"
                    + (" (mean over the examples)" if several else "")
                    + (", on a log scale" if figures.log_scale(training.curve) else "")
                    + ".",
                ),
            )
        )
    pair = figures.one_weight(net, page.ev, training, page.sym, page.num)
    if pair is not None:
        w, a = page.sym(net.trained[0].key), page.sym(net.outputs[0].out)
        cost = page.sym(net.loss)
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
                    math(notation.partial(cost, w, page.ordinary)),
                    ", and the arrows join the weights of the training table, step by step "
                    "down towards the minimum.",
                ),
            )
        )
    return {"setup": tuple(setup), "training": tuple(trained)}


def _with_narrative(sections: tuple[Section, ...], prose: dict[str, str]) -> tuple[Section, ...]:
    """The author's own prose for a section, first in it, as written (escaped when rendered).
    Where a page has no such section (the delta profile updates inside the backward pass), the
    prose goes to the nearest section before it."""
    order = list(SECTIONS)
    present = [x.anchor for x in sections]
    home: dict[str, list[str]] = {}
    for key, words in prose.items():
        at = next(a for a in reversed(order[: order.index(key) + 1]) if a in present)
        home.setdefault(at, []).append(" ".join(words.split()))
    return tuple(
        Section(
            x.title, x.level, (*(Paragraph(text(w)) for w in home[x.anchor]), *x.items), x.anchor
        )
        if x.anchor in home
        else x
        for x in sections
    )


def _json(x: Any) -> float | str:
    """A number for JSON: a float, or an exact fraction as the string "6/5"."""
    if isinstance(x, Fraction) and x.denominator != 1:
        return str(x)
    return float(x)


def values(
    net: Network, d: Derivation, ev: Evaluation, training: Training
) -> tuple[tuple[str, float | str], ...]:
    out: dict[str, float | str] = {k: _json(v) for k, v in ev.nodes}
    out.update((p.key, _json(v)) for p, v in ev.partials)
    if not net.scenario.data:  # with a training set, @1 is after the first epoch, not this step
        out.update((f"{u.key}@1", _json(u.new)) for u in ev.updates)
    if net.scenario.profile == "delta":
        sign = DELTA_SIGN[net.scenario.delta_sign]
        out.update(
            (f"delta_{n.name}", _json(sign * ev.partial(Partial(net.loss, n.net))))
            for n in net.neurons
            if Partial(net.loss, n.net) in dict(ev.partials)
        )
    for step in training.steps[1:]:
        out[f"{net.loss}@{step.k}"] = _json(step.loss)
        out.update(
            (f"{n.out}@{step.k}", _json(o)) for n, o in zip(net.outputs, step.outputs, strict=True)
        )
        out.update(
            (f"{p.key}@{step.k}", _json(v))
            for p, v in zip(net.params, step.params, strict=True)
            if p.trained
        )
    return tuple(out.items())


def _list(items: Iterable[Seg | str], last: str = "and") -> list[Seg | str]:
    items = list(items)
    out: list[Seg | str] = []
    for i, x in enumerate(items):
        if i:
            out.append(f" {last} " if i == len(items) - 1 else ", ")
        out.append(x)
    return out


def _eq(page: _Page, key: str, value: Any) -> Seg:
    return math(f"{page.sym(key)} = {page.num(value)}")


UPDATE_ORDER = {
    "simultaneous": "every parameter is updated from the same forward pass (simultaneous update)",
    "sequential": "the output layer is updated first and the layers below are differentiated "
    "through its already updated weights (sequential update, as some published code does)",
}
DELTA_SIGN = {"minus": -1, "plus": 1}  # δ_j = sign · ∂L/∂net_j


def _setup(page: _Page) -> Section:
    net, s = page.net, page.net.scenario
    values = dict(page.ev.nodes)
    items: list[Item] = []
    if s.description:
        items.append(Paragraph(text(" ".join(s.description.split()))))
    if len(s.data) > 1:
        items.append(
            Paragraph(
                text(
                    f"A training set of {len(s.data)} examples; the first is worked through "
                    "in full, with these values."
                )
            )
        )
    items.append(
        Paragraph(
            text(
                "Inputs: ",
                *_list(_eq(page, k, values[k]) for k in net.inputs),
                ". Desired outputs (targets): ",
                *_list(_eq(page, n.target or "", values[n.target or ""]) for n in net.outputs),
                ".",
            )
        )
    )
    for li, names in enumerate(net.layers):
        layer = s.layers[li]
        role = "output layer" if li == len(net.layers) - 1 else f"hidden layer {li + 1}"
        act = ACTIVATIONS[layer.activation]
        weights = [p for p in net.params if p.layer == li and p.kind == "weight"]
        biases = [p for p in net.params if p.layer == li and p.kind == "bias"]
        parts: list[Seg | str] = [
            strong(f"Layer {li + 1}"),
            f" ({role}): neurons ",
            *_list(names),
            f"; activation: {act.describe}; weights ",
            *_list(_eq(page, p.key, p.value) for p in weights),
            "" if layer.train_weights else " (not trained)",
        ]
        if biases:
            shared = " shared by all its neurons" if layer.bias == "shared" else ""
            parts += [
                "; bias ",
                *_list(_eq(page, p.key, p.value) for p in biases),
                shared,
                "" if layer.train_biases else ", not trained",
            ]
        else:
            parts.append("; no bias")
        items.append(Paragraph(text(*parts, ".")))
    loss = LOSSES[s.loss]
    rate = s.rate_symbol
    items.append(
        Paragraph(
            text(
                "Loss: ",
                loss.describe,
                ", written ",
                math(page.sym(net.loss)),
                ". Learning rate ",
                math(f"{rate} = {page.num(s.learning_rate)}"),
                f"; {'gradient ascent' if loss.ascent else 'gradient descent'}; "
                f"{UPDATE_ORDER[s.update]}. Numbers are computed in {arithmetic(page.ev.arithmetic).describe}, shown to {page.digits} significant "
                "digits, rounded half up.",
            )
        )
    )
    return Section("The network and the training example", 2, tuple(items), "setup")


def _forward(page: _Page) -> Section:
    net = page.net
    items: list[Item] = [
        Paragraph(
            text(
                "Each neuron sums its weighted inputs and its bias (the net input), then applies its "
                "activation function (the output)."
            )
        )
    ]
    for names in net.layers:
        for name in names:
            n = net.neuron(name)
            items.append(_node_display(page, n.net))
            if n.has_net:
                items.append(_node_display(page, n.out))
    terms = [n.term for n in net.outputs if n.term]
    if terms:
        items.append(Paragraph(text("The error of each output, then the total:")))
        items += [_node_display(page, t) for t in terms]
    else:
        items.append(Paragraph(text("The loss:")))
    items.append(_node_display(page, net.loss))
    return Section("Forward pass", 2, tuple(items), "forward")


def _node_display(page: _Page, key: str) -> Display:
    node = page.net.node(key)
    rows = _chain_rows(
        page.sym(key),
        [
            notation.latex(node.display, page.names),
            notation.latex(node.display, page.numbers),
            page.num(page.ev.node(key)),
        ],
    )
    return Display(rows)


def _chain_rows(lhs: str, forms: list[str]) -> tuple[str, ...]:
    """lhs = f1 = f2 = …, one form per row, dropping any that repeats the one before it."""
    kept: list[str] = []
    for f in forms:
        if not kept or f != kept[-1]:
            kept.append(f)
    return (f"{lhs} &= {kept[0]}", *(f"&= {f}" for f in kept[1:]))


def _backward(page: _Page) -> list[Section]:
    net, d = page.net, page.d
    if not d.layers:
        return [
            Section(
                "Backward pass",
                2,
                (
                    Paragraph(
                        text("No parameter is trained, so there is nothing to differentiate.")
                    ),
                ),
                "backward",
            )
        ]
    loss = page.sym(net.loss)
    intro = Section(
        "Backward pass",
        2,
        (
            Paragraph(
                text(
                    "We want ",
                    math(page.partial(Partial(net.loss, net.trained[0].key))),
                    " for every trained parameter. No parameter appears in ",
                    math(loss),
                    " directly, so each derivative is split by the chain rule into local derivatives, "
                    "starting at the output layer and working back. Each local factor is derived from "
                    "the expression of one node; values shown before are referred to by their equation "
                    "number.",
                )
            ),
        ),
        "backward",
    )
    sections = [intro]
    shown_rules: set[str] = set()
    for block in d.layers:
        items: list[Item] = []
        for nb in block.neurons:
            items.append(Paragraph(text(strong(f"Neuron {nb.neuron}"))))
            for p in (*nb.defines, *nb.gradients):
                items += _quantity(page, p, shown_rules)
        for p in block.shared:
            items.append(
                Paragraph(
                    text(
                        strong(f"Shared parameter {p.by}"),
                        " (used by several neurons, so its paths are summed)",
                    )
                )
            )
            items += _quantity(page, p, shown_rules)
        _mark_updated(page, block.layer)
        title = _layer_title(net, block.layer)
        sections.append(Section(title, 3, tuple(items), f"layer-{block.layer + 1}"))
    return sections


def _layer_title(net: Network, layer: int) -> str:
    if layer == len(net.layers) - 1:
        return "Output layer"
    return "Hidden layer" if len(net.layers) == 2 else f"Hidden layer {layer + 1}"


def _mark_updated(page: _Page, layer: int) -> None:
    """Sequential update: from here on, this layer's parameters are shown with their new values."""
    if page.net.scenario.update == "sequential":
        page.updated.update(
            (u.key, u.new) for u in page.ev.updates if page.net.param(u.key).layer == layer
        )


def _quantity(page: _Page, p: Partial, shown_rules: set[str]) -> list[Item]:
    """Show p once: a local factor derived, or an equation with the locals it needs first."""
    if p in page.tags:
        return []
    local = page.d.local(p)
    if local is not None:
        return _local(page, local, shown_rules)
    eq = page.d.equation(p)
    assert eq is not None, p  # derivation defines every partial it refers to
    items: list[Item] = []
    for term in eq.terms:
        for f in term:
            if f not in page.tags and page.d.local(f) is not None:
                items += _local(page, page.d.local(f), shown_rules)  # type: ignore[arg-type]
    return [*items, *_equation(page, eq)]


def _local(page: _Page, x: Local, shown_rules: set[str]) -> list[Item]:
    p = x.partial
    net = page.net
    node = net.node(p.of)
    d_by = notation.operator(page.sym(p.by), page.ordinary)
    expression = notation.latex(x.expression, page.names)
    forms = [rf"{d_by}\left({expression}\right)"]
    items: list[Item] = []
    if node.kind == "out":
        act = ACTIVATIONS[x.rule]
        first = x.rule not in shown_rules
        shown_rules.add(x.rule)
        if first and x.steps:
            forms += [notation.latex(step, page.names) for step in x.steps]
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
        forms += [notation.latex(step, page.names) for step in x.steps]
        others = "; the other outputs' terms do not contain it" if len(net.outputs) > 1 else ""
        items.append(
            Paragraph(
                text(
                    "The loss differentiated with respect to ",
                    math(page.sym(p.by)),
                    f" (its own term by the chain rule{others}):",
                )
            )
        )
    names, numbers = page.maps()
    early = [k for k in page.updated if sym(k) in x.textbook.free_symbols]
    if early:
        items.append(
            Paragraph(
                text(
                    "Sequential update: ",
                    *_list(math(page.sym(k)) for k in early),
                    " has already been updated above, so the new value is used here.",
                )
            )
        )
    forms += [
        notation.latex(x.textbook, names),
        notation.latex(x.textbook, numbers),
        page.num(page.value(p)),
    ]
    rows = _chain_rows(page.partial(p), forms)
    items.append(Display(rows, page.tag(p)))
    return items


def _equation(page: _Page, eq: Equation) -> list[Item]:
    p = eq.partial
    net = page.net
    refs = [f for term in eq.terms for f in term]
    if eq.kind == "alias":
        (source,) = refs
        intro = text(
            "Only ",
            math(page.sym(p.of)),
            " depends on ",
            math(page.sym(p.by)),
            ", so its share equals the total's, from ",
            page.ref(source),
            ":",
        )
        alias = f"{page.partial(p)} &= {page.partial(source)} = {page.num(page.value(p))}"
        return [Paragraph(intro), Display((alias,), page.tag(p))]
    symbolic = " + ".join(r" \cdot ".join(page.partial(f) for f in term) for term in eq.terms)
    numbers = " + ".join(
        r" \cdot ".join(page.factor_num(page.value(f)) for f in term) for term in eq.terms
    )
    cancelled = _cancellation(page, eq)
    forms = [symbolic, *(cancelled or [numbers]), page.num(page.value(p))]
    rows: tuple[str, ...]
    if sum(len(t) for t in eq.terms) > 3 and len(eq.terms) > 1:
        rows = _long_sum(page, eq)
    else:
        rows = _chain_rows(page.partial(p), forms)
    used = ", ".join(page.ref(f) for f in dict.fromkeys(refs))
    if p.of == net.loss and any(n.has_net and n.net == p.by for n in net.neurons):
        what = text(
            "The error signal at the net input of neuron ",
            _neuron_of(net, p.by),
            " (δ in the delta rule), with ",
            used,
            ":",
        )
    elif eq.kind == "sum":
        what = text(
            math(page.sym(p.by)),
            " reaches ",
            math(page.sym(p.of)),
            " along ",
            str(len(eq.terms)),
            " paths, one through each neuron it feeds; their contributions add up, with ",
            used,
            ":",
        )
    else:
        what = text("By the chain rule, with ", used, ":")
    return [Paragraph(what), Display(rows, page.tag(p))]


def _cancellation(page: _Page, eq: Equation) -> list[str]:
    """The product of the factors' textbook forms and what it cancels to, when that is much
    simpler: cross-entropy after a sigmoid, (o − t)/(o(1 − o)) · o(1 − o) = o − t."""
    if len(eq.terms) != 1 or any(page.d.local(f) is None for f in eq.terms[0]):
        return []
    forms = [page.d.local(f).textbook for f in eq.terms[0]]  # type: ignore[union-attr]
    product = sp.Mul(*forms, evaluate=False)
    simplified = sp.factor(sp.cancel(product.doit()))
    if simplified.is_Number or 2 * sp.count_ops(simplified) > sp.count_ops(product):
        return []
    names, numbers = page.maps()
    return [
        r" \cdot ".join(notation.latex(f, names) for f in forms),
        notation.latex(simplified, names),
        notation.latex(simplified, numbers),
    ]


def _long_sum(page: _Page, eq: Equation) -> tuple[str, ...]:
    """A sum of products too long for one line: one term per line, symbols then numbers."""
    lhs = page.partial(eq.partial)
    rows = []
    for i, term in enumerate(eq.terms):
        body = r" \cdot ".join(page.partial(f) for f in term)
        rows.append(f"{lhs} &= {body}" if i == 0 else f"&\\quad + {body}")
    for i, term in enumerate(eq.terms):
        body = r" \cdot ".join(page.factor_num(page.value(f)) for f in term)
        rows.append(f"&= {body}" if i == 0 else f"&\\quad + {body}")
    rows.append(f"&= {page.num(page.value(eq.partial))}")
    return tuple(rows)


def _neuron_of(net: Network, key: str) -> str:
    return next(n.name for n in net.neurons if key in (n.net, n.out))


def _updates(page: _Page) -> Section:
    net, s = page.net, page.net.scenario
    if not page.ev.updates:
        return Section("Updates", 2, ())
    rate = s.rate_symbol
    ascent = LOSSES[s.loss].ascent
    op = "+" if ascent else "-"
    rows = []
    for u in page.ev.updates:
        g = page.partial(Partial(net.loss, u.key))
        rows.append(_update_row(page, u, op, g, page.factor_num(u.gradient)))
    frozen = [p for p in net.params if not p.trained]
    items: list[Item] = [
        Paragraph(
            text(
                "Gradient ascent moves each parameter a step along its gradient, "
                if ascent
                else "Gradient descent moves each parameter a step against its gradient, ",
                math(
                    rf"w^{{+}} = w {op} {rate} \cdot {notation.partial(page.sym(net.loss), 'w', page.ordinary)}"
                ),
                "; " + UPDATE_ORDER[s.update] + ":",
            )
        ),
        Display(tuple(rows)),
    ]
    if frozen:
        items.append(
            Paragraph(
                text(
                    *_list(math(page.sym(p.key)) for p in frozen),
                    " are not trained and keep their values.",
                )
            )
        )
    return Section("Updating the parameters", 2, tuple(items), "updates")


def _training(page: _Page, training: Training) -> Section:
    net, s = page.net, page.net.scenario
    steps = training.steps
    if len(steps) < 2:
        return Section("Training", 2, ())
    several, unit = _unit(s)
    trained = [p for p in net.params if p.trained]
    show_params = len(trained) <= 4
    loss = page.sym(net.loss)
    header = [
        text(unit),
        *([text(math(page.sym(p.key))) for p in trained] if show_params else []),
        *(() if several else (text(math(page.sym(n.out))) for n in net.outputs)),
        text(math(loss), " (mean over the examples)" if several else ""),
    ]
    index = {p.key: i for i, p in enumerate(net.params)}
    rows = []
    for st in steps:
        row = [text(str(st.k))]
        if show_params:
            row += [text(math(page.num(st.params[index[p.key]]))) for p in trained]
        if not several:
            row += [text(math(page.num(o))) for o in st.outputs]
        row.append(text(math(page.num(st.loss))))
        rows.append(tuple(row))
    last, first = steps[-1], steps[0]
    stop = ""
    if s.until_loss is not None:
        reached = converged(s, last.loss)
        stop = (
            f"Training stops once the loss is below {show(s.until_loss, page.digits).text}, "
            f"or after {s.steps} {unit}s at most; "
            + ("the threshold was reached. " if reached else "the cap came first. ")
        )
    items: list[Item] = [
        Paragraph(_training_intro(page, several, unit)),
        Table(tuple(header), tuple(rows), (False, *([True] * (len(header) - 1)))),
    ]
    summary = text(
        stop,
        f"After {last.k} {unit}s the loss has gone from ",
        math(page.num(first.loss)),
        " to ",
        math(page.num(last.loss)),
        ".",
    )
    if several:
        items += [
            Paragraph(summary + _predictions_note(len(s.data))),
            _predictions(page, training),
        ]
    else:
        items.append(
            Paragraph(
                summary
                + text(
                    " The outputs are ",
                    *_list(
                        math(f"{page.sym(n.out)} = {page.num(o)}")
                        for n, o in zip(net.outputs, last.outputs, strict=True)
                    ),
                    " against the targets ",
                    *_list(
                        math(f"{page.sym(n.target or '')} = {page.num(t)}")
                        for n, t in zip(net.outputs, s.targets, strict=True)
                    ),
                    ".",
                )
            )
        )
    return Section(f"Training for many {unit}s", 2, tuple(items), "training")


def _unit(s: Scenario) -> tuple[bool, str]:
    """Whether there is a training set, and so whether a training step is an epoch."""
    several = len(s.data) > 1
    return several, "epoch" if several else "step"


def _training_intro(page: _Page, several: bool, unit: str) -> Prose:
    s = page.net.scenario
    if not several:
        return text(
            "Repeating forward pass, backward pass and update; the row for step k shows the "
            "parameters after k updates and the forward pass they give (step 0 is the example "
            "above)."
        )
    how = (
        "one update per example, in order (stochastic gradient descent)"
        if s.mode == "stochastic"
        else "one update per epoch, from the mean of the examples' gradients (batch gradient descent)"
    )
    return text(
        f"The training set has {len(s.data)} examples; the first was worked through in full "
        f"above. Each epoch passes over all of them, with {how}. The row for epoch k shows the "
        "state after k epochs."
    )


MAX_PREDICTIONS = 30


def _predictions(page: _Page, training: Training) -> Table:
    net, s = page.net, page.net.scenario
    header = (
        text("example"),
        *(text(math(page.sym(k))) for k in net.inputs),
        *(text(math(page.sym(n.target or ""))) for n in net.outputs),
        *(text(math(page.sym(n.out))) for n in net.outputs),
    )
    rows = tuple(
        (text(str(i + 1)), *(text(math(page.num(v))) for v in (*x, *t, *o)))
        for i, ((x, t), o) in enumerate(zip(s.data, training.predictions, strict=True))
        if i < MAX_PREDICTIONS
    )
    return Table(header, rows, (False, *([True] * (len(header) - 1))))


def _predictions_note(count: int) -> Prose:
    if count <= MAX_PREDICTIONS:
        return text(" Predictions against targets:")
    return text(f" Predictions against targets, the first {MAX_PREDICTIONS} of {count}:")


def _no_gradient(page: _Page, training: Training, surrogate: Training | None) -> Section:
    """A step activation passes no gradient: say so, and show its stand-in learning instead."""
    if surrogate is None:
        return Section("", 2, ())
    net = page.net
    steps = [ACTIVATIONS[a] for a in dict.fromkeys(x.activation for x in net.scenario.layers)]
    step = next(a for a in steps if a.surrogate)
    stand_in = ACTIVATIONS[step.surrogate]
    loss = page.sym(net.loss)
    rows = tuple(
        (text(str(a.k)), text(math(page.num(a.loss))), text(math(page.num(b.loss))))
        for a in training.steps
        for b in surrogate.steps
        if a.k == b.k
    )
    return Section(
        f"Why {step.describe.split(' (')[0]} cannot learn",
        2,
        (
            Paragraph(
                text(
                    f"The derivative of {step.describe} is {step.derivative_note}. Every chain "
                    "that passes through a step neuron contains that factor, so each weight and "
                    "bias feeding a step neuron gets a zero gradient and stays where it was: no "
                    "error, however large, reaches it. This is not a bug of the example; it is "
                    "why networks trained "
                    f"by backpropagation use a smooth activation. Replacing it by {stand_in.describe}, "
                    "which has a similar shape and a non-zero derivative, lets learning proceed. "
                    "The same training, both ways:"
                )
            ),
            Table(
                (
                    text("step"),
                    text(math(loss), f" with {step.name}"),
                    text(math(loss), f" with {stand_in.name}"),
                ),
                rows,
                (False, True, True),
            ),
        ),
        "surrogate",
    )


def _error_split(page: _Page) -> Section:
    """Seed 004: blame handed back in proportion to the weights, against the true gradient."""
    net = page.net
    if not net.scenario.error_split:
        return Section("", 2, ())
    shares, blames = error_split(net, page.ev)
    true = "-" + notation.partial(page.sym(net.loss), r"\mathrm{out}_j")
    items: list[Item] = [
        Paragraph(
            text(
                "A popular shortcut hands each output's error ",
                math(r"e_k = t_k - o_k"),
                " back to the weights that feed it, in proportion to their size (the loan "
                "officers of a bank blamed in proportion to their part in a bad loan):",
            )
        )
    ]
    for k in net.outputs:
        mine = [x for x in shares if x.output == k.name]
        total = " + ".join(page.sym(x.weight) for x in mine)
        total_num = " + ".join(page.num(page.ev.node(x.weight)) for x in mine)
        e = rf"e_{{{k.name}}}"
        rows = tuple(
            rf"{e} \cdot \frac{{{page.sym(x.weight)}}}{{{total}}} &= {page.factor_num(x.error)} "
            rf"\cdot \frac{{{page.num(page.ev.node(x.weight))}}}{{{total_num}}} = "
            rf"{page.num(x.value)}"
            for x in mine
        )
        items.append(Display(rows))
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
    header = (
        text("hidden neuron"),
        text("proportional split"),
        text(math(r"W^{\mathsf{T}} e")),
        text(math(true)),
        text("the split agrees"),
    )
    rows_t = []
    for b in blames:
        g = "—" if b.gradient is None else page.num(b.gradient)
        same = b.gradient is not None and page.num(b.proportional) == g
        rows_t.append(
            (
                text(b.neuron),
                text(math(page.num(b.proportional))),
                text(math(page.num(b.scaled))),
                text(math(g) if b.gradient is not None else g),
                text("yes" if same else "no"),
            )
        )
    items.append(Table(header, tuple(rows_t), (False, True, True, True, False)))
    items.append(
        Paragraph(
            text(
                "The proportional split agrees with the gradient only where the weights into "
                "an output add up to one, and the scaled form only where the output is linear "
                "and the loss is ½Σ(t − o)²; a sigmoid output multiplies each error by ",
                math(r"o_k(1 - o_k)"),
                " first, which neither shortcut does. Backpropagation is the version that is "
                "always right: it is the derivative.",
            )
        )
    )
    return Section("Splitting the error in proportion to the weights", 2, tuple(items), "split")


def _verification(page: _Page, checked: tuple[Finding, ...]) -> Section:
    """The source's printed numbers against ours, with what probably produced each miss."""
    if not checked:
        return Section("", 2, ())
    header = (text("quantity"), text("published"), text("computed"), text("verdict"))
    rows = tuple(
        (
            text(f.claim.key),
            text(math(f.claim.printed)),
            text(math(f.shown) if f.computed is not None else "—"),
            text("reproduced" if f.reproduced else "not reproduced"),
        )
        for f in checked
    )
    ok = sum(f.reproduced for f in checked)
    items: list[Item] = [
        Paragraph(
            text(
                f"The source prints {len(checked)} of these numbers; {ok} reproduce. A printed "
                "number is reproduced when the value computed here, rounded half up to the "
                "printed digits, is the printed number. For each that is not, every "
                "alternative convention and way of rounding was recomputed, and those that "
                "give the printed number are named."
            )
        ),
        Table(header, rows, (False, True, True, False)),
    ]
    for f in checked:
        if not f.reproduced:
            where = f" ({f.claim.note})" if f.claim.note else ""
            items.append(Paragraph(text(strong(f.claim.key), f"{where}: {diagnosis(f)}.")))
    return Section("Checking the published numbers", 2, tuple(items), "verification")


def _gradient_check(
    page: _Page, differences: dict[str, float], autograd: tuple[str, dict[str, float]] | None
) -> Section:
    """Every gradient beside central finite differences of the loss (h = 10⁻⁶) and, where
    PyTorch is installed, its autograd."""
    if not differences:
        return Section("", 2, ())
    net = page.net
    rows = []
    for key, estimate in differences.items():
        g = float(page.ev.partial(Partial(net.loss, key)))
        row = [
            text(math(page.sym(key))),
            text(math(page.num(g))),
            text(math(page.num(estimate))),
            text(math(show(abs(g - estimate), 2).latex)),
        ]
        if autograd:
            row.append(text(math(page.num(autograd[1][key]))))
        rows.append(tuple(row))
    header = [text("parameter"), text("chain rule"), text("finite differences"), text("difference")]
    if autograd:
        header.append(text(f"PyTorch {autograd[0]} autograd"))
    torch_words = (
        f" The last column is PyTorch {autograd[0]}'s autograd on the same forward expressions."
        if autograd
        else " PyTorch is not installed here, so its autograd column is left out "
        "(pip install -e '.[torch]')."
    )
    return Section(
        "An independent check of the gradients",
        2,
        (
            Paragraph(
                text(
                    "Each gradient of the chain rule beside a central finite difference of the "
                    "loss, ",
                    math(r"\frac{L(p + h) - L(p - h)}{2h}"),
                    " with ",
                    math(r"h = 10^{-6}"),
                    ", which uses nothing of the derivation. They agree to about ",
                    math(r"h^2"),
                    " and the rounding of floating point." + torch_words,
                )
            ),
            Table(tuple(header), tuple(rows), (False, *([True] * (len(header) - 1)))),
        ),
        "gradient-check",
    )


def _chain_layout(page: _Page) -> list[Section]:
    return [*_backward(page), _updates(page)]


def _delta_sym(name: str) -> str:
    return rf"\delta_{{{name}}}"


def _backward_delta(page: _Page) -> list[Section]:
    """The delta rule (seeds 003, 004): one error signal δ per neuron, updates Δw = η·δ·input."""
    net, d, s = page.net, page.d, page.net.scenario
    if not d.layers:
        return _backward(page)
    sign = DELTA_SIGN[s.delta_sign]
    e = page.sym(net.loss)
    dnet = notation.partial(e, r"\mathrm{net}_j")
    dout = notation.partial(e, r"\mathrm{out}_j")
    minus = "-" if sign < 0 else ""
    link = text(
        "Each neuron j carries an error signal ",
        math(rf"\delta_j = {minus}{dnet}"),
        " (the sign is this page's convention). By the chain rule ",
        math(rf"\delta_j = {minus}{dout} \cdot f'(\mathrm{{net}}_j)"),
        ": for an output neuron the first factor comes from the loss; for a hidden neuron it is ",
        math(r"\sum_k w_{kj}\,\delta_k"),
        ", the deltas of the layer above weighted by the connections. Then ",
        math(rf"{minus}{notation.partial(e, 'w_{ji}')} = \delta_j \cdot o_i"),
        " for the weight from input ",
        math("o_i"),
        " into neuron j, and every update is a multiple of ",
        math(r"\delta_j \cdot o_i"),
        ".",
    )
    sections = [Section("Backward pass: the delta rule", 2, (Paragraph(link),), "backward")]
    shown_rules: set[str] = set()
    for block in d.layers:
        items: list[Item] = []
        for nb in block.neurons:
            items += _delta(page, net.neuron(nb.neuron), sign, shown_rules)
        items += _delta_updates(page, block.layer, sign)
        _mark_updated(page, block.layer)
        title = _layer_title(net, block.layer)
        sections.append(Section(title, 3, tuple(items), f"layer-{block.layer + 1}"))
    return sections


def _delta(page: _Page, n: Neuron, sign: int, shown_rules: set[str]) -> list[Item]:
    net = page.net
    names, numbers = page.maps()
    items: list[Item] = []
    factors: list[tuple[str, str, bool]] = []  # (symbols, numbers, a sum needing parentheses)
    if n.has_net:
        act = page.d.local(Partial(n.out, n.net))
        assert act is not None
        if act.rule not in shown_rules and act.steps:
            items += _local(page, act, shown_rules)
        shown_rules.add(act.rule)
        factors.append(
            (notation.latex(act.textbook, names), notation.latex(act.textbook, numbers), False)
        )
    if n.target:
        err = page.d.local(Partial(net.loss, n.out))
        assert err is not None
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
                    f"{names[sym(w)]} {_delta_sym(k.name)}"
                    for w, k in zip(weights, above, strict=True)
                ),
                " + ".join(
                    rf"{numbers[sym(w)]} \cdot {page.factor_num(_delta_value(page, k, sign))}"
                    for w, k in zip(weights, above, strict=True)
                ),
                len(above) > 1,
            )
        )
        what = "the slope of its activation times the deltas above, weighted"

    def wrap(f: str, is_sum: bool) -> str:
        return rf"\left({f}\right)" if is_sum and len(factors) > 1 else f

    rows = _chain_rows(
        _delta_sym(n.name),
        [
            r" \cdot ".join(wrap(f, b) for f, _, b in factors),
            r" \cdot ".join(wrap(v, b) for _, v, b in factors),
            page.num(_delta_value(page, n, sign)),
        ],
    )
    return [*items, Paragraph(text(strong(f"Neuron {n.name}"), f": {what}.")), Display(rows)]


def _bracketed(terms: list[str]) -> str:
    """A sum in parentheses, or its one term alone."""
    return terms[0] if len(terms) == 1 else rf"\left({' + '.join(terms)}\right)"


def _update_row(page: _Page, u: Update, op: str, change: str, change_numbers: str) -> str:
    """w⁺ = w ∓ η · (change) = old ∓ rate · (numbers) = new, one aligned row."""
    w, s = page.sym(u.key), page.net.scenario
    return (
        rf"{w}^{{+}} &= {w} {op} {s.rate_symbol} \cdot {change} = {page.num(u.old)} {op} "
        rf"{page.num(s.learning_rate)} \cdot {change_numbers} = {page.num(u.new)}"
    )


def _delta_value(page: _Page, n: Neuron, sign: int) -> Any:
    return sign * page.ev.partial(Partial(page.net.loss, n.net))


def _delta_updates(page: _Page, layer: int, sign: int) -> list[Item]:
    net, s = page.net, page.net.scenario
    direction = 1 if LOSSES[s.loss].ascent else -1  # ascent climbs ∂P/∂w, descent goes against
    op = "+" if direction * sign > 0 else "-"
    rate = s.rate_symbol
    names, numbers = page.maps()
    rows = []
    for u in page.ev.updates:
        if net.param(u.key).layer != layer:
            continue
        users = [j for j in net.neurons if u.key in j.weights or u.key == j.bias]
        terms_sym, terms_num = [], []
        for j in users:
            x = (
                j.sources[j.weights.index(u.key)]
                if u.key in j.weights
                else None  # a bias multiplies the constant bias input
            )
            constant = int(s.layers[layer].bias_input)
            x_sym = names[sym(x)] if x else page.factor_num(constant)
            x_num = numbers[sym(x)] if x else page.factor_num(constant)
            terms_sym.append(rf"{_delta_sym(j.name)} \cdot {x_sym}")
            terms_num.append(rf"{page.factor_num(_delta_value(page, j, sign))} \cdot {x_num}")
        rows.append(_update_row(page, u, op, _bracketed(terms_sym), _bracketed(terms_num)))
    if not rows:
        return []
    return [
        Paragraph(
            text(
                "Updates of this layer's parameters, ",
                math(rf"w^{{+}} = w {op} {rate} \cdot \delta_j \cdot o_i"),
                ":",
            )
        ),
        Display(tuple(rows)),
    ]


BACKWARD = {"chain": _chain_layout, "single-weight": _chain_layout, "delta": _backward_delta}
