"""Stage 4, evaluate (keys): every computed quantity under its stable JSON key.

The key of a quantity lives with its number: `w5`, `dE_total/dw5`, `dE_total/di1` (an input's
gradient), `w5@1` (after one update), `Δw5@1` (the change it made), `E_total@10000`, `out_h1@10`,
`delta_o1`, `share_w5` (the error split). JSON, the page's claims and verification all read these
keys; no later stage invents one.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from explainer.derive.derivation import Partial
from explainer.evaluate import worked as evaluate
from explainer.evaluate.classes import Classes, classes
from explainer.evaluate.trainer import Seen
from explainer.evaluate.worked import Blame, Evaluation, Share, Step, Training
from explainer.graph.network import Network
from explainer.read.settings import Schedule

DELTA_SIGN = {"minus": -1, "plus": 1}  # δ_j = sign · ∂L/∂net_j
CHANGE = "Δ"  # Δw5@1 = w5@1 − w5, the change the worked step makes (U+0394)
# out_o1@2#3: training-set row 3 as epoch 2 meets it, before its own update (claims only);
# out_o1#3@2: row 3's output after epoch 2, at the parameters the epoch ended with
EXAMPLE = "#"

Values = tuple[tuple[str, float | str], ...]
Split = tuple[tuple[Share, ...], tuple[Blame, ...]]


def as_json(x: Any) -> float | str:
    """A number for JSON: a float, or an exact fraction as the string "6/5"."""
    if isinstance(x, Fraction) and x.denominator != 1:
        return str(x)
    return float(x)


def deltas(net: Network, ev: Evaluation, sign: str) -> dict[str, Any]:
    """δ_j = sign·∂L/∂net_j for every neuron whose ∂L/∂net_j the derivation has."""
    partials = dict(ev.partials)
    return {
        n.name: DELTA_SIGN[sign] * partials[Partial(net.loss, n.net)]
        for n in net.neurons
        if Partial(net.loss, n.net) in partials
    }


def values(
    net: Network,
    ev: Evaluation,
    training: Training,
    run: Schedule,
    delta_sign: str,
    error_split: bool | Split,
) -> Values:
    """The worked step's nodes, partials, input gradients, updates and their changes, δ terms
    (in every profile: a source may print δ beside a chain-rule derivation) and (seed 004) the
    error split; then each recorded training step's loss, every neuron's weighted sum and
    output, and the trained parameters as `<key>@k`."""
    out: dict[str, float | str] = {k: as_json(v) for k, v in ev.nodes}
    out.update((p.key, as_json(v)) for p, v in ev.partials)
    out.update((p.key, as_json(v)) for p, v in ev.input_gradients)
    worked = worked_step(run)
    if not run.several:  # with a training set, @1 is after the first epoch, not this step
        out.update((f"{u.key}@1", as_json(u.new)) for u in ev.updates)
        out.update((f"{CHANGE}{u.key}@1", as_json(u.change)) for u in ev.updates)
        out.update(
            (state_key(name, u.key), as_json(x))
            for u in ev.updates
            for name, x in u.shown
            if name in STATE_KEY
        )
    elif worked != "1":  # after a first batch: what epoch 1's next update starts from, w5@1#3
        out.update((f"{u.key}@{worked}", as_json(u.new)) for u in ev.updates)
        out.update(
            (state_key(name, u.key, worked), as_json(x))
            for u in ev.updates
            for name, x in u.shown
            if name in CARRIED
        )
    out.update(batch_gradients(net, ev, run))
    out.update((f"delta_{name}", as_json(d)) for name, d in deltas(net, ev, delta_sign).items())
    if error_split:  # computed here, or already by the caller (the page shows it too)
        computed = (
            error_split
            if not isinstance(error_split, bool)
            else evaluate.error_split(net, ev, run.path)
        )
        out.update(split(*computed))
    if run.several and training.steps and training.steps[0].k == 0:  # the set's, at the start
        out[f"{net.loss}@0"] = as_json(training.steps[0].loss)
    for step in training.steps[1:]:
        out.update(at_step(net, step))
        found = predicted(run, step.examples)
        if found is not None:  # a classifier's training set, after k epochs
            out.update((f"class_{r}@{step.k}", float(c)) for r, c in enumerate(found.predicted, 1))
            out[f"accuracy@{step.k}"] = found.accuracy
    out.update(trained_outputs(net, training))
    return tuple(out.items())


def trained_outputs(net: Network, training: Training) -> dict[str, float | str]:
    """Every training-set row's outputs after the last epoch, `out_o1#2@k` (row 2)."""
    if len(training.predictions) < 2 or not training.steps:
        return {}
    return rows_out(net, training.steps[-1].k, training.predictions)


def rows_out(net: Network, k: int, rows: Sequence[Sequence[float]]) -> dict[str, float | str]:
    """`out_o1#r@k`: row r's output after k epochs, at the parameters epoch k ended with."""
    return {
        f"{n.out}{EXAMPLE}{r}@{k}": as_json(o)
        for r, row in enumerate(rows, 1)
        for n, o in zip(net.outputs, row, strict=True)
    }


BATCH = "_batch"  # dE_total_batch/dw5: the gradient of the worked batch's loss


def batch_gradients(net: Network, ev: Evaluation, run: Schedule) -> dict[str, float | str]:
    """A step of several examples: each one's gradient as epoch 1 meets it, `dE_total/dw5@1#3`
    (row 3 of the training set), and the batch's, their mean or sum, `dE_total_batch/dw5`."""
    if not ev.batch:
        return {}
    rows = run.batching.first(len(run.examples))
    out = {
        example_key(Partial(net.loss, u.key).key, 1, r + 1): as_json(g[i])
        for r, g in zip(rows, ev.batch, strict=True)
        for i, u in enumerate(ev.updates)
    }
    out.update((Partial(f"{net.loss}{BATCH}", u.key).key, as_json(u.gradient)) for u in ev.updates)
    return out


# An optimizer's quantities of the worked step, by the name rules/optimizers.py gives them:
# its state, Adam's bias-corrected moments, AdamW's decayed parameter w − η·λ·w and a
# coupled penalty's gradient g + λ·w + λ₁·sign(w) (m_w5@1, mhat_w5@1, decayed_w5@1,
# penalized_w5@1). Only the state is carried from one update to the next (m_w5@2#3).
STATE_KEY = {
    "v": "v",
    "m": "m",
    "s": "s",
    "m_hat": "mhat",
    "s_hat": "shat",
    "decayed": "decayed",
    "taken": "penalized",
}
CARRIED = frozenset({"v", "m", "s"})


def state_key(name: str, key: str, k: int | str = 1) -> str:
    """An optimizer quantity's JSON key after k steps: m of w5 after the worked step → m_w5@1;
    `k` "1#3" as training-set row 3's update meets it in epoch 1."""
    return f"{STATE_KEY[name]}_{key}@{k}"


def worked_step(run: Schedule) -> str:
    """What follows `@` in the key of a result of the worked step: "1" with one example, or
    when the first update ends epoch 1; else "1#r", the parameters and state that epoch 1's
    second update, of row r (from 1), starts from."""
    if not run.several:
        return "1"
    return after_first(run.batching.second(len(run.examples)))


def after_first(row: int | None) -> str:
    """The key suffix of what the worked step leaves: "1", or "1#r" where epoch 1's next update,
    of row `row` (from 0; None: none, the first update ends the epoch), starts from it."""
    return "1" if row is None else f"1{EXAMPLE}{row + 1}"


def predicted(run: Schedule, outputs: Sequence[Sequence[float]]) -> Classes | None:
    """A training set's classes from every example's outputs (None: one example, outputs not
    recorded, or targets that are no labels)."""
    if not run.several or not outputs:
        return None
    return classes([t for _, t in run.examples], outputs)


def split(shares: tuple[Share, ...], blames: tuple[Blame, ...]) -> dict[str, float | str]:
    """Seed 004's error split under keys: each output's error `error_o1` = target − out, each
    weight's share of it `share_w5` = e_k·w_kj/Σ_j' w_kj', and what reaches each hidden neuron,
    `split_h1` (the shares added up) and `scaled_h1` (the j-th entry of Wᵀe)."""
    out: dict[str, float | str] = {}
    for x in shares:
        out[f"error_{x.output}"] = as_json(x.error)
    out.update((f"share_{x.weight}", as_json(x.value)) for x in shares)
    out.update((f"split_{b.neuron}", as_json(b.proportional)) for b in blames)
    out.update((f"scaled_{b.neuron}", as_json(b.scaled)) for b in blames)
    return out


def at_step(net: Network, step: Step) -> dict[str, float | str]:
    """One recorded step: the loss, the outputs, every other neuron's weighted sum and output
    (of the first example), and the trained parameters, each as `<key>@k`."""
    k = step.k
    out: dict[str, float | str] = {f"{net.loss}@{k}": as_json(step.loss)}
    out.update((f"{n.out}@{k}", as_json(o)) for n, o in zip(net.outputs, step.outputs, strict=True))
    for n, (z, o) in zip(net.neurons, step.neurons, strict=True) if step.neurons else ():
        if n.has_net:
            out[f"{n.net}@{k}"] = as_json(z)
        out.setdefault(f"{n.out}@{k}", as_json(o))
    out.update(
        (f"{p.key}@{k}", as_json(v))
        for p, v in zip(net.params, step.params, strict=True)
        if p.trained
    )
    out.update(rows_out(net, k, step.examples))  # recorded with a training set
    out.update(  # an optimizer's state after k steps (epochs): m_w5@3
        (state_key(name, p.key, k), as_json(v))
        for name, values in step.state
        for p, v in zip(net.params, values, strict=True)
        if p.trained
    )
    return out


def example_key(name: str, epoch: int, row: int) -> str:
    """`name` for training-set row `row` (from 1) in epoch `epoch` (from 1): out_o1@2#3."""
    return f"{name}@{epoch}{EXAMPLE}{row}"


def per_example(
    net: Network, seen: Mapping[tuple[int, int], Seen], delta_sign: str
) -> dict[str, float | str]:
    """Each seen example's weighted sums, outputs, error signals δ = sign·∂L/∂net, loss terms
    and loss, and the trained parameters and optimizer state its update starts from, under
    `<key>@e#r` (r counted from 1, as a claim names a row)."""
    out: dict[str, float | str] = {}
    sign = DELTA_SIGN[delta_sign]
    for (e, r), x in seen.items():
        key = functools.partial(example_key, epoch=e, row=r + 1)
        for n, (z, o), d in zip(net.neurons, x.nodes, x.deltas, strict=True):
            if n.has_net:
                out[key(n.net)] = as_json(z)
            out[key(n.out)] = as_json(o)
            out[key(f"delta_{n.name}")] = as_json(sign * d)
        out.update(
            (key(n.term), as_json(v)) for n, v in zip(net.outputs, x.terms, strict=True) if n.term
        )
        out[key(net.loss)] = as_json(x.loss)
        trained = [(i, p.key) for i, p in enumerate(net.params) if p.trained]
        out.update((key(k), as_json(x.params[i])) for i, k in trained if x.params)
        out.update(
            (key(Partial(net.loss, k).key), as_json(x.gradient[i]))
            for i, k in trained
            if x.gradient
        )
        out.update(  # m_w5@2#3: an optimizer's state as row 3's update meets it
            (key(f"{STATE_KEY[name]}_{k}"), as_json(v[i]))
            for name, v in x.state
            for i, k in trained
        )
    return out
