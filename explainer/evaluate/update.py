"""Stage 4, evaluate (the update rule): a trained parameter's next value from its gradient.

Gradient descent, p ← p − η·∂L/∂p (an objective climbed: η negated, p + η·∂P/∂p), each product
carried as the arithmetic carries it: on paper η·g is rounded where the page prints it, then the
difference. Every stepwise pass moves its parameters here (a network's worked step and training,
a graph's, a batch's mean step, a sequential move during the backward pass); the compiled loop
prints the same rule as code (graph_step.py) and the numpy loop applies it to whole layers
(trainer.py).
"""

from __future__ import annotations

import numpy as np

from explainer.evaluate.arithmetic import Arithmetic, Number
from explainer.foundation.errors import ArithmeticModeError
from explainer.rules.optimizers import OPTIMIZERS, Ops, Settings, Step

NUMPY = Ops(constant=np.float64, root=np.sqrt, sign=np.sign)  # a whole layer's arrays, in float64


def ops(ar: Arithmetic) -> Ops:
    """An optimizer's operations in the page's arithmetic: float64 only (the stepwise passes
    of the other arithmetics repeat the worked step, which starts every state at 0)."""
    if ar.name != "float64":
        raise ArithmeticModeError(
            f"an optimizer or a penalty (weight decay, L1) computes in float64, not in {ar.name} arithmetic "
            "(its state is carried from step to step by the float64 loop); use --arithmetic "
            "float64"
        )
    return Ops(constant=ar.number, root=np.sqrt, sign=np.sign, settle=ar.settle)


def optimized(
    ar: Arithmetic,
    name: str,
    h: Settings,
    eta: Number,
    t: int,
    old: Number,
    g: Number,
) -> Step:
    """One optimizer step at step t (from 1), from a state of zeros: the worked step, the
    optimizer's first (training's later steps are the numpy loop's, trainer._Moves)."""
    opt = OPTIMIZERS[name]
    zero = ar.number(0.0)
    return opt.step(ops(ar), h, eta, t, old, g, {k: zero for k in opt.state})


def updated(ar: Arithmetic, eta: Number, old: Number, gradient: Number) -> Number:
    """p − η·g, η·g settled first (η already in the arithmetic, negated for an ascent)."""
    return ar.settle(old - ar.settle(eta * gradient))
