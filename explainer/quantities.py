"""Stage 4, evaluate (keys): every computed quantity under its stable JSON key.

The key of a quantity lives with its number: `w5`, `dE_total/dw5`, `w5@1` (after one update),
`E_total@10000`, `delta_o1`. JSON, the page's claims and verification all read these keys; no
later stage invents one.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from explainer.derivation import Partial
from explainer.evaluate import Evaluation, Training
from explainer.network import Network
from explainer.settings import Schedule

DELTA_SIGN = {"minus": -1, "plus": 1}  # δ_j = sign · ∂L/∂net_j

Values = tuple[tuple[str, float | str], ...]


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
    profile: str,
    delta_sign: str,
) -> Values:
    """The worked step's nodes, partials and updates (and δ in the delta profile); then each
    recorded training step's loss, outputs and trained parameters as `<key>@k`."""
    out: dict[str, float | str] = {k: as_json(v) for k, v in ev.nodes}
    out.update((p.key, as_json(v)) for p, v in ev.partials)
    if not run.several:  # with a training set, @1 is after the first epoch, not this step
        out.update((f"{u.key}@1", as_json(u.new)) for u in ev.updates)
    if profile == "delta":
        out.update((f"delta_{name}", as_json(d)) for name, d in deltas(net, ev, delta_sign).items())
    for step in training.steps[1:]:
        out[f"{net.loss}@{step.k}"] = as_json(step.loss)
        out.update(
            (f"{n.out}@{step.k}", as_json(o))
            for n, o in zip(net.outputs, step.outputs, strict=True)
        )
        out.update(
            (f"{p.key}@{step.k}", as_json(v))
            for p, v in zip(net.params, step.params, strict=True)
            if p.trained
        )
    return tuple(out.items())
