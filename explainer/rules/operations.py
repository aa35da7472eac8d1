"""Foundation (the operations table): every operation a graph can contain, one row each.

A row says all there is to say about one operation, so that a new one is added in one place:
how it is written in a scenario (an operator, or a function called by name, with its number of
arguments), its value as sympy builds it (unevaluated, so it keeps the order written), its
local derivatives in the form lecture notes print (`forms`: operands and the gate's own output
→ ∂out/∂operand for each operand in turn; a test proves each equals sympy.diff), the clause a
page says of the gate, how a gate's definition prints in LaTeX, and what its circle shows in
the circuit figure. The parser (expressions.py), the splitter (circuit.py), the derivation
(local.py), the page (page/gates.py) and the figure (circuit_figure.py) read their columns.
The network form's activations are the rows of `activations.ACTIVATIONS`; the sigmoid, tanh,
ReLU and step rows here take their values (and derivatives) from there, and the cross-entropy
row its term and derivative from `activations.LOSSES` (a squared error is written with + − and
** in a graph, and differentiated gate by gate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp

from explainer.rules.activations import ACTIVATIONS, LOSSES, unevaluated

Expr = Any  # a sympy expression (sympy ships no precise types)
One, MinusOne = sp.S.One, sp.S.NegativeOne


def bracket(condition: sp.Basic) -> Expr:
    """Iverson's [c]: 1 where c holds, else 0."""
    return sp.Piecewise((One, condition), (sp.S.Zero, True))


@dataclass(frozen=True)
class Rule:
    says: str  # one clause, for the page: how this gate passes gradients back
    forms: Callable[..., tuple[Expr, ...]]  # (operands…, out) → ∂out/∂operand, each in turn
    # the rule in general, in LaTeX with operands u and v (not any page's names), after `says`
    formula: str = ""


@dataclass(frozen=True)
class Operation:
    arity: int
    called: bool  # written name(…) in a scenario; else an operator (+ − · / ** and unary −)
    value: Callable[..., Expr]  # the gate's value in its operands, as sympy builds it
    rule: Rule
    written: Callable[..., str]  # the definition's LaTeX from its operands' (parenthesised)
    bare: bool  # its operands need no parentheses where it is written (a fraction, a call)
    symbol: str  # in the circuit figure's circle


def _div(a: Expr, b: Expr, out: Expr) -> tuple[Expr, ...]:
    over_b_squared = unevaluated(
        sp.Pow, unevaluated(sp.Pow, b, sp.Integer(2)), MinusOne
    )  # 1/b², as printed
    return (
        unevaluated(sp.Pow, b, MinusOne),
        unevaluated(sp.Mul, MinusOne, over_b_squared)
        if a == 1
        else unevaluated(sp.Mul, MinusOne, a, over_b_squared),
    )


def _pow(a: Expr, b: Expr, out: Expr) -> tuple[Expr, ...]:
    exponent = b - 1 if b.is_Number else unevaluated(sp.Add, b, MinusOne)
    down = unevaluated(sp.Mul, b, a if exponent == 1 else unevaluated(sp.Pow, a, exponent))
    return down, unevaluated(sp.Mul, out, sp.log(a))


def _open(latex: str) -> str:
    """An operand that starts with a brace, spaced from the brace around it: `{{` would end a
    Jinja template's text ({(t − f)}^{2} over 2 is \\frac{ {(t − f)}^{2}}{2})."""
    return f" {latex}" if latex.startswith("{") else latex


SIGMOID, TANH, RELU, STEP = (ACTIVATIONS[k] for k in ("sigmoid", "tanh", "relu", "step"))
SOFTPLUS, GELU = ACTIVATIONS["softplus"], ACTIVATIONS["gelu"]
CROSS_ENTROPY = LOSSES["cross_entropy"]
assert CROSS_ENTROPY.term is not None and CROSS_ENTROPY.derivative is not None
CROSS_ENTROPY_TERM = CROSS_ENTROPY.term


def _leaky_relu(x: Expr, a: Expr, out: Expr) -> tuple[Expr, ...]:
    """∂/∂x = [x > 0] + a·[x ≤ 0]; ∂/∂a = x·[x ≤ 0] (a trained slope is PReLU's)."""
    below = bracket(x <= 0)
    return (
        unevaluated(sp.Add, bracket(x > 0), unevaluated(sp.Mul, a, below)),
        unevaluated(sp.Mul, x, below),
    )


def _elu(x: Expr, alpha: Expr, out: Expr) -> tuple[Expr, ...]:
    """∂/∂x = [x > 0] + (out + α)·[x ≤ 0] (α·eˣ in its output); ∂/∂α = (eˣ − 1)·[x ≤ 0]."""
    below = bracket(x <= 0)
    return (
        unevaluated(
            sp.Add, bracket(x > 0), unevaluated(sp.Mul, unevaluated(sp.Add, out, alpha), below)
        ),
        unevaluated(sp.Mul, unevaluated(sp.Add, sp.exp(x), MinusOne), below),
    )


def _cross_entropy(t: Expr, o: Expr, out: Expr) -> tuple[Expr, ...]:
    """∂/∂t = ln(1 − o) − ln o, ∂/∂o = (o − t)/(o(1 − o)) (the network form's textbook one)."""
    assert CROSS_ENTROPY.derivative is not None
    by_t = unevaluated(
        sp.Add,
        sp.log(unevaluated(sp.Add, One, unevaluated(sp.Mul, MinusOne, o)), evaluate=False),
        unevaluated(sp.Mul, MinusOne, sp.log(o, evaluate=False)),
    )
    return by_t, CROSS_ENTROPY.derivative(t, o)


OPERATIONS: dict[str, Operation] = {
    "add": Operation(
        2,
        False,
        lambda a, b: unevaluated(sp.Add, a, b),
        Rule(
            "an add gate passes the upstream gradient to each input unchanged",
            lambda a, b, o: (One, One),
        ),
        lambda a, b: f"{a} + {b}",
        False,
        "+",
    ),
    "sub": Operation(
        2,
        False,
        lambda a, b: unevaluated(sp.Add, a, unevaluated(sp.Mul, MinusOne, b)),
        Rule(
            "a subtract gate passes it on, negated for the input subtracted",
            lambda a, b, o: (One, MinusOne),
        ),
        lambda a, b: f"{a} - {b}",
        False,
        "-",
    ),
    "mul": Operation(
        2,
        False,
        lambda a, b: unevaluated(sp.Mul, a, b),
        Rule(
            "a multiply gate swaps its inputs: each input's local derivative is the other input",
            lambda a, b, o: (b, a),
        ),
        lambda a, b: rf"{a} \cdot {b}",
        False,
        r"\times",
    ),
    "div": Operation(
        2,
        False,
        lambda a, b: unevaluated(sp.Mul, a, unevaluated(sp.Pow, b, MinusOne)),
        Rule(
            "a divide gate",
            _div,
            r"\frac{\partial (u/v)}{\partial u} = \frac{1}{v} \quad "
            r"\frac{\partial (u/v)}{\partial v} = -\frac{u}{v^{2}}",
        ),
        lambda a, b: rf"\frac{{{_open(a)}}}{{{_open(b)}}}",
        True,
        r"\div",
    ),
    "pow": Operation(
        2,
        False,
        lambda a, b: unevaluated(sp.Pow, a, b),
        Rule(
            "a power gate brings the exponent down",
            _pow,
            r"\frac{\partial u^{v}}{\partial u} = v \cdot u^{v - 1} \quad "
            r"\frac{\partial u^{v}}{\partial v} = u^{v} \cdot \ln u",
        ),
        lambda a, b: f"{{{a}}}^{{{b}}}",
        True,
        "x^y",  # both operands wires: a constant operand is written in (x^2, 2^x)
    ),
    "neg": Operation(
        1,
        False,
        lambda a: unevaluated(sp.Mul, MinusOne, a),
        Rule("a negate gate flips the sign of the gradient", lambda a, o: (MinusOne,)),
        lambda a: f"-{a}",
        False,
        "-x",
    ),
    "exp": Operation(
        1,
        True,
        sp.exp,
        Rule("an exp gate's local derivative is its own output", lambda a, o: (o,)),
        lambda a: f"e^{{{a}}}",
        True,
        "e^x",
    ),
    "log": Operation(
        1,
        True,
        sp.log,
        Rule(
            "a log gate",
            lambda a, o: (unevaluated(sp.Pow, a, MinusOne),),
            r"\frac{d \ln u}{d u} = \frac{1}{u}",
        ),
        lambda a: rf"\ln {a}",
        False,
        r"\ln",
    ),
    "sqrt": Operation(
        1,
        True,
        lambda a: unevaluated(sp.Pow, a, sp.S.Half),
        Rule(
            "a square-root gate",
            lambda a, o: (unevaluated(sp.Pow, unevaluated(sp.Mul, sp.Integer(2), o), MinusOne),),
            r"\frac{d \sqrt{u}}{d u} = \frac{1}{2 \sqrt{u}}",
        ),
        lambda a: rf"\sqrt{{{a}}}",
        True,
        r"\sqrt{x}",
    ),
    "abs": Operation(
        1,
        True,
        sp.Abs,
        Rule(
            "an absolute-value gate passes the gradient on with the sign of its input",
            lambda a, o: (sp.sign(a),),
        ),
        lambda a: rf"\left|{a}\right|",
        True,
        r"|x|",
    ),
    "sigmoid": Operation(
        1,
        True,
        SIGMOID.forward,
        Rule(
            "a sigmoid gate's local derivative is written in its own output",
            lambda a, o: (SIGMOID.derivative(a, o),),
            r"\sigma'(u) = \sigma(u) \cdot \left(1 - \sigma(u)\right)",
        ),
        lambda a: rf"\sigma\left({a}\right)",
        True,
        r"\sigma",
    ),
    "tanh": Operation(
        1,
        True,
        sp.tanh,
        Rule(
            "a tanh gate's local derivative is written in its own output",
            lambda a, o: (TANH.derivative(a, o),),
            r"\tanh'(u) = 1 - \tanh^{2}(u)",
        ),
        lambda a: rf"\tanh\left({a}\right)",
        True,
        r"\tanh",
    ),
    "relu": Operation(
        1,
        True,
        RELU.forward,
        Rule(
            "a ReLU gate passes the gradient where its input is positive, else 0",
            lambda a, o: (bracket(a > 0),),
        ),
        lambda a: rf"\operatorname{{ReLU}}\left({a}\right)",
        True,
        r"\mathrm{ReLU}",
    ),
    "leaky_relu": Operation(
        2,
        True,
        lambda x, a: sp.Piecewise((x, x > 0), (unevaluated(sp.Mul, a, x), True), evaluate=False),
        Rule(
            "a leaky ReLU gate passes the gradient where its input is positive, else that "
            "times its slope",
            _leaky_relu,
            r"\frac{\partial}{\partial u} = [u > 0] + a \cdot [u \le 0] \quad "
            r"\frac{\partial}{\partial a} = u \cdot [u \le 0]",
        ),
        lambda x, a: rf"\operatorname{{LeakyReLU}}_{{{a}}}\left({x}\right)",
        True,
        r"\mathrm{LReLU}",
    ),
    "elu": Operation(
        2,
        True,
        lambda x, alpha: sp.Piecewise(
            (x, x > 0),
            (unevaluated(sp.Mul, alpha, unevaluated(sp.Add, sp.exp(x), MinusOne)), True),
            evaluate=False,
        ),
        Rule(
            "an ELU gate passes the gradient where its input is positive, else that times "
            "its output plus α",
            _elu,
            r"\frac{\partial}{\partial u} = [u > 0] + (\mathrm{out} + \alpha) \cdot [u \le 0]"
            r" \quad \frac{\partial}{\partial \alpha} = (e^{u} - 1) \cdot [u \le 0]",
        ),
        lambda x, alpha: rf"\operatorname{{ELU}}_{{{alpha}}}\left({x}\right)",
        True,
        r"\mathrm{ELU}",
    ),
    "softplus": Operation(
        1,
        True,
        SOFTPLUS.forward,
        Rule(
            "a softplus gate's local derivative is the sigmoid of its input",
            lambda a, o: (SOFTPLUS.derivative(a, o),),
            r"\frac{d}{d u} \ln(1 + e^{u}) = \frac{1}{1 + e^{-u}}",
        ),
        lambda a: rf"\operatorname{{softplus}}\left({a}\right)",
        True,
        r"\mathrm{sp}",
    ),
    "gelu": Operation(
        1,
        True,
        GELU.forward,
        Rule(
            "a GELU gate (tanh form), by the product rule and the chain rule through tanh",
            lambda a, o: (GELU.derivative(a, o),),
        ),
        lambda a: rf"\operatorname{{GELU}}\left({a}\right)",
        True,
        r"\mathrm{GELU}",
    ),
    "step": Operation(
        1,
        True,
        STEP.forward,
        Rule(
            "a step gate passes no gradient back: its derivative is 0 wherever it is defined",
            lambda a, o: (STEP.derivative(a, o),),
        ),
        lambda a: rf"H\left({a}\right)",
        True,
        "H",
    ),
    "cross_entropy": Operation(
        2,
        True,
        CROSS_ENTROPY_TERM,
        Rule(
            "a cross-entropy gate of a target t and an output o",
            _cross_entropy,
            r"\frac{\partial}{\partial o} = \frac{o - t}{o \cdot (1 - o)} \quad "
            r"\frac{\partial}{\partial t} = \ln(1 - o) - \ln o",
        ),
        lambda t, o: rf"-\left[{t} \cdot \ln {o} + (1 - {t}) \cdot \ln(1 - {o})\right]",
        True,
        r"\mathrm{CE}",
    ),
    "max": Operation(
        2,
        True,
        lambda a, b: sp.Max(a, b, evaluate=False),
        Rule(
            "a max gate routes the gradient to the larger input (the first, on a tie)",
            lambda a, b, o: (bracket(a >= b), bracket(b > a)),
        ),
        lambda a, b: rf"\max\left({a}, {b}\right)",
        True,
        r"\max",
    ),
    "min": Operation(
        2,
        True,
        lambda a, b: sp.Min(a, b, evaluate=False),
        Rule(
            "a min gate routes the gradient to the smaller input (the first, on a tie)",
            lambda a, b, o: (bracket(a <= b), bracket(b < a)),
        ),
        lambda a, b: rf"\min\left({a}, {b}\right)",
        True,
        r"\min",
    ),
}

# one argument each, except max, min, leaky_relu and elu (two): the gates a lecture draws, as a scenario calls them
FUNCTIONS: dict[str, int] = {k: o.arity for k, o in OPERATIONS.items() if o.called}
