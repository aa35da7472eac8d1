"""Stage 4, evaluate (a claim's working): the source's own arithmetic, checked two ways.

A source that prints `(0.593)(1 − 0.593)(0.15) = 0.0362` shows its working: an expression of
operands it printed before. We redo that arithmetic on the printed operands (is the author's
arithmetic right?), check each printed operand against the computed quantity it stands for, and
evaluate the same expression on the exact operands (is it the formula of the quantity claimed?).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from explainer.check.printed import at_places, rounds_to
from explainer.evaluate.arithmetic import ARITHMETIC, value
from explainer.foundation.precision import show
from explainer.graph.circuit import expression
from explainer.read.claims import Claim

FLOAT64 = ARITHMETIC["float64"]
SAME = 1e-9  # relative: the working on exact operands is the claimed quantity's formula


@dataclass(frozen=True)
class Working:
    words: str  # the verdict, one sentence
    gives_printed: bool  # the author's arithmetic on the printed operands gives the printed number


def check(claim: Claim, base: Mapping[str, Any]) -> Working | None:
    if claim.work is None:
        return None
    expr = expression(claim.work)
    printed = {name: float(p) for name, _, p in claim.operands}
    exact = {name: float(base[key]) for name, key, _ in claim.operands}
    author = _value(expr, printed)
    if author is None:
        return Working("the source's working on its printed operands gives no finite number", False)
    right = rounds_to(author, claim.printed)
    words = [
        f"the source's working on its printed operands gives {at_places(author, claim.printed)}"
        + (" (its arithmetic is right)" if right else f", not the printed {claim.printed}")
    ]
    for _, key, p in claim.operands:
        ok = rounds_to(base[key], p)
        words.append(
            f"{key} printed {p} "
            + ("is reproduced" if ok else f"is not reproduced (computed {show(base[key], 6).text})")
        )
    formula = _value(expr, exact)
    want = float(base[claim.key])
    if formula is None:
        words.append("on the exact operands the working gives no finite number")
    elif abs(formula - want) > SAME * max(1.0, abs(want)):
        words.append(
            f"on the exact operands the working gives {show(formula, 6).text}, not "
            f"{claim.key} = {show(want, 6).text}: it is not that quantity's formula"
        )
    return Working("; ".join(words), right)


def _value(expr: Any, env: Mapping[str, float]) -> float | None:
    """The working's value in float64, or None where it has none (a division by zero, an
    overflow, the log of a negative number)."""
    try:
        with np.errstate(all="ignore"):
            x = float(value(expr, env, FLOAT64))
    except (ArithmeticError, ValueError):
        return None
    return x if math.isfinite(x) else None
