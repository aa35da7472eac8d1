"""Stage 5, explain: Network + Derivation + Evaluation + Training → Explanation, the view model.

Everything a template places is decided here, as strings (LaTeX for math, plain text for prose)
and numbers; no sympy object passes beyond this module. Prose is a tuple of segments, text or math,
so each renderer can escape the text for its own format and leave the math alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from explainer import notation
from explainer.activations import ACTIVATIONS, LOSSES
from explainer.derivation import Derivation, Equation, Local, Partial
from explainer.evaluate import Evaluation, Training
from explainer.network import Network, sym
from explainer.precision import show


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


Item = Paragraph | Display | Table


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
    description: str
    sections: tuple[Section, ...]
    values: tuple[tuple[str, float], ...]  # every quantity under its stable JSON key
    arithmetic: str
    digits: int


@dataclass
class _Page:
    """Running state while the page is written: symbols, shown quantities and equation tags."""

    net: Network
    d: Derivation
    ev: Evaluation
    digits: int
    names: dict[sp.Symbol, str]
    numbers: dict[sp.Symbol, str]
    tags: dict[Partial, str] = field(default_factory=dict)

    def sym(self, key: str) -> str:
        return self.names[sym(key)]

    def num(self, x: Any) -> str:
        return show(x, self.digits).latex

    def factor_num(self, x: Any) -> str:
        s = self.num(x)
        return rf"\left({s}\right)" if s.startswith("-") else s

    def partial(self, p: Partial) -> str:
        return notation.partial(self.sym(p.of), self.sym(p.by), self.ordinary)

    @property
    def ordinary(self) -> bool:
        return self.net.scenario.derivative == "d"

    def tag(self, p: Partial) -> str:
        self.tags[p] = str(len(self.tags) + 1)
        return self.tags[p]

    def ref(self, p: Partial) -> str:
        return f"({self.tags[p]})"

    def value(self, p: Partial) -> Any:
        return self.ev.partial(p)


def build(
    net: Network, d: Derivation, ev: Evaluation, training: Training, digits: int
) -> Explanation:
    s = net.scenario
    overrides = dict(s.symbols)
    names = {sym(n.key): overrides.get(n.key, notation.default_symbol(n.key)) for n in net.nodes}
    values = dict(ev.nodes)
    page = _Page(net, d, ev, digits, names, {})
    page.numbers = {sym(k): page.factor_num(v) for k, v in values.items()}
    sections = (
        _setup(page),
        _forward(page),
        *_backward(page),
        _updates(page),
        _training(page, training),
    )
    return Explanation(
        name=s.name,
        title=s.title,
        source=s.source,
        description=" ".join(s.description.split()),
        sections=tuple(x for x in sections if x.items),
        values=_values(net, d, ev, training),
        arithmetic=ev.arithmetic,
        digits=digits,
    )


def _values(
    net: Network, d: Derivation, ev: Evaluation, training: Training
) -> tuple[tuple[str, float], ...]:
    out: dict[str, float] = {k: float(v) for k, v in ev.nodes}
    out.update((p.key, float(v)) for p, v in ev.partials)
    out.update((f"{u.key}@1", float(u.new)) for u in ev.updates)
    for step in training.steps[1:]:
        out[f"{net.loss}@{step.k}"] = step.loss
        out.update((f"{n.out}@{step.k}", o) for n, o in zip(net.outputs, step.outputs, strict=True))
        out.update(
            (f"{p.key}@{step.k}", v)
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


def _setup(page: _Page) -> Section:
    net, s = page.net, page.net.scenario
    values = dict(page.ev.nodes)
    items: list[Item] = []
    if s.description:
        items.append(Paragraph(text(" ".join(s.description.split()))))
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
                "; every parameter is updated from the same forward pass (simultaneous update). Numbers "
                f"are computed in {page.ev.arithmetic} arithmetic and shown to {page.digits} significant "
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
        last = block.layer == len(net.layers) - 1
        title = (
            "Output layer"
            if last
            else ("Hidden layer" if len(net.layers) == 2 else f"Hidden layer {block.layer + 1}")
        )
        sections.append(Section(title, 3, tuple(items), f"layer-{block.layer + 1}"))
    return sections


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
        others = "; the other terms do not contain it" if len(net.outputs) > 1 else ""
        items.append(
            Paragraph(
                text(
                    "The loss differentiated with respect to ",
                    math(page.sym(p.by)),
                    f" (the power rule, then the chain rule for the inner difference{others}):",
                )
            )
        )
    forms += [
        notation.latex(x.textbook, page.names),
        notation.latex(x.textbook, page.numbers),
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
    forms = [symbolic, numbers, page.num(page.value(p))]
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


def _long_sum(page: _Page, eq: Equation) -> tuple[str, ...]:
    """A sum of products too long for one line: one term per line, symbols then numbers."""
    lhs = page.partial(eq.partial)
    rows = []
    for i, term in enumerate(eq.terms):
        body = r" \cdot ".join(page.partial(f) for f in term)
        rows.append(
            f"{lhs if i == 0 else ''} &{'=' if i == 0 else '+'} {body}"
            if i == 0
            else f"&\\quad + {body}"
        )
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
    rows = []
    for u in page.ev.updates:
        w = page.sym(u.key)
        g = page.partial(Partial(net.loss, u.key))
        rows.append(
            rf"{w}^{{+}} &= {w} - {rate} \cdot {g} = {page.num(u.old)} - "
            rf"{page.num(s.learning_rate)} \cdot {page.factor_num(u.gradient)} = "
            rf"{page.num(u.new)}"
        )
    frozen = [p for p in net.params if not p.trained]
    items: list[Item] = [
        Paragraph(
            text(
                "Gradient descent moves each parameter a step against its gradient, ",
                math(
                    rf"w^{{+}} = w - {rate} \cdot {notation.partial(page.sym(net.loss), 'w', page.ordinary)}"
                ),
                ", all from the same forward pass:",
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
    net = page.net
    steps = training.steps
    if len(steps) < 2:
        return Section("Training", 2, ())
    trained = [p for p in net.params if p.trained]
    show_params = len(trained) <= 4
    header = [
        text("step"),
        *([text(math(page.sym(p.key))) for p in trained] if show_params else []),
        *(text(math(page.sym(n.out))) for n in net.outputs),
        text(math(page.sym(net.loss))),
    ]
    index = {p.key: i for i, p in enumerate(net.params)}
    rows = []
    for st in steps:
        row = [text(str(st.k))]
        if show_params:
            row += [text(math(page.num(st.params[index[p.key]]))) for p in trained]
        row += [text(math(page.num(o))) for o in st.outputs]
        row.append(text(math(page.num(st.loss))))
        rows.append(tuple(row))
    last = steps[-1]
    first = steps[0]
    loss = page.sym(net.loss)
    closing = text(
        f"After {last.k} steps the loss has gone from ",
        math(page.num(first.loss)),
        " to ",
        math(page.num(last.loss)),
        "; the outputs are ",
        *_list(
            math(f"{page.sym(n.out)} = {page.num(o)}")
            for n, o in zip(net.outputs, last.outputs, strict=True)
        ),
        " against the targets ",
        *_list(
            math(f"{page.sym(n.target or '')} = {page.num(t)}")
            for n, t in zip(net.outputs, net.scenario.targets, strict=True)
        ),
        ".",
    )
    intro = text(
        "Repeating forward pass, backward pass and update; the row for step k shows the "
        "parameters after k updates and the forward pass they give (step 0 is the example "
        "above). ",
        math(loss),
        " falls step by step:",
    )
    return Section(
        "Training for many steps",
        2,
        (
            Paragraph(intro),
            Table(tuple(header), tuple(rows), (False, *([True] * (len(header) - 1)))),
            Paragraph(closing),
        ),
        "training",
    )
