"""Stage 3, derive (circuits): each gate's local derivatives, in the form lecture notes print.

One row per operation (operations.OPERATIONS holds the rules): add distributes (each local derivative is 1), multiply swaps its inputs,
max routes to the larger, exp keeps itself, σ′ = σ(1 − σ) and tanh′ = 1 − tanh² in the gate's own
output, d/dx 1/x = −1/x². `[c]` is 1 where the condition c holds, else 0 (Iverson's bracket). A
gate that is a whole named node (`gates = "nodes"`) gets sympy.diff of its expression. A test
proves every row equals sympy.diff of the gate's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from explainer.foundation import work
from explainer.foundation.errors import ScenarioError
from explainer.graph.circuit import Circuit, Gate, real_parts
from explainer.rules.activations import unevaluated
from explainer.rules.operations import OPERATIONS, Rule, bracket

Expr = Any  # a sympy expression (sympy ships no precise types)
One, MinusOne = sp.S.One, sp.S.NegativeOne


RULES: dict[str, Rule] = {k: o.rule for k, o in OPERATIONS.items()}
NODE = Rule("a whole node as one gate: its partial derivatives by sympy", lambda *_: ())


@dataclass(frozen=True)
class Local:
    gate: str
    wire: str
    form: Expr  # ∂gate/∂wire, textbook form, in the gate's operands and its own output


def local(g: Gate) -> tuple[Local, ...]:
    """∂g/∂w for each wire w feeding g; a wire written twice (x·x) gets the sum of its places."""
    if g.forms:
        return tuple(Local(g.out, w, f) for w, f in zip(g.inputs, g.forms, strict=True))
    if g.op == "node":
        monomials = _monomials(g.expr)
        if monomials is not None:  # a weighted sum: each derivative read off its terms
            return tuple(Local(g.out, w, _linear(monomials, w)) for w in g.inputs)
        return tuple(Local(g.out, w, _diff(g.expr, w, g.inputs)) for w in g.inputs)
    forms = RULES[g.op].forms(*g.args, sp.Symbol(g.out))
    out = []
    for w in g.inputs:
        mine = [f for a, f in zip(g.args, forms, strict=True) if a == sp.Symbol(w)]
        out.append(Local(g.out, w, mine[0] if len(mine) == 1 else unevaluated(sp.Add, *mine)))
    return tuple(out)


def _monomials(expr: Expr) -> tuple[tuple[Expr, ...], ...] | None:
    """A sum of products of a constant and distinct symbols each to the first power (a
    network's weighted sum w1·i1 + w2·i2 + b1) as its terms' factors; None for anything else."""
    terms = expr.args if isinstance(expr, sp.Add) else (expr,)
    out = []
    for term in terms:
        factors = term.args if isinstance(term, sp.Mul) else (term,)
        symbols = [f for f in factors if f.is_Symbol]
        if len(set(symbols)) != len(symbols) or any(
            not (f.is_Symbol or f.is_Number) for f in factors
        ):
            return None
        out.append(factors)
    return tuple(out)


def _linear(monomials: tuple[tuple[Expr, ...], ...], wire: str) -> Expr:
    """∂/∂wire of a sum of monomials: each term holding the wire, without it (what sympy.diff
    gives, built by sympy's own constructors, so the same expression; a test proves it), at a
    cost that does not grow with sympy's: a [8, 8, 8] network's 216 derivatives in
    milliseconds, not a quarter of a second."""

    def mine(f: Expr) -> bool:  # by name: a network's symbols carry assumptions (real)
        return bool(f.is_Symbol and f.name == wire)

    return sp.Add(*(sp.Mul(*(f for f in t if not mine(f))) for t in monomials if any(map(mine, t))))


class _RealAbs(sp.Function):  # type: ignore[misc]  # sympy has no types
    """|u| of a real u: d|u|/du = sign(u) (0 at 0, as the |·| gate's rule)."""

    def fdiff(self, argindex: int = 1) -> Expr:
        return sp.sign(self.args[0])


def _diff(expr: Expr, wire: str, wires: tuple[str, ...]) -> Expr:
    """sympy.diff of a whole node by one wire, the wires real (so d|x|/dx is sign(x), not an
    expression in re and im) and each Heaviside step (from max and min) written as a bracket."""
    real = {sp.Symbol(w): sp.Symbol(w, real=True) for w in wires}
    # |u| as a function whose derivative is sign(u)·u′: sympy's Abs takes u complex where it
    # cannot prove it real (tanh(x ** 3.25)) and writes the derivative in re, im, sin, atan2
    d = sp.diff(expr.xreplace(real).replace(sp.Abs, _RealAbs), real[sp.Symbol(wire)])
    d = d.replace(_RealAbs, sp.Abs)
    d = d.replace(sp.Heaviside, lambda x, *_: bracket(x > 0))
    d = real_parts(d)  # sympy's re() and im() of values it cannot prove real
    return d.xreplace({v: k for k, v in real.items()})


def derive(c: Circuit, path: str = "") -> tuple[Local, ...]:
    """Every gate's local derivatives, in the order the backward pass takes them (last gate
    first). A node as one gate that sympy cannot differentiate over real numbers (it builds
    a zoo it cannot compare), or not within its bound of work, is the scenario's error, at
    that node."""
    return tuple(
        x for g in reversed(c.gates) for x in (_node(g, path) if g.op == "node" else local(g))
    )


def _node(g: Gate, path: str) -> tuple[Local, ...]:
    """A node as one gate, sympy's to differentiate: within its bound of work (work.py)."""
    try:
        with work.bounded():
            return local(g)
    except (TypeError, ValueError, work.OutOfWork, MemoryError) as e:
        raise ScenarioError(
            path,
            f"graph.nodes.{g.node}",
            "a node sympy can differentiate as one gate over real numbers (or gates = "
            '"operations", a gate per operation, or smaller nodes)',
            work.said(e),
        ) from None


def rule(g: Gate) -> Rule:
    return NODE if g.op == "node" else RULES[g.op]
