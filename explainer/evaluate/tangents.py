"""Stage 4, evaluate (forward mode): the tangent of every wire, pushed forward from one leaf.

Forward-mode differentiation seeds one leaf x with ẋ = 1 (every other leaf 0) and carries,
gate by gate in the order the forward pass computes them, each wire's derivative by x:

    q̇ = Σ over q's inputs u of ∂q/∂u · u̇        (the chain rule, one gate at a time)

The output's tangent is ∂f/∂x, the number the backward pass gives x; forward mode gets one
leaf's derivative per pass (all outputs at once), reverse mode every leaf's per pass (one
output), which is why backpropagation runs backward. The local derivatives ∂q/∂u are the
gates' own (derive/local.py), evaluated here at the forward values, in the page's arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from explainer.derive.local import Local
from explainer.evaluate.arithmetic import Arithmetic, value
from explainer.graph.circuit import Circuit

Number = Any


@dataclass(frozen=True)
class Term:
    """∂q/∂u · u̇: one input's share of a gate's tangent."""

    wire: str  # u
    local: Number  # ∂q/∂u at the forward values
    tangent: Number  # u̇


@dataclass(frozen=True)
class Tangent:
    wire: str
    terms: tuple[Term, ...]  # one per input, in the order the gate takes them
    value: Number  # q̇ = Σ local · tangent


@dataclass(frozen=True)
class Tangents:
    seed: str  # the leaf x whose tangent is 1
    leaves: tuple[tuple[str, Number], ...]  # each leaf's tangent: 1 for the seed, else 0
    gates: tuple[Tangent, ...]  # in forward order

    def of(self, wire: str) -> Number:
        return {**dict(self.leaves), **{t.wire: t.value for t in self.gates}}[wire]


def push(
    c: Circuit, locals_: tuple[Local, ...], env: dict[str, Number], ar: Arithmetic, seed: str
) -> Tangents:
    """Every wire's derivative by `seed`, gate by gate from the leaves (env: the forward pass)."""
    one, zero = ar.number(1), ar.number(0)
    dots: dict[str, Number] = {n: one if n == seed else zero for n, _ in c.leaves}
    leaves = tuple((n, dots[n]) for n, _ in c.leaves)
    by_gate: dict[str, list[Local]] = {}
    for x in locals_:
        by_gate.setdefault(x.gate, []).append(x)
    gates = []
    for g in c.gates:
        mine = {x.wire: x for x in by_gate.get(g.out, [])}
        terms = tuple(Term(w, ar.settle(value(mine[w].form, env, ar)), dots[w]) for w in g.inputs)
        total = zero
        for t in terms:
            total = total + t.local * t.tangent
        dots[g.out] = ar.settle(total)
        gates.append(Tangent(g.out, terms, dots[g.out]))
    return Tangents(seed, leaves, tuple(gates))
