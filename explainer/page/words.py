"""Stage 5, explain (phrasing): small pieces of wording and display rows every section uses."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from explainer.evaluate.worked import Update
from explainer.graph.network import Network
from explainer.page.context import Context
from explainer.page.model import Seg, math
from explainer.read.scenario import Scenario
from explainer.rules.activations import LOSSES
from explainer.rules.batching import SHUFFLES, Batching


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


def chain_rows(lhs: str, forms: list[str], per_line: int = 0) -> tuple[str, ...]:
    """lhs = f1 = f2 = …, one form per row, dropping any that repeats the one before it; a form
    of more than WRAP_TERMS terms continues on further rows, WRAP terms each (`per_line`: that
    many terms a row whatever their number, for terms too long to share one)."""
    kept: list[str] = []
    for f in forms:
        if not kept or f != kept[-1]:
            kept.append(f)
    rows = []
    for i, form in enumerate(kept):
        lines = wrapped(form, per_line)
        rows.append(f"{lhs} &= {lines[0]}" if i == 0 else f"&= {lines[0]}")
        rows += [rf"&\quad {line}" for line in lines[1:]]
    return tuple(rows)


def updated_key(key: str, step: str = "1") -> str:
    """A parameter's key after the worked step: w5 → w5@1 (`step`, quantities.worked_step:
    "1#3" where epoch 1 goes on with row 3, after a first batch of a training set)."""
    return f"{key}@{step}"


def ending(rows: tuple[str, ...], key: str) -> tuple[str, ...]:
    """A Display's `ends` for a derivation of one quantity: its value ends the last row."""
    return (*("" for _ in rows[1:]), key)


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


def wrapped(latex: str, per_line: int = 0) -> list[str]:
    """A formula as lines of at most WRAP terms, when it has more than WRAP_TERMS (or of
    `per_line` terms each, whatever their number)."""
    parts = terms(latex)
    if not per_line and len(parts) <= WRAP_TERMS:
        return [latex]
    step = per_line or WRAP
    return [" ".join(parts[i : i + step]) for i in range(0, len(parts), step)]


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


# How the page's numbers are made and shown, by arithmetic: on paper every shown number is the
# one carried, written without trailing zeros.
SHOWN = "in {how}, shown to {digits} significant digits, rounded half up."
SHOWN_ON_PAPER = "{how}; trailing zeros are not written."


def how_computed(kind: str, describe: str, digits: int) -> str:
    """The end of "Numbers are computed …": the arithmetic in words, and how numbers show."""
    return (SHOWN_ON_PAPER if kind == "paper" else SHOWN).format(how=describe, digits=digits)


def update_row(ctx: Context, u: Update, op: str, change: str, change_numbers: str) -> str:
    """w⁺ = w ∓ η · (change) = old ∓ rate · (numbers) = new, one aligned row; on paper with
    the step η · (change) as carried (rounded) before it is added: = old ∓ step = new."""
    w, s = ctx.sym(u.key), ctx.scenario
    carried = ""
    if ctx.plan.arithmetic.kind == "paper":
        step = u.change if op == "+" else -u.change  # new = old ∓ step
        carried = f" = {ctx.num(u.old)} {op} {ctx.factor_num(step)}"
    return (
        rf"{w}^{{+}} &= {w} {op} {s.rate_symbol} \cdot {change} = {ctx.num(u.old)} {op} "
        rf"{ctx.num(s.learning_rate)} \cdot {change_numbers}{carried} = {ctx.num(u.new)}"
    )


def bracketed(terms: list[str]) -> str:
    """A sum in parentheses, or its one term alone."""
    return terms[0] if len(terms) == 1 else rf"\left({' + '.join(terms)}\right)"


def span(keys: Iterable[int]) -> str:
    """Step or example numbers as runs: 0, 1, 2, 3, 50 → "0–3, 50" (ascending, each once)."""
    runs: list[list[int]] = []
    for k in sorted(set(keys)):
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def loss_noun(net: Network) -> str:
    """What the page calls its loss function: "loss", or "performance" for seed 003's P, a
    function to maximise (the loss table says which)."""
    return LOSSES[net.loss_rule].noun


# A weight named with two indices, as seed 004's w21 (from h2 into o1), reads them source then
# target; the textbook's w_ji reads target then source, and is the page's default when no
# layer's names carry the two indices (Mazur's w1 … w8).
_INDICES = re.compile(r"[A-Za-z]+_?(\d+)")


def weight_sub(net: Network, source: str, target: str) -> str:
    """The subscript of the weight from `source` into `target` (index letters such as "i",
    "j"), in the order the page's own weight names use."""
    decided = [_orders(net, li) for li in range(len(net.layers))]
    orders = set().union(*(o for o in decided if len(o) == 1))  # w11 alone reads either way
    return source + target if orders == {"source"} else target + source


def _orders(net: Network, li: int) -> set[str]:
    """The index orders every weight name of layer `li` agrees with: "source" (w_ij from the
    i-th source into the j-th neuron), "target" (w_ji), both or neither."""
    position = {k: i for i, k in enumerate(net.inputs, 1)}
    position.update(
        (net.neuron(name).out, i) for layer in net.layers for i, name in enumerate(layer, 1)
    )
    orders = {"source", "target"}
    for j, name in enumerate(net.layers[li], 1):
        n = net.neuron(name)
        for src, w in zip(n.sources, n.weights, strict=True):
            m = _INDICES.fullmatch(w)
            i = position[src]
            digits = m.group(1) if m else ""
            orders -= {
                o for o, sub in (("source", f"{i}{j}"), ("target", f"{j}{i}")) if digits != sub
            }
    return orders


# How an epoch updates, by mode (a training set's; batching.Batching cuts it)
EPOCH = {
    "stochastic": "one update per example{order} (stochastic gradient descent)",
    "batch": "one update per epoch, from the {how} of the examples' gradients (batch gradient "
    "descent)",
    "minibatch": "one update per mini-batch of {k} examples, {m} an epoch{last}{order}, each "
    "from the {how} of its examples' gradients (mini-batch gradient descent)",
}


def epoch_words(s: Scenario) -> str:
    """An epoch of the scenario's training set in words (epoch_in_words)."""
    return epoch_in_words(s.mode, s.epoch, len(s.data))


def epoch_in_words(mode: str, b: Batching, n: int) -> str:
    """An epoch of n examples cut by `b` in words: its updates, what each takes, and the order
    of the examples (as given, or shuffled each epoch from a stated seed)."""
    k = b.size or n
    m = -(-n // k)
    last = f" (the last of {n - (m - 1) * k})" if n % k else ""
    order = (
        ", in an order shuffled before each epoch as "
        + SHUFFLES[b.shuffle].said.format(seed=b.seed)
        if b.shuffle
        else ", in order"
    )
    return EPOCH[mode].format(how="sum" if b.summed else "mean", k=k, m=m, last=last, order=order)


FIRST_EPOCH_BATCHES = 6  # an epoch's batches listed up to this many


def first_epoch(s: Scenario) -> str:
    """The first epoch's batches of the scenario's training set (first_epoch_of)."""
    return first_epoch_of(s.mode, s.epoch, len(s.data))


def first_epoch_of(mode: str, b: Batching, n: int) -> str:
    """The first epoch's batches by example number (from 1), for a mini-batch or shuffled
    epoch: " Epoch 1 takes examples 3 and 1, then 4 and 2." ("" in order, one at a time)."""
    if mode == "batch" or (mode == "stochastic" and not b.shuffle):
        return ""
    batches = b.batches(next(b.epochs(n)))
    named = [" and ".join(", ".join(str(r + 1) for r in x).rsplit(", ", 1)) for x in batches]
    shown = named[:FIRST_EPOCH_BATCHES]
    more = f", and {len(named) - len(shown)} more" if len(named) > len(shown) else ""
    what = "example" if b.size == 1 else "examples"
    return f" Epoch 1 takes {what} " + ", then ".join(shown) + more + "."


def first_batch(s: Scenario) -> tuple[int, ...]:
    """The training set's rows (from 0) the first update takes: the page's worked batch."""
    return s.epoch.first(len(s.data)) if s.data else (0,)


def epoch_loss(s: Scenario) -> str:
    """How a training set's loss combines its examples' (reduction): "mean" or "sum"."""
    return "sum" if s.batching.summed else "mean"
