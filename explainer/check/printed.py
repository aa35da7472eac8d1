"""Stage 4, evaluate (printed numbers): when a computed value is a printed one.

A printed value is reproduced when the computed value, rounded half up to the printed number of
decimals, is the printed value (a tolerance of half a unit in the last printed decimal).
"""

from __future__ import annotations

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
