"""Stage 4, evaluate (the compiled step): a graph's training as one generated function,
straight-line code over floats per step, written from the gates and their local derivatives;
the one generator for every graph, a network read as one (graph/network_graph.py) included.

The code is generated from the circuit the derivation already holds, never from a scenario's
text: per step, the backward pass's lines (derive/lines.py) last gate first, upstream × local =
downstream with the shares of a wire summed, each trained leaf moved p ← p − Σ (η·upstream)·local
(η·upstream formed once per gate, as a hand-written loop forms η·δ once per neuron), then the
forward pass of the gates the next step reads (the others, a loss's terms, where a step is
kept). Every sum and product folds left to right in the order sympy holds its terms, as
`arithmetic.value` evaluates them, and only what IEEE arithmetic makes exact is simplified
(x**1, 1.0·x, −1·x as −x, a + (−b) as a − b, operations on constants alone computed once), so the
float64 numbers are the stepwise pass's but where math's exp and tanh differ from numpy's and
(η·upstream)·local from η·(upstream·local) in the last place (a test holds the two to 10⁻¹²).
The language is one row of PRINTERS: how a number, a name, an operation and a case are
written; a printer for another language is another row.
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
from explainer.evaluate.curve import KEPT
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
        if e == -1:  # 1/x, not 1/x ** 1 (x ** 1 is x exactly: the power is dropped)
            return f"1.0 / ({base})"
        return f"({base}) ** {e}" if e >= 0 else f"1.0 / ({base}) ** {-e}"
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
        if not e.free_symbols and not isinstance(e, sp.Piecewise):
            return self._constant(e)
        return self._operation(e)

    def _operation(self, e: sp.Basic) -> str:
        p = self.p
        if isinstance(e, sp.Add | sp.Mul):
            return self._fold(e)
        if isinstance(e, sp.Pow):
            return "(" + p.power(self.expr(e.args[0]), e.args[1], self.expr(e.args[1])) + ")"
        if isinstance(e, sp.Piecewise):
            return self._cases(e.args)
        if type(e) in p.extreme:
            return f"{p.extreme[type(e)]}({', '.join(map(self.expr, e.args))})"
        if type(e) in p.functions and len(e.args) == 1:
            return f"{p.functions[type(e)]}({self.expr(e.args[0])})"
        raise NotCompiled(type(e).__name__)

    def _fold(self, e: sp.Add | sp.Mul) -> str:
        """A sum or product, folded left to right as sympy holds its terms; −1·x as −x and
        a + (−1·b) as a − b (both exact in IEEE arithmetic, signed zeros too)."""
        if isinstance(e, sp.Mul):
            if e.args[0] == -1:
                return f"(-{self._rest(e)})"
            return "(" + " * ".join(map(self.expr, e.args)) + ")"
        out = self.expr(e.args[0])
        for term in e.args[1:]:
            negated = isinstance(term, sp.Mul) and term.args[0] == -1
            out += f" - {self._rest(term)}" if negated else f" + {self.expr(term)}"
        return f"({out})"

    def _rest(self, e: sp.Mul) -> str:
        """−1·x·y… without its −1."""
        rest = e.args[1:]
        return self.expr(rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False))

    def _constant(self, e: sp.Basic) -> str:
        """An operation on constants alone (the ½ of a loss written 1/2), computed once here as
        the step would compute it each time: the same float (IEEE arithmetic in any language)."""
        text = self._operation(e)
        python = text if self.p is PRINTERS["python"] else _Code(PRINTERS["python"], {}).expr(e)
        try:  # our own code over literals, never a file's text
            folded = float(eval(python, dict(RUNTIME)))
        except (ArithmeticError, ValueError, TypeError):  # 1/0: left to the step, which refuses it
            return text
        return self.p.number(folded) if math.isfinite(folded) else text

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
    move: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """The backward pass's lines (derive/lines.py) as statements, last gate first: each share
    upstream × local = downstream assigned to its wire's gradient or added to it; and how each
    gradient it computes is written: its variable, or the code it is exactly (1.0 where the
    output's gradient passes through gates of slope 1, a factor 1.0 dropped: 1.0·x is x in IEEE
    too). With `move`, the trained leaves move in the pass (each where the lines move it, or
    all after it): p ← p − Σ (η·upstream)·local over p's shares, η·upstream formed once per
    gate, as a hand-written loop forms η·δ once per neuron (the stepwise pass takes
    η·(upstream·local): the two differ in the last bit at most); a leaf's gradient is then
    not assigned."""
    w = _Statements(code, grads, set(train) if move else set())
    w.refs[c.output] = "1.0"
    needed = _needed(c, train)
    for x in lines(c, locals_, train if sequential else ()).steps:
        if isinstance(x, Move):
            w.move(x.leaves) if move else w.descend(x.leaves)
        elif isinstance(x.key, Share) and x.key.wire in needed:
            assert x.local is not None
            w.share(x.key.gate, x.key.wire, x.local.form)
    if move and not sequential:
        w.move(train)
    return w.body, w.refs


class _Statements:
    """The backward pass's statements, one share at a time (_backward)."""

    def __init__(self, code: _Code, grads: Mapping[str, str], trained: set[str]) -> None:
        self.code, self.grads, self.trained = code, grads, trained
        self._gradients = set(grads.values())
        self.body: list[str] = []
        self.refs: dict[str, str] = {}  # a wire's gradient: its variable, or the code it is
        self.terms: dict[str, list[str]] = {}  # a trained leaf → its step's (η·upstream)·local
        self.rates: dict[str, str] = {"1.0": "rate"}  # an upstream gradient → η times it

    def share(self, gate: str, wire: str, form: sp.Expr) -> None:
        up, here = self.refs[gate], self.code.expr(form)
        if wire in self.trained:
            self._term(up, here, wire, form)
            return
        down = here if up == "1.0" else up if here == "1.0" else f"{up} * {here}"
        g = self.grads[wire]
        if wire in self.refs:  # a later share: added to the sum
            self.body.append(f"{g} = {self.refs[wire]} + {down}")
        elif down == "1.0" or down in self.grads.values():
            # exactly 1 or a complete gradient (never a value: a leaf may move after)
            self.refs[wire] = down
            return
        else:
            self.body.append(f"{g} = {down}")
        self.refs[wire] = g

    def _term(self, up: str, here: str, wire: str, form: sp.Expr) -> None:
        if up not in self.rates:
            self.rates[up] = f"r{len(self.rates)}"
            self.body.append(f"{self.rates[up]} = rate * {up}")
        term = self.rates[up] if here == "1.0" else f"{self.rates[up]} * {here}"
        if self.trained & {s.name for s in form.free_symbols}:
            # it reads a trained leaf, which may move before this one does: taken now
            self.body.append(f"u{len(self.body)} = {term}")
            term = f"u{len(self.body) - 1}"
        self.terms.setdefault(wire, []).append(term)
        self.refs[wire] = ""  # reached: it moves

    def move(self, leaves: Iterable[str]) -> None:
        names = self.code.names
        for w in leaves:
            if w in self.terms:
                self.body.append(f"{names[w]} = {names[w]} - {_added(self.terms[w])}")

    def descend(self, leaves: Iterable[str]) -> None:
        names = self.code.names
        self.body += [f"{names[w]} = {names[w]} - rate * {self.refs[w]}" for w in leaves]


def _needed(c: Circuit, train: tuple[str, ...]) -> set[str]:
    """The wires whose gradient a trained leaf's needs: a gate's, if it lies on a path to one."""
    needed = set(train)
    for gate in c.gates:
        if needed.intersection(gate.inputs):
            needed.add(gate.out)
    return needed


def _read(c: Circuit, locals_: tuple[Local, ...], train: tuple[str, ...]) -> set[str]:
    """The gates a step needs the values of: those its local derivatives read, and the gates
    those are computed from (the rest, a loss's terms for example, only where a step is kept)."""
    needed = _needed(c, train)
    read = {s.name for x in locals_ if x.wire in needed for s in x.form.free_symbols}
    for gate in reversed(c.gates):
        if gate.out in read:
            read.update(gate.inputs)
    return {g.out for g in c.gates} & read


def _added(terms: list[str]) -> str:
    return terms[0] if len(terms) == 1 else "(" + " + ".join(terms) + ")"


def _names(c: Circuit) -> tuple[dict[str, str], dict[str, str]]:
    wires = c.wires
    return {w: f"v{i}" for i, w in enumerate(wires)}, {w: f"d{i}" for i, w in enumerate(wires)}


def source(
    c: Circuit,
    locals_: tuple[Local, ...],
    train: tuple[str, ...],
    sequential: bool = False,
    until: bool = False,
) -> str:
    """The training loop as Python source:

        loop(leaf values, steps, rate, stops, record, sample, until) → (rows, curve)

    stops: the steps, ascending, where something is kept (0, each in `record` or `sample`, and
    `steps`): between two of them the loop runs the step with no test. rows: (k, every wire's value) for 0, each k in `record`, and the last; curve: (k,
    the output) for each k in `sample`. With `until` (a loop of its own): stop at the first
    step whose output is below `until`, tested after every step; the curve is then the bounded
    sample curve.Watched keeps (every stride-th step, and the last), and `sample` is not read.
    """
    wires = c.wires
    names, grads = _names(c)
    code = _Code(PRINTERS["python"], names)
    leaves = [names[n] for n, _ in c.leaves]
    out = names[c.output]
    forward = [f"{names[g.out]} = {code.expr(g.expr)}" for g in c.gates]
    read = _read(c, locals_, train)
    step, _ = _backward(c, locals_, train, sequential, code, grads, move=True)
    # each kept step checks every value: a leaf once not finite stays so (p − η·g), and a
    # non-finite gradient reaches a trained leaf's step (products and sums of finite local
    # derivatives carry ∞ and nan); not seen: a gate's value that overflows between two kept
    # steps and is then masked (σ(∞) = 1 in IEEE arithmetic, as numpy and PyTorch take it),
    # or a gate no step reads (a loss's term) that overflows between two kept steps and comes
    # back, where the stepwise pass would refuse the run; the network form's old loop did not
    # see either
    kept = [_finite(names[w] for w in wires)]
    row = f"rows.append((k, ({', '.join(names[w] for w in wires)},)))"
    if until:  # the output each step: the whole forward pass; the curve as curve.Watched keeps it
        inner = ["while k < stop:", *("    " + x for x in step + forward)]
        inner += [
            "    k += 1",
            f"    if {out} < until: break",
            "    if not k % stride and k < steps:",
            f"        curve.append((k, {out}))",
            f"        if len(curve) > {KEPT}: curve, stride = curve[::2], stride * 2",
        ]
        after = [
            *kept,
            f"done = k == steps or {out} < until",
            f"if not k or done and curve[-1][0] != k: curve.append((k, {out}))",
            f"if not k or k in record or done: {row}",
            "if done: break",
        ]
    else:  # the gates the step reads each step, the others where a step is kept
        each = [x for g, x in zip(c.gates, forward, strict=True) if g.out in read]
        rest = [x for g, x in zip(c.gates, forward, strict=True) if g.out not in read]
        inner = ["for _ in range(stop - k):", *("    " + x for x in step + each)]
        after = [
            "k = stop",
            *rest,
            *kept,
            f"if k in sample: curve.append((k, {out}))",
            f"if not k or k in record or k == steps: {row}",
        ]
    lines = [
        f"def loop({', '.join(leaves)}, steps, rate, stops, record, sample, until):",
        "    rows, curve = [], []",
        "    k = 0",
        *(["    stride = 1"] if until else []),
        *("    " + x for x in forward),
        "    for stop in stops:",
        *("        " + x for x in inner + after),
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
    backward, refs = _backward(c, locals_, train, False, code, grads)
    taken = [refs.get(w, "0.0") for w in train]  # no gate reaches it: 0
    backward.append(_finite(sorted(refs.values())))
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
    c: Circuit,
    locals_: tuple[Local, ...],
    train: tuple[str, ...],
    sequential: bool = False,
    until: bool = False,
) -> Loop | None:
    """The compiled loop of one graph, or None where the printer has no row for one of its
    expressions (the stepwise pass then trains it)."""
    try:
        loop: Loop = _compiled(source(c, locals_, train, sequential, until))["loop"]
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
