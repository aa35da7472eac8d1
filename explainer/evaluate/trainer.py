"""Stage 4, evaluate (training loop): many steps of gradient descent.

A network on one example trains by the step generated from it as a graph (graph_step.py, as
every graph does); a training set, a stopping rule or a wide network by the loop here over
numpy arrays (per step, one matrix product per layer forward and back), a separate
implementation from the walkthrough's own evaluation (worked.py), which the tests check it
against step by step.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from explainer.derive import local
from explainer.evaluate import compiled, graph_step, graph_training, worked
from explainer.evaluate.arithmetic import ARITHMETIC, QUIET
from explainer.evaluate.classes import classes
from explainer.evaluate.curve import CURVE_POINTS as CURVE_POINTS  # re-exported
from explainer.evaluate.curve import Watched, curve_steps, thin
from explainer.evaluate.records import Step as Step  # re-exported
from explainer.evaluate.records import Training as Training
from explainer.evaluate.records import converged as converged
from explainer.evaluate.update import NUMPY
from explainer.graph import network_graph
from explainer.graph.circuit import Circuit
from explainer.graph.network import Network
from explainer.read.graph_scenario import GraphData, GraphTraining
from explainer.read.settings import Schedule
from explainer.rules.activations import LOSSES, Activation, loss_derivative, loss_term
from explainer.rules.optimizers import OPTIMIZERS

# The training loop ---------------------------------------------------------------------------


def _softmax(z: np.ndarray) -> np.ndarray:
    """Each row's e^z / Σ e^z, shifted by the row's largest z first (the same quotient, and no
    overflow: e^(z − m) / Σ e^(z − m))."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def _softmax_back(u: np.ndarray, z: np.ndarray, o: np.ndarray) -> np.ndarray:
    """δ_j = Σ_i u_i·∂o_i/∂z_j = Σ_i u_i·o_i(δ_ij − o_j) = o_j·(u_j − Σ_i u_i·o_i), per row."""
    delta: np.ndarray = o * (u - (u * o).sum(axis=1, keepdims=True))
    return delta


def _log_softmax(z: np.ndarray) -> np.ndarray:
    """Each row's z − ln Σ e^z, with the row's largest z taken out first (no overflow)."""
    m = z.max(axis=1, keepdims=True)
    out: np.ndarray = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return out


def _log_softmax_back(u: np.ndarray, z: np.ndarray, o: np.ndarray) -> np.ndarray:
    """δ_j = Σ_i u_i·([i = j] − e^{o_j}) = u_j − e^{o_j}·Σ_i u_i, per row."""
    delta: np.ndarray = u - np.exp(o) * u.sum(axis=1, keepdims=True)
    return delta


def _diagonal_back(u: np.ndarray, z: np.ndarray, o: np.ndarray) -> np.ndarray:
    """The mistaken softmax (activations.MISTAKEN): δ_j = u_j·o_j(1 − o_j), the diagonal only."""
    delta: np.ndarray = u * o * (1 - o)
    return delta


# Activations over a whole layer: (forward, δ from ∂L/∂out) on numpy rows
_OVER_LAYER = {
    "softmax": (_softmax, _softmax_back),
    "log_softmax": (_log_softmax, _log_softmax_back),
    "softmax_diagonal": (_softmax, _diagonal_back),
}


@functools.cache
def _numpy_rule(act: Activation) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """An activation as numpy functions, written once per activation: f(net), and the error
    signal δ = back(∂L/∂out, net, out), for one neuron's activation u·f′(net, out)."""
    if act.over_layer:
        return _OVER_LAYER[act.name]
    x, y = sp.Symbol("x"), sp.Symbol("y")
    f_prime = compiled.vectorised((x, y), act.derivative(x, y).doit())
    return (
        compiled.vectorised((x,), act.forward(x)),
        lambda u, z, o: u * f_prime(z, o),
    )


class _Layer:
    """One layer's parameters as matrices: net = W·x + B·β, with B mapping bias parameters β
    to neurons (a column per bias; a shared bias is one column of ones)."""

    def __init__(self, net: Network, names: tuple[str, ...], theta: np.ndarray) -> None:
        index = {p.key: i for i, p in enumerate(net.params)}
        neurons = [net.neuron(n) for n in names]
        self.f, self.back = _numpy_rule(neurons[0].rule)
        self.w_index = np.array([[index[k] for k in n.weights] for n in neurons], dtype=np.intp)
        biases = list(dict.fromkeys(n.bias for n in neurons if n.bias))
        self.b_index = np.array([index[b] for b in biases], dtype=np.intp)
        sign = neurons[0].bias_input
        self.spread = np.array([[sign * (n.bias == b) for b in biases] for n in neurons])
        self.w = theta[self.w_index]
        self.b = theta[self.b_index]
        trained = np.array([float(net.params[i].trained) for i in self.w_index.ravel()])
        # η per weight: one number where the layer trains all its weights (a scalar times a
        # matrix is one pass fewer than a matrix times a matrix, and the same products)
        self.w_rate: np.ndarray | float = (
            float(trained[0])
            if trained.size and (trained == trained[0]).all()
            else trained.reshape(self.w.shape)
        )
        self.b_rate = np.array([float(net.params[i].trained) for i in self.b_index])
        self.trains_biases = bool(self.b_rate.any())
        # an optimizer's: which entries it moves, and its state per entry (zero at the start)
        self.w_mask = trained.reshape(self.w.shape).astype(bool)
        self.b_mask = self.b_rate.astype(bool)
        self.w_state: dict[str, np.ndarray] = {}
        self.b_state: dict[str, np.ndarray] = {}
        self.frozen_bias = self.spread @ self.b  # B·β, constant while the biases are not trained

    def scale(self, rate: float) -> None:
        self.w_rate *= rate
        self.b_rate *= rate

    def store(self, theta: np.ndarray) -> None:
        theta[self.w_index] = self.w
        theta[self.b_index] = self.b


def train(
    net: Network,
    run: Schedule,
    steps: int,
    record: Collection[int] = (),
    start: Step | None = None,
) -> Training:
    """Gradient descent for `steps` updates or epochs (fewer if the loss falls below `until_loss`).

    Simultaneous: every gradient from the weights of the same forward pass. Sequential: each
    layer is updated as soon as its gradients are known, and the layer below is differentiated
    through the updated weights. A training set is taken in order, one update per example
    (stochastic) or one per epoch from the mean gradient (batch). Recorded: every k in
    `record`, plus k = 0 and the last. From `start`: the same loop continued from that
    recorded state (its row is the first).
    """
    if start is not None and not run.plain:  # an optimizer's state: from the first step again
        full = _numpy(net, run, steps, {*record, start.k}, None)
        return dataclasses.replace(full, steps=tuple(s for s in full.steps if s.k >= start.k))
    if compiled.compilable(net, run):
        one = len(run.examples) == 1
        fast = (_compiled if one else _epochs)(net, run, steps, record, start)
        if fast is not None:
            return fast
    return _numpy(net, run, steps, record, start)


@QUIET
def _numpy(
    net: Network,
    run: Schedule,
    steps: int,
    record: Collection[int],
    start: Step | None,
) -> Training:
    """The loop over numpy arrays: any network, training set and stopping rule."""
    first = start.k if start else 0
    theta = np.array(start.params if start else [p.value for p in net.params], dtype=np.float64)
    layers, (x_all, t_all), (term, d_term) = _set_up(net, run, theta)
    examples = run.examples
    cut = run.batching
    epochs = _epochs_of(run, first)
    w = _worked(run)  # the worked example's row: the first of the first batch
    sequential = run.update == "sequential"
    moves = None if run.plain else _Moves(run)
    watch = run.until_loss is not None
    rows: list[Step] = []
    sampled = curve_steps(steps) if not watch else frozenset()
    watched = Watched() if watch else None  # with until_loss: a bounded sample of the curve
    curve: list[tuple[int, float]] = []
    # one update from every example: its forward pass is x_all's
    whole = not cut.shuffle and cut.size in (0, len(examples))
    for k in range(first, steps + 1):
        ahead = None
        if watch or k in (first, steps) or k in record or k in sampled:
            outs, nets = _forward(layers, x_all)
            ahead = (outs, nets) if whole else None
            out = outs[-1]
            per_example = np.sum(term(t_all, out), axis=1)
            loss = float(np.sum(per_example) if cut.summed else np.mean(per_example))
            done = k == steps or (watch and converged(run, loss))
            if watched is not None:
                watched.see(k, loss, done)
            elif k in sampled or done:
                curve.append((k, loss))
            if k in (first, steps) or done or k in record:
                for layer in layers:
                    layer.store(theta)
                rows.append(
                    Step(
                        k,
                        loss,
                        tuple(map(float, out[w])),
                        tuple(map(float, theta)),
                        _example(outs, nets, w),
                        tuple(tuple(map(float, row)) for row in out) if len(out) > 1 else (),
                        _state(layers, moves, len(theta)),
                    )
                )
            if done:
                break
        for batch in next(epochs):
            _update(
                layers, x_all[batch], t_all[batch], d_term, sequential, ahead, moves, cut.summed
            )
    final = _forward(layers, x_all)[0][-1]
    points = watched.points if watched is not None else curve
    return Training(tuple(rows), tuple(tuple(map(float, row)) for row in final), thin(points))


@dataclass(frozen=True)
class Forecast:
    """The trained network on examples it never saw: each one's outputs, and the mean over
    them of each example's loss (the training table's measure)."""

    outputs: tuple[tuple[float, ...], ...]
    loss: float


@QUIET
def forecast(
    net: Network, params: tuple[float, ...], examples: tuple[tuple[Any, Any], ...]
) -> Forecast:
    """The forward pass of `examples` (inputs, targets) with the parameters `params`."""
    theta = np.array(params, dtype=np.float64)
    layers = [_Layer(net, names, theta) for names in net.layers]
    x = np.array([i for i, _ in examples], dtype=np.float64)
    t = np.array([o for _, o in examples], dtype=np.float64)
    term, _ = _loss_functions(net)
    out = _forward(layers, x)[0][-1]
    loss = float(np.mean(np.sum(term(t, out), axis=1)))
    return Forecast(tuple(tuple(map(float, row)) for row in out), loss)


def _compiled(
    net: Network, run: Schedule, steps: int, record: Collection[int], start: Step | None
) -> Training | None:
    """The same training by the step generated from the network read as a graph (its gates'
    local derivatives, graph_step.py), or None where its floats overflow (the numpy loop then
    runs and the overflow is reported as for any network)."""
    until = run.until_loss
    if until is not None and start is not None:  # its curve's stride counts from step 0
        return None
    loop, leaves, wires = _graph_loop(net, run)
    if loop is None:
        return None
    first = start.k if start else 0
    theta = start.params if start else tuple(p.value for p in net.params)
    given = {p.key: float(v) for p, v in zip(net.params, theta, strict=True)} | dict(net.example)
    # the loop counts from 0: a continued training's steps counted from `first`
    full = {k - first for k in record if first <= k <= steps}
    # with a stopping rule the loop keeps its own sample of the curve (curve.Watched's)
    sampled = (
        frozenset(k - first for k in curve_steps(steps) if k >= first)
        if until is None
        else frozenset()
    )
    last = steps - first
    stops = sorted({0, last, *full, *sampled})
    # ascent on P is descent on P with the rate's sign turned: p + η·∂P/∂p
    rate = -run.learning_rate if run.direction == "ascent" else run.learning_rate
    try:
        rows, curve = loop(
            *(float(given[n]) for n in leaves), last, rate, stops, frozenset(full), sampled, until
        )
    except (ArithmeticError, ValueError):  # math.exp overflows where numpy gives inf
        return None
    at = {w: i for i, w in enumerate(wires)}
    recorded = tuple(
        Step(
            k + first,
            row[at[net.loss]],
            tuple(row[at[n.out]] for n in net.outputs),
            tuple(row[at[p.key]] for p in net.params),
            tuple((row[at[n.net]], row[at[n.out]]) for n in net.neurons),
        )
        for k, row in rows
    )
    points = [(k + first, loss) for k, loss in curve]
    if first == 0:  # row 0 is the page's forward pass to the last bit (math.tanh is not numpy's)
        recorded = (_page_row(net, recorded[0]), *recorded[1:])
        points = [(k, recorded[0].loss if k == 0 else x) for k, x in points]
    if points[-1][0] != recorded[-1].k:  # the last step taken is on the curve
        points.append((recorded[-1].k, recorded[-1].loss))
    return Training(recorded, (recorded[-1].outputs,), thin(points))


def _page_row(net: Network, row: Step) -> Step:
    """A recorded step's row from the page's own forward pass (worked.forward, float64) at the
    row's parameters."""
    ar = ARITHMETIC["float64"]
    env = worked.forward(
        net, {p.key: ar.number(v) for p, v in zip(net.params, row.params, strict=True)}, ar
    )
    return Step(
        row.k,
        float(env[net.loss]),
        tuple(float(env[n.out]) for n in net.outputs),
        row.params,
        tuple((float(env[n.net]), float(env[n.out])) for n in net.neurons),
    )


@QUIET
def _epochs(
    net: Network, run: Schedule, steps: int, record: Collection[int], start: Step | None
) -> Training | None:
    """A training set's epochs by each example's pass generated from the network read as a
    graph (graph_training.compiled_epochs; compiled.compilable admits only stochastic epochs,
    an update per example, with simultaneous updates), or None where it cannot take them (the
    numpy loop then runs). A recorded epoch's neurons and outputs are the first example's, by the page's own
    forward pass, so that epoch 0 is the worked forward pass bit for bit."""
    if start is not None:  # continued from a recorded epoch: the numpy loop
        return None
    c, locals_ = _graph(net)
    train = tuple(p.key for p in net.params if p.trained)
    rate = -run.learning_rate if run.direction == "ascent" else run.learning_rate
    t = GraphTraining(train, rate, steps, run.until_loss, run.update, run.mode)
    data = GraphData(tuple(k for k, _ in net.example), tuple((*x, *y) for x, y in run.examples))
    full = frozenset(k for k in record if 0 <= k <= steps)
    sample = curve_steps(steps) if run.until_loss is None else frozenset()
    made = graph_training.compiled_epochs(c, locals_, t, data, steps, full, sample)
    if made is None:
        return None
    rows, curve = made
    ar = ARITHMETIC["float64"]
    fixed = {p.key: p.value for p in net.params}

    def at(row: Mapping[str, float], example: int) -> dict[str, Any]:
        params = {**fixed, **{w: row[w] for w in train}}
        return worked.forward(net.given(data.rows[example]), params, ar)

    labelled = classes([t for _, t in run.examples], [t for _, t in run.examples]) is not None
    steps_ = []
    for row in rows:
        env = at(row.values, 0)
        every = (
            tuple(
                tuple(float(at(row.values, i)[n.out]) for n in net.outputs)
                for i in range(len(data.rows))
            )
            if labelled  # a classifier's classes at this epoch: every example's pass
            else ()
        )
        steps_.append(
            Step(
                row.k,
                float(row.values[c.output]),
                tuple(float(env[n.out]) for n in net.outputs),
                tuple(float(env[p.key]) for p in net.params),
                tuple((float(env[n.net]), float(env[n.out])) for n in net.neurons),
                every,
            )
        )
    last = rows[-1].values
    predictions = tuple(
        tuple(float(at(last, i)[n.out]) for n in net.outputs) for i in range(len(data.rows))
    )
    points = list(curve)
    if points[-1][0] != rows[-1].k:  # the last epoch taken is on the curve
        points.append((rows[-1].k, float(last[c.output])))
    return Training(tuple(steps_), predictions, thin(points))


_GRAPHS: dict[tuple[object, ...], tuple[Circuit, tuple[local.Local, ...]]] = {}


def _graph(net: Network) -> tuple[Circuit, tuple[local.Local, ...]]:
    """The network read as one circuit, and its gates' local derivatives (kept per network:
    verification's alternatives train the same one again)."""
    # the leaves' values too: the circuit carries them, and a training set's epochs start there
    key = (
        tuple((n.key, n.kind, n.expr) for n in net.nodes),
        net.example,
        tuple((p.key, p.value) for p in net.params),
    )
    if key not in _GRAPHS:
        if len(_GRAPHS) >= 64:
            _GRAPHS.clear()
        c = network_graph.circuit(net)
        _GRAPHS[key] = (c, local.derive(c))
    return _GRAPHS[key]


_LOOPS: dict[tuple[object, ...], tuple[graph_step.Loop | None, tuple[str, ...], tuple[str, ...]]]
_LOOPS = {}


def _graph_loop(
    net: Network, run: Schedule
) -> tuple[graph_step.Loop | None, tuple[str, ...], tuple[str, ...]]:
    """The network's training step, generated from it as a graph (network_graph.py), with its
    leaves (the loop's arguments) and wires (a row's values) in order: derived and compiled
    once per shape and convention, so that the verification's alternatives that share them
    share it."""
    until = run.until_loss is not None  # a loop of its own, tested after every step
    shape = (*compiled.shape(net, run), until)
    if shape not in _LOOPS:
        if len(_LOOPS) >= 64:
            _LOOPS.clear()
        c = network_graph.circuit(net)
        train = tuple(p.key for p in net.params if p.trained)
        loop = graph_step.loop_for(c, local.derive(c), train, run.update == "sequential", until)
        _LOOPS[shape] = (loop, tuple(n for n, _ in c.leaves), c.wires)
    return _LOOPS[shape]


def _set_up(
    net: Network, run: Schedule, theta: np.ndarray
) -> tuple[list[_Layer], tuple[np.ndarray, np.ndarray], tuple[Callable[..., Any], ...]]:
    """A numpy loop's layers (their rates set), the training set as arrays (a row per
    example), and the loss's term and its derivative by the output as numpy functions."""
    layers = [_Layer(net, names, theta) for names in net.layers]
    for layer in layers:
        layer.scale(-run.learning_rate if run.direction == "ascent" else run.learning_rate)
    x_all = np.array([x for x, _ in run.examples], dtype=np.float64)
    t_all = np.array([t for _, t in run.examples], dtype=np.float64)
    return layers, (x_all, t_all), _loss_functions(net)


def _svm(t: np.ndarray, o: np.ndarray) -> np.ndarray:
    """Each row's (1 − t_j)·max(0, o_j − o_y + 1), o_y = Σ_k t_k·o_k (one-hot t)."""
    out: np.ndarray = (1 - t) * np.maximum(0.0, o - (t * o).sum(axis=1, keepdims=True) + 1)
    return out


def _svm_back(t: np.ndarray, o: np.ndarray) -> np.ndarray:
    """∂L/∂o_k per row: (1 − t_k)·[margin_k > 0] − t_k·Σ_j (1 − t_j)·[margin_j > 0]."""
    hit = (1 - t) * (o - (t * o).sum(axis=1, keepdims=True) + 1 > 0)
    out: np.ndarray = hit - t * hit.sum(axis=1, keepdims=True)
    return out


# Losses over the whole output layer: (each output's term, ∂L/∂out) on numpy rows, and the
# scale of each (torch's MultiMarginLoss divides by the number of classes)
_LAYER_LOSSES: dict[str, tuple[Callable[..., Any], Callable[..., Any], bool]] = {
    "multiclass_hinge": (_svm, _svm_back, False),
    "multi_margin": (_svm, _svm_back, True),
}


def _loss_functions(net: Network) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The loss's term per output and its derivative by each output, as numpy functions of
    (targets, outputs), each a row per example."""
    if net.loss_rule in _LAYER_LOSSES:
        term, back, per_class = _LAYER_LOSSES[net.loss_rule]
        c = len(net.outputs) if per_class else 1
        return (lambda t, o: term(t, o) / c), (lambda t, o: back(t, o) / c)
    rule, n = LOSSES[net.loss_rule], len(net.outputs)
    ts, os_ = sp.Symbol("t"), sp.Symbol("o")
    term = compiled.vectorised((ts, os_), loss_term(rule, n, net.residual, ts, os_).doit())
    d_term = compiled.vectorised((ts, os_), loss_derivative(rule, n, net.residual, ts, os_).doit())
    return term, d_term


@QUIET
def logged(net: Network, run: Schedule, epochs: int) -> tuple[float, ...]:
    """Each epoch's error as a from-scratch loop logs it while it trains: the sum over the
    epoch's updates of each batch's loss, from the forward pass that update is made from, so
    taken before its own update (Brownlee's `sum_error += …` inside the loop over rows). Plain
    descent; epochs 1 … `epochs`."""
    theta = np.array([p.value for p in net.params], dtype=np.float64)
    layers, (x_all, t_all), (term, d_term) = _set_up(net, run, theta)
    sequential, out = run.update == "sequential", []
    batches = _epochs_of(run, 0)
    for _ in range(epochs):
        total = 0.0
        for batch in next(batches):
            ahead = _forward(layers, x_all[batch])
            total += float(np.sum(term(t_all[batch], ahead[0][-1])))
            _update(
                layers,
                x_all[batch],
                t_all[batch],
                d_term,
                sequential,
                ahead,
                None,
                run.batching.summed,
            )
        out.append(total)
    return tuple(out)


@dataclass(frozen=True)
class Seen:
    """One example as an epoch's loop meets it: its forward pass and error signals from the
    parameters its update starts from, so before its own update (a from-scratch loop that
    prints inside its loop over rows)."""

    nodes: tuple[tuple[float, float], ...]  # (net, out) per neuron, Network.neurons order
    deltas: tuple[float, ...]  # ∂L/∂net per neuron, of this example's own loss
    terms: tuple[float, ...]  # its loss's term per output
    loss: float
    params: tuple[float, ...] = ()  # its update's start (Network.params order)
    state: tuple[tuple[str, tuple[float, ...]], ...] = ()  # an optimizer's, the same order
    gradient: tuple[float, ...] = ()  # ∂L/∂p of its own loss there, the same order


@QUIET
def per_example(
    net: Network, run: Schedule, wanted: Collection[tuple[int, int]], after: bool = False
) -> dict[tuple[int, int], Seen]:
    """Each wanted (epoch e from 1, training-set row r from 0): row r as epoch e meets it,
    replayed from the start with the page's batches, order and optimizer; `after`: from the
    parameters its batch's update has just made instead (a loop that prints after updating)."""
    theta = np.array([p.value for p in net.params], dtype=np.float64)
    layers, (x_all, t_all), (term, d_term) = _set_up(net, run, theta)
    sequential, summed = run.update == "sequential", run.batching.summed
    moves = None if run.plain else _Moves(run)
    rows, found = np.arange(len(x_all)), dict[tuple[int, int], Seen]()
    batches = _epochs_of(run, 0)
    for e in range(1, max((e for e, _ in wanted), default=0) + 1):
        for batch in next(batches):
            x, t = x_all[batch], t_all[batch]
            ahead = _forward(layers, x)
            mine = [(i, int(r)) for i, r in enumerate(rows[batch]) if (e, int(r)) in wanted]
            if not after:  # δ through the weights before the update
                found.update(_met(layers, ahead, t, (term, d_term), moves, theta, e, mine))
            _update(layers, x, t, d_term, sequential, ahead, moves, summed)
            if after and mine:
                again = _forward(layers, x)
                found.update(_met(layers, again, t, (term, d_term), moves, theta, e, mine))
    return found


def _met(
    layers: list[_Layer],
    ahead: tuple[list[np.ndarray], list[np.ndarray]],
    t: np.ndarray,
    loss: tuple[Callable[..., Any], ...],
    moves: _Moves | None,
    theta: np.ndarray,
    epoch: int,
    mine: list[tuple[int, int]],
) -> Iterator[tuple[tuple[int, int], Seen]]:
    """The batch's wanted rows (index in the batch, training-set row) in `epoch`, each with the
    parameters and optimizer state the loop holds as it meets them."""
    if not mine:
        return
    for layer in layers:
        layer.store(theta)
    params, state = tuple(map(float, theta)), _state(layers, moves, len(theta))
    for i, r in mine:
        seen = _seen(layers, ahead, t, loss, i, len(theta))
        yield (epoch, r), dataclasses.replace(seen, params=params, state=state)


def _seen(
    layers: list[_Layer],
    ahead: tuple[list[np.ndarray], list[np.ndarray]],
    t: np.ndarray,
    loss: tuple[Callable[..., Any], ...],
    i: int,
    n: int,
) -> Seen:
    """Row i of a batch's forward pass, and its own error signals: δ = f′ ⊙ ∂L/∂out at the
    output, then (Wᵀδ) ⊙ f′ down, through the weights before the batch's update."""
    term, d_term = loss
    outs, nets = [o[i : i + 1] for o in ahead[0]], [z[i : i + 1] for z in ahead[1]]
    upstream, deltas = d_term(t[i : i + 1], outs[-1]), list[np.ndarray]()
    gradient = np.zeros(n)  # ∂L/∂p of this example's own loss, Network.params order
    for j in range(len(layers) - 1, -1, -1):
        delta = layers[j].back(upstream, nets[j], outs[j + 1])
        deltas.insert(0, delta[0])
        # ∂L/∂W = δ·xᵀ, ∂L/∂β = Bᵀδ; a parameter at several places gets the sum of its uses
        np.add.at(gradient, layers[j].w_index, np.outer(delta[0], outs[j][0]))
        np.add.at(gradient, layers[j].b_index, (delta @ layers[j].spread)[0])
        upstream = delta @ layers[j].w
    terms = term(t[i : i + 1], outs[-1])[0]
    return Seen(
        _example(ahead[0], ahead[1], i),
        tuple(float(d) for layer in deltas for d in layer),
        tuple(map(float, terms)),
        float(np.sum(terms)),
        gradient=tuple(map(float, gradient)),
    )


def _epochs_of(run: Schedule, first: int) -> Iterator[list[slice] | list[np.ndarray]]:
    """Each epoch's batches from epoch `first` + 1 on: slices of the set in order (no copies),
    or index arrays of each epoch's shuffled order (a continued run draws the orders of the
    epochs already taken first, to be where the source's generator is)."""
    cut, n = run.batching, len(run.examples)
    size = cut.size or n
    if not cut.shuffle:
        in_order = [slice(i, i + size) for i in range(0, n, size)]
        while True:
            yield in_order
    orders = cut.epochs(n)
    for _ in range(first):
        next(orders)
    for order in orders:
        yield [np.array(b) for b in cut.batches(order)]


def _worked(run: Schedule) -> int:
    """The row of the example the page works in full: the first of the first update's batch."""
    return run.batching.first(len(run.examples))[0] if run.several else 0


def _example(
    outs: list[np.ndarray], nets: list[np.ndarray], row: int
) -> tuple[tuple[float, float], ...]:
    """(net, out) of every neuron for one example, layer by layer (Network.neurons order)."""
    return tuple(
        (float(z), float(o))
        for layer_nets, layer_outs in zip(nets, outs[1:], strict=True)
        for z, o in zip(layer_nets[row], layer_outs[row], strict=True)
    )


def _forward(layers: list[_Layer], x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Rows are examples: outs[0] = x, outs[i + 1] = f(nets[i]), nets[i] = outs[i]·Wᵀ + B·β."""
    outs, nets = [x], []
    for layer in layers:
        z = outs[-1] @ layer.w.T
        if layer.trains_biases:
            z = z + layer.spread @ layer.b
        elif layer.b.size:
            z = z + layer.frozen_bias
        nets.append(z)
        outs.append(layer.f(z))
    return outs, nets


def _state(
    layers: list[_Layer], moves: _Moves | None, n: int
) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """An optimizer's state spread back to Network.params order (0 before its first step and
    where a parameter is not trained)."""
    if moves is None:
        return ()
    out = []
    for name in moves.opt.state:
        flat = np.zeros(n)
        for layer in layers:
            if name in layer.w_state:
                flat[layer.w_index] = layer.w_state[name]
            if name in layer.b_state:
                flat[layer.b_index] = layer.b_state[name]
        out.append((name, tuple(map(float, flat))))
    return tuple(out)


class _Moves:
    """An optimizer over whole layers: its rule (rules/optimizers.py) on numpy arrays, the step
    count t it has reached, and each array's state where the entry is trained."""

    def __init__(self, run: Schedule) -> None:
        self.opt, self.h = OPTIMIZERS[run.optimizer], run.settings
        self.eta = np.float64(run.learning_rate)
        self.t = 0  # the steps taken (always from the start: train() never continues one)

    def moved(
        self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], mask: np.ndarray
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        before = state or {k: np.zeros_like(p) for k in self.opt.state}
        new, after, _ = self.opt.step(NUMPY, self.h, self.eta, self.t, p, g, before)
        return np.where(mask, new, p), {k: np.where(mask, after[k], before[k]) for k in after}


def _update(
    layers: list[_Layer],
    x: np.ndarray,
    t: np.ndarray,
    d_term: Callable[[np.ndarray, np.ndarray], np.ndarray],
    sequential: bool,
    ahead: tuple[list[np.ndarray], list[np.ndarray]] | None = None,
    moves: _Moves | None = None,
    summed: bool = False,
) -> None:
    """One gradient step from the mean gradient of the rows of x, or their sum (`ahead`: their
    forward pass, where the step's record has computed it; `moves`: an optimizer's, else
    plain descent)."""
    if moves is not None:
        moves.t += 1
    outs, nets = ahead or _forward(layers, x)
    upstream = d_term(t, outs[-1])  # ∂L/∂out per example and output
    if len(x) > 1 and not summed:  # the mean over the batch: every gradient below is linear in it
        upstream = upstream / len(x)
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        delta = layer.back(upstream, nets[i], outs[i + 1])
        if i and not sequential:
            upstream = delta @ layer.w  # from the weights before this step's update
        # Σ over the rows of δᵀ·out; for one row the outer product, the same products, faster
        step = np.outer(delta[0], outs[i][0]) if len(x) == 1 else delta.T @ outs[i]
        if moves is not None:
            layer.w, layer.w_state = moves.moved(layer.w, step, layer.w_state, layer.w_mask)
            if layer.trains_biases:
                gb = (delta @ layer.spread).sum(axis=0)
                layer.b, layer.b_state = moves.moved(layer.b, gb, layer.b_state, layer.b_mask)
        else:
            layer.w -= layer.w_rate * step
            if layer.trains_biases:
                layer.b = layer.b - layer.b_rate * (delta @ layer.spread).sum(axis=0)
        if i and sequential:
            upstream = delta @ layer.w  # from the weights this step already updated
