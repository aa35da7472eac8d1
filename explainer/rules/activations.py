"""Rules (activations and losses): rule tables of activation and loss functions as sympy expressions,
with their textbook derivatives.

Stage: none of its own; `network.py` and `derivation.py` look rules up here. No numbers, no
formatting. Each rule keeps the derivative in the form a textbook prints (σ′ = σ(1 − σ), not the
`cosh` form `sympy.simplify` gives), built unevaluated so that it prints in that order; a test
proves every form (and every intermediate step) equals `sympy.diff` of the function itself.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TypeAlias

import sympy as sp

Expr: TypeAlias = sp.Expr


def unevaluated(cls: type, *args: Expr) -> Expr:
    """An unevaluated sympy node: kept in the order written, as a textbook prints it."""
    return cls(*args, evaluate=False)


def _neg(x: Expr) -> Expr:
    return unevaluated(sp.Mul, sp.S.NegativeOne, x)


def _minus(a: Expr, b: Expr) -> Expr:
    return unevaluated(sp.Add, a, _neg(b))


@dataclass(frozen=True)
class Parameter:
    """An activation's one setting: leaky ReLU's slope below 0, ELU's α."""

    key: str  # the layer's key in a scenario (slope = 0.1) and its JSON key's stem
    default: str  # as PyTorch's default, written as a decimal
    latex: str  # how the page names it in a formula


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
    # A differentiable stand-in for an activation whose derivative is zero almost everywhere, so
    # the page can show that learning proceeds once it is swapped in (the step → the sigmoid).
    surrogate: str = ""
    parameter: Parameter | None = None
    setting: Expr | None = None  # the parameter's value this row computes with
    # An activation over a whole layer (softmax): out_i = layer(nets, i), and ∂out_i/∂net_j for
    # i ≠ j in the outputs, `cross(out_i, out_j)`; `derivative` is then the diagonal, i = j.
    layer: Callable[[tuple[Expr, ...], int], Expr] | None = None
    cross: Callable[[Expr, Expr], Expr] | None = None
    # ∂out_i/∂net_j derived step by step, in the layer's nets (i, j)
    layer_steps: Callable[[tuple[Expr, ...], int, int], tuple[Expr, ...]] | None = None

    @property
    def over_layer(self) -> bool:
        return self.layer is not None

    @property
    def differentiable(self) -> bool:
        return not self.surrogate


def _sigmoid(x: Expr) -> Expr:
    return 1 / (1 + sp.exp(-x))


def _sigmoid_steps(x: Expr) -> tuple[Expr, ...]:
    e = sp.exp(_neg(x))
    one_plus_e = unevaluated(sp.Add, sp.S.One, e)
    return (
        # d/dx (1 + e^{-x})^{-1} by the chain rule
        unevaluated(
            sp.Mul, sp.S.NegativeOne, unevaluated(sp.Pow, one_plus_e, sp.Integer(-2)), _neg(e)
        ),
        unevaluated(sp.Mul, e, unevaluated(sp.Pow, one_plus_e, sp.Integer(-2))),
        unevaluated(
            sp.Mul,
            unevaluated(sp.Pow, one_plus_e, sp.S.NegativeOne),
            unevaluated(
                sp.Mul,
                _minus(one_plus_e, sp.S.One),
                unevaluated(sp.Pow, one_plus_e, sp.S.NegativeOne),
            ),
        ),
        unevaluated(sp.Mul, _sigmoid(x), _minus(sp.S.One, _sigmoid(x))),
    )


def _out_one_minus_out(net: Expr, out: Expr) -> Expr:
    """out(1 − out): the sigmoid's derivative, and a softmax output's by its own net."""
    return unevaluated(sp.Mul, out, _minus(sp.S.One, out))


def _tanh_steps(x: Expr) -> tuple[Expr, ...]:
    return (
        unevaluated(sp.Pow, sp.sech(x), sp.Integer(2)),
        _minus(sp.S.One, unevaluated(sp.Pow, sp.tanh(x), 2)),
    )


def _relu(x: Expr) -> Expr:
    return sp.Piecewise((x, x > 0), (0, True))


def _step_at_zero(x: Expr) -> Expr:
    return sp.Piecewise((1, x > 0), (0, True))


def exact(text: str | float) -> sp.Rational:
    """A decimal as written, exactly: 0.01 is 1/100, never the float nearest it."""
    f = Fraction(Decimal(str(text)))
    return sp.Rational(f.numerator, f.denominator)


SLOPE = Parameter("slope", "0.01", "a")  # torch.nn.LeakyReLU(negative_slope=0.01)
ALPHA = Parameter("alpha", "1.0", r"\alpha")  # torch.nn.ELU(alpha=1.0)


def _leaky_relu(a: Expr) -> Activation:
    """x where x > 0, else a·x; the derivative at 0 is a (PyTorch's: the gradient is 1 only
    where x > 0)."""
    return Activation(
        "leaky_relu",
        r"\operatorname{LeakyReLU}",
        f"the leaky rectifier, LeakyReLU(x) = x where x > 0, else {_decimal(a)}·x",
        forward=lambda x: sp.Piecewise((x, x > 0), (_times(a, x), True), evaluate=False),
        derivative=lambda net, out: sp.Piecewise((1, net > 0), (a, True), evaluate=False),
        steps=lambda x: (),
        derivative_note=f"1 where net > 0, else the slope {_decimal(a)} (at net = 0 we take "
        "the slope, as PyTorch does)",
        parameter=SLOPE,
        setting=a,
    )


def _elu(alpha: Expr) -> Activation:
    """x where x > 0, else α(eˣ − 1); below 0 the derivative α·eˣ is out + α, in its output."""
    return Activation(
        "elu",
        r"\operatorname{ELU}",
        f"the exponential linear unit, ELU(x) = x where x > 0, else α(eˣ − 1), "
        f"α = {_decimal(alpha)}",
        forward=lambda x: sp.Piecewise(
            (x, x > 0),
            (_times(alpha, unevaluated(sp.Add, sp.exp(x), sp.S.NegativeOne)), True),
            evaluate=False,
        ),
        derivative=lambda net, out: sp.Piecewise(
            (1, net > 0), (unevaluated(sp.Add, out, alpha), True), evaluate=False
        ),
        steps=lambda x: (),
        derivative_note=f"1 where net > 0, else α·e^net = out + α with α = {_decimal(alpha)}, "
        "again in terms of the output",
        parameter=ALPHA,
        setting=alpha,
    )


def _softplus_steps(x: Expr) -> tuple[Expr, ...]:
    e = sp.exp(x)
    return (
        unevaluated(sp.Mul, e, unevaluated(sp.Pow, unevaluated(sp.Add, sp.S.One, e), -1)),
        _sigmoid(x),
    )


# GELU's tanh form (torch.nn.GELU(approximate="tanh")): ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
GELU_C = exact("0.044715")


# √(2/π), kept as written (sympy would print √2·π^(−1/2))
ROOT_2_OVER_PI = unevaluated(
    sp.Pow, unevaluated(sp.Mul, sp.Integer(2), unevaluated(sp.Pow, sp.pi, -1)), sp.S.Half
)


def _gelu_inner(x: Expr) -> Expr:
    cube = unevaluated(sp.Mul, GELU_C, unevaluated(sp.Pow, x, sp.Integer(3)))
    return unevaluated(sp.Mul, ROOT_2_OVER_PI, unevaluated(sp.Add, x, cube))


def _gelu(x: Expr) -> Expr:
    return unevaluated(sp.Mul, sp.S.Half, x, unevaluated(sp.Add, sp.S.One, sp.tanh(_gelu_inner(x))))


def _gelu_derivative(net: Expr, out: Expr) -> Expr:
    """½(1 + tanh u) + ½·net·(1 − tanh²u)·√(2/π)(1 + 3·0.044715·net²), u = √(2/π)(net + 0.044715·net³)."""
    t = sp.tanh(_gelu_inner(net))
    du = unevaluated(
        sp.Mul,
        ROOT_2_OVER_PI,
        unevaluated(
            sp.Add,
            sp.S.One,
            unevaluated(sp.Mul, 3 * GELU_C, unevaluated(sp.Pow, net, sp.Integer(2))),
        ),
    )
    return unevaluated(
        sp.Add,
        unevaluated(sp.Mul, sp.S.Half, unevaluated(sp.Add, sp.S.One, t)),
        unevaluated(
            sp.Mul,
            sp.S.Half,
            net,
            _minus(sp.S.One, unevaluated(sp.Pow, t, sp.Integer(2))),
            du,
        ),
    )


def _softmax(nets: tuple[Expr, ...], i: int) -> Expr:
    """e^{net_i} / Σ_k e^{net_k}, the sum written in the layer's order."""
    total = unevaluated(sp.Add, *(sp.exp(z) for z in nets))
    return unevaluated(sp.Mul, sp.exp(nets[i]), unevaluated(sp.Pow, total, sp.S.NegativeOne))


def _over_a_layer(x: Expr) -> Expr:
    raise TypeError("softmax is a function of its whole layer's nets, not of one")


def softmax_steps(nets: tuple[Expr, ...], i: int, j: int) -> tuple[Expr, ...]:
    """∂/∂net_j of e^{net_i}/S, S = Σ_k e^{net_k}, by the quotient rule: (δ_ij·e^{net_i}·S −
    e^{net_i}·e^{net_j})/S², then split into the outputs' own terms."""
    total = unevaluated(sp.Add, *(sp.exp(z) for z in nets))
    e_i, e_j = sp.exp(nets[i]), sp.exp(nets[j])
    both = unevaluated(sp.Mul, e_i, e_j)
    numerator = _minus(unevaluated(sp.Mul, e_i, total), both) if i == j else _neg(both)
    square = unevaluated(sp.Pow, total, sp.Integer(-2))
    p_i, p_j = _softmax(nets, i), _softmax(nets, j)
    split = (
        unevaluated(sp.Mul, p_i, _minus(sp.S.One, p_i))
        if i == j
        else _neg(unevaluated(sp.Mul, p_i, p_j))
    )
    return unevaluated(sp.Mul, numerator, square), split


def _log_softmax(nets: tuple[Expr, ...], i: int) -> Expr:
    """net_i − ln Σ_k e^{net_k}: the logarithm of the softmax, computed without its quotient."""
    total = unevaluated(sp.Add, *(sp.exp(z) for z in nets))
    return _minus(nets[i], _log(total))


def log_softmax_steps(nets: tuple[Expr, ...], i: int, j: int) -> tuple[Expr, ...]:
    """∂/∂net_j of net_i − ln S: [i = j] − e^{net_j}/S, the second term the softmax's p_j."""
    total = unevaluated(sp.Add, *(sp.exp(z) for z in nets))
    p_j = unevaluated(sp.Mul, sp.exp(nets[j]), unevaluated(sp.Pow, total, sp.S.NegativeOne))
    return (_minus(sp.S.One, p_j) if i == j else _neg(p_j),)


def _decimal(x: Expr) -> str:
    """An exact decimal as written (1/100 → 0.01)."""
    d = Decimal(int(x.p)) / Decimal(int(x.q))
    fixed = format(d, "f")
    return fixed if len(fixed) <= 14 else format(d.normalize(), "E")  # 1E-300, not 300 zeros


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            "sigmoid",
            r"\sigma",
            "the logistic sigmoid",
            forward=_sigmoid,
            derivative=_out_one_minus_out,
            steps=_sigmoid_steps,
            derivative_note="the sigmoid's derivative expressed in terms of its own output",
        ),
        Activation(
            "tanh",
            r"\tanh",
            "the hyperbolic tangent",
            forward=sp.tanh,
            derivative=lambda net, out: _minus(sp.S.One, unevaluated(sp.Pow, out, sp.Integer(2))),
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
            "step",
            r"H",
            "the Heaviside step (1 where net > 0, else 0)",
            forward=_step_at_zero,
            derivative=lambda net, out: sp.S.Zero,
            steps=lambda x: (),
            derivative_note="zero wherever it is defined (and undefined at net = 0): no gradient "
            "flows back through a step",
            surrogate="sigmoid",
        ),
        _leaky_relu(exact(SLOPE.default)),
        _elu(exact(ALPHA.default)),
        Activation(
            "softplus",
            r"\operatorname{softplus}",
            "the softplus, softplus(x) = ln(1 + eˣ)",
            forward=lambda x: sp.log(unevaluated(sp.Add, sp.S.One, sp.exp(x)), evaluate=False),
            derivative=lambda net, out: _sigmoid(net),
            steps=_softplus_steps,
            derivative_note="the logistic sigmoid of net",
        ),
        Activation(
            "gelu",
            r"\operatorname{GELU}",
            "the GELU in its tanh form, ½x(1 + tanh(√(2/π)(x + 0.044715x³)))",
            forward=_gelu,
            derivative=_gelu_derivative,
            steps=lambda x: (),
            derivative_note="the product rule and the chain rule through tanh",
        ),
        Activation(
            "softmax",
            r"\operatorname{softmax}",
            "the softmax over the layer, outᵢ = e^netᵢ / Σₖ e^netₖ",
            forward=_over_a_layer,
            derivative=_out_one_minus_out,
            steps=lambda x: (),
            derivative_note="outᵢ(1 − outᵢ) by its own net and −outᵢ·outⱼ by another's "
            "(the quotient rule, in terms of the outputs)",
            layer=_softmax,
            cross=lambda out_i, out_j: _neg(unevaluated(sp.Mul, out_i, out_j)),
            layer_steps=softmax_steps,
        ),
        Activation(
            "log_softmax",
            r"\operatorname{log\,softmax}",
            "the log-softmax over the layer, outᵢ = netᵢ − ln Σₖ e^netₖ (each output the "
            "logarithm of a class's probability)",
            forward=_over_a_layer,
            derivative=lambda net, out: _minus(sp.S.One, sp.exp(out)),
            steps=lambda x: (),
            derivative_note="1 − e^outᵢ by its own net and −e^outⱼ by another's, e^out being "
            "the softmax's probability",
            layer=_log_softmax,
            cross=lambda out_i, out_j: _neg(sp.exp(out_j)),
            layer_steps=log_softmax_steps,
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


FAMILIES: dict[str, Callable[[Expr], Activation]] = {"leaky_relu": _leaky_relu, "elu": _elu}

# Rows no scenario may name: mistakes a source makes, which verification recomputes to name them.
# A softmax differentiated as if each output were a sigmoid of its own net input: the
# Jacobian's diagonal outᵢ(1 − outᵢ) kept, the off-diagonal −outᵢ·outⱼ dropped.
MISTAKEN: dict[str, Activation] = {
    "softmax_diagonal": dataclasses.replace(
        ACTIVATIONS["softmax"], name="softmax_diagonal", cross=lambda out_i, out_j: sp.S.Zero
    )
}


@functools.cache
def activation(name: str, setting: str | None = None) -> Activation:
    """The row of `name`, with its parameter at `setting` (a decimal as written) where it has
    one; None: the default (PyTorch's)."""
    row = ACTIVATIONS[name] if name in ACTIVATIONS else MISTAKEN[name]
    if setting is None or row.parameter is None:
        return row
    return FAMILIES[name](exact(setting))


@dataclass(frozen=True)
class Loss:
    """The loss as a sum over the outputs of one term per output.

    Squared losses: the term is `coefficient(n) · residual²`, the residual written target − out
    (Mazur: ½(target − out)²) or out − target (seed 001: C = (a − y)²); the two orders give the
    same numbers and differently signed textbook derivatives. Other losses give their own term,
    derivative and steps. `ascent`: an objective to maximise by gradient ascent (seed 003's
    performance function P = −½(d − z)², Δw = +r·∂P/∂w) rather than a loss to minimise.
    `noun`: what the page calls the function ("the loss", "the performance"). `halved`: the ½
    is there to cancel the 2 that the power rule brings down (Mazur, seed 003's "why the ½").
    """

    name: str
    describe: str
    coefficient: Callable[[int], sp.Rational]
    ascent: bool = False
    noun: str = "loss"
    halved: bool = False
    term: Callable[[Expr, Expr], Expr] | None = None
    derivative: Callable[[Expr, Expr], Expr] | None = None
    steps: Callable[[Expr, Expr], tuple[Expr, ...]] | None = None
    # A loss over the whole output layer (the multiclass hinge): term j of output j and the
    # true class's score s_y = Σ_k t_k·out_k (a node of its own, SCORE), as computed (Piecewise)
    # or as a textbook shows it (max); and ∂L/∂out_k, in the outputs, targets and s_y
    layer_term: Callable[[tuple[Expr, ...], tuple[Expr, ...], int, Expr, bool], Expr] | None = None
    layer_derivative: Callable[[tuple[Expr, ...], tuple[Expr, ...], int, Expr], Expr] | None = None

    @property
    def over_layer(self) -> bool:
        """A term for every output that holds every output (the multiclass hinge's s_y)."""
        return self.layer_term is not None


def _log(x: Expr) -> Expr:
    return sp.log(x, evaluate=False)


def _bce(t: Expr, o: Expr) -> Expr:
    """−[t ln o + (1 − t) ln(1 − o)]"""
    return _neg(
        unevaluated(
            sp.Add,
            unevaluated(sp.Mul, t, _log(o)),
            unevaluated(sp.Mul, _minus(sp.S.One, t), _log(_minus(sp.S.One, o))),
        )
    )


def _bce_derivative(t: Expr, o: Expr) -> Expr:
    """(o − t) / (o(1 − o)): with a sigmoid output, o(1 − o) cancels and δ = o − t."""
    return unevaluated(
        sp.Mul,
        _minus(o, t),
        unevaluated(sp.Pow, unevaluated(sp.Mul, o, _minus(sp.S.One, o)), sp.S.NegativeOne),
    )


def _bce_steps(t: Expr, o: Expr) -> tuple[Expr, ...]:
    first = unevaluated(sp.Mul, t, unevaluated(sp.Pow, o, sp.S.NegativeOne))
    second = unevaluated(
        sp.Mul, _minus(sp.S.One, t), unevaluated(sp.Pow, _minus(sp.S.One, o), sp.S.NegativeOne)
    )
    return (unevaluated(sp.Add, _neg(first), second),)


def _cce(t: Expr, o: Expr) -> Expr:
    """−t ln o, one class's share of −Σ_i t_i ln o_i."""
    return _neg(unevaluated(sp.Mul, t, _log(o)))


def _cce_derivative(t: Expr, o: Expr) -> Expr:
    """−t/o: after a softmax, the Jacobian's sum leaves out_j·Σ_i t_i − t_j = out_j − t_j."""
    return _neg(unevaluated(sp.Mul, t, unevaluated(sp.Pow, o, sp.S.NegativeOne)))


def _hinge(t: Expr, o: Expr) -> Expr:
    """max(0, 1 − t·o), of a target t = ±1 and a score o."""
    margin = _minus(sp.S.One, unevaluated(sp.Mul, t, o))
    return sp.Piecewise((margin, margin > 0), (sp.S.Zero, True), evaluate=False)


def _hinge_derivative(t: Expr, o: Expr) -> Expr:
    """−t where the margin 1 − t·o is positive, else 0 (at 1 − t·o = 0 too, as PyTorch's
    relu(1 − t·o) takes it)."""
    margin = _minus(sp.S.One, unevaluated(sp.Mul, t, o))
    return sp.Piecewise((_neg(t), margin > 0), (sp.S.Zero, True), evaluate=False)


SCORE = "s_y"  # the key of the true class's score, a node of a network with a layer loss


def true_score(ts: tuple[Expr, ...], os: tuple[Expr, ...]) -> Expr:
    """s_y = Σ_k t_k·out_k: with one-hot targets, the score of the class y the target marks."""
    return unevaluated(sp.Add, *(unevaluated(sp.Mul, t, o) for t, o in zip(ts, os, strict=True)))


def _margin(o: Expr, score: Expr) -> Expr:
    """out_j − s_y + 1: class j's score against the true class's, with the margin Δ = 1."""
    return unevaluated(sp.Add, _minus(o, score), sp.S.One)


def _violated(o: Expr, score: Expr) -> Expr:
    """[out_j − s_y + 1 > 0]: 1 where class j's margin is violated, else 0 (at 0 too, as
    torch's relu and max take it)."""
    m = _margin(o, score)
    return sp.Piecewise((sp.S.One, m > 0), (sp.S.Zero, True), evaluate=False)


def _svm_term(ts: tuple[Expr, ...], os: tuple[Expr, ...], j: int, score: Expr, shown: bool) -> Expr:
    """(1 − t_j)·max(0, out_j − s_y + 1): the true class's own term is 0 (CS231n's SVM loss
    sums over j ≠ y); computed as cases, `shown` as max."""
    m = _margin(os[j], score)
    hinge = (
        sp.Max(sp.S.Zero, m, evaluate=False)
        if shown
        else sp.Piecewise((m, m > 0), (sp.S.Zero, True), evaluate=False)
    )
    return unevaluated(sp.Mul, _minus(sp.S.One, ts[j]), hinge)


def _svm_derivative(ts: tuple[Expr, ...], os: tuple[Expr, ...], k: int, score: Expr) -> Expr:
    """∂L/∂out_k = (1 − t_k)·[margin_k violated] − t_k·Σ_j (1 − t_j)·[margin_j violated]: a
    wrong class whose margin is violated gets 1, the true class minus the number of them."""
    own = unevaluated(sp.Mul, _minus(sp.S.One, ts[k]), _violated(os[k], score))
    # the sum multiplied out, a term a class: each short enough for a line of its own
    each = (
        _neg(unevaluated(sp.Mul, ts[k], _minus(sp.S.One, t), _violated(o, score)))
        for t, o in zip(ts, os, strict=True)
    )
    return unevaluated(sp.Add, own, *each)


LOSSES: dict[str, Loss] = {
    rule.name: rule
    for rule in (
        Loss(
            "half_sse",
            "half the sum of squared errors, ½Σ(target − out)²",
            lambda n: sp.Rational(1, 2),
            halved=True,
        ),
        Loss("sse", "the sum of squared errors, Σ(target − out)²", lambda n: sp.Integer(1)),
        Loss("mse", "the mean squared error, (1/n)Σ(target − out)²", lambda n: sp.Rational(1, n)),
        Loss(
            "performance",
            "the performance function P = −½(d − z)², climbed by gradient ascent",
            lambda n: sp.Rational(-1, 2),
            ascent=True,
            noun="performance",
            halved=True,
        ),
        Loss(
            "cross_entropy",
            "the binary cross-entropy −Σ[t ln o + (1 − t) ln(1 − o)]",
            lambda n: sp.Integer(1),
            term=_bce,
            derivative=_bce_derivative,
            steps=_bce_steps,
        ),
        Loss(
            "nll",
            "the negative log-likelihood −Σᵢ tᵢ·outᵢ of log-probabilities",
            lambda n: sp.Integer(1),
            term=lambda t, o: _neg(unevaluated(sp.Mul, t, o)),
            derivative=lambda t, o: _neg(t),
            steps=lambda t, o: (_neg(t),),
        ),
        Loss(
            "hinge",
            "the hinge loss Σ max(0, 1 − t·out), targets ±1",
            lambda n: sp.Integer(1),
            term=_hinge,
            derivative=_hinge_derivative,
            steps=lambda t, o: (_hinge_derivative(t, o),),
        ),
        Loss(
            "multiclass_hinge",
            "the multiclass hinge (SVM) loss Σ_{j ≠ y} max(0, out_j − s_y + 1), s_y the score of "
            "the class y the one-hot target marks",
            lambda n: sp.Integer(1),
            layer_term=_svm_term,
            layer_derivative=_svm_derivative,
        ),
        Loss(  # torch.nn.MultiMarginLoss: the same sum divided by the number of classes C
            "multi_margin",
            "the multiclass hinge loss as torch.nn.MultiMarginLoss takes it, "
            "(1/C)·Σ_{j ≠ y} max(0, out_j − s_y + 1), over C classes",
            lambda n: sp.Integer(1),
            layer_term=lambda ts, os, j, s, shown: _times(
                sp.Rational(1, len(os)), _svm_term(ts, os, j, s, shown)
            ),
            layer_derivative=lambda ts, os, k, s: _times(
                sp.Rational(1, len(os)), _svm_derivative(ts, os, k, s)
            ),
        ),
        Loss(
            "categorical_cross_entropy",
            "the categorical cross-entropy −Σᵢ tᵢ ln outᵢ",
            lambda n: sp.Integer(1),
            term=_cce,
            derivative=_cce_derivative,
            steps=lambda t, o: (_cce_derivative(t, o),),  # (ln o)′ = 1/o
        ),
    )
}

RESIDUALS = ("target-out", "out-target")


def residual(order: str, target: Expr, out: Expr) -> Expr:
    return _minus(target, out) if order == "target-out" else _minus(out, target)


def _times(k: Expr, x: Expr) -> Expr:
    """k·x, written x for k = 1 and −x for k = −1."""
    if k == 1:
        return x
    return _neg(x) if k == -1 else unevaluated(sp.Mul, k, x)


def negated(x: Expr) -> Expr:
    """−x in textbook form: −(−(t − o)) is written t − o, −2(a − y) as 2(a − y) negated."""
    if isinstance(x, sp.Mul) and x.args and x.args[0].is_Number:
        k, rest = -x.args[0], x.args[1:]
        body = rest[0] if len(rest) == 1 else unevaluated(sp.Mul, *rest)
        return _times(k, body)
    return _neg(x)


def loss_term(loss: Loss, n_outputs: int, order: str, target: Expr, out: Expr) -> Expr:
    """One output's share of the loss, e.g. ½(target − out)²."""
    if loss.term:
        return loss.term(target, out)
    square = unevaluated(sp.Pow, residual(order, target, out), sp.Integer(2))
    return _times(loss.coefficient(n_outputs), square)


def loss_derivative(loss: Loss, n_outputs: int, order: str, target: Expr, out: Expr) -> Expr:
    """∂(loss term)/∂out in textbook form: −(target − out) for ½(target − out)², 2(a − y) for
    (a − y)², d − z for −½(d − z)²."""
    if loss.derivative:
        return loss.derivative(target, out)
    c = 2 * loss.coefficient(n_outputs)
    return _times(-c if order == "target-out" else c, residual(order, target, out))


def loss_derivative_steps(
    loss: Loss, n_outputs: int, order: str, target: Expr, out: Expr, at: int = 0
) -> tuple[Expr, ...]:
    """The power rule written out, as Mazur does: 2 · ½(target − out)^{2−1} · (−1) + 0. With
    several outputs, output `at`'s own term is differentiated and every other term gives 0, in
    its place in the sum: the sum drops out (seed 004: "we get rid of the sum")."""
    if loss.steps:
        return loss.steps(target, out)
    c = loss.coefficient(n_outputs)
    inner = sp.S.NegativeOne if order == "target-out" else sp.S.One
    power = unevaluated(
        sp.Pow, residual(order, target, out), unevaluated(sp.Add, sp.Integer(2), sp.S.NegativeOne)
    )
    factors = (sp.Integer(2),) + ((c,) if c != 1 else ()) + (power, inner)
    own = unevaluated(sp.Mul, *factors)
    if n_outputs == 1:
        return (own,)
    zero = sp.S.Zero
    return (unevaluated(sp.Add, *[zero] * at, own, *[zero] * (n_outputs - 1 - at)),)


def output_terms(
    loss: Loss,
    order: str,
    targets: tuple[Expr, ...],
    outs: tuple[Expr, ...],
    shown: bool = False,
) -> tuple[Expr, ...]:
    """Each output's share of the loss: its own term, or (a loss over the layer) a term in the
    true class's score s_y; `shown`: as a textbook writes it (max rather than cases)."""
    if loss.layer_term:
        score = sp.Symbol(SCORE, real=True)
        return tuple(loss.layer_term(targets, outs, j, score, shown) for j in range(len(outs)))
    return tuple(
        loss_term(loss, len(outs), order, t, o) for t, o in zip(targets, outs, strict=True)
    )


def output_derivative(
    loss: Loss, order: str, targets: tuple[Expr, ...], outs: tuple[Expr, ...], k: int
) -> Expr:
    """∂L/∂out_k in textbook form: of output k's own term, or (a loss over the layer) of all,
    in the true class's score s_y."""
    if loss.layer_derivative:
        return loss.layer_derivative(targets, outs, k, sp.Symbol(SCORE, real=True))
    return loss_derivative(loss, len(outs), order, targets[k], outs[k])
