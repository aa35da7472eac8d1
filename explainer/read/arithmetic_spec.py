"""Stage 1, load (the arithmetic named): float64, float32, exact, or paper:K[:half-up|truncate], as
`--arithmetic` and a handout's `arithmetic` key write it, parsed once into an ArithmeticSpec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast, get_args

from explainer.foundation.errors import UsageError

Kind = Literal["float64", "float32", "exact", "paper"]
Rounding = Literal["half-up", "truncate"]

PAPER_DECIMALS = range(1, 16)
EXPECTED = "float64, float32, exact, or paper:K[:half-up|truncate] with K from 1 to 15"
# What a student can carry with a calculator: a handout's key is worked in one of these.
CALCULATOR = ("float64", "exact", "paper")
CALCULATOR_EXPECTED = "float64, exact, or paper:K[:half-up|truncate] with K from 1 to 15"


@dataclass(frozen=True)
class ArithmeticSpec:
    """float64, float32, exact, or paper:K[:half-up|truncate]: how the worked step's numbers
    are made."""

    kind: Kind = "float64"
    decimals: int = 0  # paper only: K decimals carried
    rounding: Rounding = "half-up"  # paper only

    def __str__(self) -> str:
        return f"paper:{self.decimals}:{self.rounding}" if self.kind == "paper" else self.kind


def parse_arithmetic(spec: str) -> ArithmeticSpec:
    """`--arithmetic`'s text as an ArithmeticSpec, or a UsageError saying what it accepts."""
    if not isinstance(spec, str):
        raise UsageError(f"arithmetic = {spec!r}: expected a string such as float64 or paper:4")
    if spec in ("float64", "float32", "exact"):
        return ArithmeticSpec(cast(Kind, spec))
    parts = spec.split(":")
    if parts[0] == "paper" and 2 <= len(parts) <= 3 and parts[1].isdigit():
        rounding = parts[2] if len(parts) == 3 else "half-up"
        if int(parts[1]) in PAPER_DECIMALS and rounding in get_args(Rounding):
            return ArithmeticSpec("paper", int(parts[1]), cast(Rounding, rounding))
    raise UsageError(f"--arithmetic {spec}: expected {EXPECTED}")


def for_a_calculator(spec: str) -> ArithmeticSpec:
    """A handout key's arithmetic: one a student can carry (float32's rounding is not)."""
    parsed = parse_arithmetic(spec)
    if parsed.kind not in CALCULATOR:
        raise UsageError(
            f"--arithmetic {spec}: a handout's key is worked as a student can with a calculator; "
            f"expected {CALCULATOR_EXPECTED}"
        )
    return parsed
