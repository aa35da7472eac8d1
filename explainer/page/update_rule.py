"""Stage 5, explain (an optimizer's update): the rows of one parameter's update by momentum,
RMSProp, Adam, … and a penalty, written out with their numbers, and each rule in general;
rules/optimizers.py computes every value they show. A network's page and a graph's write them
alike, through a Writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from explainer.evaluate.quantities import CARRIED, state_key, worked_step
from explainer.evaluate.worked import Update
from explainer.page.context import Context, as_factor
from explainer.page.model import Seg, math
from explainer.page.words import listing, updated_key
from explainer.rules.optimizers import OPTIMIZERS, PENALTIES, Penalty, Settings


@dataclass(frozen=True)
class Writer:
    """What an update's rows are written with: the rule and its settings, the learning rate's
    symbol and value, the page's names and numbers, and what follows `@` in the keys of the
    worked step's results (quantities.worked_step)."""

    optimizer: str
    settings: Settings
    rate: str
    learning_rate: float
    step: str
    sym: Callable[[str], str]
    num: Callable[[Any], str]

    def factor_num(self, x: Any) -> str:
        return as_factor(self.num(x))


def writer(ctx: Context) -> Writer:
    """A network page's writer: its scenario's optimizer, its names and numbers."""
    s = ctx.scenario
    step = worked_step(ctx.view.run.schedule)
    return Writer(
        s.optimizer, s.optimizer_settings, s.rate_symbol, s.learning_rate, step, ctx.sym, ctx.num
    )


# An optimizer's update of one parameter, written out (rules/optimizers.py computes it): rows
# of the rule in symbols, then with numbers, each with the JSON key its value ends with. The
# state before the worked step is 0: it is the optimizer's first step (t = 1).


def _key(name: str, key: str, step: str) -> str:
    """An optimizer quantity's key after the worked step; after a first batch (`step` "1#r",
    what epoch 1's next update starts from) only the state it carries has one."""
    return state_key(name, key, step) if step == "1" or name in CARRIED else ""


def _decayed(r: Writer, u: Update, g: str, step: str) -> tuple[list[tuple[str, str]], str, str]:
    """The coupled penalties' row, if any (g + λ·w + λ₁·sign(w)), and the gradient symbol and
    number the rule then takes."""
    h, opt = r.settings, OPTIMIZERS[r.optimizer]
    w, penalties = r.sym(u.key), opt.coupled(h)
    if not penalties:
        return [], g, r.factor_num(u.gradient)
    taken = dict(u.shown)["taken"]  # the rule's own g + Σ λ·d(term)/dw
    symbols = penalized(g, w, penalties)
    numbers = "".join(
        rf" + {r.num(getattr(h, x.setting))} \cdot " + x.term.format(w=r.factor_num(u.old))
        for x in penalties
    )
    row = rf"{symbols} &= {r.factor_num(u.gradient)}{numbers} = {r.num(taken)}"
    return (
        [(row, _key("taken", u.key, step))],
        rf"\left({symbols}\right)",
        r.factor_num(taken),
    )


def penalized(g: str, w: str, penalties: Iterable[Penalty]) -> str:
    """g + λ·w + λ₁·sign(w): a gradient with the coupled penalties' gradients joined."""
    return g + "".join(rf" + {x.symbol} \cdot {x.term.format(w=w)}" for x in penalties)


def optimizer_rows(r: Writer, u: Update, g: str) -> list[tuple[str, str]]:
    """The rows of one parameter's update by the scenario's optimizer, with the keys they end
    with (`g`: the gradient's symbol): each rule in symbols on one row, with its numbers on the
    next (a row of both would not fit the page)."""
    return [half for row in _rows(r, u, g) for half in _two(row)]


def _two(row: tuple[str, str]) -> list[tuple[str, str]]:
    """`lhs &= symbols = numbers = value` as `lhs &= symbols` and `&= numbers = value`."""
    text, key = row
    lhs, _, rest = text.partition(" &= ")
    symbols, _, numbers = rest.partition(" = ")
    return [(f"{lhs} &= {symbols}", ""), (f"&= {numbers}", key)]


def _rows(r: Writer, u: Update, g: str) -> list[tuple[str, str]]:
    h, name = r.settings, r.optimizer
    w, eta = r.sym(u.key), r.rate
    lr, n = r.num(r.learning_rate), r.num
    shown = dict(u.shown)
    at = r.step
    rows, g, gn = _decayed(r, u, g, at)
    old = r.factor_num(u.old)
    if name == "adamw" and h.weight_decay:
        decayed = shown["decayed"]  # the rule's own w − η·λ·w
        rows.append(
            (
                rf"{w}' &= {w} - {eta} \cdot \lambda \cdot {w} = {old} - {lr} \cdot "
                rf"{n(h.weight_decay)} \cdot {old} = {n(decayed)}",
                _key("decayed", u.key, at),
            )
        )
        w, old = f"{w}'", r.factor_num(decayed)

    def state(x: str) -> str:
        return f"{x}_{{{r.sym(u.key)}}}"

    if name == "sgd":  # with weight decay: the decayed gradient, then plain descent
        rows.append(
            (
                rf"{r.sym(u.key)}^{{+}} &= {w} - {eta} \cdot {g} = {old} - {lr} \cdot {gn} = "
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
            r.factor_num(shown["v"]),
        )
        if name == "nesterov":
            step = (
                rf"\left({g} + \mu \cdot {state('v')}^{{+}}\right)",
                rf"\left({gn} + {mu} \cdot {r.factor_num(shown['v'])}\right)",
            )
        rows.append(
            (
                rf"{r.sym(u.key)}^{{+}} &= {w} - {eta} \cdot {step[0]} = {old} - {lr} \cdot "
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
                rf"{r.sym(u.key)}^{{+}} &= {w} - {eta} \cdot \frac{{{g}}}"
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
                rf"\hat{{m}}_{{{r.sym(u.key)}}} &= \frac{{{state('m')}^{{+}}}}"
                rf"{{1 - \beta_{{1}}^{{t}}}} = \frac{{{n(shown['m'])}}}{{1 - {n(b1)}^{{1}}}} = "
                rf"{n(shown['m_hat'])}",
                _key("m_hat", u.key, at),
            ),
            (
                rf"\hat{{s}}_{{{r.sym(u.key)}}} &= \frac{{{state('s')}^{{+}}}}"
                rf"{{1 - \beta_{{2}}^{{t}}}} = \frac{{{n(shown['s'])}}}{{1 - {n(b2)}^{{1}}}} = "
                rf"{n(shown['s_hat'])}",
                _key("s_hat", u.key, at),
            ),
        ]
        # without the correction the step takes m⁺ and s⁺ themselves
        m, s = (
            (rf"\hat{{m}}_{{{r.sym(u.key)}}}", rf"\hat{{s}}_{{{r.sym(u.key)}}}")
            if h.bias_correction
            else (f"{state('m')}^{{+}}", f"{state('s')}^{{+}}")
        )
        rows += corrected if h.bias_correction else []
        rows.append(
            (
                rf"{r.sym(u.key)}^{{+}} &= {w} - {eta} \cdot \frac{{{m}}}"
                rf"{{\sqrt{{{s}}} + \epsilon}} = {old} - {lr} \cdot "
                rf"\frac{{{r.factor_num(shown['m_hat'])}}}{{\sqrt{{{n(shown['s_hat'])}}} + "
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


def optimizer_rule(r: Writer, g: str) -> tuple[str, ...]:
    """The update rule in general, weight decay included, one row per equation (`g`: the
    gradient a step takes, by w)."""
    name, h = r.optimizer, r.settings
    w, eta = "w", r.rate
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


SETTING_SYMBOLS = {
    "momentum": r"\mu",
    "beta1": r"\beta_{1}",
    "beta2": r"\beta_{2}",
    "epsilon": r"\epsilon",
    "alpha": r"\alpha",
}


def intro(r: Writer, many: str, one: str) -> tuple[Seg | str, ...]:
    """What the optimizer does to the `many` ("parameters"), with its settings, the state it
    starts from (0 for every `one`) and how its penalties join."""
    opt, h = OPTIMIZERS[r.optimizer], r.settings
    settings = [
        math(f"{SETTING_SYMBOLS[k]} = {r.num(getattr(h, k))}")
        for k in opt.settings
        if k in SETTING_SYMBOLS
    ]
    corrected = (
        {
            True: " Each running mean is corrected for starting at 0 (bias correction).",
            False: " Its running means are not corrected for starting at 0 (no bias correction).",
        }[h.bias_correction]
        if "bias_correction" in opt.settings
        else ""
    )
    settings += [
        math(rf"{x.symbol} = {r.num(getattr(h, x.setting))}")
        for x in PENALTIES
        if getattr(h, x.setting)
    ]
    decay = "".join(" " + x.coupled for x in opt.coupled(h))
    if h.weight_decay and opt.decoupled:
        decay = (
            f" Weight decay is decoupled (AdamW): each {one} first shrinks by η·λ·w, then the "
            "rule runs on the loss's gradient." + decay
        )
    return (
        f"The {many} are updated by {opt.describe}, with ",
        math(f"{r.rate} = {r.num(r.learning_rate)}"),
        *((", ", *listing(settings)) if settings else ()),
        ". Its state " if opt.state else ".",
        *(
            (
                *listing(math(x) for x in opt.state),
                f" starts at 0 for every {one}, so the worked step is its first, ",
                math("t = 1"),
                ".",
            )
            if opt.state
            else ()
        ),
        decay,
        corrected,
    )


def moved_by(r: Writer) -> str:
    """The optimizer with its penalties, in prose: "Adam", "gradient descent with an L1
    penalty 0.05" (with a penalty, descent is no longer plain)."""
    h = r.settings
    name = "gradient descent" if r.optimizer == "sgd" else OPTIMIZERS[r.optimizer].name_in_prose
    penalties = [f"{x.words} {getattr(h, x.setting):g}" for x in PENALTIES if getattr(h, x.setting)]
    return name + (" with " + " and ".join(penalties) if penalties else "")
