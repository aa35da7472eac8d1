"""Stage 4, evaluate (the loss curve): which steps' losses a training keeps for its curve.

Training for a known number of steps samples CURVE_POINTS of them, evenly spread. With a stopping
rule, where training stops is known only at the end, so the loop keeps every stride-th step and
doubles the stride (dropping every other point kept) whenever 2·CURVE_POINTS are kept: a bounded,
even sample of however many steps it takes, thinned to CURVE_POINTS at the end. Every loop keeps
its curve by this rule (the numpy loop, the stepwise passes, and the generated code, which writes
the same rule out, graph_step.py).
"""

from __future__ import annotations

CURVE_POINTS = 400
KEPT = 2 * CURVE_POINTS  # with a stopping rule: at most this many points before the stride doubles


def curve_steps(total: int) -> frozenset[int]:
    """The steps a loss curve samples: all of them, or CURVE_POINTS evenly spread."""
    if total <= CURVE_POINTS:
        return frozenset(range(total + 1))
    return frozenset(round(i * total / CURVE_POINTS) for i in range(CURVE_POINTS + 1))


def thin(curve: list[tuple[int, float]]) -> tuple[tuple[int, float], ...]:
    """At most CURVE_POINTS + 1 points, evenly spread, the first and last kept."""
    n = len(curve)
    if n <= CURVE_POINTS + 1:
        return tuple(curve)
    return tuple(curve[round(i * (n - 1) / CURVE_POINTS)] for i in range(CURVE_POINTS + 1))


class Watched:
    """The curve of a training with a stopping rule: every stride-th step, the stride doubled
    whenever KEPT points are kept, and the step it stops at."""

    def __init__(self) -> None:
        self.points: list[tuple[int, float]] = []
        self.stride = 1

    def see(self, k: int, loss: float, done: bool) -> None:
        if done or not k % self.stride:
            self.points.append((k, loss))
        if len(self.points) > KEPT and not done:
            self.points, self.stride = self.points[::2], self.stride * 2
