"""Stage 4, evaluate (training a graph): gradient descent on a graph's trained leaves.

One step: the forward and backward pass at the leaves' current values, then every trained leaf
at once (simultaneous), p ← p − η·∂f/∂p, where f is the graph's output. In float64 the steps
run as the compiled loop generated from the gates (graph_step.py); in any other arithmetic
(exact, on paper), and wherever the compiled loop meets a fault, by repeating the page's own
backward pass, which also names the quantity at fault.

An optimizer other than plain descent (momentum, Adam, …, or a penalty) moves each leaf by its
row of rules/optimizers.py instead, with its state (v; m and s) carried per leaf from step to
step, zero before the first; its step count t counts updates from 1 (with a training set, every
example's update in a stochastic epoch). It runs in float64, by the stepwise pass (the compiled
loop prints plain descent only); a training set's examples still take their compiled pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from explainer.derive.local import Local
from explainer.evaluate import backprop, graph_step
from explainer.evaluate.arithmetic import ARITHMETIC, Arithmetic
from explainer.evaluate.backprop import Backprop, Number
from explainer.evaluate.curve import Watched, thin
from explainer.evaluate.update import ops, updated
from explainer.evaluate.worked import Update, reason, reduced
from explainer.foundation.errors import NumericError
from explainer.graph.circuit import Circuit
from explainer.read.graph_scenario import GraphData, GraphTraining
from explainer.rules.optimizers import OPTIMIZERS

State = Mapping[str, Mapping[str, Number]]  # each trained leaf's optimizer state (v; m, s)


@dataclass(frozen=True)
class Recorded:
    """Every wire's value after k steps (k = 0: the starting values), and the optimizer's state
    of each trained leaf after them (none for plain descent)."""

    k: int
    values: Mapping[str, Number]
    state: State = field(default_factory=dict)


@dataclass(frozen=True)
class Descent:
    updates: tuple[Update, ...]  # the first step, worked on the page
    # the recorded ones, k ascending; always 0 and the last. With a training set a step is an
    # epoch, and a row holds the trained leaves and the output's mean over the examples.
    steps: tuple[Recorded, ...]
    curve: tuple[tuple[int, float], ...]  # (k, output) at the loss curve's sample steps
    # a batch of several examples (batch or mini-batch mode): each example's gradient of each
    # trained leaf at step 0, the worked example's first; the first update takes their mean
    # (or sum). Empty otherwise.
    batch: tuple[tuple[Number, ...], ...] = ()
    epochs: bool = False  # a step is an epoch over a training set
    batch_rows: tuple[int, ...] = ()  # the first batch's rows (from 1), as `batch` has them
    # the row (from 1) epoch 1's second update meets first, whose leaves are the worked step's
    # results; 0 where the first update ends the epoch (or there is no training set)
    next_row: int = 0

    @property
    def taken(self) -> int:
        """Steps taken: the plan's, or fewer where the output fell below `until_loss`."""
        return self.steps[-1].k

    def at(self, k: int) -> Recorded:
        return next(s for s in self.steps if s.k == k)


def updates(run: Backprop, t: GraphTraining, ar: Arithmetic, path: str = "") -> tuple[Update, ...]:
    """Each trained leaf after the first step from the pass `run`: new = p − η·∂f/∂p, each
    product carried as the arithmetic carries it (rounded on paper), or the optimizer's."""
    return stepped(t, ar, run.values, run.gradients, 1, {}, path)[0]


def stepped(
    t: GraphTraining,
    ar: Arithmetic,
    values: Mapping[str, Number],
    gradients: Mapping[str, Number],
    k: int,
    state: State,
    path: str = "",
) -> tuple[tuple[Update, ...], State]:
    """Update k (from 1) of the trained leaves from their gradients, and the state after it:
    plain descent, or the optimizer's rule from each leaf's state (zeros before the first). A
    fault (a learning rate too large to carry on paper, an overflow) names the update."""
    try:
        return _stepped(t, ar, values, gradients, k, state)
    except ArithmeticError as e:
        where = f"{path}: " if path else ""
        raise NumericError(
            f"{where}training.learning_rate: the update of {', '.join(t.train)} by "
            f"η = {t.learning_rate:g}: {reason(e)}"
        ) from None


def _stepped(
    t: GraphTraining,
    ar: Arithmetic,
    values: Mapping[str, Number],
    gradients: Mapping[str, Number],
    k: int,
    state: State,
) -> tuple[tuple[Update, ...], State]:
    if t.plain:
        return moved(values, gradients, t.train, t.learning_rate, ar), state
    opt, o, eta = OPTIMIZERS[t.optimizer], ops(ar), ar.number(t.learning_rate)
    zero = dict.fromkeys(opt.state, ar.number(0.0))
    out, after = [], {}
    for leaf in t.train:
        old, g = values[leaf], gradients[leaf]
        new, after[leaf], shown = opt.step(o, t.settings, eta, k, old, g, state.get(leaf, zero))
        out.append(Update(leaf, old, g, new, ar.settle(new - old), tuple(shown.items())))
    return tuple(out), after


def moved(
    values: Mapping[str, Number],
    gradients: Mapping[str, Number],
    train: tuple[str, ...],
    rate: float,
    ar: Arithmetic,
) -> tuple[Update, ...]:
    eta = ar.number(rate)
    out = []
    for leaf in train:
        old, g = values[leaf], gradients[leaf]
        new = updated(ar, eta, old, g)
        out.append(Update(leaf, old, g, new, ar.settle(new - old)))
    return tuple(out)


Record = frozenset[int]  # the steps to record (besides the first and the last)


def moves(t: GraphTraining | None, ar: Arithmetic) -> dict[str, backprop.Moved] | None:
    """A sequential update's moves for the backward pass (None: simultaneous, nothing moves
    during the pass): each trained leaf p → p − η·∂f/∂p, carried as the arithmetic carries it."""
    if t is None or t.update != "sequential":
        return None
    eta = ar.number(t.learning_rate)

    def move(_: str, old: Number, g: Number) -> Number:
        return updated(ar, eta, old, g)

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
    state: State = {}
    moved = moves(t, ar)
    watched = Watched() if t.until_loss is not None else None
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
        done = k == steps or _stop(t.until_loss, output)
        if watched is not None:
            watched.see(k, float(output), done)
        elif k in sample:
            curve.append((k, float(output)))
        if k == 0 or k in record or done:
            rows.append(Recorded(k, dict(run.values), state))
        if done:
            break
        step, state = stepped(t, ar, run.values, run.gradients, k + 1, state, path)
        first = first or step
        at = {**(at or {}), **{u.key: u.new for u in step}}
    return Descent(first, tuple(rows), thin(watched.points) if watched else tuple(curve))


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
    data: GraphData | None = None,
) -> Descent:
    """`steps` steps of descent (fewer where `until_loss` stops them), recording the steps
    `record` asks for; the compiled loop in float64 where it can take the graph. `first`: the
    worked step's own pass (the page has it), whose update is the first step's."""
    if data is not None:
        return epochs(c, locals_, ar, t, data, steps, record, sample, path, first)
    sequential = t.update == "sequential"
    until = t.until_loss is not None
    loop = (
        graph_step.loop_for(c, locals_, t.train, sequential, until)
        if ar.name == "float64" and t.plain
        else None
    )
    if loop is None:
        return stepwise(c, locals_, ar, t, steps, record, sample, path)
    # with a stopping rule the loop keeps its own sample of the curve (curve.Watched's)
    kept = record if until else record | sample
    stops = sorted({0, steps, *(k for k in kept if 0 <= k <= steps)})
    try:
        rows, curve = loop(
            *(float(v) for _, v in c.leaves),
            steps,
            t.learning_rate,
            stops,
            record,
            sample,
            t.until_loss,
        )
    except (ArithmeticError, ValueError):  # a fault: the stepwise pass names where
        return stepwise(c, locals_, ar, t, steps, record, sample, path)
    first = first or backprop.run(c, locals_, ar, path=path, moved=moves(t, ar))
    wires = c.wires
    return Descent(
        updates(first, t, ar, path) if rows[-1][0] else (),  # 0: stopped at once
        tuple(
            Recorded(k, dict(zip(wires, map(np.float64, values), strict=True)))
            for k, values in rows
        ),
        thin(curve) if until else tuple(curve),
    )


Leaves = Mapping[str, Number]


@dataclass(frozen=True)
class _Example:
    """One example's pass at given leaf values: the output alone, and the trained leaves'
    gradients (through the moved leaves, where the update is sequential)."""

    output: Callable[[Leaves], Number]
    gradient: Callable[[Leaves], Mapping[str, Number]]


def _stepwise_example(
    c: Circuit, locals_: tuple[Local, ...], ar: Arithmetic, t: GraphTraining, path: str
) -> _Example:
    how = moves(t, ar)
    return _Example(
        lambda at: backprop.forward(c, ar, path=path, at=at)[c.output],
        lambda at: backprop.run(c, locals_, ar, path=path, at=at, moved=how).gradients,
    )


def _compiled_example(c: Circuit, locals_: tuple[Local, ...], t: GraphTraining) -> _Example | None:
    compiled = graph_step.pass_for(c, locals_, t.train) if t.update == "simultaneous" else None
    if compiled is None:
        return None
    output, gradient = compiled
    order = [n for n, _ in c.leaves]
    return _Example(
        # as Python floats, whose overflow raises (numpy's only warns)
        lambda at: output(*(float(at[n]) for n in order)),
        lambda at: dict(zip(t.train, gradient(*(float(at[n]) for n in order)), strict=True)),
    )


def epochs(
    c: Circuit,
    locals_: tuple[Local, ...],
    ar: Arithmetic,
    t: GraphTraining,
    data: GraphData,
    steps: int,
    record: Record,
    sample: frozenset[int],
    path: str = "",
    first: Backprop | None = None,
) -> Descent:
    """Training on a data set, a step an epoch: stochastic, an update per example in the
    rows' order; batch, one update from the mean of the examples' gradients,
    (1/N)·Σₙ ∂fₙ/∂p. Each recorded epoch's output is the mean over the examples of the output
    at its leaves. In float64 each example's pass is the compiled one (graph_step.pass_for);
    in any other arithmetic, or on a fault, the page's own pass, which names it."""
    start, examples = _given(c, data, ar)
    stepwise = _stepwise_example(c, locals_, ar, t, path)
    made = (
        compiled_epochs(c, locals_, t, data, steps, record, sample)
        if ar.name == "float64"
        else None
    )
    rows, curve = made if made is not None else (None, None)
    if rows is None or curve is None:
        try:
            rows, curve = _epochs(
                t, start, examples, ar, steps, record, sample, stepwise, c.output, path
            )
        except _After as e:
            if not e.k:
                raise e.error from None
            raise NumericError(
                f"{e.error}, after {e.k:,} training {'epoch' if e.k == 1 else 'epochs'} (a "
                "smaller learning rate or fewer epochs avoid it)"
            ) from None
    # the first update, worked on the page: from the page's own pass (the first batch's first
    # example), or from each example's of a batch of several, through the stepwise pass in the
    # page's arithmetic
    page = first or backprop.run(c, locals_, ar, path=path, moved=moves(t, ar))
    batch: tuple[tuple[Number, ...], ...] = ()
    rows_1 = t.batching.first(len(examples))
    worked = examples[rows_1[0]]
    if any(start[n] != v for n, v in worked.items()):  # an alternative's order: not the page's
        page = backprop.run(c, locals_, ar, path=path, at=worked, moved=moves(t, ar))
    if len(rows_1) > 1:
        others = (stepwise.gradient({**start, **examples[i]}) for i in rows_1[1:])
        each = [page.gradients, *others]
        batch = tuple(tuple(g[w] for w in t.train) for g in each)
        taken = {w: reduced(ar, [g[w] for g in each], t.batching.summed) for w in t.train}
        first_step = stepped(t, ar, start, taken, 1, {}, path)[0]
    else:
        first_step = updates(page, t, ar, path)
    second = t.batching.second(len(examples))
    return Descent(
        first_step if rows[-1].k else (),
        tuple(rows),
        tuple(curve),
        batch,
        True,
        tuple(i + 1 for i in rows_1) if batch else (),
        0 if second is None else second + 1,
    )


def _given(
    c: Circuit, data: GraphData, ar: Arithmetic
) -> tuple[dict[str, Number], list[dict[str, Number]]]:
    """The leaves' starting values, and each example's leaves, in the arithmetic."""
    start = {n: ar.number(v) for n, v in c.leaves}
    return start, [
        {n: ar.number(v) for n, v in x.items()} for x in map(data.example, range(len(data.rows)))
    ]


def compiled_epochs(
    c: Circuit,
    locals_: tuple[Local, ...],
    t: GraphTraining,
    data: GraphData,
    steps: int,
    record: Record,
    sample: frozenset[int],
) -> tuple[list[Recorded], list[tuple[int, float]]] | None:
    """The epochs in float64 by each example's compiled pass (graph_step.pass_for): the rows and
    the curve as `epochs` records them, or None where the printer cannot take the graph (or a
    sequential update, which moves leaves inside the pass) or a value is not finite (the
    caller's own pass then runs, and names where)."""
    fast = _compiled_example(c, locals_, t)
    if fast is None:
        return None
    ar = ARITHMETIC["float64"]
    start, examples = _given(c, data, ar)
    try:
        return _epochs(t, start, examples, ar, steps, record, sample, fast, c.output)
    except (ArithmeticError, ValueError, _After):
        return None


class _After(Exception):
    """A numeric fault in epoch k (0: at the starting values)."""

    def __init__(self, k: int, error: NumericError) -> None:
        self.k, self.error = k, error


def _epochs(
    t: GraphTraining,
    start: dict[str, Number],
    examples: list[dict[str, Number]],
    ar: Arithmetic,
    steps: int,
    record: Record,
    sample: frozenset[int],
    one: _Example,
    output: str,
    path: str = "",
) -> tuple[list[Recorded], list[tuple[int, float]]]:
    leaves = dict(start)
    state: State = {}
    n = 0  # updates so far: the optimizer's step count
    orders = t.batching.epochs(len(examples))  # each epoch's order, from epoch 1 on
    rows: list[Recorded] = []
    curve: list[tuple[int, float]] = []
    watched = Watched() if t.until_loss is not None else None
    for k in range(steps + 1):
        try:
            loss = reduced(ar, [one.output({**leaves, **x}) for x in examples], t.batching.summed)
            if not _finite(loss):  # a sum of finite outputs can overflow
                how = "sum" if t.batching.summed else "mean"
                raise NumericError(f"the {how} of {output} over the training set is not finite")
            done = k == steps or _stop(t.until_loss, loss)
            if watched is not None:
                watched.see(k, float(loss), done)
            elif k in sample:
                curve.append((k, float(loss)))
            if k == 0 or k in record or done:
                rows.append(Recorded(k, {**{w: leaves[w] for w in t.train}, output: loss}, state))
            if done:
                break
            for g in _taken(t, one, leaves, examples, ar, next(orders)):
                n += 1
                step, state = stepped(t, ar, leaves, g, n, state, path)
                leaves.update((u.key, u.new) for u in step)
        except NumericError as e:
            raise _After(k, e) from None
    return rows, list(thin(watched.points)) if watched is not None else curve


def _taken(
    t: GraphTraining,
    one: _Example,
    leaves: Leaves,
    examples: list[dict[str, Number]],
    ar: Arithmetic,
    order: tuple[int, ...],
) -> Iterator[Mapping[str, Number]]:
    """The gradients an epoch's updates take, one per batch of the epoch's `order`: the mean
    (or sum) of its examples', (1/k)·Σₙ ∂fₙ/∂p, at the leaves as the previous update left them
    (`leaves` is read as each batch is asked for); a batch of one, its example's own."""
    for rows in t.batching.batches(order):
        each = [one.gradient({**leaves, **examples[i]}) for i in rows]
        yield {w: reduced(ar, [e[w] for e in each], t.batching.summed) for w in t.train}


def _finite(x: Number) -> bool:
    try:
        return math.isfinite(float(x))
    except OverflowError:  # an exact number past float range
        return False
