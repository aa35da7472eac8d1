"""Stage 5, explain (phrasing): small pieces of wording and display rows every section uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from explainer.evaluate import Update
from explainer.network import Network
from explainer.page.context import Context
from explainer.page.model import Seg, math
from explainer.scenario import Scenario


def listing(items: Iterable[Seg | str], last: str = "and") -> list[Seg | str]:
    items = list(items)
    out: list[Seg | str] = []
    for i, x in enumerate(items):
        if i:
            out.append(f" {last} " if i == len(items) - 1 else ", ")
        out.append(x)
    return out


def equals(ctx: Context, key: str, value: Any) -> Seg:
    return math(f"{ctx.sym(key)} = {ctx.num(value)}")


UPDATE_ORDER = {
    "simultaneous": "every parameter is updated from the same forward pass (simultaneous update)",
    "sequential": "the output layer is updated first and the layers below are differentiated "
    "through its already updated weights (sequential update, as some published code does)",
}


def update_order(net: Network, update: str) -> str:
    """How the step updates the parameters, said only where the order can matter: with trained
    parameters in more than one layer."""
    if len(net.trained) == 1:
        return "the one trained parameter is updated once a step"
    if len({p.layer for p in net.trained}) == 1:
        return "the trained parameters, all in one layer, are updated from the same forward pass"
    return UPDATE_ORDER[update]


def plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def chain_rows(lhs: str, forms: list[str]) -> tuple[str, ...]:
    """lhs = f1 = f2 = …, one form per row, dropping any that repeats the one before it; a form
    of more than WRAP_TERMS terms continues on further rows, WRAP terms each."""
    kept: list[str] = []
    for f in forms:
        if not kept or f != kept[-1]:
            kept.append(f)
    rows = []
    for i, form in enumerate(kept):
        lines = wrapped(form)
        rows.append(f"{lhs} &= {lines[0]}" if i == 0 else f"&= {lines[0]}")
        rows += [rf"&\quad {line}" for line in lines[1:]]
    return tuple(rows)


WRAP_TERMS, WRAP = 6, 3  # a sum of more terms than WRAP_TERMS is written WRAP terms a line


def terms(latex: str) -> list[str]:
    """A formula split at its top-level + and − signs (outside braces and brackets): the first
    term bare, each later one with its sign."""
    out, depth, start = [], 0, 0
    for i, c in enumerate(latex):
        depth += (c in "{([") - (c in "})]")
        if depth == 0 and i > start and latex.startswith((" + ", " - "), i):
            out.append(latex[start:i].strip())
            start = i + 1
    out.append(latex[start:].strip())
    return out


def wrapped(latex: str) -> list[str]:
    """A formula as lines of at most WRAP terms, when it has more than WRAP_TERMS."""
    parts = terms(latex)
    if len(parts) <= WRAP_TERMS:
        return [latex]
    return [" ".join(parts[i : i + WRAP]) for i in range(0, len(parts), WRAP)]


def training_unit(s: Scenario) -> tuple[bool, str]:
    """Whether there is a training set, and so whether a training step is an epoch."""
    several = len(s.data) > 1
    return several, "epoch" if several else "step"


def layer_title(net: Network, layer: int) -> str:
    if layer == len(net.layers) - 1:
        return "Output layer"
    return "Hidden layer" if len(net.layers) == 2 else f"Hidden layer {layer + 1}"


def neuron_of(net: Network, key: str) -> str:
    return next(n.name for n in net.neurons if key in (n.net, n.out))


def update_row(ctx: Context, u: Update, op: str, change: str, change_numbers: str) -> str:
    """w⁺ = w ∓ η · (change) = old ∓ rate · (numbers) = new, one aligned row."""
    w, s = ctx.sym(u.key), ctx.scenario
    return (
        rf"{w}^{{+}} &= {w} {op} {s.rate_symbol} \cdot {change} = {ctx.num(u.old)} {op} "
        rf"{ctx.num(s.learning_rate)} \cdot {change_numbers} = {ctx.num(u.new)}"
    )


def bracketed(terms: list[str]) -> str:
    """A sum in parentheses, or its one term alone."""
    return terms[0] if len(terms) == 1 else rf"\left({' + '.join(terms)}\right)"
