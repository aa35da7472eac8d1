"""Stage 4, evaluate: numbers for every node, local factor, gradient and update; the training loop.

The walkthrough's numbers are the derivation's own sympy expressions evaluated at the node values,
so what the page shows symbolically is exactly what was computed. The many-step training loop is
a separate, vectorised numpy implementation (per step: one matrix product per layer forward and
back); tests check that both agree. The only numpy user.
"""

from __future__ import annotations

import decimal
import functools
import operator
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from explainer.activations import ACTIVATIONS, LOSSES, loss_derivative, loss_term
from explainer.derivation import Derivation, Partial
from explainer.errors import ArithmeticModeError, NumericError
from explainer.network import Network
from explainer.settings import ArithmeticSpec, Schedule, parse_arithmetic

Number = Any  # np.float64 in float64 mode

# numpy's overflow and invalid-value warnings would print beside our one-line errors; a number
# that overflows is reported once, naming its quantity and step, by check_finite.
QUIET = np.errstate(all="ignore")


@dataclass(frozen=True)
class Arithmetic:
    """How numbers are made, combined and carried: one row per mode."""

    name: str
    describe: str
    number: Callable[[float], Number]  # a scenario's value
    constant: Callable[[sp.Number], Number]  # a constant inside an expression (½, −1, 2)
    functions: Mapping[type, Callable[[Number], Number]]
    # Applied to every quantity the page shows, before it is used again: identity, or the
    # rounding a student with a calculator does (on-paper arithmetic).
    settle: Callable[[Number], Number] = lambda x: x


def _irrational(name: str) -> Callable[[Number], Number]:
    def refuse(x: Number) -> Number:
        raise ArithmeticModeError(
            f"exact arithmetic cannot take {name} of {x}: the result is irrational; use "
            "--arithmetic float64 or paper:K"
        )

    return refuse


def _decimal_tanh(x: Decimal) -> Decimal:
    e = (2 * x).exp()
    return (e - 1) / (e + 1)


ARITHMETIC: dict[str, Arithmetic] = {
    "float64": Arithmetic(
        "float64",
        "IEEE double precision (numpy float64)",
        number=np.float64,
        constant=lambda c: np.float64(float(c)),
        functions={
            sp.exp: np.exp,
            sp.log: np.log,
            sp.tanh: np.tanh,
            sp.sech: lambda x: 1 / np.cosh(x),
        },
    ),
}


def exact(max_digits: int = 1_000) -> Arithmetic:
    """Fractions, refused past `max_digits` digits in a numerator or denominator or beyond the
    range of a float (which the page's JSON and figures need): they grow fast when trained."""
    max_bits = int(max_digits * 3.3219280948873626)  # log2(10)

    def settle(x: Fraction) -> Fraction:
        if max(x.numerator.bit_length(), x.denominator.bit_length()) > max_bits:
            raise _TooLarge(
                f"its exact fraction has more than {max_digits:,} digits (limit exact_digits, "
                "raise it with --limit exact_digits=N)"
            )
        if abs(x) > FLOAT_MAX:
            raise OverflowError("beyond float range")
        return x

    return Arithmetic(
        "exact",
        "exact rational arithmetic (every input read as the decimal written)",
        number=lambda x: Fraction(repr(x)),
        constant=lambda c: Fraction(int(c.p), int(c.q)),
        functions={f: _irrational(f.__name__) for f in (sp.exp, sp.log, sp.tanh, sp.sech)},
        settle=settle,
    )


FLOAT_MAX = Fraction(1.7976931348623157e308)


class _TooLarge(ArithmeticError):
    """A number past a size limit of ours (not the machine's)."""


ROUNDINGS = {"half-up": ROUND_HALF_UP, "truncate": ROUND_DOWN}
PAPER_CONTEXT = Context(prec=60)


def on_paper(decimals: int, rounding: str = "half-up") -> Arithmetic:
    """Every shown quantity rounded to `decimals` places and carried forward, as on paper."""
    quantum = Decimal(1).scaleb(-decimals)
    mode = ROUNDINGS[rounding]

    def settle(x: Decimal) -> Decimal:
        if x.is_finite() and x.adjusted() + decimals >= PAPER_CONTEXT.prec:
            raise OverflowError("too many digits to carry on paper")
        return x.quantize(quantum, rounding=mode, context=PAPER_CONTEXT)

    return Arithmetic(
        f"paper:{decimals}:{rounding}",
        f"on paper: every shown quantity {'rounded half up' if rounding == 'half-up' else 'truncated'}"
        f" to {decimals} decimals and carried forward",
        number=lambda x: settle(Decimal(repr(x))),
        constant=lambda c: PAPER_CONTEXT.divide(Decimal(int(c.p)), Decimal(int(c.q))),
        functions={
            sp.exp: lambda x: x.exp(PAPER_CONTEXT),
            sp.log: lambda x: x.ln(PAPER_CONTEXT),
            sp.tanh: _decimal_tanh,
            sp.sech: lambda x: 2 / (x.exp(PAPER_CONTEXT) + (-x).exp(PAPER_CONTEXT)),
        },
        settle=settle,
    )


def mode(spec: ArithmeticSpec, exact_digits: int = 1_000) -> Arithmetic:
    """The Arithmetic a resolved spec names."""
    if spec.kind == "exact":
        return exact(exact_digits)
    if spec.kind == "paper":
        return on_paper(spec.decimals, spec.rounding)
    return ARITHMETIC[spec.kind]


def arithmetic(spec: str, exact_digits: int = 1_000) -> Arithmetic:
    """float64, exact, or paper:K[:half-up|truncate] (K decimals, 1 to 15)."""
    return mode(parse_arithmetic(spec), exact_digits)


def value(expr: sp.Basic, env: Mapping[str, Number], ar: Arithmetic) -> Number:
    """Evaluate a sympy expression over `ar`, with symbols looked up by name in `env`."""
    if expr.is_Symbol:
        return env[expr.name]
    if expr.is_Number:
        return ar.constant(expr)
    if isinstance(expr, sp.Piecewise):
        return _piecewise(expr, env, ar)
    args = [value(a, env, ar) for a in expr.args]
    for kind, combine in _COMBINE:
        if isinstance(expr, kind):
            return combine(expr, args)
    if type(expr) in ar.functions:
        return ar.functions[type(expr)](args[0])
    raise ValueError(f"cannot evaluate {type(expr).__name__} in {ar.name} arithmetic")


def _power(expr: sp.Pow, args: list[Number]) -> Number:
    """An integer power by repeated multiplication (exact in fractions and decimals), a
    negative one as its reciprocal."""
    exponent = expr.args[1]
    if exponent.is_Integer:
        e = int(exponent)
        return args[0] ** e if e >= 0 else 1 / args[0] ** -e
    return args[0] ** args[1]


# Sums and products fold left to right, in the order sympy holds the terms.
_COMBINE: tuple[tuple[type, Callable[[Any, list[Number]], Number]], ...] = (
    (sp.Add, lambda _, args: functools.reduce(operator.add, args)),
    (sp.Mul, lambda _, args: functools.reduce(operator.mul, args)),
    (sp.Pow, _power),
)


def _piecewise(expr: sp.Piecewise, env: Mapping[str, Number], ar: Arithmetic) -> Number:
    for piece, condition in expr.args:
        if condition is sp.true or _holds(condition, env, ar):
            return value(piece, env, ar)
    raise ValueError(f"no piece of {expr} applies")


_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    sp.StrictGreaterThan: lambda a, b: a > b,
    sp.GreaterThan: lambda a, b: a >= b,
    sp.StrictLessThan: lambda a, b: a < b,
    sp.LessThan: lambda a, b: a <= b,
}


def _holds(condition: sp.Basic, env: Mapping[str, Number], ar: Arithmetic) -> bool:
    lhs, rhs = (value(a, env, ar) for a in condition.args)
    return bool(_COMPARE[type(condition)](lhs, rhs))


@dataclass(frozen=True)
class Update:
    key: str
    old: Number
    gradient: Number
    new: Number


@dataclass(frozen=True)
class Evaluation:
    arithmetic: str
    nodes: tuple[tuple[str, Number], ...]  # every node, topological order
    partials: tuple[tuple[Partial, Number], ...]  # every local factor and equation, in order
    updates: tuple[Update, ...]
    describe: str = ""  # the arithmetic in words, for the page

    @cached_property
    def _node_values(self) -> dict[str, Number]:
        return dict(self.nodes)

    @cached_property
    def _partial_values(self) -> dict[Partial, Number]:
        return dict(self.partials)

    def node(self, key: str) -> Number:
        return self._node_values[key]

    def partial(self, p: Partial) -> Number:
        return self._partial_values[p]


def forward(net: Network, params: Mapping[str, Number], ar: Arithmetic) -> dict[str, Number]:
    """Every node's value at `params`, on the worked example's inputs and targets."""
    env: dict[str, Number] = dict(params)
    with _guard("the inputs and targets"):
        env.update((k, ar.number(v)) for k, v in net.example)
    for node in net.nodes:
        if node.expr is not None:
            with _guard(node.key):
                env[node.key] = ar.settle(value(node.expr, env, ar))
    return env


class Fault(Exception):
    """An arithmetic fault in one quantity: which one, and why (turned into a NumericError that
    names the scenario and the step by `evaluate`)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key, self.reason = key, reason


def _start(net: Network, ar: Arithmetic) -> dict[str, Number]:
    """The parameters' starting values in the arithmetic `ar`."""
    with _guard("the starting values"):
        return {p.key: ar.number(p.value) for p in net.params}


@contextmanager
def _guard(key: str) -> Iterator[None]:
    try:
        yield
    except ArithmeticError as e:
        raise Fault(key, _reason(e)) from None


def _reason(e: ArithmeticError) -> str:
    if isinstance(e, _TooLarge):
        return str(e)
    if isinstance(e, ZeroDivisionError):
        return "a division by zero"
    if isinstance(e, OverflowError | decimal.Overflow):
        return "the numbers overflow (too large to compute)"
    if isinstance(e, decimal.InvalidOperation):
        return "an undefined operation (such as the log of 0, ∞ − ∞ or 0 · ∞)"
    return f"an arithmetic fault ({type(e).__name__})"


def numeric_error(path: str, fault: Fault, step: int | None) -> NumericError:
    when = f" after {step:,} training steps" if step else ""
    return NumericError(
        f"{path}: {fault.key}{when}: {fault.reason}; a smaller learning rate, "
        "other starting values, fewer steps or another --arithmetic avoid it"
    )


@QUIET
def evaluate(
    net: Network,
    d: Derivation,
    run: Schedule,
    mode: Arithmetic | str = "float64",
    start: Mapping[str, Number] | None = None,
    step: int | None = None,
) -> Evaluation:
    """Every local factor and equation of the derivation, evaluated layer by layer from the output.

    Simultaneous update: all of them at the initial weights. Sequential update: a layer's
    parameters are updated as soon as its gradients are known, so the local factors met below it
    (∂net_k/∂out_j = w_kj) take the updated weights.
    """
    ar = arithmetic(mode) if isinstance(mode, str) else mode
    try:
        return _evaluate(net, d, run, ar, start)
    except Fault as fault:
        raise numeric_error(run.path, fault, step) from None
    except ArithmeticError as e:  # outside any one quantity (the learning rate on paper)
        raise numeric_error(run.path, Fault("the worked step", _reason(e)), step) from None


def _evaluate(
    net: Network, d: Derivation, run: Schedule, ar: Arithmetic, start: Mapping[str, Number] | None
) -> Evaluation:
    params = dict(start) if start else _start(net, ar)
    env = forward(net, params, ar)
    seen = dict(env)  # the values local factors are evaluated at
    locals_ = {x.partial: x for x in d.locals}
    equations = {x.partial: x for x in d.equations}
    partials: dict[Partial, Number] = {}

    def get(p: Partial) -> Number:
        if p not in partials:
            with _guard(p.key):
                if p in locals_:
                    partials[p] = ar.settle(value(locals_[p].textbook, seen, ar))
                else:
                    partials[p] = ar.settle(_sum_of_products(equations[p].terms, get))
        return partials[p]

    # descent: p − η·∂L/∂p; ascent (an objective to maximise): p + η·∂P/∂p
    rate = ar.number(run.learning_rate)
    if run.direction == "ascent":
        rate = -rate
    gradient = dict(d.gradients)
    new: dict[str, Number] = {}
    for block in d.layers:
        for p in (
            *(q for nb in block.neurons for q in (*nb.defines, *nb.gradients)),
            *block.shared,
        ):
            get(p)
        done = {}
        for key in gradient:
            if net.param(key).layer == block.layer:
                with _guard(key):
                    done[key] = ar.settle(params[key] - ar.settle(rate * get(gradient[key])))
        new.update(done)
        if run.update == "sequential":
            seen.update(done)
    updates = tuple(Update(key, params[key], get(g), new[key]) for key, g in d.gradients)
    return Evaluation(
        ar.name,
        tuple((n.key, env[n.key]) for n in net.nodes),
        tuple(partials.items()),
        updates,
        ar.describe,
    )


def train_stepwise(
    net: Network,
    d: Derivation,
    run: Schedule,
    steps: int,
    ar: Arithmetic,
    record: Callable[[int], bool],
) -> Training:
    """Training by repeating the walkthrough's own evaluation, in any arithmetic (exact, on
    paper): slow, one full evaluation per step, for the few steps a page or a check needs."""
    try:
        params = _start(net, ar)
    except Fault as fault:
        raise numeric_error(run.path, fault, None) from None
    rows = []
    curve = []
    for k in range(steps + 1):
        ev = evaluate(net, d, run, ar, params, step=k)
        curve.append((k, float(ev.node(net.loss))))
        if k in (0, steps) or record(k):
            rows.append(
                Step(
                    k,
                    ev.node(net.loss),
                    tuple(ev.node(n.out) for n in net.outputs),
                    tuple(params[p.key] for p in net.params),
                )
            )
        params.update((u.key, u.new) for u in ev.updates)
    last = evaluate(net, d, run, ar, params, step=steps) if steps else evaluate(net, d, run, ar)
    return Training(tuple(rows), (tuple(last.node(n.out) for n in net.outputs),), tuple(curve))


def _sum_of_products(
    terms: tuple[tuple[Partial, ...], ...], get: Callable[[Partial], Number]
) -> Number:
    total = None
    for term in terms:
        product = get(term[0])
        for factor in term[1:]:
            product = product * get(factor)
        total = product if total is None else total + product
    return total


@QUIET
def central_differences(net: Network, h: float = 1e-6) -> dict[str, float]:
    """∂L/∂p ≈ (L(p + h) − L(p − h)) / 2h for every trained parameter: a check of the chain
    rule that shares nothing with it but the forward pass."""
    ar = ARITHMETIC["float64"]
    start = {p.key: ar.number(p.value) for p in net.params}

    def loss(key: str, shift: float) -> float:
        params = dict(start)
        params[key] = params[key] + shift
        return float(forward(net, params, ar)[net.loss])

    return {p.key: (loss(p.key, h) - loss(p.key, -h)) / (2 * h) for p in net.trained}


# Seed 004's proportional split of the output error ---------------------------------------


@dataclass(frozen=True)
class Share:
    output: str  # neuron
    weight: str  # key of w_kj, from hidden neuron j into output k
    error: Number  # e_k = target_k − out_k
    value: Number  # e_k · w_kj / Σ_j' w_kj'


@dataclass(frozen=True)
class Blame:
    neuron: str  # a neuron of the last hidden layer
    proportional: Number  # Σ_k e_k · w_kj / Σ_j' w_kj'
    scaled: Number  # Σ_k w_kj · e_k, the j-th entry of Wᵀe
    gradient: Number | None  # −∂L/∂out_j, what backpropagation gives (None: not derived)


def error_split(
    net: Network, ev: Evaluation, path: str
) -> tuple[tuple[Share, ...], tuple[Blame, ...]]:
    """The output errors e = target − out handed back to the last hidden layer in proportion to
    the weights, and with the denominator dropped (e_hidden = Wᵀe), against the true gradient."""
    values = dict(ev.nodes)
    hidden = [net.neuron(n) for n in net.layers[-2]]
    shares = []
    for k in net.outputs:
        e = values[k.target or ""] - values[k.out]
        total = sum((values[w] for w in k.weights[1:]), values[k.weights[0]])
        if total == 0:
            raise NumericError(
                f"{path}: display.error_split: the weights into {k.name} add up "
                "to 0, and the proportional split divides by their sum"
            )
        shares += [Share(k.name, w, e, e * values[w] / total) for w in k.weights]
    blames = []
    for j in hidden:
        mine = [
            x
            for x in shares
            if net.neuron(x.output).sources.index(j.out)
            == net.neuron(x.output).weights.index(x.weight)
        ]
        proportional = sum((x.value for x in mine[1:]), mine[0].value)
        scaled = sum(
            (values[x.weight] * x.error for x in mine[1:]), values[mine[0].weight] * mine[0].error
        )
        g = dict(ev.partials).get(Partial(net.loss, j.out))
        blames.append(Blame(j.name, proportional, scaled, None if g is None else -g))
    return tuple(shares), tuple(blames)


# The training loop ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """The state after k updates (k epochs, with a training set): the parameters, and the
    forward pass they give. `loss` is the mean over the examples of each example's loss."""

    k: int
    loss: float
    outputs: tuple[float, ...]  # of the first example
    params: tuple[float, ...]  # in Network.params order


@dataclass(frozen=True)
class Training:
    steps: tuple[Step, ...]  # the recorded ones, k ascending; always k = 0 and the last
    predictions: tuple[tuple[float, ...], ...]  # every example's outputs after the last step
    curve: tuple[tuple[int, float], ...] = ()  # (k, loss) at CURVE_POINTS steps, for the plot

    def at(self, k: int) -> Step:
        return next(s for s in self.steps if s.k == k)


class _Layer:
    """One layer's parameters as matrices: net = W·x + B·β, with B mapping bias parameters β
    to neurons (a column per bias; a shared bias is one column of ones)."""

    def __init__(self, net: Network, names: tuple[str, ...], theta: np.ndarray) -> None:
        index = {p.key: i for i, p in enumerate(net.params)}
        neurons = [net.neuron(n) for n in names]
        act = ACTIVATIONS[neurons[0].activation]
        x, y = sp.Symbol("x"), sp.Symbol("y")
        # lambdify prints our own rule-table expressions (never a scenario string) as numpy code.
        self.f = sp.lambdify((x,), act.forward(x), "numpy")
        self.f_prime = sp.lambdify((x, y), act.derivative(x, y).doit(), "numpy")
        self.w_index = np.array([[index[k] for k in n.weights] for n in neurons], dtype=np.intp)
        biases = list(dict.fromkeys(n.bias for n in neurons if n.bias))
        self.b_index = np.array([index[b] for b in biases], dtype=np.intp)
        sign = neurons[0].bias_input
        self.spread = np.array([[sign * (n.bias == b) for b in biases] for n in neurons])
        self.w = theta[self.w_index]
        self.b = theta[self.b_index]
        self.w_rate = np.array(
            [float(net.params[i].trained) for i in self.w_index.ravel()]
        ).reshape(self.w.shape)
        self.b_rate = np.array([float(net.params[i].trained) for i in self.b_index])
        self.trains_biases = bool(self.b_rate.any())
        self.frozen_bias = self.spread @ self.b  # B·β, constant while the biases are not trained

    def scale(self, rate: float) -> None:
        self.w_rate *= rate
        self.b_rate *= rate

    def store(self, theta: np.ndarray) -> None:
        theta[self.w_index] = self.w
        theta[self.b_index] = self.b


def converged(run: Schedule, loss: float) -> bool:
    """The stopping rule: a loss below `until_loss`, or for an objective climbed by gradient
    ascent (P ≤ 0, best at 0), −P below it."""
    distance = -loss if run.direction == "ascent" else loss
    return run.until_loss is not None and distance < run.until_loss


def check_finite(path: str, net: Network, ev: Evaluation, training: Training) -> None:
    """Overflow or an undefined value (a log of 0, a learning rate too large) is the scenario's
    problem to fix, said in one line, not a page of nan."""
    bad = [k for k, v in ev.nodes if not _finite(v)] + [
        p.key for p, v in ev.partials if not _finite(v)
    ]
    bad += [f"{net.loss}@{st.k}" for st in training.steps if not _finite(st.loss)]
    bad += [f"{net.loss}@{k}" for k, loss in training.curve if not _finite(loss)]
    if bad:
        raise NumericError(
            f"{path}: {bad[0]}: the numbers overflow or are undefined (inf, nan, "
            "or past 1e100 as training diverges); "
            "a smaller learning rate, other starting values or fewer steps avoid it"
        )


SATURATED = 1e-6  # |f′(net)| below this: the neuron's gradients all but vanish


def saturation_warnings(net: Network, ev: Evaluation, path: str) -> tuple[str, ...]:
    """Saturated neurons: a sigmoid or tanh whose slope f′(net) is all but zero at the worked
    step, so every gradient through it vanishes and training barely moves its weights."""
    found = []
    slopes = dict(ev.partials)
    for n in net.neurons:
        if n.activation not in ("sigmoid", "tanh") or not n.has_net:
            continue
        slope = slopes.get(Partial(n.out, n.net))
        if slope is not None and abs(float(slope)) < SATURATED:
            found.append(
                f"{path}: {n.out} is saturated at step 0 ({n.net} = "
                f"{float(ev.node(n.net)):.4g}, slope {float(slope):.3g}): the gradients through "
                "it vanish, and training barely changes the weights before it"
            )
    return tuple(found)


HUGE = 1e100  # past this a value has diverged: its square, or a plot of it, overflows


def _finite(x: Number) -> bool:
    return isinstance(x, Fraction) or bool(abs(float(x)) < HUGE)


CURVE_POINTS = 400


def curve_steps(total: int) -> frozenset[int]:
    """The steps a loss curve samples: all of them, or CURVE_POINTS evenly spread."""
    if total <= CURVE_POINTS:
        return frozenset(range(total + 1))
    return frozenset(round(i * total / CURVE_POINTS) for i in range(CURVE_POINTS + 1))


@QUIET
def train(
    net: Network,
    run: Schedule,
    steps: int,
    record: Callable[[int], bool],
    start: Step | None = None,
) -> Training:
    """Gradient descent for `steps` updates or epochs (fewer if the loss falls below `until_loss`).

    Simultaneous: every gradient from the weights of the same forward pass. Sequential: each
    layer is updated as soon as its gradients are known, and the layer below is differentiated
    through the updated weights. A training set is taken in order, one update per example
    (stochastic) or one per epoch from the mean gradient (batch). Recorded: every k with
    `record(k)`, plus k = 0 and the last. From `start`: the same loop continued from that
    recorded state (its row is the first).
    """
    first = start.k if start else 0
    theta = np.array(start.params if start else [p.value for p in net.params], dtype=np.float64)
    layers = [_Layer(net, names, theta) for names in net.layers]
    rule = LOSSES[net.loss_rule]
    for layer in layers:
        layer.scale(-run.learning_rate if run.direction == "ascent" else run.learning_rate)
    examples = run.examples
    x_all = np.array([x for x, _ in examples], dtype=np.float64)
    t_all = np.array([t for _, t in examples], dtype=np.float64)
    n = len(net.outputs)
    ts, os_ = sp.Symbol("t"), sp.Symbol("o")
    # lambdify prints our own rule-table expressions (never a scenario string) as numpy code.
    term = sp.lambdify((ts, os_), loss_term(rule, n, net.residual, ts, os_).doit(), "numpy")
    d_term = sp.lambdify((ts, os_), loss_derivative(rule, n, net.residual, ts, os_).doit(), "numpy")
    batches = (
        [slice(i, i + 1) for i in range(len(examples))]
        if run.mode == "stochastic"
        else [slice(0, len(examples))]
    )
    sequential = run.update == "sequential"
    watch = run.until_loss is not None
    rows: list[Step] = []
    sampled = curve_steps(steps) if not watch else frozenset()
    stride = 1  # with until_loss, every stride-th step's loss is kept for the curve
    curve: list[tuple[int, float]] = []
    for k in range(first, steps + 1):
        if watch or k in (first, steps) or record(k) or k in sampled:
            out = _forward(layers, x_all)[0][-1]
            loss = float(np.mean(np.sum(term(t_all, out), axis=1)))
            done = k == steps or (watch and converged(run, loss))
            if k in sampled or done or (watch and k % stride == 0):
                curve.append((k, loss))
            if len(curve) > 2 * CURVE_POINTS and not done:  # until_loss: a bounded, even sample
                curve, stride = curve[::2], stride * 2
            if k in (first, steps) or done or record(k):
                for layer in layers:
                    layer.store(theta)
                rows.append(Step(k, loss, tuple(map(float, out[0])), tuple(map(float, theta))))
            if done:
                break
        for batch in batches:
            _update(layers, x_all[batch], t_all[batch], d_term, sequential)
    final = _forward(layers, x_all)[0][-1]
    return Training(tuple(rows), tuple(tuple(map(float, row)) for row in final), _thin(curve))


def _thin(curve: list[tuple[int, float]]) -> tuple[tuple[int, float], ...]:
    """At most CURVE_POINTS + 1 points, evenly spread, the first and last kept (with until_loss
    the loop keeps a sample of at most 2·CURVE_POINTS, since where training stops is known only
    at the end)."""
    n = len(curve)
    if n <= CURVE_POINTS + 1:
        return tuple(curve)
    return tuple(curve[round(i * (n - 1) / CURVE_POINTS)] for i in range(CURVE_POINTS + 1))


def _forward(layers: list[_Layer], x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Rows are examples: outs[0] = x, outs[i + 1] = f(nets[i]), nets[i] = outs[i]·Wᵀ + B·β."""
    outs, nets = [x], []
    for layer in layers:
        z = outs[-1] @ layer.w.T
        if layer.trains_biases:
            z = z + layer.spread @ layer.b
        elif layer.b.size:
            z = z + layer.frozen_bias
        nets.append(z)
        outs.append(layer.f(z))
    return outs, nets


def _update(
    layers: list[_Layer],
    x: np.ndarray,
    t: np.ndarray,
    d_term: Callable[[np.ndarray, np.ndarray], np.ndarray],
    sequential: bool,
) -> None:
    """One gradient step from the mean gradient of the rows of x."""
    outs, nets = _forward(layers, x)
    upstream = d_term(t, outs[-1])  # ∂L/∂out per example and output
    if len(x) > 1:
        upstream = upstream / len(
            x
        )  # the mean over the batch: every gradient below is linear in it
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        delta = upstream * layer.f_prime(nets[i], outs[i + 1])
        if i and not sequential:
            upstream = delta @ layer.w  # from the weights before this step's update
        layer.w = layer.w - layer.w_rate * (delta.T @ outs[i])
        if layer.trains_biases:
            layer.b = layer.b - layer.b_rate * (delta @ layer.spread).sum(axis=0)
        if i and sequential:
            upstream = delta @ layer.w  # from the weights this step already updated
