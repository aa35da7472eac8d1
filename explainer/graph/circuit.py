"""Stage 2, build (circuits): a graph scenario's expressions split into gates.

With `gates = "operations"` every operation written is one gate (x + y, q·z, exp, 1/x, …), as
lecture notes draw a circuit; a function such as sigmoid(…) stays one gate, the author's
grouping. With `gates = "nodes"` each named node is one gate, whatever it contains. A gate's
output is a wire named after its node, or g1, g2, … in the order computed; constants are part
of their gate (the "+1" and "·(−1)" gates), and operations on constants alone are folded into
one exact constant.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import sympy as sp

from explainer.foundation import work
from explainer.foundation.errors import ScenarioError
from explainer.foundation.limits import Limits
from explainer.read.expressions import Node, Num, Op, Ref, names
from explainer.read.graph_scenario import GraphScenario
from explainer.rules.operations import OPERATIONS


@dataclass(frozen=True)
class Gate:
    out: str  # the wire it drives
    op: str  # an expressions op (add, mul, exp, …), or "node" for a whole named node
    args: tuple[sp.Expr, ...]  # per operand: its wire's symbol, or an exact constant
    expr: sp.Expr  # the gate's value in its operands (what is evaluated and differentiated)
    named: bool  # its wire is a node the author named
    node: str = ""  # the named node it is part of (error messages name it)
    # ∂out/∂input per input, in textbook form, where the builder knows it (a softmax's Jacobian
    # entries, out_i(1 − out_i) and −out_i·out_j, in the layer's outputs); else derived
    forms: tuple[sp.Expr, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        """The wires feeding it, each once, in the order written."""
        return tuple(dict.fromkeys(a.name for a in self.args if isinstance(a, sp.Symbol)))


@dataclass(frozen=True)
class Circuit:
    leaves: tuple[tuple[str, float], ...]
    gates: tuple[Gate, ...]  # in the order computed
    output: str
    written: tuple[tuple[str, Node], ...]  # each named node as the author wrote it

    @property
    def wires(self) -> tuple[str, ...]:
        return (*(n for n, _ in self.leaves), *(g.out for g in self.gates))

    def consumers(self, wire: str) -> tuple[Gate, ...]:
        return tuple(g for g in self.gates if wire in g.inputs)

    def whole(self) -> sp.Expr:
        """The output as one expression of the leaves (for checks against sympy.diff)."""
        done: dict[sp.Symbol, sp.Expr] = {}
        for g in self.gates:
            done[sp.Symbol(g.out)] = g.expr.xreplace(done)
        return done[sp.Symbol(self.output)]


def number(text: str) -> sp.Rational:
    """A decimal as written, exactly: 0.1 is 1/10, never the float nearest it."""
    f = Fraction(Decimal(text))
    return sp.Rational(f.numerator, f.denominator)


# The value of each operation, built unevaluated so it keeps the order written.
VALUE: dict[str, Callable[..., sp.Expr]] = {k: o.value for k, o in OPERATIONS.items()}


class _Splitter:
    """Walks the parsed nodes, emitting one gate per operation (or per node)."""

    def __init__(self, s: GraphScenario) -> None:
        self.s = s
        self.gates: list[Gate] = []
        self.taken = {n for n, _ in s.leaves} | {n for n, _ in s.nodes}
        self.counter = 0
        self.node = ""  # the named node being split

    def fresh(self) -> str:
        while True:
            self.counter += 1
            name = f"g{self.counter}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def operand(self, node: Node, where: str) -> sp.Expr:
        """A wire's symbol or a constant; an operation becomes its own gate first."""
        if isinstance(node, Ref):
            return sp.Symbol(node.name)
        if isinstance(node, Num):
            return number(node.text)
        return self.gate(node, "", where)

    def gate(self, node: Op, name: str, where: str) -> sp.Expr:
        args = tuple(self.operand(a, where) for a in node.args)
        if node.op == "pos":
            return args[0]
        expr = VALUE[node.op](*args)
        if not any(isinstance(a, sp.Symbol) for a in args):  # constants only: fold
            return _constant(expr, self.s.path, where, self.s.limits)
        if node.op == "pow":
            _exponent(args[1], self.s.path, where)
        out = name or self.fresh()
        self.gates.append(Gate(out, node.op, args, expr, bool(name), self.node))
        return sp.Symbol(out)


POWER_OF_CONSTANTS = 1_000  # largest exponent folded: 10 ** 10 ** 10 would never finish


def _exponent(e: sp.Expr, file: str, where: str) -> None:
    """A constant exponent within POWER_OF_CONSTANTS: sympy expands x ** 916132832 term by term
    where it simplifies, for ever, and no lecture's circuit needs one."""
    if e.is_Number and not abs(e) <= POWER_OF_CONSTANTS:
        raise ScenarioError(
            file, where, f"a power with an exponent of at most {POWER_OF_CONSTANTS:,}", str(e)
        )


def magnitude(c: sp.Expr) -> float:
    """log10 of an exact rational constant's numerator or denominator, the larger (math.log10
    takes integers of any size: a number of a million digits is never written out to be
    counted); 0 for a constant that is not rational (√2, e)."""
    if not isinstance(c, sp.Rational) or c == 0:
        return 0.0
    return max(math.log10(abs(int(c.p))), math.log10(int(c.q)))


def digits(c: sp.Expr) -> int:
    """The digits of an exact rational constant's numerator or denominator, the larger."""
    return 1 + math.floor(magnitude(c)) if isinstance(c, sp.Rational) and c != 0 else 0


def _constant(expr: sp.Expr, file: str, where: str, limits: Limits) -> sp.Expr:
    """An operation on constants alone, folded into one exact constant of at most
    `exact_digits` digits: a power's size is known before it is computed (digits of the base
    times the exponent), so ((9 ** 999) ** 999) ** 999 is refused, never computed."""
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        _exponent(exponent, file, where)
        multiple = abs(exponent.p) if isinstance(exponent, sp.Rational) else POWER_OF_CONSTANTS
        size = 1 + math.floor(magnitude(base) * multiple)
        if size > limits.exact_digits:
            raise _too_large(file, where, limits, f"about {size:,} digits")
    c = expr.doit()
    if digits(c) > limits.exact_digits:
        raise _too_large(file, where, limits, f"{digits(c):,} digits")
    if not c.is_finite or not c.is_real:
        raise ScenarioError(file, where, "constants with a finite real value", str(c))
    return c


def real_parts(expr: sp.Expr) -> sp.Expr:
    """An expression of real values with sympy's real and imaginary parts taken: re(u) is u and
    im(u) is 0. sympy, not knowing the wires real, writes |exp(x)| as exp(re(x)) and
    |33 ** exp(x)| as 33 ** (exp(re(x))·cos(im(x))); every value of a circuit is real (a complex
    one is refused as not finite), so these are exp(x) and 33 ** exp(x)."""
    return expr.replace(sp.re, lambda u: u).replace(sp.im, lambda u: sp.S.Zero)


def _whole_node(node: Node, s: GraphScenario, where: str) -> sp.Expr:
    """A named node as one gate: built by sympy, its constants folded and checked, its real
    parts taken, within a bound of sympy's work; what sympy cannot build (a comparison of
    nan in a ReLU) is the scenario's error at the node."""
    fold = functools.partial(_constant, file=s.path, where=where, limits=s.limits)
    try:
        with work.bounded():
            built = real_parts(expression(node, fold))
            _real_node(built, s.path, where)
    except (TypeError, ValueError, work.OutOfWork, MemoryError) as e:
        raise ScenarioError(
            s.path, where, "a node sympy can build as one gate over real numbers", work.said(e)
        ) from None
    return built


def _real_node(expr: sp.Expr, file: str, where: str) -> None:
    """A node as one gate holds no complex constant once sympy rebuilds it over real wires, as
    differentiating it does: sympy simplifies as it builds (x / x is 1, so sqrt(-sqrt(x / x))
    is i), and neither i nor zoo (log(x − x)) can be compared in a max or min."""
    for power in sp.preorder_traversal(expr):
        if isinstance(power, sp.Pow):
            _exponent(power.args[1], file, where)
    real = {w: sp.Symbol(w.name, real=True) for w in expr.free_symbols}
    try:
        built = expr.xreplace(real)
    except (TypeError, ValueError) as e:  # sympy's "The argument 'I' is not comparable"
        quoted = str(e).split("'")
        what = quoted[1][:80] if len(quoted) > 2 else "a value"
        raise ScenarioError(
            file,
            where,
            "a max or min of real numbers",
            f"one of {what}, which is not a real number",
        ) from None
    if not built.has(sp.I):  # zoo or ∞ in a case (1/relu(x)) is a located error where taken
        return
    found = next(  # the largest constant part that holds i, as sympy writes it
        a for a in sp.preorder_traversal(built) if not a.free_symbols and a.has(sp.I)
    )
    raise ScenarioError(
        file, where, "an expression whose constants are finite real numbers", str(found)
    )


def _too_large(file: str, where: str, limits: Limits, found: str) -> ScenarioError:
    return limits.exceeded(
        file, where, "exact_digits", "operations on constants folded into a constant", found
    )


def split(s: GraphScenario) -> Circuit:
    """The scenario's nodes as gates, in the order computed."""
    sp_ = _Splitter(s)
    for name, node in s.nodes:
        where = f"graph.nodes.{name}"
        sp_.node = name
        assert isinstance(node, Op)  # the loader refuses a bare name or constants alone
        if s.grouping == "nodes" and not all(isinstance(a, Ref | Num) for a in node.args):
            args = tuple(sp.Symbol(n) for n in names(node))
            sp_.gates.append(Gate(name, "node", args, _whole_node(node, s, where), True, name))
        else:
            sp_.gate(node, name, where)
    return Circuit(s.leaves, tuple(sp_.gates), s.output, s.nodes)


def expression(node: Node, constant: Callable[[sp.Expr], sp.Expr] = lambda e: e) -> sp.Expr:
    """An expression as written, in the names it uses (a node as one gate; a claim's working);
    an operation on constants alone goes through `constant` (a node's are folded and checked
    as a gate's are: no complex log(-3), no constant too large to hold)."""
    if isinstance(node, Ref):
        return sp.Symbol(node.name)
    if isinstance(node, Num):
        return number(node.text)
    args = tuple(expression(a, constant) for a in node.args)
    if node.op == "pos":
        return args[0]
    built = VALUE[node.op](*args)
    return built if any(a.free_symbols for a in args) else constant(built)
