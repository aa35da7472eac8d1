"""Stage 4, evaluate (what the compiled step takes, and numpy's rules): which networks train
by the step generated from their graph (graph_step.py, the one generator for every graph,
layered or not), the key it is kept under, and the rule tables' expressions as numpy functions
for the numpy loop (trainer.py), which remains where it is the faster one or the only one: a
batch's mean over a training set, a sequential update over one, an objective climbed to a
stopping rule, and networks too wide for straight-line code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from explainer.graph.network import Network
from explainer.read.settings import Schedule
from explainer.rules.batching import IN_ORDER

# parameters: above this numpy's loop is faster than the unrolled code (measured by
# benchmarks/peers.py: the compiled loop wins at [8, 8, 8], 144 parameters, loses at [16, 16, 16])
LARGEST = 200


def compilable(net: Network, run: Schedule) -> bool:
    """Few enough parameters for straight-line code; a stopping rule only on a loss descended
    (the loop stops at the first output below the threshold, where an objective climbed stops
    at −P below it); a training set only taken example by example (stochastic) with
    simultaneous updates (one compiled pass per example: a sequential update moves the leaves
    inside the pass). A batch's mean gradient is numpy's: its loop over the whole set at once
    is 5.5 times faster than a compiled pass per example (benchmarks/graph_training.md), where
    stochastic epochs are 2.5 times faster compiled. Shuffled or summed epochs: numpy's loop."""
    return (
        run.plain  # an optimizer's state and weight decay: the numpy loop carries them
        and len(net.params) <= LARGEST
        and (run.until_loss is None or run.direction == "descent")
        and (
            len(run.examples) == 1
            or (
                run.update == "simultaneous"
                and run.mode == "stochastic"
                and run.batching == IN_ORDER  # in order, each epoch's loss the mean
            )
        )
    )


def vectorised(args: tuple[sp.Symbol, ...], expr: sp.Expr) -> Callable[..., Any]:
    """`expr` as a numpy function of `args`: the code lambdify writes (NumPyPrinter's), without
    lambdify's set-up, whose first call imports all of numpy's names (~40 ms of a render). Only
    our rule tables' expressions, over our own symbols, are printed here, with a scenario's
    activation parameter as a number (a float of 17 digits: numpy cannot take 10³⁰⁸ as an
    exact integer)."""
    numbers = {r: sp.Float(r, 17) for r in expr.atoms(sp.Rational) if not _small(r)}
    body = NumPyPrinter().doprint(expr.xreplace(numbers))
    source = f"def rule({', '.join(a.name for a in args)}):\n    return {body}\n"
    namespace: dict[str, object] = {"numpy": numpy}
    exec(compile(source, "<explainer numpy rule>", "exec"), namespace)
    rule = namespace["rule"]
    assert callable(rule)
    return rule


def _small(r: sp.Rational) -> bool:
    """An integer that numpy computes with exactly, as an int64."""
    return bool(r.is_Integer and abs(r) < 2**53)


def shape(net: Network, run: Schedule) -> tuple[object, ...]:
    """All the generated code depends on, cheaply hashable: every node's key and expression
    (sympy caches their hashes; the loop's arguments and rows are the graph's wires, named by
    the keys)."""
    return (
        tuple((n.key, n.kind, n.expr) for n in net.nodes),
        tuple((p.key, p.trained, p.layer) for p in net.params),
        tuple((n.rule, n.sources, n.weights, n.bias, n.bias_input) for n in net.neurons),
        net.layers,
        net.loss_rule,
        net.residual,
        run.examples,
        run.learning_rate,
        run.direction,
        run.update,
    )
