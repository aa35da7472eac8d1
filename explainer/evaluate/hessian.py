"""Stage 4, evaluate (second derivatives): the Hessian of a graph's output by chosen leaves.

    H_ab = ∂²f/∂a∂b,   a, b among the chosen leaves,

by sympy.diff twice of the output written out as one expression of the leaves (the same whole
expression the gradient check differentiates once), evaluated there at 30 digits and rounded to
float64. By Schwarz's theorem H is symmetric where f is twice continuously differentiable, so
each pair a ≤ b (in the order the leaves are written) is computed once. A form is kept for the
page where sympy simplifies it to a few operations; a larger one is left to its value.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from explainer.evaluate.backprop import written_out
from explainer.foundation import work
from explainer.foundation.errors import ScenarioError
from explainer.graph.circuit import Circuit

SHOWN_OPS = 24  # a second derivative's form is written out up to this many operations


@dataclass(frozen=True)
class Entry:
    row: str  # a
    col: str  # b
    form: sp.Expr | None  # ∂²f/∂a∂b in the leaves, simplified; None: too long to write
    value: float


@dataclass(frozen=True)
class Hessian:
    leaves: tuple[str, ...]
    entries: tuple[Entry, ...]  # a ≤ b, row by row

    def at(self, a: str, b: str) -> Entry:
        i, j = sorted((self.leaves.index(a), self.leaves.index(b)))
        return next(e for e in self.entries if (e.row, e.col) == (self.leaves[i], self.leaves[j]))


def hessian(c: Circuit, leaves: tuple[str, ...], path: str = "") -> Hessian:
    """The output's second derivatives by `leaves`, a sympy computation within its bound of
    work; a graph too large to write out, or whose derivative sympy cannot take, is the
    scenario's error at derivatives.hessian."""
    if not written_out(c).writable:
        raise ScenarioError(
            path,
            "derivatives.hessian",
            "a graph small enough to write out as one expression (for sympy.diff twice)",
            f"{written_out(c).operations:,} operations",
        )
    real = {sp.Symbol(n): sp.Symbol(n, real=True) for n, _ in c.leaves}
    # each leaf at the double the page computes with (0.2 is 0.2000000000000000111…), so that a
    # case (a ReLU's z > 0) is decided as the page's float64 pass decides it, not at the
    # decimal written, where w·x + b may be exactly 0
    at = {real[sp.Symbol(n)]: sp.Float(float(v), 40) for n, v in c.leaves}
    try:
        with work.bounded():
            whole = c.whole().xreplace(real)
            seconds = []
            for i, a in enumerate(leaves):
                first = sp.diff(whole, real[sp.Symbol(a)])
                seconds += [(a, b, sp.diff(first, real[sp.Symbol(b)])) for b in leaves[i:]]
            values = [_value(d, at, path, a, b) for a, b, d in seconds]
    except (work.OutOfWork, MemoryError, TypeError, ValueError) as e:
        raise ScenarioError(
            path, "derivatives.hessian", "second derivatives sympy can take", work.said(e)
        ) from None
    entries = (Entry(a, b, _form(d, real), x) for (a, b, d), x in zip(seconds, values, strict=True))
    return Hessian(leaves, tuple(entries))


FORM_CALLS = work.SYMPY_CALLS // 10  # simplifying one entry for the page, at most this work
SIMPLIFIED_FROM = 2 * SHOWN_OPS  # an entry longer than this is not simplified at all


def _form(second: sp.Expr, real: dict[sp.Symbol, sp.Symbol]) -> sp.Expr | None:
    """The entry simplified, for the page, where sympy does it within its own bound of work
    and it comes out short; else None (the value alone is written)."""
    if sp.count_ops(second) > SIMPLIFIED_FROM:  # too long to come out short: not tried
        return None
    try:
        with work.bounded(FORM_CALLS):
            simple = sp.simplify(second)
    except (work.OutOfWork, MemoryError, TypeError, ValueError):
        return None
    if sp.count_ops(simple) > SHOWN_OPS:
        return None
    return simple.xreplace({v: k for k, v in real.items()})


def _value(second: sp.Expr, at: dict[sp.Symbol, sp.Float], path: str, a: str, b: str) -> float:
    x = complex(second.xreplace(at).evalf(30))
    if x.imag != 0 or x.real != x.real or abs(x.real) == float("inf"):
        raise ScenarioError(
            path,
            "derivatives.hessian",
            "second derivatives that are finite real numbers at the leaves' values",
            f"∂²/∂{a}∂{b} = {x}",
        )
    return x.real
