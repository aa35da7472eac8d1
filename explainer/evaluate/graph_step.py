"""Stage 4, evaluate (the compiled step): a graph's training as one generated function,
straight-line code over floats per step, written from the gates and their local derivatives.

The code is generated from the circuit the derivation already holds, never from a scenario's
text: per step, each gate's value from its inputs (the forward pass), then, last gate first,
upstream × local = downstream with the shares of a wire summed (the backward pass), then
p ← p − η·∂f/∂p for every trained leaf. Every sum and product folds left to right in the order
sympy holds its terms, as `arithmetic.value` evaluates them, so the float64 numbers are the
stepwise pass's but where math's exp and tanh differ from numpy's in the last place (a test
holds the two to 10⁻¹²). The language is one row of PRINTERS: how a number, a name, an operation
and a case are written; a printer for another language is another row.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from explainer.derive.lines import Move, Share, lines
from explainer.derive.local import Local
from explainer.graph.circuit import Circuit


class NotCompiled(Exception):
    """An expression the printer has no row for (the stepwise pass computes it instead)."""


@dataclass(frozen=True)
class Printer:
    """How one language writes the step's code."""

    number: Callable[[float], str]
    functions: Mapping[type, str]  # one-argument sympy functions → the callable's name
    power: Callable[[str, sp.Expr, str], str]  # (base, exponent as sympy, exponent's code)
    case: Callable[[str, str, str], str]  # (condition, then, otherwise)
    compare: Mapping[type, str]
    logic: Mapping[type, str]  # And, Or → the infix operator
    negate: Callable[[str], str]
    extreme: Mapping[type, str]  # Max, Min → the function's name


def _python_power(base: str, exponent: sp.Expr, code: str) -> str:
    # as arithmetic.value: an integer power directly, a negative one as its reciprocal, any
    # other through math.pow (which refuses a negative base, as the reals do)
    if exponent.is_Integer:
        e = int(exponent)
        return f"({base}) ** {e}" if e >= 0 else f"1 / ({base}) ** {-e}"
    return f"pow_({base}, {code})"  # (the caller brackets the base: -2.0 ** 2 is −4)


PRINTERS: dict[str, Printer] = {
    "python": Printer(
        number=repr,
        functions={
            sp.exp: "exp",
            sp.log: "log",
            sp.tanh: "tanh",
            sp.sech: "sech",
            sp.Abs: "abs",
            sp.sign: "sign",
            sp.re: "",  # every mode computes in the reals: re(z) is z
        },
        power=_python_power,
        case=lambda c, a, b: f"({a} if {c} else {b})",
        compare={
            sp.StrictGreaterThan: ">",
            sp.GreaterThan: ">=",
            sp.StrictLessThan: "<",
            sp.LessThan: "<=",
            sp.Eq: "==",
            sp.Ne: "!=",
        },
        logic={sp.And: " and ", sp.Or: " or "},
        negate=lambda c: f"(not {c})",
        extreme={sp.Max: "max", sp.Min: "min"},
    ),
}

# sympy's constants a step may contain, as float64 takes them (arithmetic.ATOMS)
CONSTANTS: dict[sp.Basic, float] = {sp.E: math.exp(1.0), sp.pi: math.pi}


class _Code:
    """One expression as code in one language, over the variable names given."""

    def __init__(self, printer: Printer, names: Mapping[str, str]) -> None:
        self.p, self.names = printer, names

    def expr(self, e: sp.Basic) -> str:
        p = self.p
        if e.is_Symbol:
            return self.names[e.name]
        if e in CONSTANTS:
            return p.number(CONSTANTS[e])
        if e.is_Number:
            if not e.is_finite:
                raise NotCompiled(str(e))
            return p.number(float(e))
        if isinstance(e, sp.Add | sp.Mul):
            return (
                "(" + (" + " if isinstance(e, sp.Add) else " * ").join(map(self.expr, e.args)) + ")"
            )
        if isinstance(e, sp.Pow):
            return "(" + p.power(self.expr(e.args[0]), e.args[1], self.expr(e.args[1])) + ")"
        if isinstance(e, sp.Piecewise):
            return self._cases(e.args)
        if type(e) in p.extreme:
            return f"{p.extreme[type(e)]}({', '.join(map(self.expr, e.args))})"
        if type(e) in p.functions and len(e.args) == 1:
            return f"{p.functions[type(e)]}({self.expr(e.args[0])})"
        raise NotCompiled(type(e).__name__)

    def _cases(self, pieces: tuple[Any, ...]) -> str:
        (piece, condition), rest = pieces[0], pieces[1:]
        if condition is sp.true or not rest:
            if condition is not sp.true:  # no piece applies past the last: as value() refuses
                raise NotCompiled("a case without an otherwise")
            return self.expr(piece)
        return self.p.case(self.condition(condition), self.expr(piece), self._cases(rest))

    def condition(self, c: sp.Basic) -> str:
        p = self.p
        if c is sp.true or c is sp.false:
            return "True" if c is sp.true else "False"
        if type(c) in p.logic:
            return "(" + p.logic[type(c)].join(map(self.condition, c.args)) + ")"
        if isinstance(c, sp.Not):
            return p.negate(self.condition(c.args[0]))
        if isinstance(c, sp.ITE):
            a, b, d = (self.condition(x) for x in c.args)
            return p.case(a, b, d)
        if type(c) in p.compare:
            lhs, rhs = (self.expr(x) for x in c.args)
            return f"({lhs} {p.compare[type(c)]} {rhs})"
        raise NotCompiled(type(c).__name__)


Loop = Callable[..., tuple[list[tuple[int, tuple[float, ...]]], list[tuple[int, float]]]]


def _backward(
    c: Circuit,
    locals_: tuple[Local, ...],
    train: tuple[str, ...],
    sequential: bool,
    code: _Code,
    grads: Mapping[str, str],
) -> tuple[list[str], set[str]]:
    """The backward pass's lines (derive/lines.py) as statements, last gate first: each share
    upstream × local = downstream assigned to its wire's gradient or added to it, and in a
    sequential update each trained leaf moved where the lines move it; and the wires whose
    gradient it assigns."""
    names = code.names
    body = [f"{grads[c.output]} = 1.0"]
    seen = {c.output}
    # only the gradients a trained leaf's needs: a gate's, if it lies on a path to one
    needed = set(train)
    for gate in c.gates:
        if needed.intersection(gate.inputs):
            needed.add(gate.out)
    for x in lines(c, locals_, train if sequential else ()).steps:
        if isinstance(x, Move):
            body += [f"{names[w]} = {names[w]} - rate * {grads[w]}" for w in x.leaves]
        elif isinstance(x.key, Share) and x.key.wire in needed:
            assert x.local is not None
            down = f"{grads[x.key.gate]} * {code.expr(x.local.form)}"  # upstream × local
            g = grads[x.key.wire]
            body.append(f"{g} = {g} + {down}" if x.key.wire in seen else f"{g} = {down}")
            seen.add(x.key.wire)
    return body, seen


def _names(c: Circuit) -> tuple[dict[str, str], dict[str, str]]:
    wires = c.wires
    return {w: f"v{i}" for i, w in enumerate(wires)}, {w: f"d{i}" for i, w in enumerate(wires)}


def source(
    c: Circuit, locals_: tuple[Local, ...], train: tuple[str, ...], sequential: bool = False
) -> str:
    """The training loop as Python source:

        loop(leaf values, steps, rate, record, sample, until) → (rows, curve)

    rows: (k, every wire's value) for each step k that `record(k)` asks for, and the last;
    curve: (k, the output) for each k in `sample`. `until`: stop once the output is below it.
    """
    wires = c.wires
    names, grads = _names(c)
    code = _Code(PRINTERS["python"], names)
    leaves = [names[n] for n, _ in c.leaves]
    out = names[c.output]
    body = [f"{names[g.out]} = {code.expr(g.expr)}" for g in c.gates]
    body += [
        f"if k in sample: curve.append((k, {out}))",
        f"if not k or record(k) or k == steps or (until is not None and {out} < until):",
        f"    rows.append((k, ({', '.join(names[w] for w in wires)},)))",
        "    if k == steps or (until is not None and " + out + " < until): break",
    ]
    backward, seen = _backward(c, locals_, train, sequential, code, grads)
    body += backward
    for leaf in () if sequential else train:  # a leaf no gate reaches has gradient 0: stays
        if leaf in seen:
            body.append(f"{names[leaf]} = {names[leaf]} - rate * {grads[leaf]}")
    body.insert(len(c.gates), _finite(names[w] for w in wires))
    body.append(_finite([*(names[leaf] for leaf in train), *sorted(grads[w] for w in seen)]))
    lines = [
        f"def loop({', '.join(leaves)}, steps, rate, record, sample, until):",
        "    rows, curve = [], []",
        "    for k in range(steps + 1):",
        *("        " + line for line in body),
        "    return rows, curve",
    ]
    return "\n".join(lines) + "\n"


def _finite(names: Iterable[str]) -> str:
    # every value finite, as the stepwise pass checks each: the forward pass's before it is
    # recorded, the gradients and moved leaves after the step (∞ and nan survive a sum; a sum
    # of finite values that overflows only sends the step to the stepwise pass, which is exact)
    return f"if not isfinite({' + '.join(names)}): raise OverflowError('not finite')"


def pass_source(c: Circuit, locals_: tuple[Local, ...], train: tuple[str, ...]) -> str:
    """One example's pass as Python source, for a training set's loop (graph_training.epochs):

    output(leaf values) → the output
    gradient(leaf values) → (∂f/∂p for each trained leaf p, in order)
    """
    names, grads = _names(c)
    code = _Code(PRINTERS["python"], names)
    leaves = ", ".join(names[n] for n, _ in c.leaves)
    forward = [f"{names[g.out]} = {code.expr(g.expr)}" for g in c.gates]
    forward.append(_finite(names[w] for w in c.wires))
    backward, seen = _backward(c, locals_, train, False, code, grads)
    taken = [grads[w] if w in seen else "0.0" for w in train]  # no gate reaches it: 0
    backward.append(_finite(sorted(grads[w] for w in seen)))
    lines = [
        f"def output({leaves}):",
        *("    " + line for line in forward),
        f"    return {names[c.output]}",
        f"def gradient({leaves}):",
        *("    " + line for line in forward + backward),
        f"    return ({', '.join(taken)},)",
    ]
    return "\n".join(lines) + "\n"


def _sign(x: float) -> float:
    return x / abs(x) if x else x * 0  # as arithmetic.EXACTLY: ±1, or 0


RUNTIME: dict[str, Any] = {
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
    "sech": lambda x: 1 / math.cosh(x),
    "sign": _sign,
    "pow_": math.pow,
    "isfinite": math.isfinite,
}


@functools.lru_cache(maxsize=64)
def _compiled(text: str) -> dict[str, Any]:
    scope: dict[str, Any] = dict(RUNTIME)
    exec(compile(text, "<explainer graph step>", "exec"), scope)  # our own code, never a file's
    return scope


def loop_for(
    c: Circuit, locals_: tuple[Local, ...], train: tuple[str, ...], sequential: bool = False
) -> Loop | None:
    """The compiled loop of one graph, or None where the printer has no row for one of its
    expressions (the stepwise pass then trains it)."""
    try:
        loop: Loop = _compiled(source(c, locals_, train, sequential))["loop"]
    except NotCompiled:
        return None
    return loop


Pass = tuple[Callable[..., float], Callable[..., tuple[float, ...]]]


def pass_for(c: Circuit, locals_: tuple[Local, ...], train: tuple[str, ...]) -> Pass | None:
    """One example's compiled output and gradient, or None where the printer has no row for
    one of the graph's expressions."""
    try:
        scope = _compiled(pass_source(c, locals_, train))
    except NotCompiled:
        return None
    return scope["output"], scope["gradient"]
