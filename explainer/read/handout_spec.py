"""Stage 1, load (handouts): a scenario's `[handout]` table, what a teacher's sheet leaves blank
and how its variants are drawn.

    [handout]
    blank = ["forward", "gradients"]      # kinds (BLANK_KINDS) or quantity keys ("out_h1")
    points = { forward = 1, gradients = 2 }
    arithmetic = "paper:4"                # the key's arithmetic: what a calculator gives

    [handout.vary]                        # what differs between variants, and over what grid
    weights = { from = 0.05, to = 0.95, step = 0.05 }
    inputs = [0.05, 0.1, 0.15]            # a list: drawn from it
    targets = [0.01, 0.99]

    [handout.constraints]                 # checked on each variant's computed numbers
    saturation = 0.98   # no output above this, nor below 1 − it
    min_gradient = 1e-4 # no blank gradient smaller in size
    decimals = 2        # givens with at most this many decimals
    draws = 200         # draws per variant before the constraints are declared impossible

Every number a sheet prints is computed; this table holds only choices.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from dataclasses import dataclass

from explainer.foundation.errors import ScenarioError, UsageError
from explainer.read.arithmetic_spec import CALCULATOR_EXPECTED, for_a_calculator
from explainer.read.reader import Reader

# What a blank may name by kind: the quantities of the worked step each stands for.
BLANK_KINDS = ("forward", "local", "gradients", "updates", "backward")
VARIED = ("weights", "biases", "inputs", "targets")
DEFAULT_BLANK = ("forward", "gradients", "updates")
MAX_GRID = 100_000  # values in one grid, at most


@dataclass(frozen=True)
class Grid:
    """The values one kind of given is drawn from, in order."""

    values: tuple[float, ...]


@dataclass(frozen=True)
class Constraints:
    saturation: float = 0.99
    min_gradient: float = 1e-4
    decimals: int = 2
    draws: int = 200


DEFAULT_CONSTRAINTS = Constraints()


@dataclass(frozen=True)
class HandoutSpec:
    blank: tuple[str, ...] = DEFAULT_BLANK  # kinds and keys, as written (keys checked later)
    points: tuple[tuple[str, float], ...] = ()  # kind or key → points per blank
    arithmetic: str = "paper:4"
    vary: tuple[tuple[str, Grid], ...] = ()  # a varied name → its grid, in `varied` order
    constraints: Constraints = DEFAULT_CONSTRAINTS


NO_HANDOUT = HandoutSpec()  # a scenario without a [handout] table


def read(top: Reader, varied: tuple[str, ...] = VARIED) -> HandoutSpec:
    """The `[handout]` table of a scenario (the defaults where it has none). `varied`: what
    `[handout.vary]` may name (a network's kinds of given; a graph's leaves by name)."""
    r = top.sub("handout", ("blank", "points", "arithmetic", "vary", "constraints"))
    if not r.table:
        return NO_HANDOUT
    points_t = r.sub("points", tuple(r.table.get("points", {}) or ()))
    vary_t = r.sub("vary", varied)
    c = r.sub("constraints", ("saturation", "min_gradient", "decimals", "draws"))
    return HandoutSpec(
        blank=r.get("blank", r.list_of(r.line), DEFAULT_BLANK),
        points=tuple((k, points_t.get(k, points_t.positive)) for k in points_t.table),
        arithmetic=r.get("arithmetic", _arithmetic(r), "paper:4"),
        vary=tuple((k, _grid(vary_t, k)) for k in varied if k in vary_t.table),
        constraints=Constraints(
            saturation=c.get("saturation", _fraction(c), 0.99),
            min_gradient=c.get("min_gradient", c.positive, 1e-4),
            decimals=c.get("decimals", c.count(0, 10), 2),
            draws=c.get("draws", c.count(1, 10_000), 200),
        ),
    )


def _fraction(r: Reader) -> Callable[[str, object], float]:
    def check(key: str, v: object) -> float:
        x = r.number(key, v)
        if not 0.5 < x < 1:
            raise r.fail(key, "a number between 0.5 and 1", v)
        return x

    return check


def _grid(r: Reader, k: str) -> Grid:
    """A list of values, or { from, to, step }: every step from `from` to `to` inclusive,
    counted in decimals so that 0.05 + 18 × 0.05 is exactly 0.95."""
    raw = r.table[k]
    key = r.key(k)
    if isinstance(raw, list):
        return Grid(r.get(k, r.list_of(r.number)))
    g = r.sub(k, ("from", "to", "step"))
    lo, hi, step = (
        decimal.Decimal(repr(g.get(x, g.number if x != "step" else g.positive)))
        for x in ("from", "to", "step")
    )
    if hi < lo:
        raise r.fail(key, "a grid whose `to` is not below its `from`", raw)
    count = int((hi - lo) / step) + 1
    if count > MAX_GRID:
        raise r.fail(key, f"a grid of at most {MAX_GRID:,} values", raw)
    return Grid(tuple(float(lo + i * step) for i in range(count)))


def _arithmetic(r: Reader) -> Callable[[str, object], str]:
    """The key's arithmetic as written, once it parses (`handout.arithmetic`, not `--arithmetic`,
    named when it does not)."""

    def check(key: str, value: object) -> str:
        text = r.line(key, value)
        try:
            for_a_calculator(text)
        except UsageError:
            raise ScenarioError(r.file, key, CALCULATOR_EXPECTED, repr(text)) from None
        return text

    return check
