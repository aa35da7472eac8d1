"""Foundation (number formatting): how numbers are shown: significant digits, rounded half up as on
paper, as LaTeX and as text.

Python's round() rounds half to even and float formatting rounds the binary value; a textbook
rounds the decimal it shows half up (0.4086661… → 0.4087 at 4 digits; 0.125 → 0.13 at 2). We round
the shortest decimal that reproduces the float (what a calculator displays) with `decimal`.
Trailing zeros are dropped, so 0.5900000000000001 at 9 digits is shown as 0.59, as seed 001 prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

PLAIN_RANGE = (Decimal("1e-4"), Decimal("1e7"))  # outside it: scientific notation


@dataclass(frozen=True)
class Shown:
    """One number as a reader sees it."""

    text: str  # plain text: 0.298371109, -0.0217, 3.51018778e-5
    latex: str  # math: 0.298371109, -0.0217, 3.51018778 \times 10^{-5}, \frac{6}{5}


def to_decimal(x: Any) -> Decimal:
    if isinstance(x, Decimal):
        return x
    if isinstance(x, Fraction):
        return Decimal(x.numerator) / Decimal(x.denominator)
    return Decimal(repr(float(x)))


def round_significant(x: Decimal, digits: int) -> Decimal:
    if x == 0:
        return Decimal(0)
    exponent = x.adjusted() - digits + 1
    return x.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def show(x: Any, digits: int) -> Shown:
    if isinstance(x, Fraction) and x.denominator != 1:
        sign = "-" if x < 0 else ""
        n, d = abs(x.numerator), x.denominator
        return Shown(f"{x}", rf"{sign}\frac{{{n}}}{{{d}}}")
    r = round_significant(to_decimal(x), digits)
    if r == 0 or PLAIN_RANGE[0] <= abs(r) < PLAIN_RANGE[1]:
        text = _plain(r)
        return Shown(text, text)
    mantissa = r.scaleb(-r.adjusted())
    m, e = _plain(mantissa), r.adjusted()
    return Shown(f"{m}e{e}", rf"{m} \times 10^{{{e}}}")


def _plain(d: Decimal) -> str:
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s
