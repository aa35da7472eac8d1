"""Stage 4, evaluate: numbers for every node, local factor, gradient and update of the worked step.

The walkthrough's numbers are the derivation's own sympy expressions evaluated at the node values
(arithmetic.py says in which arithmetic), so what the page shows symbolically is exactly what was
computed. Training in float64 is trainer.py; training by repeating this step (exact, on paper) is
`train_stepwise` here. Also: the inputs' gradients, the gradient checks, seed 004's error split,
and the numeric checks that turn a diverging run into one clear error.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from explainer.derive.derivation import Derivation, Partial
from explainer.evaluate.arithmetic import (
    ARITHMETIC,
    QUIET,
    Arithmetic,
    NotReal,
    Number,
    _TooLarge,
    arithmetic,
    mode,
    value,
)
from explainer.evaluate.records import Step, Training, converged
from explainer.evaluate.settle import Settled
from explainer.evaluate.update import optimized, updated
from explainer.foundation.errors import NumericError
from explainer.graph.network import Network, Neuron, sym
from explainer.read.settings import Schedule
from explainer.rules.activations import LOSSES, output_derivative

__all__ = [
    "ARITHMETIC",
    "Arithmetic",
    "Number",
    "Step",
    "Training",
    "arithmetic",
    "converged",
    "mode",
]


@dataclass(frozen=True)
class Update:
    key: str
    old: Number
    gradient: Number  # the gradient the step took: in batch mode, the examples' mean
    new: Number
    change: Number  # new − old: −η·∂L/∂p descending, +η·∂P/∂p ascending
    # an optimizer's state after the step and its intermediate values (m, s, m̂, ŝ; v), by name
    shown: tuple[tuple[str, Number], ...] = ()


@dataclass(frozen=True)
class Evaluation:
    arithmetic: str
    nodes: tuple[tuple[str, Number], ...]  # every node, topological order
    partials: tuple[tuple[Partial, Number], ...]  # every local factor and equation, in order
    updates: tuple[Update, ...]
    describe: str = ""  # the arithmetic in words, for the page
    # ∂L/∂x_k for every network input x_k, at the starting weights (keyed as partials are)
    input_gradients: tuple[tuple[Partial, Number], ...] = ()
    # batch mode: each example's gradient of every trained parameter (Derivation.gradients
    # order), the worked example's first; the updates take their mean. Empty otherwise.
    batch: tuple[tuple[Number, ...], ...] = ()

    @cached_property
    def _node_values(self) -> dict[str, Number]:
        return dict(self.nodes)

    @cached_property
    def _partial_values(self) -> dict[Partial, Number]:
        return dict(self.partials)

    def node(self, key: str) -> Number:
        return self._node_values[key]

    def partial(self, p: Partial) -> Number:
        return self._partial_values[p]


def forward(
    net: Network,
    params: Mapping[str, Number],
    ar: Arithmetic,
    carried: Mapping[str, Number] | None = None,
) -> dict[str, Number]:
    """Every node's value at `params`, on the worked example's inputs and targets. `carried`:
    values that replace the computed ones of those nodes and are used from there on (a source
    that computes on with the rounded numbers it printed)."""
    env: dict[str, Number] = dict(params)
    with _guard("the inputs and targets"):
        env.update((k, ar.number(v)) for k, v in net.example)
    for node in net.nodes:
        if carried and node.key in carried:
            env[node.key] = carried[node.key]
        elif node.expr is not None:
            with _guard(node.key):
                env[node.key] = ar.settle(value(node.expr, env, ar))
    return env


class Fault(Exception):
    """An arithmetic fault in one quantity: which one, and why (turned into a NumericError that
    names the scenario and the step by `evaluate`)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key, self.reason = key, reason


def _start(net: Network, ar: Arithmetic) -> dict[str, Number]:
    """The parameters' starting values in the arithmetic `ar`."""
    with _guard("the starting values"):
        return {p.key: ar.number(p.value) for p in net.params}


@contextmanager
def _guard(key: str) -> Iterator[None]:
    try:
        yield
    except ArithmeticError as e:
        raise Fault(key, reason(e)) from None


def reason(e: ArithmeticError) -> str:
    if isinstance(e, _TooLarge | NotReal):
        return str(e)
    if isinstance(e, ZeroDivisionError):
        return "a division by zero"
    if isinstance(e, OverflowError | decimal.Overflow):
        return "the numbers overflow (too large to compute)"
    if isinstance(e, decimal.InvalidOperation):
        return "an undefined operation (such as the log of 0, ∞ − ∞ or 0 · ∞)"
    return f"an arithmetic fault ({type(e).__name__})"


def numeric_error(path: str, fault: Fault, step: int | None) -> NumericError:
    when = f" after {step:,} training steps" if step else ""
    return NumericError(
        f"{path}: {fault.key}{when}: {fault.reason}; a smaller learning rate, "
        "other starting values, fewer steps or another --arithmetic avoid it"
    )


@QUIET
def evaluate(
    net: Network,
    d: Derivation,
    run: Schedule,
    mode: Arithmetic | str = "float64",
    start: Mapping[str, Number] | None = None,
    step: int | None = None,
    carried: Mapping[str, float] | None = None,
) -> Evaluation:
    """Every local factor and equation of the derivation, evaluated layer by layer from the output.

    Simultaneous update: all of them at the initial weights. Sequential update: a layer's
    parameters are updated as soon as its gradients are known, so the local factors met below it
    (∂net_k/∂out_j = w_kj) take the updated weights. `carried`: node and partial values (by
    key) used in place of the computed ones, as a source that carries its printed numbers on.
    """
    ar = arithmetic(mode) if isinstance(mode, str) else mode
    try:
        kept = {k: ar.number(v) for k, v in (carried or {}).items()}
        return _evaluate(net, d, run, ar, start, kept)
    except Fault as fault:
        raise numeric_error(run.path, fault, step) from None
    except ArithmeticError as e:  # outside any one quantity (the learning rate on paper)
        raise numeric_error(run.path, Fault("the worked step", reason(e)), step) from None


class _Pass:
    """One example's forward pass and its partials, each evaluated on first use (settle.py): in
    `seen`, the values local factors are evaluated at (a sequential step puts its new values
    there)."""

    def __init__(
        self,
        net: Network,
        d: Derivation,
        ar: Arithmetic,
        params: Mapping[str, Number],
        carried: Mapping[str, Number],
    ) -> None:
        self.env = forward(net, params, ar, carried)
        self.seen = dict(self.env)
        forms = {x.partial: x.textbook for x in d.locals}
        terms = {x.partial: x.terms for x in d.equations}
        kept = {p: carried[p.key] for p in (*forms, *terms) if p.key in carried}
        self._lines = Settled(ar, self.seen, forms, terms, _fault, carried=kept)
        self.partials: dict[Partial, Number] = self._lines.values
        self.get = self._lines.get


def _fault(p: Partial, e: ArithmeticError) -> Fault:
    return Fault(p.key, reason(e))


def batch_examples(net: Network, run: Schedule) -> tuple[Network, ...]:
    """The examples the first update is made from, the worked one first (as `net` holds it):
    every example in batch mode, a mini-batch's, or (stochastic, one example) it alone."""
    if not run.several:
        return (net,)
    first = run.batching.first(len(run.examples))  # its first example is the one `net` holds
    return (net, *(net.given((*x, *t)) for x, t in (run.examples[i] for i in first[1:])))


def _evaluate(
    net: Network,
    d: Derivation,
    run: Schedule,
    ar: Arithmetic,
    start: Mapping[str, Number] | None,
    carried: Mapping[str, Number],
) -> Evaluation:
    params = dict(start) if start else _start(net, ar)
    # the worked example's pass (the page derives it in full), then the batch's others; the
    # source's carried numbers are the worked example's
    passes = [_Pass(net, d, ar, params, carried)]
    passes += [_Pass(other, d, ar, params, {}) for other in batch_examples(net, run)[1:]]
    first = passes[0]
    new, gradients, shown = _new_values(net, d, run, ar, params, passes)
    updates = tuple(
        Update(
            key,
            params[key],
            gradients[key],
            new[key],
            new[key] - params[key],
            tuple(shown.get(key, {}).items()),
        )
        for key, _ in d.gradients
    )
    with _guard(Partial(net.loss, net.inputs[0]).key):
        inputs = _input_gradients(net, first.env, ar, first.partials)
    batch = (
        tuple(tuple(x.get(g) for _, g in d.gradients) for x in passes) if len(passes) > 1 else ()
    )
    return Evaluation(
        ar.name,
        tuple((n.key, first.env[n.key]) for n in net.nodes),
        tuple(first.partials.items()),
        updates,
        ar.describe,
        inputs,
        batch,
    )


def _input_gradients(
    net: Network, env: Mapping[str, Number], ar: Arithmetic, known: Mapping[Partial, Number]
) -> tuple[tuple[Partial, Number], ...]:
    """∂L/∂x_k for every network input: backpropagation carried one layer past the first,
        ∂L/∂out_j = Σ_k ∂L/∂net_k · w_kj  (k: the neurons out_j feeds),
        ∂L/∂x_k   = Σ_j ∂L/∂net_j · w_jk  (j: the first layer's neurons),
    every factor at the starting weights, as `env` holds them, also in a sequential update (whose
    page differentiates the layers below through the already updated weights). A local factor the
    derivation has evaluated (`known`) is reused; one it has not (a layer below every trained
    parameter) is evaluated from the same rule tables."""
    sums: dict[str, list[Number]] = {}  # ∂L/∂(a source), one term per neuron it feeds
    for layer in reversed(net.layers):
        for n in map(net.neuron, layer):
            if n.rule.over_layer:  # ∂L/∂net_j = Σ_i ∂L/∂out_i · ∂out_i/∂net_j
                g = _over_layer(net, n, env, ar, known)
            elif n.target:
                g = _local(net, Partial(net.loss, n.out), env, ar, known)
            else:
                g = ar.settle(_total(sums[n.out]))
            if n.has_net and not n.rule.over_layer:
                g = ar.settle(g * _local(net, Partial(n.out, n.net), env, ar, known))
            for x, w in zip(n.sources, n.weights, strict=True):
                sums.setdefault(x, []).append(g * env[w])
    return tuple((Partial(net.loss, x), ar.settle(_total(sums[x]))) for x in net.inputs)


def _over_layer(
    net: Network,
    n: Neuron,
    env: Mapping[str, Number],
    ar: Arithmetic,
    known: Mapping[Partial, Number],
) -> Number:
    """∂L/∂net_j of a neuron whose activation is over its (output) layer: the derivation's
    value, else the sum over the layer of ∂L/∂out_i times the Jacobian's entry ∂out_i/∂net_j."""
    p = Partial(net.loss, n.net)
    if p in known:
        return known[p]
    act, terms = n.rule, []
    assert act.cross is not None
    for k in (net.neuron(m) for m in net.layers[n.layer]):
        o_k, o_j = sym(k.out), sym(n.out)
        form = act.derivative(sym(n.net), o_k) if k is n else act.cross(o_k, o_j)
        up = _local(net, Partial(net.loss, k.out), env, ar, known)
        terms.append(up * ar.settle(value(form, env, ar)))
    return ar.settle(_total(terms))


def _total(terms: list[Number]) -> Number:
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def _local(
    net: Network,
    p: Partial,
    env: Mapping[str, Number],
    ar: Arithmetic,
    known: Mapping[Partial, Number],
) -> Number:
    """A local factor ∂L/∂out_k of an output or ∂out_j/∂net_j of a neuron: the derivation's
    value where it has one (neither depends on a weight), else its textbook form evaluated."""
    if p in known:
        return known[p]
    if p.of == net.loss:
        outs = net.outputs
        k = next(i for i, n in enumerate(outs) if n.out == p.by)
        ts, os = tuple(sym(n.target or "") for n in outs), tuple(sym(n.out) for n in outs)
        form = output_derivative(LOSSES[net.loss_rule], net.residual, ts, os, k)
    else:
        n = net.neuron(net.node(p.of).neuron or "")
        form = n.rule.derivative(sym(n.net), sym(n.out))
    return ar.settle(value(form, env, ar))


def _new_values(
    net: Network,
    d: Derivation,
    run: Schedule,
    ar: Arithmetic,
    params: Mapping[str, Number],
    passes: list[_Pass],
) -> tuple[dict[str, Number], dict[str, Number], dict[str, dict[str, Number]]]:
    """Every trained parameter after the step, layer by layer from the output, and the gradient
    each update took: the worked example's, or in batch mode the mean over the examples,
    (1/N)·Σ_n ∂L_n/∂p, the gradient of the epoch's loss (the mean of the examples' losses).
    Sequential: each layer's new values go into every pass's `seen`, where the layers below
    are evaluated (through the weights the batch's mean step has already moved)."""
    # descent: p − η·∂L/∂p; ascent (an objective to maximise): p + η·∂P/∂p
    rate = ar.number(run.learning_rate)
    if run.direction == "ascent":
        rate = -rate
    gradient = dict(d.gradients)
    new: dict[str, Number] = {}
    taken: dict[str, Number] = {}
    shown: dict[str, dict[str, Number]] = {}
    for block in d.layers:
        for x in passes:
            for p in (
                *(q for nb in block.neurons for q in (*nb.defines, *nb.gradients)),
                *block.shared,
            ):
                x.get(p)
        done = {}
        for key in gradient:
            if net.param(key).layer == block.layer:
                with _guard(key):
                    each = [x.get(gradient[key]) for x in passes]
                    taken[key] = reduced(ar, each, run.batching.summed)
                    if run.plain:
                        done[key] = updated(ar, rate, params[key], taken[key])
                    else:  # the worked step is the optimizer's first: its state starts at 0
                        done[key], _, shown[key] = optimized(
                            ar, run.optimizer, run.settings, rate, 1, params[key], taken[key]
                        )
        new.update(done)
        if run.update == "sequential":
            for x in passes:
                x.seen.update(done)
    return new, taken, shown


def mean(ar: Arithmetic, xs: list[Number]) -> Number:
    """One example's gradient as it is; several examples' mean, in the page's arithmetic."""
    return xs[0] if len(xs) == 1 else ar.settle(_total(xs) / ar.number(len(xs)))


def reduced(ar: Arithmetic, xs: list[Number], summed: bool) -> Number:
    """Several examples' gradients (or losses) combined as the training says, a network's or a
    graph's: their sum, or their mean (one example's as it is)."""
    return _total(xs) if summed else mean(ar, xs)


def train_stepwise(
    net: Network,
    d: Derivation,
    run: Schedule,
    steps: int,
    ar: Arithmetic,
    record: Callable[[int], bool],
    start: Step | None = None,
) -> Training:
    """Training by repeating the walkthrough's own evaluation, in any arithmetic (exact, on
    paper): slow, one full evaluation per step, for the few steps a page or a check needs.
    From `start`: continued from that recorded step (its row is the first)."""
    try:
        params = (
            dict(zip((p.key for p in net.params), start.params, strict=True))
            if start
            else _start(net, ar)
        )
    except Fault as fault:
        raise numeric_error(run.path, fault, None) from None
    rows = []
    curve = []
    for k in range(start.k if start else 0, steps + 1):
        if k < steps:
            ev = evaluate(net, d, run, ar, params, step=k)
            node: Callable[[str], Number] = ev.node
        else:  # after the last update: its forward pass only
            node = _forward_at(net, run, ar, params, k).__getitem__
        curve.append((k, float(node(net.loss))))
        if k in (0, steps) or record(k) or (start and k == start.k):
            rows.append(
                Step(
                    k,
                    node(net.loss),
                    tuple(node(n.out) for n in net.outputs),
                    tuple(params[p.key] for p in net.params),
                    tuple((node(n.net), node(n.out)) for n in net.neurons),
                )
            )
        if k < steps:
            params.update((u.key, u.new) for u in ev.updates)
    return Training(tuple(rows), (rows[-1].outputs,), tuple(curve))


def _forward_at(
    net: Network, run: Schedule, ar: Arithmetic, params: dict[str, Number], step: int
) -> dict[str, Number]:
    """The forward pass at `params`, a fault in it named as `evaluate` names it."""
    try:
        return forward(net, params, ar)
    except Fault as fault:
        raise numeric_error(run.path, fault, step) from None


@QUIET
def central_differences(net: Network, h: float = 1e-6) -> dict[str, float]:
    """∂L/∂p ≈ (L(p + h) − L(p − h)) / 2h for every trained parameter: a check of the chain
    rule that shares nothing with it but the forward pass."""
    ar = ARITHMETIC["float64"]
    start = {p.key: ar.number(p.value) for p in net.params}

    def loss(key: str, shift: float) -> float:
        params = dict(start)
        params[key] = params[key] + shift
        return float(forward(net, params, ar)[net.loss])

    return {p.key: (loss(p.key, h) - loss(p.key, -h)) / (2 * h) for p in net.trained}


# Seed 004's proportional split of the output error ---------------------------------------


@dataclass(frozen=True)
class Share:
    output: str  # neuron
    weight: str  # key of w_kj, from hidden neuron j into output k
    error: Number  # e_k = target_k − out_k
    value: Number  # e_k · w_kj / Σ_j' w_kj'


@dataclass(frozen=True)
class Blame:
    neuron: str  # a neuron of the last hidden layer
    proportional: Number  # Σ_k e_k · w_kj / Σ_j' w_kj'
    scaled: Number  # Σ_k w_kj · e_k, the j-th entry of Wᵀe
    gradient: Number | None  # −∂L/∂out_j, what backpropagation gives (None: not derived)


def error_split(
    net: Network, ev: Evaluation, path: str
) -> tuple[tuple[Share, ...], tuple[Blame, ...]]:
    """The output errors e = target − out handed back to the last hidden layer in proportion to
    the weights, and with the denominator dropped (e_hidden = Wᵀe), against the true gradient."""
    values = dict(ev.nodes)
    hidden = [net.neuron(n) for n in net.layers[-2]]
    shares = []
    for k in net.outputs:
        e = values[k.target or ""] - values[k.out]
        total = sum((values[w] for w in k.weights[1:]), values[k.weights[0]])
        if total == 0:
            raise NumericError(
                f"{path}: display.error_split: the weights into {k.name} add up "
                "to 0, and the proportional split divides by their sum"
            )
        shares += [Share(k.name, w, e, e * values[w] / total) for w in k.weights]
    blames = []
    for j in hidden:
        mine = [
            x
            for x in shares
            if net.neuron(x.output).sources.index(j.out)
            == net.neuron(x.output).weights.index(x.weight)
        ]
        proportional = sum((x.value for x in mine[1:]), mine[0].value)
        scaled = sum(
            (values[x.weight] * x.error for x in mine[1:]), values[mine[0].weight] * mine[0].error
        )
        g = dict(ev.partials).get(Partial(net.loss, j.out))
        blames.append(Blame(j.name, proportional, scaled, None if g is None else -g))
    return tuple(shares), tuple(blames)


def check_finite(path: str, net: Network, ev: Evaluation, training: Training) -> None:
    """Overflow or an undefined value (a log of 0, a learning rate too large) is the scenario's
    problem to fix, said in one line, not a page of nan."""
    bad = [k for k, v in ev.nodes if not _finite(v)] + [
        p.key for p, v in ev.partials if not _finite(v)
    ]
    bad += [f"{net.loss}@{st.k}" for st in training.steps if not _finite(st.loss)]
    bad += [f"{net.loss}@{k}" for k, loss in training.curve if not _finite(loss)]
    if bad:
        raise NumericError(
            f"{path}: {bad[0]}: the numbers overflow or are undefined (inf, nan, "
            "or past 1e100 as training diverges); "
            "a smaller learning rate, other starting values or fewer steps avoid it"
        )


SATURATED = 1e-6  # |f′(net)| below this: the neuron's gradients all but vanish


def saturation_warnings(net: Network, ev: Evaluation, path: str) -> tuple[str, ...]:
    """Saturated neurons: a sigmoid or tanh whose slope f′(net) is all but zero at the worked
    step, so every gradient through it vanishes and training barely moves its weights."""
    found = []
    slopes = dict(ev.partials)
    for n in net.neurons:
        if n.activation not in ("sigmoid", "tanh") or not n.has_net:
            continue
        slope = slopes.get(Partial(n.out, n.net))
        if slope is not None and abs(float(slope)) < SATURATED:
            found.append(
                f"{path}: {n.out} is saturated at step 0 ({n.net} = "
                f"{float(ev.node(n.net)):.4g}, slope {float(slope):.3g}): the gradients through "
                "it vanish, and training barely changes the weights before it"
            )
    return tuple(found)


HUGE = 1e100  # past this a value has diverged: its square, or a plot of it, overflows


def _finite(x: Number) -> bool:
    return isinstance(x, Fraction) or bool(abs(float(x)) < HUGE)
