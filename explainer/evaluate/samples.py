"""Stage 4, evaluate (figure data): the points a figure plots, computed before any drawing.

For a network with one trained parameter and one output (seed 001): the output a(w) and the
cost C(w) on a grid around the descent steps, the tangent's slope at the start, and the cost at
each step of the training table. Always in float64 (a plot needs no exact fractions), from the
worked step's starting values.
"""

from __future__ import annotations

from dataclasses import dataclass

from explainer.evaluate.worked import ARITHMETIC, Evaluation, Training, forward
from explainer.graph.network import Network

GRID = 161  # points per curve


@dataclass(frozen=True)
class OneWeight:
    key: str  # the trained parameter
    grid: tuple[float, ...]  # w
    outputs: tuple[float, ...]  # a(w)
    costs: tuple[float, ...]  # C(w)
    best: tuple[float, float]  # (w, a(w)) at the grid point of least cost on the walk's span
    walk: tuple[tuple[float, float], ...]  # (w, C(w)) at each recorded training step
    start: tuple[float, float, float]  # (w0, a(w0), C(w0))
    slope: float  # dC/dw at w0
    target: float


def _sample(lo: float, hi: float, n: int = GRID) -> list[float]:
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def one_weight(net: Network, ev: Evaluation, training: Training, several: bool) -> OneWeight | None:
    trained = net.trained
    if len(trained) != 1 or len(net.outputs) != 1 or several:
        return None
    p = trained[0]
    index = [q.key for q in net.params].index(p.key)
    walk = [float(st.params[index]) for st in training.steps]
    start = dict(ev.nodes)
    params = {q.key: float(start[q.key]) for q in net.params}  # exact or on-paper → float
    mode = ARITHMETIC["float64"]

    def at(w: float) -> tuple[float, float]:
        env = forward(net, {**params, p.key: w}, mode)
        return float(env[net.outputs[0].out]), float(env[net.loss])

    grid0 = _sample(min(walk), max(walk))
    best = min(grid0, key=lambda w: at(w)[1])
    lo, hi = min(*walk, best), max(*walk, best)
    pad = 0.25 * (hi - lo or 1.0)
    grid = _sample(lo - pad, hi + pad)
    outs, costs = zip(*(at(w) for w in grid), strict=True)
    w0 = walk[0]
    return OneWeight(
        key=p.key,
        grid=tuple(grid),
        outputs=tuple(outs),
        costs=tuple(costs),
        best=(best, at(best)[0]),
        walk=tuple((w, at(w)[1]) for w in walk),
        start=(w0, *at(w0)),
        slope=float(next(u.gradient for u in ev.updates if u.key == p.key)),
        target=float(start[net.outputs[0].target or ""]),
    )
