"""Stage 3, derive: a circuit's backward pass as lines, in the order the pass takes them.

Each line defines one quantity the page prints:
    ∂g/∂w                       a local derivative (its form, at the forward values)
    ∂f/∂w via g = ∂f/∂g · ∂g/∂w  the share gate g sends back to wire w (upstream × local)
    ∂f/∂w = ∂f/∂w + share        a wire that feeds several gates adds each share in turn
and, in a sequential update, the moment a trained leaf moves (p ← p − η·∂f/∂p, once every gate
it feeds has sent its share back and the gate has taken its derivatives by all its leaves, so
that w·v, both trained, is differentiated at one point). Evaluating the lines (in any
arithmetic, each settled once: on paper, each rounded where the page prints it) and printing
them as code (evaluate/graph_step.py) read the same sequence, so the compiled step takes every
operation in the order the page does.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import sympy as sp

from explainer.derive.local import Local
from explainer.graph.circuit import Circuit

Expr = Any  # a sympy expression


# The keys are tuples (hashed in C: the pass looks each up several times), each with its tag so
# that a share and a total of the same gate and wire are told apart.
class Share(NamedTuple):
    """∂f/∂wire through one gate: the gate's upstream gradient × its local derivative."""

    gate: str
    wire: str
    tag: str = "share"


class Total(NamedTuple):
    """∂f/∂wire summed over its gates up to and including `gate` (a wire that feeds several)."""

    gate: str
    wire: str
    tag: str = "total"


class LocalKey(NamedTuple):
    """∂gate/∂wire."""

    gate: str
    wire: str
    tag: str = "local"


class Seed(NamedTuple):
    """∂f/∂f = 1, where the backward pass starts."""

    output: str
    tag: str = "seed"


Key = Share | Total | LocalKey | Seed


@dataclass(frozen=True)
class Line:
    """key = form at the values (a local derivative or the seed), or the sum of the products of
    earlier lines' values (`terms`); a line of one term of one factor is that line's value."""

    key: Key
    form: Expr | None = None
    terms: tuple[tuple[Key, ...], ...] = ()
    local: Local | None = None  # the derivative a share or total passes on
    settled: bool = True  # False: the seed, a constant the arithmetic holds as it is


@dataclass(frozen=True)
class Move:
    """Sequential update: these trained leaves take their new values here."""

    leaves: tuple[str, ...]


@dataclass(frozen=True)
class Lines:
    steps: tuple[Line | Move, ...]
    gradient: dict[str, Key]  # each wire's complete gradient ∂f/∂w: the last line that adds to it

    @cached_property
    def forms(self) -> dict[Key, Expr]:
        return {x.key: x.form for x in self.steps if isinstance(x, Line) and x.form is not None}

    @cached_property
    def terms(self) -> dict[Key, tuple[tuple[Key, ...], ...]]:
        return {x.key: x.terms for x in self.steps if isinstance(x, Line) and x.form is None}


def leaves_first(c: Circuit, locals_: tuple[Local, ...]) -> tuple[Local, ...]:
    """The backward pass's order with, at each gate, the derivatives by leaves before those by
    other wires: a sequential update moves a leaf before the gate passes the gradient on."""
    leaves = {n for n, _ in c.leaves}
    return tuple(
        x
        for _, flows in itertools.groupby(locals_, key=lambda x: x.gate)
        for x in sorted(flows, key=lambda x: x.wire not in leaves)  # stable: leaves, then wires
    )


def lines(c: Circuit, locals_: tuple[Local, ...], moved: Iterable[str] = ()) -> Lines:
    """The backward pass, last gate first (`locals_` in derive.local's order); `moved`: the
    trained leaves of a sequential update (none: a simultaneous one, nothing moves during the
    pass). Kept per circuit: a training repeats the pass at every step."""
    return _lines(c, locals_, tuple(moved))


@functools.lru_cache(maxsize=32)
def _lines(c: Circuit, locals_: tuple[Local, ...], moving: tuple[str, ...]) -> Lines:
    pending = {w: len(c.consumers(w)) for w in moving}
    leaves = {n for n, _ in c.leaves}
    last: dict[str, Key] = {c.output: Seed(c.output)}
    out: list[Line | Move] = [Line(Seed(c.output), form=sp.S.One, settled=False)]
    ready: list[str] = []  # complete, moved once the gate's derivatives by leaves are all taken
    gate = ""
    for x in leaves_first(c, locals_) if moving else locals_:
        if ready and (x.gate != gate or x.wire not in leaves):
            out.append(Move(tuple(ready)))
            ready = []
        gate = x.gate
        here, share = LocalKey(x.gate, x.wire), Share(x.gate, x.wire)
        out.append(Line(here, form=x.form, local=x))
        out.append(Line(share, terms=((last[x.gate], here),), local=x))
        if x.wire in last:
            total = Total(x.gate, x.wire)
            out.append(Line(total, terms=((last[x.wire],), (share,)), local=x))
            last[x.wire] = total
        else:
            last[x.wire] = share
        if x.wire in pending:
            pending[x.wire] -= 1
            if not pending[x.wire]:
                ready.append(x.wire)
    if ready:
        out.append(Move(tuple(ready)))
    return Lines(tuple(out), last)
