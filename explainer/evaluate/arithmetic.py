"""Stage 4, evaluate (arithmetic): how numbers are made, combined and carried, one row per mode.

float64 (numpy), float32 (numpy's single precision: every operation rounded to float32, as
PyTorch and JAX compute by default), exact (fractions; irrational functions refused) and on paper (decimals rounded
or truncated to K places after every shown quantity, as a student with a calculator carries
them). `value` evaluates a sympy expression in any of them, never through sympy's own numbers.
"""

from __future__ import annotations

import decimal
import functools
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from explainer.foundation.errors import ArithmeticModeError
from explainer.read.settings import ArithmeticSpec, parse_arithmetic

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


# Functions every mode computes exactly, in its own numbers.
EXACTLY: dict[type, Callable[[Number], Number]] = {
    sp.Abs: abs,
    sp.sign: lambda x: x / abs(x) if x else x * 0,  # ±1 or 0 in the mode's own numbers
    # every mode computes in real numbers: sympy writes |exp(z)| as exp(re(z)) for a z it cannot
    # prove real, and re(z) is z there
    sp.re: lambda x: x,
    sp.im: lambda x: x * 0,
}

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
            **EXACTLY,
        },
    ),
}


# Every value a float32, so every operation on two of them is rounded to float32 (numpy keeps a
# float32 with a Python number float32 too); its exp, log and tanh are numpy's float32 ones.
ARITHMETIC["float32"] = Arithmetic(
    "float32",
    "IEEE single precision (numpy float32: every operation rounded to float32, as PyTorch and "
    "JAX compute by default)",
    number=np.float32,
    constant=lambda c: np.float32(float(c)),
    functions={
        sp.exp: np.exp,
        sp.log: np.log,
        sp.tanh: np.tanh,
        sp.sech: lambda x: np.float32(1) / np.cosh(x),
        **EXACTLY,
    },
)


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
        functions={
            **{f: _irrational(f.__name__) for f in (sp.exp, sp.log, sp.tanh, sp.sech)},
            **EXACTLY,
        },
        settle=settle,
    )


FLOAT_MAX = Fraction(1.7976931348623157e308)


class _TooLarge(ArithmeticError):
    """A number past a size limit of ours (not the machine's)."""


class NotReal(ArithmeticError):
    """A value that is not a real number: every mode computes in the reals."""


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
            **EXACTLY,
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


def _raise(error: type[ArithmeticError], *words: str) -> Callable[[Arithmetic], Number]:
    def fault(ar: Arithmetic) -> Number:
        raise error(*words)  # a new one each time: a raised exception carries its traceback

    return fault


def _pi(ar: Arithmetic) -> Number:
    if ar.name == "exact":
        return _irrational("π")(ar.constant(sp.S.One))
    return ar.number(math.pi)


# sympy's own constants, as each mode takes them: e (a folded exp(1) becomes sympy's E), π,
# and those that are no real number: i (the log of a negative base, in ∂(−95)^y/∂y), ∞, zoo
# (0 ** −1 in a derivative) and nan, each then a located arithmetic error.
ATOMS: dict[sp.Basic, Callable[[Arithmetic], Number]] = {
    sp.E: lambda ar: ar.functions[sp.exp](ar.constant(sp.S.One)),
    sp.pi: _pi,
    sp.I: _raise(NotReal, "not a real number (the log of a negative number, in a power's rule)"),
    sp.zoo: _raise(ZeroDivisionError),
    sp.nan: _raise(decimal.InvalidOperation),
    sp.oo: _raise(OverflowError),
    -sp.oo: _raise(OverflowError),
}


def value(expr: sp.Basic, env: Mapping[str, Number], ar: Arithmetic) -> Number:
    """Evaluate a sympy expression over `ar`, with symbols looked up by name in `env`."""
    if expr.is_Symbol:
        return env[expr.name]
    if expr in ATOMS:
        return ATOMS[expr](ar)
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
    if isinstance(args[0], Fraction):  # a root or a power by a fraction: irrational in general
        raise ArithmeticModeError(
            f"exact arithmetic cannot take {args[0]} to the power {args[1]}: the result is "
            "irrational in general; use --arithmetic float64 or paper:K"
        )
    return args[0] ** args[1]


# Sums and products fold left to right, in the order sympy holds the terms.
_COMBINE: tuple[tuple[type, Callable[[Any, list[Number]], Number]], ...] = (
    (sp.Add, lambda _, args: functools.reduce(operator.add, args)),
    (sp.Mul, lambda _, args: functools.reduce(operator.mul, args)),
    (sp.Pow, _power),
    (sp.Max, lambda _, args: max(args)),
    (sp.Min, lambda _, args: min(args)),
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
    sp.Eq: lambda a, b: a == b,
    sp.Ne: lambda a, b: a != b,
}


# Conditions sympy's own derivatives join (the derivative of a node as one gate: max inside a
# relu gives And(x > 0, y < x), or an ITE): each part evaluated in the arithmetic.
_LOGIC: dict[type, Callable[[Iterable[bool]], bool]] = {sp.And: all, sp.Or: any}


def _holds(condition: sp.Basic, env: Mapping[str, Number], ar: Arithmetic) -> bool:
    if condition is sp.true or condition is sp.false:
        return bool(condition)
    if type(condition) in _LOGIC:
        return _LOGIC[type(condition)](_holds(c, env, ar) for c in condition.args)
    if isinstance(condition, sp.Not):
        return not _holds(condition.args[0], env, ar)
    if isinstance(condition, sp.ITE):  # if c then a else b, of conditions
        c, then, otherwise = condition.args
        return _holds(then if _holds(c, env, ar) else otherwise, env, ar)
    lhs, rhs = (value(a, env, ar) for a in condition.args)
    return bool(_COMPARE[type(condition)](lhs, rhs))
