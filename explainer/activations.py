"""Rule tables: activation and loss functions as sympy expressions, with their textbook derivatives.

Stage: none of its own; `network.py` and `derivation.py` look rules up here. No numbers, no
formatting. Each rule keeps the derivative in the form a textbook prints (σ′ = σ(1 − σ), not the
`cosh` form `sympy.simplify` gives), built unevaluated so that it prints in that order; a test
proves every form (and every intermediate step) equals `sympy.diff` of the function itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import sympy as sp

Expr: TypeAlias = sp.Expr


def _u(cls: type, *args: Expr) -> Expr:
    """An unevaluated sympy node: kept in the order written, as a textbook prints it."""
    return cls(*args, evaluate=False)


def _neg(x: Expr) -> Expr:
    return _u(sp.Mul, sp.S.NegativeOne, x)


def _minus(a: Expr, b: Expr) -> Expr:
    return _u(sp.Add, a, _neg(b))


@dataclass(frozen=True)
class Activation:
    """out = f(net). `derivative(net, out)` is ∂out/∂net in textbook form (may use either symbol)."""

    name: str
    function_latex: str  # how f is named in an equation: out = \sigma(net)
    describe: str  # one clause for prose: "the logistic sigmoid"
    forward: Callable[[Expr], Expr]
    derivative: Callable[[Expr, Expr], Expr]
    # The derivation of f′ step by step, each an expression in net (a chain of equalities).
    steps: Callable[[Expr], tuple[Expr, ...]]
    derivative_note: str = ""
    has_net: bool = True  # False: the neuron's output *is* its weighted sum (seed 001's a = i·w)
    differentiable: bool = True


def _sigmoid(x: Expr) -> Expr:
    return 1 / (1 + sp.exp(-x))


def _sigmoid_steps(x: Expr) -> tuple[Expr, ...]:
    e = sp.exp(_neg(x))
    one_plus_e = _u(sp.Add, sp.S.One, e)
    return (
        # d/dx (1 + e^{-x})^{-1} by the chain rule
        _u(sp.Mul, sp.S.NegativeOne, _u(sp.Pow, one_plus_e, sp.Integer(-2)), _neg(e)),
        _u(sp.Mul, e, _u(sp.Pow, one_plus_e, sp.Integer(-2))),
        _u(
            sp.Mul,
            _u(sp.Pow, one_plus_e, sp.S.NegativeOne),
            _u(sp.Mul, _minus(one_plus_e, sp.S.One), _u(sp.Pow, one_plus_e, sp.S.NegativeOne)),
        ),
        _u(sp.Mul, _sigmoid(x), _minus(sp.S.One, _sigmoid(x))),
    )


def _tanh_steps(x: Expr) -> tuple[Expr, ...]:
    return (_u(sp.Pow, sp.sech(x), sp.Integer(2)), _minus(sp.S.One, _u(sp.Pow, sp.tanh(x), 2)))


def _relu(x: Expr) -> Expr:
    return sp.Piecewise((x, x > 0), (0, True))


def _step_at_zero(x: Expr) -> Expr:
    return sp.Piecewise((1, x > 0), (0, True))


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            "sigmoid",
            r"\sigma",
            "the logistic sigmoid",
            forward=_sigmoid,
            derivative=lambda net, out: _u(sp.Mul, out, _minus(sp.S.One, out)),
            steps=_sigmoid_steps,
            derivative_note="the sigmoid's derivative expressed in terms of its own output",
        ),
        Activation(
            "tanh",
            r"\tanh",
            "the hyperbolic tangent",
            forward=sp.tanh,
            derivative=lambda net, out: _minus(sp.S.One, _u(sp.Pow, out, sp.Integer(2))),
            steps=_tanh_steps,
            derivative_note="tanh′ = 1 − tanh², again in terms of the output",
        ),
        Activation(
            "relu",
            r"\operatorname{ReLU}",
            "the rectifier, ReLU(x) = max(0, x)",
            forward=_relu,
            derivative=lambda net, out: _step_at_zero(net),
            steps=lambda x: (),
            derivative_note="a step: 1 where net > 0, else 0 (at net = 0 we take 0, a convention)",
        ),
        Activation(
            "identity",
            r"\operatorname{id}",
            "the identity",
            forward=lambda x: x,
            derivative=lambda net, out: sp.S.One,
            steps=lambda x: (),
        ),
        Activation(
            "none",
            "",
            "none (the output is the weighted sum itself)",
            forward=lambda x: x,
            derivative=lambda net, out: sp.S.One,
            steps=lambda x: (),
            has_net=False,
        ),
    )
}


@dataclass(frozen=True)
class Loss:
    """The loss as a sum over outputs of `coefficient(n) · residual²`.

    `residual` is written target − out (Mazur: ½(target − out)²) or out − target (seed 001:
    C = (a − y)²); the two give the same numbers and differently signed textbook derivatives.
    """

    name: str
    describe: str
    coefficient: Callable[[int], sp.Rational]


LOSSES: dict[str, Loss] = {
    rule.name: rule
    for rule in (
        Loss(
            "half_sse",
            "half the sum of squared errors, ½Σ(target − out)²",
            lambda n: sp.Rational(1, 2),
        ),
        Loss("sse", "the sum of squared errors, Σ(target − out)²", lambda n: sp.Integer(1)),
        Loss("mse", "the mean squared error, (1/n)Σ(target − out)²", lambda n: sp.Rational(1, n)),
    )
}

RESIDUALS = ("target-out", "out-target")


def residual(order: str, target: Expr, out: Expr) -> Expr:
    return _minus(target, out) if order == "target-out" else _minus(out, target)


def loss_term(loss: Loss, n_outputs: int, order: str, target: Expr, out: Expr) -> Expr:
    """One output's share of the loss, e.g. ½(target − out)²."""
    square = _u(sp.Pow, residual(order, target, out), sp.Integer(2))
    c = loss.coefficient(n_outputs)
    return square if c == 1 else _u(sp.Mul, c, square)


def loss_derivative(loss: Loss, n_outputs: int, order: str, target: Expr, out: Expr) -> Expr:
    """∂(loss term)/∂out in textbook form: −(target − out) for ½(target − out)², 2(a − y) for (a − y)²."""
    c = 2 * loss.coefficient(n_outputs)
    r = residual(order, target, out)
    if order == "target-out":
        return _neg(r) if c == 1 else _u(sp.Mul, -c, r)
    return r if c == 1 else _u(sp.Mul, c, r)


def loss_derivative_steps(
    loss: Loss, n_outputs: int, order: str, target: Expr, out: Expr
) -> tuple[Expr, ...]:
    """The power rule written out, as Mazur does: 2 · ½(target − out)^{2−1} · (−1)."""
    c = loss.coefficient(n_outputs)
    inner = sp.S.NegativeOne if order == "target-out" else sp.S.One
    power = _u(sp.Pow, residual(order, target, out), _u(sp.Add, sp.Integer(2), sp.S.NegativeOne))
    factors = (sp.Integer(2),) + ((c,) if c != 1 else ()) + (power, inner)
    return (_u(sp.Mul, *factors),)
