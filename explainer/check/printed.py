"""Stage 4, evaluate (printed numbers): when a computed value is a printed one.

A printed value is reproduced when the computed value, rounded half up to the printed number of
decimals, is the printed value (a tolerance of half a unit in the last printed decimal).
"""

from __future__ import annotations

import math
import struct
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from explainer.foundation.precision import to_decimal


def places(printed: str) -> int:
    return max(0, -int(Decimal(printed).as_tuple().exponent))


# Enough digits for any value at any printed precision the limits allow (|x| < 1e309 at up to
# `printed_digits` + `exponent` decimals), so quantize never runs out of precision.
CONTEXT = Context(prec=2_000, Emax=1_000_000, Emin=-1_000_000)


def at_places(x: Any, printed: str, rounding: str = ROUND_HALF_UP) -> Decimal:
    d = to_decimal(x)
    if not d.is_finite():
        return d
    return d.quantize(Decimal(1).scaleb(-places(printed)), rounding=rounding, context=CONTEXT)


def rounds_to(x: Any, printed: str) -> bool:
    d = at_places(x, printed)
    return d.is_finite() and d == Decimal(printed)


# A number printed at float64's full length (16 or 17 significant digits, as Python's repr and
# numpy print a double) that is within this many units in the last place of the value computed
# here is the same number summed in another order: float64 addition is not associative, and a
# source's loop and this one order their sums differently.
FULL_LENGTH, ULPS = 16, 8


def ulps_apart(x: Any, printed: str) -> int | None:
    """How many doubles lie between x (as a double) and the printed number (as the double it
    reads as) where the printed number has float64's full length and the two are at most ULPS
    apart; None otherwise (a number printed shorter is a rounding, checked at its digits)."""
    digits = Decimal(printed).as_tuple().digits
    if len(digits) < FULL_LENGTH:
        return None
    a, b = float(to_decimal(x)), float(printed)
    if not (math.isfinite(a) and math.isfinite(b)):
        return None
    n = abs(_ordinal(a) - _ordinal(b))
    return n if n <= ULPS else None


def _ordinal(x: float) -> int:
    """The double's place in the order of all doubles (adjacent doubles differ by 1, across 0
    too): its bits as an integer, mirrored below 0."""
    bits = int.from_bytes(struct.pack("<d", x), "little", signed=True)
    return bits if bits >= 0 else -(bits & 0x7FFF_FFFF_FFFF_FFFF)
