"""Stage 4, evaluate (training a graph): gradient descent on a graph's trained leaves.

One step: the forward and backward pass at the leaves' current values, then every trained leaf
at once (simultaneous), p ← p − η·∂f/∂p, where f is the graph's output. In float64 the steps
run as the compiled loop generated from the gates (graph_step.py); in any other arithmetic
(exact, on paper), and wherever the compiled loop meets a fault, by repeating the page's own
backward pass, which also names the quantity at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from explainer.derive.local import Local
from explainer.evaluate import backprop, graph_step
from explainer.evaluate.arithmetic import Arithmetic
from explainer.evaluate.backprop import Backprop, Number
from explainer.evaluate.worked import Update
from explainer.foundation.errors import NumericError
from explainer.graph.circuit import Circuit
from explainer.read.graph_scenario import GraphTraining


@dataclass(frozen=True)
class Recorded:
    """Every wire's value after k steps (k = 0: the starting values)."""

    k: int
    values: Mapping[str, Number]


@dataclass(frozen=True)
class Descent:
    updates: tuple[Update, ...]  # the first step, worked on the page
    steps: tuple[Recorded, ...]  # the recorded ones, k ascending; always 0 and the last
    curve: tuple[tuple[int, float], ...]  # (k, output) at the loss curve's sample steps

    @property
    def taken(self) -> int:
        """Steps taken: the plan's, or fewer where the output fell below `until_loss`."""
        return self.steps[-1].k

    def at(self, k: int) -> Recorded:
        return next(s for s in self.steps if s.k == k)


def updates(
    run: Backprop, train: tuple[str, ...], rate: float, ar: Arithmetic
) -> tuple[Update, ...]:
    """Each trained leaf after one step of descent from the pass `run`:
    new = p − η·∂f/∂p, each product carried as the arithmetic carries it (rounded on paper)."""
    eta = ar.number(rate)
    out = []
    for leaf in train:
        old, g = run.values[leaf], run.gradients[leaf]
        new = ar.settle(old - ar.settle(eta * g))
        out.append(Update(leaf, old, g, new, ar.settle(new - old)))
    return tuple(out)


Record = Callable[[int], bool]


def moves(t: GraphTraining | None, ar: Arithmetic) -> dict[str, backprop.Moved] | None:
    """A sequential update's moves for the backward pass (None: simultaneous, nothing moves
    during the pass): each trained leaf p → p − η·∂f/∂p, carried as the arithmetic carries it."""
    if t is None or t.update != "sequential":
        return None
    eta = ar.number(t.learning_rate)

    def move(_: str, old: Number, g: Number) -> Number:
        return ar.settle(old - ar.settle(eta * g))

    return dict.fromkeys(t.train, move)


def _stop(until: float | None, output: Number) -> bool:
    return until is not None and float(output) < until


def stepwise(
    c: Circuit,
    locals_: tuple[Local, ...],
    ar: Arithmetic,
    t: GraphTraining,
    steps: int,
    record: Record,
    sample: frozenset[int],
    path: str = "",
) -> Descent:
    """Training by repeating the page's backward pass, in any arithmetic."""
    at: dict[str, Number] | None = None
    rows: list[Recorded] = []
    curve: list[tuple[int, float]] = []
    first: tuple[Update, ...] = ()
    moved = moves(t, ar)
    for k in range(steps + 1):
        try:
            run = backprop.run(c, locals_, ar, path=path, at=at, moved=moved)
        except NumericError as e:
            if not k:
                raise
            raise NumericError(
                f"{e}, after {k:,} training {'step' if k == 1 else 'steps'} (a smaller "
                "learning rate or fewer steps avoid it)"
            ) from None
        output = run.values[c.output]
        if k in sample:
            curve.append((k, float(output)))
        done = k == steps or _stop(t.until_loss, output)
        if k == 0 or record(k) or done:
            rows.append(Recorded(k, dict(run.values)))
        if done:
            break
        step = updates(run, t.train, t.learning_rate, ar)
        first = first or step
        at = {**(at or {}), **{u.key: u.new for u in step}}
    return Descent(first, tuple(rows), tuple(curve))


def train(
    c: Circuit,
    locals_: tuple[Local, ...],
    ar: Arithmetic,
    t: GraphTraining,
    steps: int,
    record: Record,
    sample: frozenset[int],
    path: str = "",
    first: Backprop | None = None,
) -> Descent:
    """`steps` steps of descent (fewer where `until_loss` stops them), recording the steps
    `record` asks for; the compiled loop in float64 where it can take the graph. `first`: the
    worked step's own pass (the page has it), whose update is the first step's."""
    sequential = t.update == "sequential"
    loop = graph_step.loop_for(c, locals_, t.train, sequential) if ar.name == "float64" else None
    if loop is None:
        return stepwise(c, locals_, ar, t, steps, record, sample, path)
    try:
        rows, curve = loop(
            *(float(v) for _, v in c.leaves), steps, t.learning_rate, record, sample, t.until_loss
        )
    except (ArithmeticError, ValueError):  # a fault: the stepwise pass names where
        return stepwise(c, locals_, ar, t, steps, record, sample, path)
    first = first or backprop.run(c, locals_, ar, path=path, moved=moves(t, ar))
    wires = c.wires
    return Descent(
        updates(first, t.train, t.learning_rate, ar) if rows[-1][0] else (),  # 0: stopped at once
        tuple(
            Recorded(k, dict(zip(wires, map(np.float64, values), strict=True)))
            for k, values in rows
        ),
        tuple(curve),
    )
