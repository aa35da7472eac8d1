"""Stage 4, evaluate (variants): one scenario, many sets of givens, each good to compute by hand.

A variant's givens are drawn from the `[handout.vary]` grids by numpy's default_rng, seeded by
the batch's seed and the variant's number (or a hash of the student's ID from a roster), so the
same seed gives the same variants on any machine. A draw is kept when its computed numbers meet
`[handout.constraints]`: no output saturated beyond the threshold, no gradient vanishingly small,
no given with more decimals than allowed, and no two variants of a batch alike. A variant that
fails is redrawn from the same stream; after `draws` failures the constraints are reported as
impossible, naming the scenario and the key. A scenario that varies nothing gives one sheet, with
its own givens as its author chose them (no constraint is checked, since nothing could be
redrawn); more sheets than one, or a roster, are refused with what to add: a class is never
handed the published example 30 times. A training set's sheet works one step of one example.
"""

from __future__ import annotations

import dataclasses
import decimal
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from explainer.derive.derivation import Partial
from explainer.evaluate import compute
from explainer.evaluate.compute import Derived
from explainer.foundation.errors import ScenarioError
from explainer.graph.network import Network, build
from explainer.read.handout_spec import Constraints, Grid
from explainer.read.scenario import Scenario


@dataclass(frozen=True)
class Variant:
    label: str  # on every page and in file names: "v07", or the student's ID
    student: str  # the student's name from the roster, else ""
    seed: int
    scenario: Any  # the Scenario or GraphScenario of this variant's givens
    row: int = 0  # the student's row in the roster file (its header is row 1), else 0


@dataclass(frozen=True)
class Student:
    ident: str
    name: str
    row: int = 0  # in the roster file, its header row 1


def for_students(
    s: Scenario, derived: Derived, seed: int, count: int, roster: Sequence[Student] = ()
) -> tuple[Variant, ...]:
    """`count` numbered variants, or one per student of the roster."""
    spec = s.handout
    grids = dict(spec.vary)
    base = worked_step(s, derived)

    def draw(stream: tuple[int, ...], seen: set[tuple[float, ...]]) -> Drawn:
        return _draw(base, derived, grids, spec.constraints, stream, seen)

    return choose(s.path, base, bool(grids), _capacity(s, grids), draw, seed, count, roster)


Drawn = tuple[Any, tuple[float, ...]]  # a variant's scenario, and its givens (to tell them apart)
VARIED_WORDS = "weights, biases, inputs or targets"


def choose(
    path: str,
    base: Any,
    varies: bool,
    capacity: int,
    draw: Callable[[tuple[int, ...], set[tuple[float, ...]]], Drawn],
    seed: int,
    count: int,
    roster: Sequence[Student] = (),
    what: str = VARIED_WORDS,
    example: str = "weights",
) -> tuple[Variant, ...]:
    """The variants of any scenario (a network's, a graph's): `base` its worked step as the
    author wrote it, `draw` one variant from a stream that is not among `seen`; `what`: the
    names [handout.vary] may give, for the message that asks for them."""
    wanted = len(roster) or count
    if not varies and count == 1 and not roster:  # the scenario's own numbers, as its author chose
        return (Variant("v01", "", seed, base),)
    if not varies:  # never hand a class the published example: say what to add instead
        asked = f"a roster of {len(roster):,} students" if roster else f"{count:,} variants"
        raise ScenarioError(
            path,
            "handout.vary",
            f"givens that differ between sheets for {asked}: a [handout.vary] table naming "
            f"{what} and the values to draw them from, such as "
            f"{example} = {{ from = 0.1, to = 0.9, step = 0.05 }}",
            "none: every sheet would be the scenario's own worked example",
        )
    if wanted > capacity:
        raise ScenarioError(
            path,
            "handout.vary",
            f"grids that allow at least {wanted:,} different variants",
            f"{capacity:,} possible",
        )
    seen: set[tuple[float, ...]] = set()
    width = max(2, len(str(count)))
    who = [Student(f"v{i:0{width}d}", "") for i in range(1, count + 1)]
    streams = [(seed, i) for i in range(1, count + 1)]
    if roster:
        who, streams = list(roster), [(seed, _hashed(x.ident)) for x in roster]
    out = []
    for student, stream in zip(who, streams, strict=True):
        variant, givens = draw(stream, seen)
        seen.add(givens)
        out.append(Variant(student.ident, student.name, seed, variant, student.row))
    return tuple(out)


def _hashed(ident: str) -> int:
    """A student's ID as 64 bits of its SHA-256: the same on every machine and Python."""
    return int.from_bytes(hashlib.sha256(ident.encode("utf-8")).digest()[:8], "big")


def _capacity(s: Scenario, grids: dict[str, Grid]) -> int:
    """How many different sets of givens the grids allow (capped, to stay a small integer)."""
    total = 1
    for kind, grid in grids.items():
        total *= len(set(grid.values)) ** len(_slots(s, kind))
        if total > 10**9:
            return 10**9
    return total


def _slots(s: Scenario, kind: str) -> list[float]:
    """The current values of one kind of given, in a fixed order."""
    if kind == "weights":
        return [w for layer in s.layers for row in layer.weights for w in row]
    if kind == "biases":
        return [b for layer in s.layers for b in layer.biases]
    return list(s.input_values if kind == "inputs" else s.targets)


def _draw(
    s: Scenario,
    derived: Derived,
    grids: dict[str, Grid],
    rules: Constraints,
    stream: tuple[int, ...],
    seen: set[tuple[float, ...]],
) -> tuple[Scenario, tuple[float, ...]]:
    rng = np.random.default_rng(list(stream))
    for _ in range(rules.draws):
        picked = {
            k: [float(x) for x in rng.choice(g.values, len(_slots(s, k)))] for k, g in grids.items()
        }
        variant = _with(s, picked)
        givens = tuple(x for k in sorted(picked) for x in picked[k])
        if givens in seen or not _decimals_ok(variant, rules.decimals):
            continue
        net = build(variant)
        if _good(net, compute.run(variant, derived=(net, derived[1])), rules):
            return variant, givens
    raise impossible(s.path, rules, stream)


def impossible(path: str, rules: Constraints, stream: tuple[int, ...]) -> ScenarioError:
    """No draw of a variant's stream met the constraints within `draws`: the scenario's error."""
    return ScenarioError(
        path,
        "handout.constraints",
        f"constraints a variant drawn from handout.vary can meet within {rules.draws} draws",
        f"none met them (variant stream {list(stream)})",
    )


def _with(s: Scenario, picked: dict[str, list[float]]) -> Scenario:
    """The scenario with its givens replaced: one worked step of one example (a training
    set's first row, which the page works in full) and nothing to verify."""
    layers = list(s.layers)
    weights = iter(picked.get("weights", _slots(s, "weights")))
    biases = iter(picked.get("biases", _slots(s, "biases")))
    layers = [
        dataclasses.replace(
            layer,
            weights=tuple(tuple(next(weights) for _ in row) for row in layer.weights),
            biases=tuple(next(biases) for _ in layer.biases),
        )
        for layer in s.layers
    ]
    return dataclasses.replace(
        s,
        layers=tuple(layers),
        input_values=tuple(picked.get("inputs", s.input_values)),
        targets=tuple(picked.get("targets", s.targets)),
        steps=1,
        until_loss=None,
        claims=(),
        data=(),
        forecast=(),
    )


SCAN = 200  # a training set's examples tried, in order, for the one a sheet works


def worked_step(s: Scenario, derived: Derived | None = None) -> Scenario:
    """The givens a handout works, one step of one example with nothing to verify: the
    scenario's own, or a training set's first example whose numbers meet
    [handout.constraints] (XOR's first example, 0 and 0, has four zero gradients), titled with
    the step and the example it is, since the scenario's own title is about a whole training."""
    if not s.data:
        return _with(s, {})
    net, chain = derived or compute.derive(s)
    rules = s.handout.constraints
    for i, (x, t) in enumerate(s.data[:SCAN], start=1):
        one = _with(dataclasses.replace(s, input_values=x, targets=t), {})
        at = net.given((*x, *t))
        if _good(at, compute.run(one, derived=(at, chain)), rules):
            return dataclasses.replace(
                one, title=f"{s.title}: one step on example {i} of {len(s.data):,}"
            )
    raise ScenarioError(
        s.path,
        "data",
        "an example whose worked step meets handout.constraints, for the sheet to ask (no "
        f"trained parameter's gradient below min_gradient = {rules.min_gradient:g}, no output "
        f"saturated beyond {rules.saturation:g})",
        f"none among the first {min(SCAN, len(s.data)):,} examples (a lower min_gradient "
        "in [handout.constraints] admits more)",
    )


def _decimals_ok(s: Scenario, decimals: int) -> bool:
    """Every given (weights, biases, inputs, targets) has at most `decimals` decimals."""
    givens = [*_slots(s, "weights"), *_slots(s, "biases"), *s.input_values, *s.targets]
    return all(places(x) <= decimals for x in givens)


def places(x: float) -> int:
    """The decimals of x as written shortest (0.05 → 2, 3.0 → 0)."""
    exponent = decimal.Decimal(repr(x)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 99


def _good(net: Network, run: compute.Run, rules: Constraints) -> bool:
    """No output saturated beyond the threshold, no trained parameter's gradient smaller in
    size than `min_gradient`, every number finite."""
    ev = run.evaluation
    outs = [(n.activation, float(ev.node(n.out))) for n in net.neurons]
    grads = [float(ev.partial(Partial(net.loss, p.key))) for p in net.trained]
    return (
        all(math.isfinite(x) for x in (*(o for _, o in outs), *grads))
        and all(SATURATED.get(a, _never)(o, rules.saturation) is False for a, o in outs)
        and all(abs(g) >= rules.min_gradient for g in grads)
    )


def _never(out: float, threshold: float) -> bool:
    return False


# When a neuron's output counts as saturated, by activation: its slope is then nearly 0 and
# the sheet's numbers shrink to nothing. Unbounded activations never saturate.
SATURATED: dict[str, Callable[[float, float], bool]] = {
    "sigmoid": lambda out, t: not 1 - t <= out <= t,
    "tanh": lambda out, t: abs(out) > t,
}
