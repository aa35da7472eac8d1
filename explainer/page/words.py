"""Stage 5, explain (phrasing): small pieces of wording and display rows every section uses."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from explainer.evaluate.quantities import CARRIED, state_key, worked_step
from explainer.evaluate.worked import Update
from explainer.graph.network import Network
from explainer.page.context import Context
from explainer.page.model import Seg, math
from explainer.read.scenario import Scenario
from explainer.rules.activations import LOSSES
from explainer.rules.batching import SHUFFLES
from explainer.rules.optimizers import OPTIMIZERS, PENALTIES, Penalty


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


def moved_by(ctx: Context) -> str:
    """The optimizer with its penalties, in prose: "Adam", "gradient descent with an L1
    penalty 0.05" (with a penalty, descent is no longer plain)."""
    s = ctx.scenario
    h = s.optimizer_settings
    name = "gradient descent" if s.optimizer == "sgd" else OPTIMIZERS[s.optimizer].name_in_prose
    penalties = [f"{x.words} {getattr(h, x.setting):g}" for x in PENALTIES if getattr(h, x.setting)]
    return name + (" with " + " and ".join(penalties) if penalties else "")


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


# An optimizer's update of one parameter, written out (rules/optimizers.py computes it): rows
# of the rule in symbols, then with numbers, each with the JSON key its value ends with. The
# state before the worked step is 0: it is the optimizer's first step (t = 1).


def _key(name: str, key: str, step: str) -> str:
    """An optimizer quantity's key after the worked step; after a first batch (`step` "1#r",
    what epoch 1's next update starts from) only the state it carries has one."""
    return state_key(name, key, step) if step == "1" or name in CARRIED else ""


def _decayed(ctx: Context, u: Update, g: str, step: str) -> tuple[list[tuple[str, str]], str, str]:
    """The coupled penalties' row, if any (g + λ·w + λ₁·sign(w)), and the gradient symbol and
    number the rule then takes."""
    h, opt = ctx.scenario.optimizer_settings, OPTIMIZERS[ctx.scenario.optimizer]
    w, penalties = ctx.sym(u.key), opt.coupled(h)
    if not penalties:
        return [], g, ctx.factor_num(u.gradient)
    taken = dict(u.shown)["taken"]  # the rule's own g + Σ λ·d(term)/dw
    symbols = penalized(g, w, penalties)
    numbers = "".join(
        rf" + {ctx.num(getattr(h, x.setting))} \cdot " + x.term.format(w=ctx.factor_num(u.old))
        for x in penalties
    )
    row = rf"{symbols} &= {ctx.factor_num(u.gradient)}{numbers} = {ctx.num(taken)}"
    return (
        [(row, _key("taken", u.key, step))],
        rf"\left({symbols}\right)",
        ctx.factor_num(taken),
    )


def penalized(g: str, w: str, penalties: Iterable[Penalty]) -> str:
    """g + λ·w + λ₁·sign(w): a gradient with the coupled penalties' gradients joined."""
    return g + "".join(rf" + {x.symbol} \cdot {x.term.format(w=w)}" for x in penalties)


def optimizer_rows(ctx: Context, u: Update, g: str) -> list[tuple[str, str]]:
    """The rows of one parameter's update by the scenario's optimizer, with the keys they end
    with (`g`: the gradient's symbol): each rule in symbols on one row, with its numbers on the
    next (a row of both would not fit the page)."""
    return [half for row in _rows(ctx, u, g) for half in _two(row)]


def _two(row: tuple[str, str]) -> list[tuple[str, str]]:
    """`lhs &= symbols = numbers = value` as `lhs &= symbols` and `&= numbers = value`."""
    text, key = row
    lhs, _, rest = text.partition(" &= ")
    symbols, _, numbers = rest.partition(" = ")
    return [(f"{lhs} &= {symbols}", ""), (f"&= {numbers}", key)]


def _rows(ctx: Context, u: Update, g: str) -> list[tuple[str, str]]:
    h, name = ctx.scenario.optimizer_settings, ctx.scenario.optimizer
    w, eta = ctx.sym(u.key), ctx.scenario.rate_symbol
    lr, n = ctx.num(ctx.scenario.learning_rate), ctx.num
    shown = dict(u.shown)
    at = worked_step(ctx.view.run.schedule)
    rows, g, gn = _decayed(ctx, u, g, at)
    old = ctx.factor_num(u.old)
    if name == "adamw" and h.weight_decay:
        decayed = shown["decayed"]  # the rule's own w − η·λ·w
        rows.append(
            (
                rf"{w}' &= {w} - {eta} \cdot \lambda \cdot {w} = {old} - {lr} \cdot "
                rf"{n(h.weight_decay)} \cdot {old} = {n(decayed)}",
                _key("decayed", u.key, at),
            )
        )
        w, old = f"{w}'", ctx.factor_num(decayed)

    def state(x: str) -> str:
        return f"{x}_{{{ctx.sym(u.key)}}}"

    if name == "sgd":  # with weight decay: the decayed gradient, then plain descent
        rows.append(
            (
                rf"{ctx.sym(u.key)}^{{+}} &= {w} - {eta} \cdot {g} = {old} - {lr} \cdot {gn} = "
                rf"{n(u.new)}",
                updated_key(u.key, at),
            )
        )
    elif name in ("momentum", "nesterov"):
        mu = n(h.momentum)
        rows.append(
            (
                rf"{state('v')}^{{+}} &= \mu \cdot {state('v')} + {g} = {mu} \cdot 0 + {gn} = "
                rf"{n(shown['v'])}",
                _key("v", u.key, at),
            )
        )
        step = (
            rf"{state('v')}^{{+}}",
            ctx.factor_num(shown["v"]),
        )
        if name == "nesterov":
            step = (
                rf"\left({g} + \mu \cdot {state('v')}^{{+}}\right)",
                rf"\left({gn} + {mu} \cdot {ctx.factor_num(shown['v'])}\right)",
            )
        rows.append(
            (
                rf"{ctx.sym(u.key)}^{{+}} &= {w} - {eta} \cdot {step[0]} = {old} - {lr} \cdot "
                rf"{step[1]} = {n(u.new)}",
                updated_key(u.key, at),
            )
        )
    elif name == "rmsprop":
        a = h.alpha
        rows += [
            (
                rf"{state('s')}^{{+}} &= \alpha \cdot {state('s')} + (1 - \alpha) \cdot {_squared(g)}"
                rf" = {n(a)} \cdot 0 + {n(1 - a)} \cdot {gn}^{{2}} = {n(shown['s'])}",
                _key("s", u.key, at),
            ),
            (
                rf"{ctx.sym(u.key)}^{{+}} &= {w} - {eta} \cdot \frac{{{g}}}"
                rf"{{\sqrt{{{state('s')}^{{+}}}} + \epsilon}} = {old} - {lr} \cdot "
                rf"\frac{{{gn}}}{{\sqrt{{{n(shown['s'])}}} + {n(h.epsilon)}}} = {n(u.new)}",
                updated_key(u.key, at),
            ),
        ]
    else:  # adam, adamw
        b1, b2 = h.beta1, h.beta2
        rows += [
            (
                rf"{state('m')}^{{+}} &= \beta_{{1}} \cdot {state('m')} + (1 - \beta_{{1}}) "
                rf"\cdot {g} = {n(b1)} \cdot 0 + {n(1 - b1)} \cdot {gn} = {n(shown['m'])}",
                _key("m", u.key, at),
            ),
            (
                rf"{state('s')}^{{+}} &= \beta_{{2}} \cdot {state('s')} + (1 - \beta_{{2}}) "
                rf"\cdot {_squared(g)} = {n(b2)} \cdot 0 + {n(1 - b2)} \cdot {gn}^{{2}} = "
                rf"{n(shown['s'])}",
                _key("s", u.key, at),
            ),
        ]
        corrected = [
            (
                rf"\hat{{m}}_{{{ctx.sym(u.key)}}} &= \frac{{{state('m')}^{{+}}}}"
                rf"{{1 - \beta_{{1}}^{{t}}}} = \frac{{{n(shown['m'])}}}{{1 - {n(b1)}^{{1}}}} = "
                rf"{n(shown['m_hat'])}",
                _key("m_hat", u.key, at),
            ),
            (
                rf"\hat{{s}}_{{{ctx.sym(u.key)}}} &= \frac{{{state('s')}^{{+}}}}"
                rf"{{1 - \beta_{{2}}^{{t}}}} = \frac{{{n(shown['s'])}}}{{1 - {n(b2)}^{{1}}}} = "
                rf"{n(shown['s_hat'])}",
                _key("s_hat", u.key, at),
            ),
        ]
        # without the correction the step takes m⁺ and s⁺ themselves
        m, s = (
            (rf"\hat{{m}}_{{{ctx.sym(u.key)}}}", rf"\hat{{s}}_{{{ctx.sym(u.key)}}}")
            if h.bias_correction
            else (f"{state('m')}^{{+}}", f"{state('s')}^{{+}}")
        )
        rows += corrected if h.bias_correction else []
        rows.append(
            (
                rf"{ctx.sym(u.key)}^{{+}} &= {w} - {eta} \cdot \frac{{{m}}}"
                rf"{{\sqrt{{{s}}} + \epsilon}} = {old} - {lr} \cdot "
                rf"\frac{{{ctx.factor_num(shown['m_hat'])}}}{{\sqrt{{{n(shown['s_hat'])}}} + "
                rf"{n(h.epsilon)}}} = {n(u.new)}",
                updated_key(u.key, at),
            )
        )
    return rows


def _squared(g: str) -> str:
    """g², bracketed where g is a fraction or a sum (∂E/∂w squared, not its denominator)."""
    return f"{g}^{{2}}" if g.startswith(r"\left(") else rf"\left({g}\right)^{{2}}"


# Each optimizer's rule in general, for the summary: {g} the gradient the step takes (with
# coupled weight decay, g + λ·w), {eta} the rate's symbol, {w} the parameter (AdamW: w' after
# its decay).
RULES: dict[str, tuple[str, ...]] = {
    "sgd": (r"w^{{+}} &= {w} - {eta} \cdot {g}",),
    "momentum": (r"v^{{+}} &= \mu \cdot v + {g}", r"w^{{+}} &= {w} - {eta} \cdot v^{{+}}"),
    "nesterov": (
        r"v^{{+}} &= \mu \cdot v + {g}",
        r"w^{{+}} &= {w} - {eta} \cdot \left({g} + \mu \cdot v^{{+}}\right)",
    ),
    "rmsprop": (
        r"s^{{+}} &= \alpha \cdot s + (1 - \alpha) \cdot {g2}",
        r"w^{{+}} &= {w} - {eta} \cdot \frac{{{g}}}{{\sqrt{{s^{{+}}}} + \epsilon}}",
    ),
    "adam": (
        r"m^{{+}} &= \beta_{{1}} \cdot m + (1 - \beta_{{1}}) \cdot {g}",
        r"s^{{+}} &= \beta_{{2}} \cdot s + (1 - \beta_{{2}}) \cdot {g2}",
        r"\hat{{m}} &= \frac{{m^{{+}}}}{{1 - \beta_{{1}}^{{t}}}} \quad "
        r"\hat{{s}} = \frac{{s^{{+}}}}{{1 - \beta_{{2}}^{{t}}}}",
        r"w^{{+}} &= {w} - {eta} \cdot \frac{{\hat{{m}}}}{{\sqrt{{\hat{{s}}}} + \epsilon}}",
    ),
}


def optimizer_rule(ctx: Context) -> tuple[str, ...]:
    """The scenario's update rule in general, weight decay included, one row per equation."""
    name, h = ctx.scenario.optimizer, ctx.scenario.optimizer_settings
    g, w, eta = ctx.step_gradient("w"), "w", ctx.scenario.rate_symbol
    rows: tuple[str, ...] = ()
    if h.weight_decay and name == "adamw":
        rows, w = (rf"w' &= w - {eta} \cdot \lambda \cdot w",), "w'"
    coupled = OPTIMIZERS[name].coupled(h)
    if coupled:
        g = rf"\left({penalized(g, 'w', coupled)}\right)"
    g2 = _squared(g)
    table = RULES["adam" if name == "adamw" else name]
    if name in ("adam", "adamw") and not h.bias_correction:  # m⁺ and s⁺ themselves
        table = (
            *table[:2],
            r"w^{{+}} &= {w} - {eta} \cdot \frac{{m^{{+}}}}{{\sqrt{{s^{{+}}}} + \epsilon}}",
        )
    return rows + tuple(r.format(g=g, g2=g2, w=w, eta=eta) for r in table)


# How an epoch updates, by mode (a training set's; batching.Batching cuts it)
EPOCH = {
    "stochastic": "one update per example{order} (stochastic gradient descent)",
    "batch": "one update per epoch, from the {how} of the examples' gradients (batch gradient "
    "descent)",
    "minibatch": "one update per mini-batch of {k} examples, {m} an epoch{last}{order}, each "
    "from the {how} of its examples' gradients (mini-batch gradient descent)",
}


def epoch_words(s: Scenario) -> str:
    """An epoch of the scenario's training set in words: its updates, what each takes, and
    the order of the examples (as given, or shuffled each epoch from a stated seed)."""
    b, n = s.epoch, len(s.data)
    k = b.size or n
    m = -(-n // k)
    last = f" (the last of {n - (m - 1) * k})" if n % k else ""
    order = (
        ", in an order shuffled before each epoch as "
        + SHUFFLES[b.shuffle].said.format(seed=b.seed)
        if b.shuffle
        else ", in order"
    )
    return EPOCH[s.mode].format(how="sum" if b.summed else "mean", k=k, m=m, last=last, order=order)


FIRST_EPOCH_BATCHES = 6  # an epoch's batches listed up to this many


def first_epoch(s: Scenario) -> str:
    """The first epoch's batches by example number (from 1), for a mini-batch or shuffled
    epoch: " Epoch 1 takes examples 3 and 1, then 4 and 2." ("" in order, one at a time)."""
    b = s.epoch
    if s.mode == "batch" or (s.mode == "stochastic" and not b.shuffle):
        return ""
    batches = b.batches(next(b.epochs(len(s.data))))
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
