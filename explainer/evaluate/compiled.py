"""Stage 4, evaluate (the compiled training loop): a small network's training as one generated
Python function over floats, straight-line code per step, as a hand-written loop would be.

The code is generated from the network and the rule tables, never from a scenario's text: each
neuron's weighted sum, its activation and the activation's textbook derivative, the loss terms
and their derivatives, printed by sympy's Python printer over our own variable names (`p3`,
`n1`, `o1`, `d1`). Per step: the forward pass; the record of the steps asked for; the deltas,
layer by layer from the output, through the weights before this step's update (simultaneous)
or through those the step has already updated (sequential); the updates. Compiled once per
network shape and convention and kept, so the verification's alternatives that share them share
the code. The numpy loop (trainer.py) remains for training sets, for a stopping rule, and for
networks too wide for straight-line code.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

import numpy
import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import PythonCodePrinter

from explainer.graph.network import Network
from explainer.read.settings import Schedule
from explainer.rules.activations import ACTIVATIONS, LOSSES, loss_derivative, loss_term

# parameters: above this numpy's loop is faster than the unrolled code (measured by
# benchmarks/peers.py: the compiled loop wins at [8, 8, 8], 144 parameters, loses at [16, 16, 16])
LARGEST = 200

# (θ, first step, last step, the steps to record (the first and last among them), those of them
# recorded in full) → a row per step: (k, loss, outputs, (net, out) per neuron, θ), or (k, loss)
Loop = Callable[[list[float], int, int, frozenset[int], frozenset[int]], list[tuple[Any, ...]]]


def compilable(net: Network, run: Schedule) -> bool:
    """One example, no stopping rule, and few enough parameters for straight-line code."""
    return len(run.examples) == 1 and run.until_loss is None and len(net.params) <= LARGEST


MATH = ("exp", "log", "tanh", "cosh", "sqrt")  # bound to locals: no lookup in the loop


class _FloatPrinter(PythonCodePrinter):  # type: ignore[misc]
    """Python code whose constants are float literals: `1.0 - o` runs faster than `1 - o` (no
    int-to-float conversion per operation) and gives the same float, since every integer and
    rational of the rule tables converts exactly or correctly rounded, as Python's `1/3` does."""

    def _print_Integer(self, expr: sp.Integer) -> str:
        return repr(float(expr))

    def _print_Rational(self, expr: sp.Rational) -> str:
        return repr(float(expr))


_PRINTER = _FloatPrinter({"fully_qualified_modules": False})

# Each rule is printed once, over placeholder names, and a neuron's code is the rule's with its
# own names put in: printing is most of the cost of writing a loop.
_NET, _OUT, _TARGET = sp.Symbol("NET_"), sp.Symbol("OUT_"), sp.Symbol("TARGET_")
_SLOT = re.compile(r"\b(NET_|OUT_|TARGET_)\b")


def _code(expr: sp.Expr) -> str:
    return str(_PRINTER.doprint(expr))


@functools.cache
def _activation(activation: str) -> tuple[str, str]:
    """f(NET_) and f′ in the rule table's textbook form, in NET_ and OUT_ = f(NET_)."""
    act = ACTIVATIONS[activation]
    return _code(act.forward(_NET)), _code(act.derivative(_NET, _OUT).doit())


@functools.cache
def _loss(rule: str, count: int, residual: str) -> tuple[str, str]:
    """One output's loss term and its derivative ∂L/∂OUT_, in TARGET_ and OUT_."""
    law = LOSSES[rule]
    return (
        _code(loss_term(law, count, residual, _TARGET, _OUT).doit()),
        _code(loss_derivative(law, count, residual, _TARGET, _OUT).doit()),
    )


def _fill(template: str, net: str = "", out: str = "", target: str = "") -> str:
    names = {"NET_": net, "OUT_": out, "TARGET_": target}
    return _SLOT.sub(lambda m: names[m.group(1)], template)


class _Writer:
    """The generated function's lines, each variable named by our own scheme."""

    def __init__(self, net: Network, run: Schedule) -> None:
        self.net, self.run = net, run
        self.param = {p.key: f"p{i}" for i, p in enumerate(net.params)}
        self.value = {k: f"x{i}" for i, k in enumerate(net.inputs)}
        for j, n in enumerate(net.neurons):
            self.value[n.out] = f"o{j}"
        self.index = {n.name: j for j, n in enumerate(net.neurons)}
        self.lines: list[str] = []

    def emit(self, line: str, depth: int = 2) -> None:
        self.lines.append("    " * depth + line)

    def forward(self) -> None:
        for j, n in enumerate(self.net.neurons):
            terms = [
                f"{self.param[w]} * {self.value[s]}"
                for w, s in zip(n.weights, n.sources, strict=True)
            ]
            total = " + ".join(terms)
            if n.bias:  # a threshold, the bias on a −1 input, subtracts
                total += f" {'-' if n.bias_input == -1 else '+'} {self.param[n.bias]}"
            self.emit(f"n{j} = {total}")
            self.emit(f"o{j} = {_fill(_activation(n.activation)[0], net=f'n{j}')}")

    def loss(self) -> str:
        net = self.net
        term = _loss(net.loss_rule, len(net.outputs), net.residual)[0]
        parts = [
            _fill(term, out=f"o{self.index[n.name]}", target=f"t{i}")
            for i, n in enumerate(net.outputs)
        ]
        return " + ".join(f"({p})" for p in parts)

    def deltas(self, layer: int) -> None:
        """d_j = ∂L/∂net_j for the neurons of one layer (upstream from the layer above)."""
        net = self.net
        last = layer == len(net.layers) - 1
        up = _loss(net.loss_rule, len(net.outputs), net.residual)[1]
        for name in net.layers[layer]:
            n, j = net.neuron(name), self.index[name]
            if last:
                i = [m.name for m in net.outputs].index(name)
                upstream = _fill(up, out=f"o{j}", target=f"t{i}")
            else:
                above = [m for m in net.consumers(n.out)]
                weights = [(m, m.weights[m.sources.index(n.out)]) for m in above]
                upstream = " + ".join(
                    f"d{self.index[m.name]} * {self.param[w]}" for m, w in weights
                )
            local = _fill(_activation(n.activation)[1], net=f"n{j}", out=f"o{j}")
            self.emit(f"d{j} = ({upstream}) * ({local})")

    def updates(self, layer: int, rate: float) -> None:
        """p ← p − η·δ_j·x for each trained parameter of the layer, with η·δ_j formed once per
        neuron (r_j), not once per weight; a shared bias sums its neurons' shares."""
        net = self.net
        trained = {p.key for p in net.params if p.trained}
        steps: dict[str, list[str]] = {}
        for name in net.layers[layer]:
            n, j = net.neuron(name), self.index[name]
            mine = [(w, self.value[s]) for w, s in zip(n.weights, n.sources, strict=True)]
            if n.bias:
                mine.append((n.bias, "" if n.bias_input == 1 else "-1.0"))
            mine = [(k, x) for k, x in mine if k in trained]
            if mine:
                self.emit(f"r{j} = {rate!r} * d{j}")
            for key, x in mine:
                steps.setdefault(key, []).append(f"r{j} * {x}" if x else f"r{j}")
        for key, parts in steps.items():
            self.emit(f"{self.param[key]} -= {' + '.join(parts)}")

    def body(self) -> str:
        """The loop: one forward pass, then between two recorded steps the step's code and the
        next forward pass, with no test in it; at each recorded step its row, from the forward
        pass the next step starts from (no pass is computed twice)."""
        net, run = self.net, self.run
        params = ", ".join(self.param[p.key] for p in net.params)
        ((x, t),) = run.examples
        self.lines = []
        self.forward()
        forward = self.lines
        self.lines = []
        self.step(-run.learning_rate if run.direction == "ascent" else run.learning_rate)
        step = self.lines
        outs = ", ".join(f"o{self.index[n.name]}" for n in net.outputs)
        neurons = ", ".join(f"(n{j}, o{j})" for j in range(len(net.neurons)))
        lines = [
            "def loop(theta, k0, k1, want, full):",
            f"    {params}{',' if len(net.params) == 1 else ''} = theta",
            *(f"    {self.value[k]} = {v!r}" for k, v in zip(net.inputs, x, strict=True)),
            *(f"    t{i} = {v!r}" for i, v in enumerate(t)),
            *(f"    {f} = math.{f}" for f in MATH),
            "    rows = []",
            "    k = k0",
            *(line[4:] for line in forward),  # depth 1: before the loop
            "    for stop in sorted(want):",
            "        for _ in range(stop - k):",
            *("    " + line for line in step),
            *("    " + line for line in forward),
            "        k = stop",
            "        if k in full:",
            f"            rows.append((k, {self.loss()}, ({outs},), ({neurons},), ({params},)))",
            "        else:",
            f"            rows.append((k, {self.loss()}))",
            "    return rows",
        ]
        return "\n".join(lines) + "\n"

    def step(self, rate: float) -> None:
        """The deltas, layer by layer from the output, and the updates: all after the deltas
        (simultaneous), or each layer's before the layer below is differentiated (sequential)."""
        net = self.net
        sequential = self.run.update == "sequential"
        layers = range(len(net.layers) - 1, -1, -1)
        lowest = min(p.layer for p in net.params if p.trained) if net.trained else len(net.layers)
        for li in layers:
            if li < lowest:
                break
            self.deltas(li)
            if sequential:
                self.updates(li, rate)
        if not sequential:
            for li in layers:
                if li >= lowest:
                    self.updates(li, rate)


def vectorised(args: tuple[sp.Symbol, ...], expr: sp.Expr) -> Callable[..., Any]:
    """`expr` as a numpy function of `args`: the code lambdify writes (NumPyPrinter's), without
    lambdify's set-up, whose first call imports all of numpy's names (~40 ms of a render). Only
    our rule tables' expressions, over our own symbols, are printed here."""
    body = NumPyPrinter().doprint(expr)
    source = f"def rule({', '.join(a.name for a in args)}):\n    return {body}\n"
    namespace: dict[str, object] = {"numpy": numpy}
    exec(compile(source, "<explainer numpy rule>", "exec"), namespace)
    rule = namespace["rule"]
    assert callable(rule)
    return rule


def _compiled(source: str) -> Loop:
    namespace: dict[str, object] = {"math": math}
    # Our own generated code: identifiers are p<i>, x<i>, n<i>, o<i>, d<i>, t<i> and numbers
    # printed by repr; no text of the scenario file is in it.
    exec(compile(source, "<explainer training loop>", "exec"), namespace)
    loop = namespace["loop"]
    assert callable(loop)
    return loop


def loop_for(net: Network, run: Schedule) -> Loop:
    """The compiled loop of this network and schedule: written and compiled once per distinct
    shape and convention (the verification's alternatives that share them share it)."""
    return _loop(_shape(net, run), net, run)


def _shape(net: Network, run: Schedule) -> tuple[object, ...]:
    """All the generated code depends on, cheaply hashable (not the sympy nodes)."""
    return (
        tuple((p.key, p.trained, p.layer) for p in net.params),
        tuple((n.activation, n.sources, n.weights, n.bias, n.bias_input) for n in net.neurons),
        net.layers,
        net.loss_rule,
        net.residual,
        run.examples,
        run.learning_rate,
        run.direction,
        run.update,
    )


_LOOPS: dict[tuple[object, ...], Loop] = {}


def _loop(shape: tuple[object, ...], net: Network, run: Schedule) -> Loop:
    if shape not in _LOOPS:
        if len(_LOOPS) >= 64:
            _LOOPS.clear()
        _LOOPS[shape] = _compiled(_Writer(net, run).body())
    return _LOOPS[shape]
