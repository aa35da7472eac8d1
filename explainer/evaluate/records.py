"""Stage 4, evaluate (the training records): what a network's training keeps of each step.

Every loop that trains a network (the generated one, per step or per example, the numpy loop,
the stepwise passes in exact and on-paper arithmetic) records its steps in these; and the
stopping rule they all test.
"""

from __future__ import annotations

from dataclasses import dataclass

from explainer.read.settings import Schedule


@dataclass(frozen=True)
class Step:
    """The state after k updates (k epochs, with a training set): the parameters, and the
    forward pass they give. `loss` is the mean over the examples of each example's loss."""

    k: int
    loss: float
    outputs: tuple[float, ...]  # of the first example
    params: tuple[float, ...]  # in Network.params order
    neurons: tuple[tuple[float, float], ...] = ()  # (net, out) of the first example, per neuron
    # with a training set: every example's outputs (a classifier's classes at this step)
    examples: tuple[tuple[float, ...], ...] = ()
    # an optimizer's state after k updates, by its name (v; m, s): a value per parameter, in
    # Network.params order (0 where a parameter is not trained)
    state: tuple[tuple[str, tuple[float, ...]], ...] = ()


@dataclass(frozen=True)
class Training:
    steps: tuple[Step, ...]  # the recorded ones, k ascending; always k = 0 and the last
    predictions: tuple[tuple[float, ...], ...]  # every example's outputs after the last step
    curve: tuple[tuple[int, float], ...] = ()  # (k, loss) at CURVE_POINTS steps, for the plot

    def at(self, k: int) -> Step:
        return next(s for s in self.steps if s.k == k)


def converged(run: Schedule, loss: float) -> bool:
    """The stopping rule: a loss below `until_loss`, or for an objective climbed by gradient
    ascent (P ≤ 0, best at 0), −P below it."""
    distance = -loss if run.direction == "ascent" else loss
    return run.until_loss is not None and distance < run.until_loss
