"""Stage 4, evaluate (the update rule): a trained parameter's next value from its gradient.

Gradient descent, p ← p − η·∂L/∂p (an objective climbed: η negated, p + η·∂P/∂p), each product
carried as the arithmetic carries it: on paper η·g is rounded where the page prints it, then the
difference. Every stepwise pass moves its parameters here (a network's worked step and training,
a graph's, a batch's mean step, a sequential move during the backward pass); the compiled loop
prints the same rule as code (graph_step.py) and the numpy loop applies it to whole layers
(trainer.py).
"""

from __future__ import annotations

from explainer.evaluate.arithmetic import Arithmetic, Number


def updated(ar: Arithmetic, eta: Number, old: Number, gradient: Number) -> Number:
    """p − η·g, η·g settled first (η already in the arithmetic, negated for an ascent)."""
    return ar.settle(old - ar.settle(eta * gradient))
