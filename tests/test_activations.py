"""The rule tables' textbook derivatives, and every step of their derivations, equal sympy.diff.

Each activation's derivative is written as a textbook prints it (σ′ = out(1 − out)), in terms of
`net` and/or `out`; with out := f(net) substituted it must be sympy's derivative of f. Each loss's
derivative (and the power rule written out) must be sympy's derivative of the loss term by out.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import sympy as sp

from explainer.rules.activations import (
    ACTIVATIONS,
    LOSSES,
    RESIDUALS,
    SCORE,
    activation,
    loss_derivative,
    loss_derivative_steps,
    loss_term,
    output_derivative,
    output_terms,
)

GELU_C = sp.Rational(44715, 10**6)
NET = sp.Symbol("net", real=True)
OUT = sp.Symbol("out", real=True)
TARGET = sp.Symbol("target", real=True)

# Both sides of 0 (where relu's pieces meet), 0 itself, small and large arguments.
POINTS = (-4.5, -1.7, -0.3, -1e-3, 0.0, 1e-3, 0.3, 1.7, 4.5)
TOLERANCE = 1e-12

# softmax (over a layer) is tested in test_softmax.py, entry by entry of its Jacobian
DIFFERENTIABLE = [n for n, a in ACTIVATIONS.items() if a.differentiable and not a.over_layer]
STEPS = [(name, i) for name in DIFFERENTIABLE for i in range(len(ACTIVATIONS[name].steps(NET)))]


def _at(expr: sp.Expr, x: float) -> sp.Float:
    value = sp.sympify(expr).doit().xreplace({NET: sp.Float(x, 40)}).evalf(30)
    assert value.is_number and value.is_real, f"{expr} at net = {x} gave {value}"
    return value


def _close(a: sp.Expr, b: sp.Expr) -> bool:
    return bool(abs(a - b) <= TOLERANCE * max(1, abs(b)))


def _derivative(name: str) -> tuple[sp.Expr, sp.Expr]:
    """(textbook form with out := f(net), sympy.diff of f) for one activation."""
    a = ACTIVATIONS[name]
    f = a.forward(NET)
    textbook = a.derivative(NET, OUT).xreplace({OUT: f})
    return textbook, sp.diff(f, NET)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_textbook_derivative_matches_sympy_numerically(name: str) -> None:
    textbook, derived = _derivative(name)
    for x in POINTS:
        assert _close(_at(textbook, x), _at(derived, x)), f"{name}'({x})"


@pytest.mark.parametrize(
    "name", [n for n in DIFFERENTIABLE if not _derivative(n)[1].has(sp.Piecewise)]
)
def test_textbook_derivative_matches_sympy_symbolically(name: str) -> None:
    textbook, derived = _derivative(name)
    assert sp.simplify(textbook.doit() - derived) == 0


@pytest.mark.parametrize(("name", "step"), STEPS, ids=[f"{n}-step{i + 1}" for n, i in STEPS])
def test_every_derivation_step_equals_the_derivative(name: str, step: int) -> None:
    form = ACTIVATIONS[name].steps(NET)[step]
    derived = sp.diff(ACTIVATIONS[name].forward(NET), NET)
    assert form.free_symbols <= {NET}, f"step {step + 1} uses {form.free_symbols}"
    for x in POINTS:
        assert _close(_at(form, x), _at(derived, x)), f"{name} step {step + 1} at {x}"


# Independent values: f(x) and f′(x) at x = 0.5, from the closed forms.
KNOWN = {
    "sigmoid": (
        1 / (1 + sp.exp(-sp.Rational(1, 2))),
        sp.exp(-sp.Rational(1, 2)) / (1 + sp.exp(-sp.Rational(1, 2))) ** 2,
    ),
    "tanh": (sp.tanh(sp.Rational(1, 2)), 1 / sp.cosh(sp.Rational(1, 2)) ** 2),
    "relu": (sp.Rational(1, 2), 1),
    "leaky_relu": (sp.Rational(1, 2), 1),
    "elu": (sp.Rational(1, 2), 1),
    "softplus": (sp.log(1 + sp.exp(sp.Rational(1, 2))), 1 / (1 + sp.exp(-sp.Rational(1, 2)))),
    # GELU's tanh form, ½x(1 + tanh(k(x + cx³))), k = √(2/π), c = 0.044715, by its product rule
    "gelu": (
        sp.Rational(1, 4) * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (sp.Rational(1, 2) + GELU_C / 8))),
        sp.Rational(1, 2) * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (sp.Rational(1, 2) + GELU_C / 8)))
        + sp.Rational(1, 4)
        / sp.cosh(sp.sqrt(2 / sp.pi) * (sp.Rational(1, 2) + GELU_C / 8)) ** 2
        * sp.sqrt(2 / sp.pi)
        * (1 + 3 * GELU_C / 4),
    ),
    "identity": (sp.Rational(1, 2), 1),
    "none": (sp.Rational(1, 2), 1),
}


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_forward_and_derivative_at_a_known_point(name: str) -> None:
    assert name in KNOWN, f"add {name} to KNOWN"
    f_half, df_half = KNOWN[name]
    textbook, _ = _derivative(name)
    assert _close(_at(ACTIVATIONS[name].forward(NET), 0.5), sp.N(f_half, 30))
    assert _close(_at(textbook, 0.5), sp.N(df_half, 30))


def test_relu_derivative_at_zero_is_zero_by_convention() -> None:
    relu = ACTIVATIONS["relu"]
    assert float(_at(relu.derivative(NET, OUT), 0.0)) == 0.0
    assert float(_at(relu.derivative(NET, OUT), 1e-9)) == 1.0
    assert float(_at(relu.forward(NET), -2.0)) == 0.0


# Below 0, with the parameter set: torch.nn.LeakyReLU(0.2) and torch.nn.ELU(0.5) by hand.
SET: dict[tuple[str, str], tuple[Callable[[float], float], Callable[[float], float]]] = {
    ("leaky_relu", "0.2"): (lambda x: 0.2 * x, lambda x: 0.2),
    ("elu", "0.5"): (lambda x: 0.5 * (math.exp(x) - 1), lambda x: 0.5 * math.exp(x)),
}


@pytest.mark.parametrize(("name", "setting"), sorted(SET))
def test_a_parameter_set_below_zero(name: str, setting: str) -> None:
    row, (f, df) = activation(name, setting), SET[name, setting]
    textbook = row.derivative(NET, OUT).xreplace({OUT: row.forward(NET)})
    for x in (-2.5, -0.5, 0.0):
        assert _close(_at(row.forward(NET), x), sp.Float(f(x), 30))
        assert _close(_at(textbook, x), sp.Float(df(x), 30)), f"{name}'({x})"
        assert _close(_at(sp.diff(row.forward(NET), NET), x), sp.Float(df(x), 30)) or x == 0
    assert float(_at(textbook, 1.5)) == 1.0
    assert activation(name) is ACTIVATIONS[name] and activation(name, None) is ACTIVATIONS[name]


# Losses -----------------------------------------------------------------------------------------

# Each loss's term for one output, written independently of the rule table: (target t, out o,
# number of outputs n) → the term.
TERM = {
    "half_sse": lambda t, o, n: sp.Rational(1, 2) * (t - o) ** 2,
    "sse": lambda t, o, n: (t - o) ** 2,
    "mse": lambda t, o, n: (t - o) ** 2 / n,
    "performance": lambda t, o, n: -sp.Rational(1, 2) * (t - o) ** 2,
    "cross_entropy": lambda t, o, n: -(t * sp.log(o) + (1 - t) * sp.log(1 - o)),
    "categorical_cross_entropy": lambda t, o, n: -t * sp.log(o),
    "nll": lambda t, o, n: -t * o,
    "hinge": lambda t, o, n: sp.Piecewise((1 - t * o, t * o < 1), (0, True)),
}
# losses of one output's term each; a loss over the layer (the multiclass hinge) is below
SEPARABLE = [name for name, rule in LOSSES.items() if rule.layer_term is None]
LOSS_CASES = [(loss, order, n) for loss in SEPARABLE for order in RESIDUALS for n in (1, 2, 3)]
LOSS_IDS = [f"{loss}-{order}-n{n}" for loss, order, n in LOSS_CASES]
# (target, out): out inside (0, 1) so that every loss (cross-entropy's logarithms) is defined
LOSS_POINTS = ((0.25, 0.75), (0.9, 0.2), (0.0, 0.6), (1.0, 0.35), (-0.7, 0.05), (1.6, 0.999))


def _term(loss: str, order: str, n: int) -> sp.Expr:
    return loss_term(LOSSES[loss], n, order, TARGET, OUT).doit()


def _at_point(expr: sp.Expr, t: float, o: float) -> sp.Float:
    point = {TARGET: sp.Float(t, 40), OUT: sp.Float(o, 40)}
    value = sp.sympify(expr).doit().xreplace(point).evalf(30)
    assert value.is_number and value.is_real, f"{expr} at target {t}, out {o} gave {value}"
    return value


def _same(a: sp.Expr, b: sp.Expr) -> None:
    """Equal as functions of (target, out): symbolically, and at every LOSS_POINT."""
    assert sp.simplify(sp.sympify(a).doit() - b) == 0, f"{a} ≠ {b}"
    for t, o in LOSS_POINTS:
        assert _close(_at_point(a, t, o), _at_point(b, t, o)), f"{a} ≠ {b} at ({t}, {o})"


@pytest.mark.parametrize(("loss", "order", "n"), LOSS_CASES, ids=LOSS_IDS)
def test_loss_term_is_the_textbook_formula(loss: str, order: str, n: int) -> None:
    assert loss in TERM, f"add {loss} to TERM"
    _same(_term(loss, order, n), TERM[loss](TARGET, OUT, n))


@pytest.mark.parametrize(("loss", "order", "n"), LOSS_CASES, ids=LOSS_IDS)
def test_loss_derivative_matches_sympy(loss: str, order: str, n: int) -> None:
    textbook = loss_derivative(LOSSES[loss], n, order, TARGET, OUT)
    _same(textbook, sp.diff(_term(loss, order, n), OUT))


@pytest.mark.parametrize(("loss", "order", "n"), LOSS_CASES, ids=LOSS_IDS)
def test_loss_derivative_steps_match_sympy(loss: str, order: str, n: int) -> None:
    steps = loss_derivative_steps(LOSSES[loss], n, order, TARGET, OUT)
    assert steps, "the derivative is worked out in at least one step"
    derived = sp.diff(_term(loss, order, n), OUT)
    for step in steps:
        _same(step, derived)


@pytest.mark.parametrize("loss", [n for n in LOSSES if n not in SEPARABLE])
@pytest.mark.parametrize("n", [2, 3, 4])
def test_a_layer_losss_derivative_is_sympy_diff_of_the_whole(loss: str, n: int) -> None:
    """∂L/∂out_k in textbook form (s_y a symbol) against sympy.diff of the loss with
    s_y = Σ t·out written out, at random scores and every one-hot target."""
    rule = LOSSES[loss]
    ts = tuple(sp.Symbol(f"t{j}", real=True) for j in range(n))
    os_ = tuple(sp.Symbol(f"o{j}", real=True) for j in range(n))
    score = sp.Symbol(SCORE, real=True)
    whole = sp.Add(*output_terms(rule, "target-out", ts, os_)).doit()
    whole = whole.xreplace({score: sp.Add(*(t * o for t, o in zip(ts, os_, strict=True)))})
    rng = np.random.default_rng(n)
    for y in range(n):
        for _ in range(5):
            at = {t: float(j == y) for j, t in enumerate(ts)}
            at |= {o: float(x) for o, x in zip(os_, rng.uniform(-1.5, 1.5, n), strict=True)}
            at[score] = sum(at[t] * at[o] for t, o in zip(ts, os_, strict=True))
            for k in range(n):
                textbook = output_derivative(rule, "target-out", ts, os_, k)
                want = sp.diff(whole, os_[k]).subs(at)
                assert float(textbook.doit().subs(at)) == pytest.approx(float(want), abs=1e-12)
