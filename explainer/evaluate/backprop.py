"""Stage 4, evaluate (circuits): the forward values and the backward pass, gate by gate.

Forward: each gate's value from its inputs. Backward: the output's gradient is 1; each gate, last
first, multiplies its upstream gradient (the output's gradient with respect to the gate) by each
local derivative, upstream × local = downstream; a wire that feeds several gates sums its
downstream gradients. Any arithmetic mode (float64, exact, on paper), as for networks.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import sympy as sp

from explainer.derive import lines as derive_lines
from explainer.derive.lines import Key, LocalKey, Move, Seed, Share
from explainer.derive.local import Local
from explainer.evaluate.arithmetic import ARITHMETIC, Arithmetic, value
from explainer.evaluate.settle import Settled
from explainer.evaluate.worked import reason
from explainer.foundation import work
from explainer.foundation.errors import NumericError
from explainer.graph.circuit import Circuit

Number = Any


@dataclass(frozen=True)
class Flow:
    """One gate's share of one wire's gradient."""

    gate: str
    wire: str
    form: sp.Expr  # the local derivative ∂gate/∂wire, symbolic
    local: Number  # … at the forward values
    upstream: Number  # ∂output/∂gate
    downstream: Number  # upstream × local


@dataclass(frozen=True)
class Backprop:
    arithmetic: str  # how the numbers were made, in words
    values: Mapping[str, Number]  # every wire's value
    flows: tuple[Flow, ...]  # in the order the backward pass takes them
    gradients: Mapping[str, Number]  # ∂output/∂wire, every wire

    def shares(self, wire: str) -> tuple[Flow, ...]:
        return tuple(f for f in self.flows if f.wire == wire)


def forward(
    c: Circuit,
    ar: Arithmetic,
    carried: Mapping[str, float] | None = None,
    path: str = "",
    at: Mapping[str, Number] | None = None,
) -> dict[str, Number]:
    """Every wire's value; `carried` puts a printed value in place of a wire's computed one;
    `at`: leaves' values already in the arithmetic (a training step's), in place of the
    scenario's."""
    carried = carried or {}
    env: dict[str, Number] = {}
    for name, v in c.leaves:
        with _located(name, f"graph.leaves.{name}", path) as check:
            env[name] = check(ar.number(v))
    env.update(at or {})
    env.update((k, ar.number(v)) for k, v in carried.items() if k in env)
    with np.errstate(all="ignore"):
        for g in c.gates:
            if g.out in carried:
                env[g.out] = ar.number(carried[g.out])
                continue
            with _located(g.out, where(c, g.out), path) as check:
                env[g.out] = check(ar.settle(value(g.expr, env, ar)))
    return env


Moved = Callable[[str, Number, Number], Number]  # (leaf, its value, its gradient) → new value


def backward(
    c: Circuit,
    locals_: tuple[Local, ...],
    env: Mapping[str, Number],
    ar: Arithmetic,
    path: str = "",
    moved: Mapping[str, Moved] | None = None,
) -> tuple[tuple[Flow, ...], dict[str, Number]]:
    """The flows, last gate first, and each wire's gradient (the sum of its shares), the lines
    of derive/lines.py settled in order. `moved`: a sequential update, by trained leaf: where
    the lines move a leaf it takes its new value, and every local derivative after that reads
    it (∂net_o1/∂out_h1 = w5⁺), as a source that updates the output layer before it
    differentiates the layers below."""
    moves = moved or {}
    ls = derive_lines.lines(c, locals_, tuple(moves))

    named = _Named(c, path)
    seeds = frozenset(k for k in ls.forms if isinstance(k, Seed))
    settled: Settled[Key] = Settled(
        ar, dict(env), ls.forms, ls.terms, named.fault, named.check, raw=seeds
    )
    flows = []
    with np.errstate(all="ignore"):
        for i, x in enumerate(ls.steps):
            if isinstance(x, Move):
                if i + 1 < len(ls.steps):  # nothing reads a leaf moved after the last line
                    seen = settled.seen  # a moved leaf's gradient is complete: its last line
                    seen.update(
                        (w, moves[w](w, seen[w], settled.get(ls.gradient[w]))) for w in x.leaves
                    )
                continue
            v = settled.get(x.key)
            if isinstance(x.key, Share):
                assert x.local is not None
                up, here = (settled.values[k] for k in x.terms[0])
                flows.append(Flow(x.local.gate, x.local.wire, x.local.form, here, up, v))
    grads = {w: settled.get(k) for w, k in ls.gradient.items()}
    for w in c.wires:
        grads.setdefault(w, ar.constant(sp.S.Zero))
    return tuple(flows), grads


@dataclass(frozen=True)
class _Named:
    """A line's fault or non-finite value as an error naming the file, the node and the
    quantity (built only when one happens)."""

    c: Circuit
    path: str

    def named(self, k: Key) -> tuple[str, str]:  # (the quantity, the node it is part of)
        c = self.c
        if isinstance(k, Seed):
            return f"d{k.output}/d{k.output}", where(c, k.output)
        what = f"d{k.gate}/d{k.wire}" if isinstance(k, LocalKey) else f"d{c.output}/d{k.wire}"
        return what, where(c, k.gate)

    def fault(self, k: Key, e: ArithmeticError) -> NumericError:
        what, at = self.named(k)
        return NumericError(f"{self.path}: {at}: {what}: {reason(e)}")

    def check(self, k: Key, x: Number) -> Number:
        if not _finite(x):
            what, at = self.named(k)
            raise _not_finite(self.path, at, what, x)
        return x


def run(
    c: Circuit,
    locals_: tuple[Local, ...],
    ar: Arithmetic,
    carried: Mapping[str, float] | None = None,
    path: str = "",
    at: Mapping[str, Number] | None = None,
    moved: Mapping[str, Moved] | None = None,
) -> Backprop:
    env = forward(c, ar, carried, path, at)
    flows, grads = backward(c, locals_, env, ar, path, moved)
    return Backprop(ar.describe, env, flows, grads)


def where(c: Circuit, gate: str) -> str:
    """The key of the named node a gate is part of, for error messages."""
    node = next(g.node for g in c.gates if g.out == gate)
    return f"graph.nodes.{node}"


@contextmanager
def _located(what: str, at: str, path: str) -> Iterator[Callable[[Number], Number]]:
    """Computing one number of the pass: an arithmetic fault in any mode (fractions, decimals)
    and a float64 result that is not finite (`check`) both become a NumericError naming the
    file, the node and the quantity."""

    def check(x: Number) -> Number:
        if not _finite(x):
            raise _not_finite(path, at, what, x)
        return x

    try:
        yield check
    except ArithmeticError as e:
        raise NumericError(f"{path}: {at}: {what}: {reason(e)}") from None


def _finite(x: Number) -> bool:
    try:
        return bool(abs(float(x)) < float("inf"))
    except (OverflowError, ValueError):
        return False


def _not_finite(path: str, at: str, what: str, x: Number) -> NumericError:
    return NumericError(
        f"{path}: {at}: {what} = {x}: not a finite number (a division by zero, the log "
        "of a number ≤ 0, the square root of a negative one, or an overflow)"
    )


H = 1e-6


def central_differences(c: Circuit) -> dict[str, float | None]:
    """∂output/∂leaf by (f(x + h) − f(x − h)) / 2h in float64, h = 10⁻⁶: independent of the
    local derivatives. None where x ± h steps to where f is undefined (1/relu(x) at x = 1e-9)."""
    out: dict[str, float | None] = {}
    for i, (name, v) in enumerate(c.leaves):
        moved = []
        for x in (v + H, v - H):
            leaves = (*c.leaves[:i], (name, x), *c.leaves[i + 1 :])
            shifted = dataclasses.replace(c, leaves=leaves)
            try:
                moved.append(float(forward(shifted, ARITHMETIC["float64"])[c.output]))
            except NumericError:
                break
        out[name] = (moved[0] - moved[1]) / (2 * H) if len(moved) == 2 else None
    return out


WHOLE_LIMIT = 300  # operations in the whole expression written out, for sympy.diff of it
KINK_LIMIT = 16  # max, min, relu and |·| among them: each doubles the cases sympy carries
KINKED = ("max", "min", "relu", "abs")
_CASES = (sp.Max, sp.Min, sp.Abs, sp.Piecewise)


@dataclass(frozen=True)
class Size:
    """The output written out as one expression: a value used k times counts k times, so a deep
    graph that reuses its values grows exponentially."""

    operations: int
    kinks: int  # operations with cases (max, min, relu, |·|, a node as one gate holding one)

    @property
    def writable(self) -> bool:
        """Small enough for sympy.diff of the whole (larger, it takes minutes)."""
        return self.operations <= WHOLE_LIMIT and self.kinks <= KINK_LIMIT


def written_out(c: Circuit) -> Size:
    size = {n: Size(0, 0) for n, _ in c.leaves}
    for g in c.gates:
        inner = [size[a.name] for a in g.args if isinstance(a, sp.Symbol)]
        kinked = g.op in KINKED or (g.op == "node" and g.expr.has(*_CASES))
        size[g.out] = Size(
            1 + sum(x.operations for x in inner), int(kinked) + sum(x.kinks for x in inner)
        )
    return size[c.output]


LeftOut = Literal["", "operations", "cases", "work", "undefined"]


@dataclass(frozen=True)
class Symbolic:
    """sympy.diff of the whole expression by each leaf, evaluated there (None where that is not
    a finite real number), or the reason the check is left out: the expression written out
    has too many operations, or too many with cases, sympy's work ran past its bound
    (work.SYMPY_CALLS), or sympy could not build the whole expression (a case is undefined)."""

    values: Mapping[str, float | None]
    left_out: LeftOut = ""


def symbolic(c: Circuit, calls: int = work.SYMPY_CALLS) -> Symbolic:
    """∂output/∂leaf as sympy.diff of the whole expression, evaluated at the leaves: independent
    of the gates and of the backward pass; left out when the expression written out is too
    large (Size.writable) or sympy's work runs past `calls`."""
    size = written_out(c)
    if not size.writable:
        return Symbolic({}, "operations" if size.operations > WHOLE_LIMIT else "cases")
    real = {sp.Symbol(n): sp.Symbol(n, real=True) for n, _ in c.leaves}  # d|x|/dx = sign(x)
    # evaluated numerically, each leaf's decimal put in as a 40-digit float, so that sympy
    # computes in floats as it rebuilds the tree: put in as exact rationals, 24 ** x1 at
    # x1 = 3333333333333333/10**16 is a root sympy would try to take exactly, for minutes
    # (and evalf's own subs= substitutes again at every piecewise, for as long)
    at = {real[sp.Symbol(n)]: sp.Float(repr(v), 40) for n, v in c.leaves}
    try:
        with work.bounded(calls):
            whole = c.whole().xreplace(real)
            return Symbolic({n: _at(whole, real[sp.Symbol(n)], at) for n, _ in c.leaves})
    except (work.OutOfWork, MemoryError):  # sympy's work, or a number it builds, past all bounds
        return Symbolic({}, "work")
    except (TypeError, ValueError):  # a case sympy cannot compare: log(relu(x)) holds log(0)
        return Symbolic({}, "undefined")


def _at(whole: sp.Expr, leaf: sp.Symbol, at: Mapping[sp.Symbol, sp.Float]) -> float | None:
    try:
        return _real(sp.diff(whole, leaf).xreplace(at).evalf(30))
    except (TypeError, ValueError, ArithmeticError, MemoryError):  # a complex case, 1/0, or
        return None  # a number too large for memory (exp(n) ** x ** n at 40 digits)


def _real(x: sp.Expr) -> float | None:
    """A derivative's value as a float; None where it is not a finite real number (sympy takes
    (−17) ** −e⁹⁴ as complex, where float64 rounds the exponent to an even integer)."""
    try:
        value = complex(x)
    except (TypeError, ValueError):
        return None
    return value.real if value.imag == 0 and math.isfinite(value.real) else None
