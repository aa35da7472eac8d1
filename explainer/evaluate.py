"""Stage 4, evaluate: numbers for every node, local factor, gradient and update; the training loop.

The walkthrough's numbers are the derivation's own sympy expressions evaluated at the node values,
so what the page shows symbolically is exactly what was computed. The many-step training loop is
a separate, vectorised numpy implementation (per step: one matrix product per layer forward and
back); tests check that both agree. The only numpy user.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from explainer.activations import ACTIVATIONS, LOSSES
from explainer.derivation import Derivation, Partial
from explainer.network import Network

Number = Any  # np.float64 in float64 mode


@dataclass(frozen=True)
class Arithmetic:
    """How numbers are made and combined: float64 now; the table is where other modes go."""

    name: str
    describe: str
    number: Callable[[float], Number]  # a scenario's value
    constant: Callable[[sp.Number], Number]  # a constant inside an expression (½, −1, 2)
    functions: Mapping[type, Callable[[Number], Number]]


ARITHMETIC: dict[str, Arithmetic] = {
    "float64": Arithmetic(
        "float64",
        "IEEE double precision (numpy float64)",
        number=np.float64,
        constant=lambda c: np.float64(float(c)),
        functions={sp.exp: np.exp, sp.tanh: np.tanh, sp.sech: lambda x: 1 / np.cosh(x)},
    ),
}


def value(expr: sp.Basic, env: Mapping[str, Number], ar: Arithmetic) -> Number:
    """Evaluate a sympy expression over `ar`, with symbols looked up by name in `env`."""
    if expr.is_Symbol:
        return env[expr.name]
    if expr.is_Number:
        return ar.constant(expr)
    args = [value(a, env, ar) for a in expr.args] if not isinstance(expr, sp.Piecewise) else []
    if isinstance(expr, sp.Add):
        total = args[0]
        for a in args[1:]:
            total = total + a
        return total
    if isinstance(expr, sp.Mul):
        product = args[0]
        for a in args[1:]:
            product = product * a
        return product
    if isinstance(expr, sp.Pow):
        _, exponent = expr.args
        if exponent.is_Integer:
            e = int(exponent)
            return args[0] ** e if e >= 0 else 1 / args[0] ** -e
        return args[0] ** args[1]
    if isinstance(expr, sp.Piecewise):
        for piece, condition in expr.args:
            if condition is sp.true or _holds(condition, env, ar):
                return value(piece, env, ar)
        raise ValueError(f"no piece of {expr} applies")
    if type(expr) in ar.functions:
        return ar.functions[type(expr)](args[0])
    raise ValueError(f"cannot evaluate {type(expr).__name__} in {ar.name} arithmetic")


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

    def node(self, key: str) -> Number:
        return dict(self.nodes)[key]

    def partial(self, p: Partial) -> Number:
        return dict(self.partials)[p]


def forward(net: Network, params: Mapping[str, Number], ar: Arithmetic) -> dict[str, Number]:
    s = net.scenario
    env: dict[str, Number] = dict(params)
    env.update((k, ar.number(v)) for k, v in zip(s.inputs, s.input_values, strict=True))
    env.update((n.target or "", ar.number(t)) for n, t in zip(net.outputs, s.targets, strict=True))
    for node in net.nodes:
        if node.expr is not None:
            env[node.key] = value(node.expr, env, ar)
    return env


def evaluate(net: Network, d: Derivation, arithmetic: str = "float64") -> Evaluation:
    ar = ARITHMETIC[arithmetic]
    params = {p.key: ar.number(p.value) for p in net.params}
    env = forward(net, params, ar)
    partials: dict[Partial, Number] = {x.partial: value(x.textbook, env, ar) for x in d.locals}
    for eq in d.equations:
        total = None
        for term in eq.terms:
            product = partials[term[0]]
            for factor in term[1:]:
                product = product * partials[factor]
            total = product if total is None else total + product
        partials[eq.partial] = total
    rate = ar.number(net.scenario.learning_rate)
    updates = tuple(
        Update(key, params[key], partials[p], params[key] - rate * partials[p])
        for key, p in d.gradients
    )
    return Evaluation(
        ar.name, tuple((n.key, env[n.key]) for n in net.nodes), tuple(partials.items()), updates
    )


# The training loop ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """The state after k updates: the parameters, and the forward pass they give."""

    k: int
    loss: float
    outputs: tuple[float, ...]
    params: tuple[float, ...]  # in Network.params order


@dataclass(frozen=True)
class Training:
    steps: tuple[Step, ...]  # the recorded ones, k ascending; always k = 0 and the last

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
        self.spread = np.array([[float(n.bias == b) for b in biases] for n in neurons])
        self.w = theta[self.w_index]
        self.b = theta[self.b_index]
        self.w_rate = np.array(
            [float(net.params[i].trained) for i in self.w_index.ravel()]
        ).reshape(self.w.shape)
        self.b_rate = np.array([float(net.params[i].trained) for i in self.b_index])

    def scale(self, rate: float) -> None:
        self.w_rate *= rate
        self.b_rate *= rate

    def store(self, theta: np.ndarray) -> None:
        theta[self.w_index] = self.w
        theta[self.b_index] = self.b


def train(net: Network, steps: int, record: Callable[[int], bool]) -> Training:
    """Gradient descent for `steps` updates, all gradients from the same forward pass.

    Recorded: every k for which `record(k)` holds, plus k = 0 and k = steps.
    """
    s = net.scenario
    theta = np.array([p.value for p in net.params], dtype=np.float64)
    layers = [_Layer(net, names, theta) for names in net.layers]
    for layer in layers:
        layer.scale(s.learning_rate)
    x0 = np.array(s.input_values, dtype=np.float64)
    t = np.array(s.targets, dtype=np.float64)
    c = float(LOSSES[s.loss].coefficient(len(t)))
    rows: list[Step] = []
    for k in range(steps + 1):
        xs, nets = [x0], []
        for layer in layers:
            z = layer.w @ xs[-1]
            if layer.b.size:
                z = z + layer.spread @ layer.b
            nets.append(z)
            xs.append(layer.f(z))
        r = t - xs[-1]
        if k == 0 or k == steps or record(k):
            for layer in layers:
                layer.store(theta)
            rows.append(
                Step(k, float(c * (r @ r)), tuple(map(float, xs[-1])), tuple(map(float, theta)))
            )
        if k == steps:
            break
        upstream = -2.0 * c * r  # ∂L/∂out for L = c·Σ(t − out)²
        for i in range(len(layers) - 1, -1, -1):
            layer = layers[i]
            delta = upstream * layer.f_prime(nets[i], xs[i + 1])
            if i:
                upstream = layer.w.T @ delta  # from the weights before this step's update
            layer.w = layer.w - layer.w_rate * (delta[:, None] * xs[i])
            if layer.b.size:
                layer.b = layer.b - layer.b_rate * (delta @ layer.spread)
    return Training(tuple(rows))
