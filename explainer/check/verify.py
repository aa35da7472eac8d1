"""Stage 5, check (verification): checking published numbers: every claim of a scenario against the
computed value, and for each that does not reproduce, what the author probably did — found by
recomputing under alternative conventions and arithmetic, never from a table of known answers.

A printed value is reproduced when the computed value, rounded half up to the printed number of
decimals, is the printed value (a tolerance of half a unit in the last printed decimal).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from explainer.check import working
from explainer.check.findings import Finding, contradiction
from explainer.check.printed import at_places, places, rounds_to, ulps_apart
from explainer.evaluate import compute, quantities, trainer
from explainer.evaluate import worked as evaluate
from explainer.evaluate.compute import Derived, Run, run, values
from explainer.evaluate.quantities import CHANGE, EXAMPLE
from explainer.evaluate.worked import Training
from explainer.foundation.errors import ArithmeticModeError, NumericError, ScenarioError
from explainer.foundation.precision import to_decimal
from explainer.graph.network import Network
from explainer.graph.network import build as network_of
from explainer.read import settings
from explainer.read.arithmetic_spec import parse_arithmetic
from explainer.read.claims import Claim, claim_where
from explainer.read.cost import STEPWISE_LIMIT, table_steps
from explainer.read.graph_scenario import GraphScenario
from explainer.read.scenario import Scenario
from explainer.rules.activations import LOSSES
from explainer.rules.batching import Batching
from explainer.rules.optimizers import OPTIMIZERS, PENALTIES, Settings

Values = dict[str, Any]


def _distance(x: Any, printed: str) -> Decimal:
    d = to_decimal(x)
    return abs(d - Decimal(printed)) if d.is_finite() else Decimal("Infinity")


def _split(key: str) -> tuple[str, int | None]:
    name, _, k = key.partition("@")
    return (name, int(k)) if k.isdigit() else (key, None)


@dataclass(frozen=True)
class Variant:
    """One alternative: a description and the values it gives, trained to a step `upto` (a
    claim's own step: a claim of step 1 does not train the alternative 10,000 steps), computed
    on first use. An alternative without training ignores `upto`."""

    what: str
    compute: Callable[[int], Values | None]


def near(s: Scenario | GraphScenario) -> frozenset[int]:
    """The training steps verification reads: each claimed step, one before and one after."""
    ks = {k for c in s.claims if (k := _split(c.key)[1]) is not None}
    return frozenset(k + d for k in ks for d in (-1, 0, 1) if k + d >= 0)


def verify(s: Scenario, shared: Run | None = None) -> tuple[Finding, ...]:
    """Every claim of `s` checked, and each that does not reproduce diagnosed. `shared`: the
    page's own float64 run of `s` (recording the steps `near(s)`), reused as the base instead of
    training the same convention twice."""
    return checked(s.path, s.claims, side(s, shared))


def side(s: Scenario, shared: Run | None = None) -> Side:
    """What verification checks a network's claims against (its keys are the claims' own:
    `near(s)` decides the steps trained): as `verify`."""
    _check_examples(s)
    around = near(s)
    steps = max([s.steps, *around])
    if s.arithmetic != "float64":  # a stepwise arithmetic trains at most STEPWISE_LIMIT steps
        steps = min(steps, STEPWISE_LIMIT)
        around = frozenset(k for k in around if k <= steps)
    base_s = dataclasses.replace(s, steps=steps)
    record = around | table_steps(steps, s.table_steps)  # as one run of `steps` records
    if shared is None:  # in the arithmetic the scenario states (a float32 source's, say)
        shared = run(base_s, parse_arithmetic(s.arithmetic), record=record)
    derived = shared.derived
    training = extended(shared, s.steps, steps, record)
    base = dict(
        quantities.values(
            shared.net, shared.evaluation, training, shared.schedule, s.delta_sign, s.error_split
        )
    )
    base.update(examples(s))
    given_keys = base_inputs(s, derived[0])
    ran = shared  # the run, for the closures below (mypy keeps `shared` Optional in them)
    return Side(
        base=base,
        variants=lambda: _variants(base_s, around, derived),
        given=given_keys,
        fixed=frozenset(p.key for p in derived[0].params),  # printed starting values
        carry=_carrier(s, ran, given_keys),
        direction=settings.direction(s.loss),
        remark=lambda c: _contradicts(s, c, base, derived),
        recompute=lambda carried, spec="float64": _worked_step(s, ran, carried, spec),
        sums=tuple(
            (eq.partial.key, tuple(tuple(f.key for f in term) for term in eq.terms))
            for eq in derived[1].equations
            if len(eq.terms) > 1
        ),
        loss=derived[0].loss,
    )


@dataclass(frozen=True)
class Side:
    """What one form of scenario gives verification: every key's float64 value (`base`), its
    alternative conventions (built when a claim first needs them), the keys the source gives
    rather than computes (inputs, targets, leaves: checked against its other numbers, never
    recomputed), printed starting values (checked, with no alternatives), the printed values
    carried forward, and the direction of the updates (for the sign of a change)."""

    base: Values
    variants: Callable[[], list[Variant]]
    given: Mapping[str, object]
    carry: Carrier
    fixed: frozenset[str] = frozenset()
    direction: str = "descent"
    remark: Callable[[Claim], tuple[Claim, ...] | None] | None = None
    # the worked step's keys recomputed with these values (by key) in place of the computed
    # ones and carried on from there, in an arithmetic (float64 unless named: "paper:4", a
    # sheet's); None: the carried values overflow, or none is carried
    recompute: Callable[..., Values | None] = lambda carried, spec="float64": None
    # each sum over paths of the worked step (∂E/∂out_h1 = ∂E_o1/∂out_h1 + ∂E_o2/∂out_h1): its
    # key, and each term's factors' keys
    sums: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()
    loss: str = ""  # the loss's key (E_total, a graph's output): its gradients are d<loss>/d…


def _remark(side: Side, claim: Claim) -> Callable[[], tuple[Claim, ...] | None]:
    remark = side.remark
    return (lambda: remark(claim)) if remark else tuple


def checked(path: str, claims: tuple[Claim, ...], side: Side) -> tuple[Finding, ...]:
    """Every claim checked against `side`, and each that does not reproduce diagnosed: the one
    verification of both forms of scenario, a network and a graph."""
    base = side.base
    known(path, claims, base)
    get = cached()
    variants: list[Variant] = []

    def alternatives(c: Claim) -> Alternatives:
        def found() -> tuple[list[tuple[str, Any]], tuple[str, ...]]:
            if not variants:
                variants.extend(side.variants())
            return candidates(c, base[c.key], base, variants, get, side.direction), side.carry(c)

        return found

    findings = []
    for claim in claims:
        if claim.key in side.given:  # a printed input: checked against the source's others
            findings.append(judge(claim, base, no_alternatives, _remark(side, claim)))
        elif claim.key in side.fixed:
            findings.append(judge(claim, base, no_alternatives))
        else:
            findings.append(judge(claim, base, alternatives(claim)))
    return ranked(tuple(findings))


def no_alternatives() -> tuple[list[tuple[str, Any]], tuple[str, ...]]:
    """No alternatives: a printed input is not recomputed."""
    return [], ()


Alternatives = Callable[[], tuple[list[tuple[str, Any]], tuple[str, ...]]]


OWN_WORKING = "the source's own working on its printed operands"


def judge(
    claim: Claim,
    base: Values,
    alternatives: Alternatives,
    remark: Callable[[], tuple[Claim, ...] | None] = tuple,
) -> Finding:
    """One claim: reproduced, or explained by the alternatives that give the printed number
    (the source's own printed values carried forward first), or as a last resort by a
    misprint; with the nearest alternatives when nothing explains it. `alternatives` gives
    (what each alternative computes, the carried-forward explanations); none for a printed
    input, which `remark` checks against the source's other numbers instead (the printed
    numbers that follow from the value used here and not from the printed one; None when the
    printed one overflows). A claim that prints its working has it checked too (working.py)."""
    computed = base[claim.key]
    shown = str(at_places(computed, claim.printed))
    work = working.check(claim, base)
    words = work.words if work else ""
    given = alternatives is no_alternatives  # a printed input, not recomputed
    if rounds_to(computed, claim.printed):
        return Finding(claim, float(computed), shown, True, (), (), working=words, given=given)
    ulps = ulps_apart(computed, claim.printed)
    if ulps is not None:  # float64's last places: another summation order, not another number
        return Finding(
            claim, float(computed), shown, True, (), (), working=words, given=given, ulps=ulps
        )
    candidates, carried = alternatives()
    if work and work.gives_printed:  # the source's own arithmetic on its rounded operands
        carried = (OWN_WORKING, *carried)
    searched = bool(candidates) or bool(carried)
    good = (*carried, *(what for what, x in candidates if rounds_to(x, claim.printed)))
    if not good and searched:
        good = misprints(claim.printed, [("the exact value", computed), *candidates])
    nearest = (
        ()
        if good
        else tuple(
            (what, str(at_places(x, claim.printed)))
            for what, x in sorted(candidates, key=lambda c: _distance(c[1], claim.printed))[:3]
        )
    )
    broken = remark()
    return Finding(
        claim,
        float(computed),
        shown,
        False,
        good,
        nearest,
        contradiction(claim, float(computed), broken),
        words,
        given=given,
        contradicts=broken or (),
    )


CARRIED = "the source's printed"


Carrier = Callable[[Claim], tuple[str, ...]]


def _carrier(s: Scenario, shared: Run, given: Mapping[str, object]) -> Carrier:
    """For a claim, the worked step recomputed with the source's other printed numbers in place
    of the exact ones, each alone and then all together: a source that rounds what it prints and
    computes on with the rounded number. Only for quantities of the worked step (no training
    steps)."""
    explain = carried_forward(s.claims, given, lambda carried: _worked_step(s, shared, carried))
    return lambda claim: explain(claim) if _in_worked_step(claim.key, s) else ()


CARRIED_MAX = 50  # the source's printed values of the worked step tried as carried forward


def carried_forward(
    claims: tuple[Claim, ...],
    given: Mapping[str, object],
    recompute: Callable[[dict[str, float]], Values | None],
) -> Carrier:
    """For a claim, the first of the source's other printed values (each alone, then all
    together) that, put in place of the exact value and computed on, gives its printed number.
    At most CARRIED_MAX printed quantities are tried, the first in the file, and each
    substitution is computed once for all the claims it is tried for, so the work grows with
    the printed quantities, not with the claims times them."""
    printed: dict[str, str] = {}  # a quantity printed twice: its last printing, as TOML reads
    for c in claims:
        if (
            c.key not in given
            and "@" not in c.key
            and (c.key in printed or len(printed) < CARRIED_MAX)
        ):
            printed[c.key] = c.printed
    done: dict[frozenset[tuple[str, str]], Values | None] = {}

    def got(carried: dict[str, str]) -> Values | None:
        trial = frozenset(carried.items())
        if trial not in done:
            done[trial] = recompute({k: float(p) for k, p in carried.items()})
        return done[trial]

    def explain(claim: Claim) -> tuple[str, ...]:
        others = {k: p for k, p in printed.items() if k != claim.key}
        trials = [{k: p} for k, p in others.items()]
        if len(others) > 1:
            trials.append(others)
        for carried in trials:
            values = got(carried)
            if (
                values is not None
                and claim.key in values
                and rounds_to(values[claim.key], claim.printed)
            ):
                listed = " and ".join(f"{k} = {p}" for k, p in carried.items())
                # one substitution that explains it is the simplest answer
                return (f"{CARRIED} {listed} carried forward in place of the exact value",)
        return ()

    return explain


def _in_worked_step(key: str, s: Scenario) -> bool:
    _, k = _split(key)
    return k is None or (k == 1 and not s.data)


def _worked_step(
    s: Scenario, shared: Run, carried: dict[str, float], spec: str = "float64"
) -> Values | None:
    empty = Training(steps=(), predictions=())
    hand_set = dict(s.fixed) if s.fixed_on_page else {}  # the page's own, under any carried
    try:
        ev = evaluate.evaluate(
            shared.net, shared.chain, shared.schedule, spec, carried=hand_set | carried
        )
        found = quantities.values(
            shared.net, ev, empty, shared.schedule, s.delta_sign, s.error_split
        )
    except NumericError:  # the carried values overflow, or zero the split's denominator
        return None
    return dict(found)


def ranked(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Each finding's explanations, those that explain most of the source's numbers first (a
    source that rounds everywhere is not "truncating" once); carried printed values count as one
    way of working, whichever value is carried."""

    def family(what: str) -> str:
        return CARRIED if what.startswith(CARRIED) else what

    count = Counter(family(w) for f in findings for w in f.explained_by)
    out = []
    for f in findings:
        ordered = tuple(sorted(f.explained_by, key=lambda w: -count[family(w)]))
        out.append(
            dataclasses.replace(f, explained_by=ordered, caution=_caution(ordered, count, family))
        )
    return tuple(out)


def _caution(ordered: tuple[str, ...], count: Counter[str], family: Callable[[str], str]) -> str:
    """When several causes give the same printed number: which of them fit it only by
    coincidence (they explain no other number of the source, while the first explains more),
    or that nothing the source prints tells them apart."""
    families = list(dict.fromkeys(family(w) for w in ordered))
    if len(families) < 2:
        return ""
    lead = count[families[0]]
    alone = [w for w in families[1:] if count[w] == 1]
    if lead > 1 and alone:
        return (
            f"{len(alone)} other cause{'s' if len(alone) > 1 else ''} give{'' if len(alone) > 1 else 's'} "
            f"this number too but explain{'' if len(alone) > 1 else 's'} nothing else the source "
            f"prints, so {'they fit' if len(alone) > 1 else 'it fits'} only by coincidence; the first "
            f"accounts for {lead} of the source's numbers"
        )
    if all(count[w] == lead for w in families):
        return (
            f"{len(families)} causes give this number and nothing else the source prints tells "
            "them apart"
        )
    return ""


def known(path: str, claims: tuple[Claim, ...], base: Values) -> None:
    """A claim on a quantity the scenario does not compute is a mistake in the file (a typo in
    the key, or a name the network does not use): bad input, with the nearest keys it has."""
    for claim in claims:
        where = claim_where(claim.key)
        wanted = [(where, claim.key)]
        wanted += [(f"{where}.operands.{name}", key) for name, key, _ in claim.operands]
        for at, key in wanted:  # a working's operands are quantities too
            if key not in base:
                near = difflib.get_close_matches(key, list(base), n=3, cutoff=0.5)
                hint = f" (nearest: {', '.join(near)})" if near else ""
                raise ScenarioError(
                    path, at, f"the key of a quantity this scenario computes{hint}", repr(key)
                )


def candidates(
    claim: Claim,
    computed: Any,
    base: Values,
    variants: list[Variant],
    get: Callable[[Variant, int], Values | None],
    direction: str = "descent",
) -> list[tuple[str, Any]]:
    """What each alternative gives for this claim, in the order the issue lists them."""
    name, k = _split(claim.key)
    found: list[tuple[str, Any]] = [
        (
            f"the exact value truncated to {places(claim.printed)} decimals, not rounded",
            at_places(computed, claim.printed, ROUND_DOWN),
        )
    ]
    for v in variants:
        result = get(v, 1 if k is None else k)
        if result is not None and claim.key in result:
            found.append((v.what, result[claim.key]))
    if k is not None:
        for d, what in ((-1, "one step fewer"), (1, "one step more")):
            key = step_key(name, k + d)
            if key in base:
                found.append((f"{what} ({k + d:,} instead of {k:,})", base[key]))
    found.extend(_signs(name, computed, direction))
    return found


def step_key(name: str, k: int) -> str:
    """The key of a quantity after k steps: `name@k`, and at step 0 the starting value's own
    key (`h1`, `w5`, `E_total`), which is where the worked step keeps it."""
    return f"{name}@{k}" if k else name


def _signs(name: str, computed: Any, direction: str) -> list[tuple[str, Any]]:
    """The value with its sign turned: δ has two conventions; a change Δw may be printed as the
    amount the update subtracts, η·∂E/∂w = −Δw (descent) or with the opposite sign (ascent); any
    other negative value may be printed without its sign."""
    if name.startswith("delta_"):
        return [("the other sign convention for δ", -computed)]
    if name.startswith(CHANGE):
        how = "as the amount subtracted" if direction == "descent" else "with the opposite sign"
        return [(f"printed {how}, −{name}", -computed)]
    if to_decimal(computed) < 0:
        return [("its magnitude, the sign dropped", -computed)]
    return []


MISPRINT_DIGITS = 4  # a misprint is claimed only of a number of at least this many digits


def misprints(printed: str, candidates: list[tuple[str, Any]]) -> tuple[str, ...]:
    """Printed numbers one keystroke away from a candidate written to a few decimals around the
    printed ones: a digit dropped, doubled, or two neighbours swapped (0.3595 for 0.35895).
    Each number is named once, with the first (simplest) candidate that writes it, however
    many alternatives give the same digits. Short numbers are never called misprints: almost
    any two are one keystroke apart."""
    p = places(printed)
    found: dict[str, str] = {}  # the number meant → the misprint, in words
    for what, x in candidates:
        for d in dict.fromkeys((p + 1, p, max(p - 1, 0))):
            text = str(at_places(x, f"{0:.{d}f}"))
            if text in found or sum(c.isdigit() for c in text.lstrip("-0.")) < MISPRINT_DIGITS:
                continue
            slip = _one_keystroke(printed, text)
            if slip:
                found[text] = f"a misprint of {text} ({what} at {d} decimals): {slip}"
    return tuple(found.values())


def _one_keystroke(printed: str, text: str) -> str:
    """How `printed` differs from `text` by one keystroke, in words ("digit 9 dropped", "digit
    9 doubled", "digits 9 and 1 transposed"), or ""."""
    n = len(text)
    if len(printed) == n - 1:
        for i in range(n):
            if text[i].isdigit() and text[:i] + text[i + 1 :] == printed:
                return f"digit {text[i]} dropped"
    if len(printed) == n + 1:
        for i in range(1, n + 1):
            if (
                printed[i].isdigit()
                and printed[i] == printed[i - 1]
                and printed[:i] + printed[i + 1 :] == text
            ):
                return f"digit {printed[i]} doubled"
    if len(printed) == n:
        for i in range(n - 1):
            a, b = text[i], text[i + 1]
            if (
                a.isdigit()
                and b.isdigit()
                and a != b
                and text[:i] + b + a + text[i + 2 :] == printed
            ):
                return f"digits {a} and {b} transposed"
    return ""


def extended(shared: Run, page_steps: int, steps: int, record: frozenset[int]) -> Training:
    """The run's training continued to `steps` (verification reads a step or two past the
    page's), from where it ended: the same loop, so the same numbers as one longer run."""
    last = shared.training.steps[-1]
    if last.k >= steps or last.k < page_steps:  # done, or stopped early
        return shared.training
    more = trainer.train(shared.net, shared.schedule, steps, record, start=last)
    # diverging past the page's steps is the same error as on the page
    evaluate.check_finite(shared.schedule.path, shared.net, shared.evaluation, more)
    return dataclasses.replace(shared.training, steps=(*shared.training.steps, *more.steps[1:]))


def cached() -> Callable[[Variant, int], Values | None]:
    """Each alternative's values to a step, computed on first use; None for one that cannot be
    computed (its numbers overflow, or its arithmetic cannot take a function)."""
    cache: dict[tuple[str, int], Values | None] = {}

    def get(v: Variant, upto: int) -> Values | None:
        if (v.what, upto) not in cache:
            try:
                cache[v.what, upto] = v.compute(upto)
            except (NumericError, ArithmeticModeError):
                cache[v.what, upto] = None
        return cache[v.what, upto]

    return get


PAPER = tuple(
    (decimals, rounding, how)
    for decimals in range(1, 10)
    for rounding, how in (("half-up", "rounded half up"), ("truncate", "truncated"))
)


def on_paper(values_in: Callable[[str, int], Values | None]) -> list[Variant]:
    """Every intermediate rounded half up or truncated to 1 to 9 decimals: `values_in` takes
    the arithmetic, "paper:K:rounding", and the step to train to."""
    return [
        Variant(
            f"every intermediate {how} to {d} decimals",
            functools.partial(values_in, f"paper:{d}:{r}"),
        )
        for d, r, how in PAPER
    ]


# The arithmetic a source's code ran in when it is PyTorch's or JAX's default: a printed number
# that float32 gives and float64 does not.
FLOAT32 = "computed in float32 (every operation rounded to single precision, PyTorch's default)"


FLOAT64 = "computed in float64 (numpy's default), not in the scenario's stated arithmetic"


def in_float32(values_in: Callable[[str, int], Values | None]) -> Variant:
    """The whole computation in float32: `values_in` as for `on_paper`."""
    return Variant(FLOAT32, functools.partial(values_in, "float32"))


def _variants(s: Scenario, near: frozenset[int], derived: Derived) -> list[Variant]:
    """Each alternative convention, built and derived once and trained on demand: to a claim's
    step when asked, on from the step it reached for the claims after (compute.Continued)."""

    def trained(changed: Scenario, spec: str = s.arithmetic, reuse: Derived | None = None) -> Any:
        values = compute.Continued(changed, spec, near, reuse).values
        if spec != "float64" or not claimed_examples(s):
            return values
        # a claim on an example inside an epoch: the same convention's replay of that epoch
        inside = functools.cache(lambda: examples(changed))
        return lambda k: {**values(k), **inside()}

    # on paper, training repeats the worked step: a few steps only
    specs = (*(f"paper:{d}:{r}" for d, r, _ in PAPER), "float32")
    papers = {spec: trained(s, spec, derived) for spec in specs}

    def stepwise(spec: str, k: int) -> Values | None:
        return None if k > STEPWISE_LIMIT else papers[spec](k)

    out = [] if s.data else [*on_paper(stepwise), in_float32(stepwise)]
    if s.arithmetic != "float64":  # a scenario stating float32: the source may have run float64
        out.append(Variant(FLOAT64, trained(s, "float64")))
    other = "sequential" if s.update == "simultaneous" else "simultaneous"
    # the same network and derivation, another update order
    out.append(
        Variant(f"{other} updates", trained(dataclasses.replace(s, update=other), reuse=derived))
    )
    if any(layer.biases for layer in s.layers):
        frozen = any(layer.train_biases for layer in s.layers if layer.biases)
        layers = tuple(dataclasses.replace(layer, train_biases=not frozen) for layer in s.layers)
        out.append(
            Variant(
                "biases frozen" if frozen else "biases trained",
                trained(dataclasses.replace(s, layers=layers)),
            )
        )
    out += optimizer_alternatives(
        s.optimizer,
        s.optimizer_settings,
        lambda name, h: trained(dataclasses.replace(s, optimizer=name, optimizer_settings=h)),
    )
    if s.data:
        out += batching_alternatives(
            s.mode,
            s.batching,
            lambda b: trained(
                _in_order(s, b)
                if s.batching.shuffle and not b.shuffle
                else dataclasses.replace(s, batching=b)
            ),
        )
    out += _logged(s) + _after(s) + _hand_set(s, trained)
    out += _diagonal(s, trained)
    if s.loss in TWINS:
        loss, what = TWINS[s.loss]
        out.append(Variant(what, trained(dataclasses.replace(s, loss=loss))))
    return out


AFTER = "the value after that example's own update, not before it"


def _inside_epochs(s: Scenario) -> list[tuple[Claim, int, int]]:
    """Each claim on an example inside an epoch (out_o1@2#3), its epoch and its row (from 1)."""
    out = []
    for c in s.claims:
        epoch, inside, row = c.key.partition("@")[2].partition(EXAMPLE)
        if inside:
            out.append((c, int(epoch), int(row)))
    return out


def _check_examples(s: Scenario) -> None:
    """A claim on one example inside an epoch (out_o1@2#3) needs a training set with that row,
    and float64, the arithmetic its epochs are replayed in."""
    for c, _, row in _inside_epochs(s):
        where = claim_where(c.key)
        if not s.data:
            raise ScenarioError(
                s.path,
                where,
                "a training set ([data]) for a claim on an example in an epoch",
                "one example",
            )
        if row > len(s.data):
            raise ScenarioError(
                s.path, where, f"a row of the training set, 1 to {len(s.data)}", f"row {row}"
            )
        if s.arithmetic != "float64":
            raise ScenarioError(
                s.path,
                where,
                "float64 for a claim on an example in an epoch (its epochs are replayed in it)",
                s.arithmetic,
            )


def claimed_examples(s: Scenario) -> frozenset[tuple[int, int]]:
    """(epoch, training-set row from 0) of each claim on an example inside an epoch (out_o1@2#3)."""
    return frozenset((epoch, row - 1) for _, epoch, row in _inside_epochs(s))


def batching_alternatives(
    mode: str, b: Batching, trained: Callable[[Batching], Callable[[int], Values | None]]
) -> list[Variant]:
    """A training set's epochs cut the other way (a network's and a graph's): an update of
    several examples from their sum instead of their mean (or the mean instead of the sum),
    and shuffled examples taken in order. `trained`: the run with other batching."""
    out = []
    if mode != "stochastic":
        what = (
            "each update from the mean of its examples' gradients, not their sum"
            if b.summed
            else "each update from the sum of its examples' gradients, not their mean"
        )
        out.append(
            Variant(what, trained(dataclasses.replace(b, reduction="mean" if b.summed else "sum")))
        )
    if b.shuffle:
        in_order = dataclasses.replace(b, shuffle="", seed=0)
        out.append(Variant("the examples taken in order, not shuffled", trained(in_order)))
    return out


# weight decay the other way: the optimizer's twin (the same rule, decay decoupled or not)
DECOUPLED = "the weight decay decoupled (AdamW), not coupled (L2 in the loss)"
COUPLED = "the weight decay coupled (L2 in the loss, Adam), not decoupled (AdamW)"


def optimizer_alternatives(
    name: str, h: Settings, trained: Callable[[str, Settings], Callable[[int], Values | None]]
) -> list[Variant]:
    """The optimizer's conventions the other way (a network's and a graph's): Adam's bias
    correction left out or put in, weight decay decoupled where it is coupled (or coupled where
    it is decoupled), and each penalty the scenario sets left out (a source that stepped on the
    loss's gradient alone). `trained`: the run with another optimizer or other settings."""
    opt, out = OPTIMIZERS[name], []
    if "bias_correction" in opt.settings:
        what = (
            "Adam without its bias correction"
            if h.bias_correction
            else "Adam with its bias correction"
        )
        flipped = dataclasses.replace(h, bias_correction=not h.bias_correction)
        out.append(Variant(what, trained(name, flipped)))
    twin = next(
        (o for o in OPTIMIZERS.values() if o.rule is opt.rule and o.decoupled != opt.decoupled),
        None,
    )
    if h.weight_decay and twin is not None:
        out.append(Variant(DECOUPLED if twin.decoupled else COUPLED, trained(twin.name, h)))
    out += [
        Variant(f"without {x.words} ({x.setting} = 0)", trained(name, h.without(x.setting)))
        for x in PENALTIES
        if getattr(h, x.setting)
    ]
    return out


def _hand_set(s: Scenario, trained: Callable[[Scenario], Any]) -> list[Variant]:
    """[example.fixed]: the page's hand-set outputs computed instead, or the source's hand-set
    outputs (not the page's) mixed into its numbers."""
    if not s.fixed:
        return []
    listed = ", ".join(f"{k} = {v:g}" for k, v in s.fixed)
    what = (
        "the outputs computed by the forward pass, not set by hand"
        if s.fixed_on_page
        else f"the source's hand-set outputs ({listed})"
    )
    return [Variant(what, trained(dataclasses.replace(s, fixed_on_page=not s.fixed_on_page)))]


# A loss and the one its source may have meant, differing by a constant factor
TWINS = {
    "half_sse": ("sse", "without the ½ in the loss"),
    "sse": ("half_sse", "with a ½ in the loss"),
    "multiclass_hinge": (
        "multi_margin",
        "divided by the number of classes, as torch.nn.MultiMarginLoss takes it",
    ),
    "multi_margin": ("multiclass_hinge", "not divided by the number of classes (CS231n's sum)"),
}
DIAGONAL = (
    "the softmax's Jacobian taken as its diagonal only, out(1 − out), as if each output were "
    "a sigmoid of its own net input"
)


def _diagonal(s: Scenario, trained: Callable[[Scenario], Any]) -> list[Variant]:
    """A softmax output differentiated by the diagonal of its Jacobian alone."""
    if s.layers[-1].activation != "softmax":
        return []
    last = dataclasses.replace(s.layers[-1], activation="softmax_diagonal")
    return [Variant(DIAGONAL, trained(dataclasses.replace(s, layers=(*s.layers[:-1], last))))]


def _after(s: Scenario) -> list[Variant]:
    """A claim on an example inside an epoch, printed from the parameters after its update."""
    if not claimed_examples(s) or s.arithmetic != "float64":
        return []
    return [Variant(AFTER, functools.cache(lambda k: examples(s, after=True)))]


def examples(s: Scenario, after: bool = False) -> dict[str, float | str]:
    """The claimed examples' quantities inside their epochs (trainer.per_example): with a
    training set, in float64, the arithmetic of the loop that replays the epochs; a row the set
    does not have is left out (the claim's key is then unknown, a mistake in the file)."""
    wanted = frozenset(p for p in claimed_examples(s) if p[1] < len(s.data))
    if not wanted or s.arithmetic != "float64":
        return {}
    net = network_of(s)
    seen = trainer.per_example(net, settings.schedule(s), wanted, after)
    return quantities.per_example(net, seen, s.delta_sign)


LOGGED = "the epoch's error logged as it trains, each example's loss taken before its own update"
LOGGED_WAYS = (("summed", 1.0), ("averaged", 0.0))  # over the epoch's examples; 0: 1/N


def _logged(s: Scenario) -> list[Variant]:
    """A from-scratch loop's logged epoch error (trainer.logged), summed or averaged over the
    examples, and without the ½ of a halved loss: for a training set updated more than once an
    epoch with plain descent (a whole batch's logged error is the previous epoch's loss, which
    "one step fewer" already tries)."""
    if not s.data or s.mode == "batch" or s.optimizer != "sgd" or s.optimizer_settings.penalized:
        return []
    net, run_ = network_of(s), settings.schedule(s)
    key, n = s.names.loss, len(s.data)
    halved = LOSSES[s.loss].halved

    @functools.cache
    def epochs(upto: int) -> tuple[float, ...]:
        return trainer.logged(net, run_, upto)

    def variant(scale: float) -> Callable[[int], Values | None]:
        return lambda upto: {f"{key}@{k}": scale * x for k, x in enumerate(epochs(upto), 1)}

    out = []
    for way, factor in LOGGED_WAYS:
        each = factor or 1 / n
        out.append(Variant(f"{LOGGED}, {way}", variant(each)))
        if halved:
            out.append(Variant(f"{LOGGED}, {way}, without the ½", variant(2 * each)))
    return out


def _in_order(s: Scenario, batching: Batching) -> Scenario:
    """The scenario with its epochs in order: its worked example the first row again."""
    x, t = s.data[0]
    return dataclasses.replace(s, batching=batching, input_values=x, targets=t)


def base_inputs(s: Scenario, net: Network) -> dict[str, tuple[str, int]]:
    """Keys the scenario gives rather than computes: inputs and targets (of the worked example),
    and the values the page sets by hand ([example.fixed])."""
    keys = {k: ("input", i) for i, k in enumerate(s.inputs)}
    keys.update((n.target or "", ("target", i)) for i, n in enumerate(net.outputs))
    if s.fixed_on_page:
        keys.update((k, ("hand-set", i)) for i, (k, _) in enumerate(s.fixed))
    return keys


# A printed given that differs from the scenario's: the scenario with the printed one instead
GIVEN_AS_PRINTED: dict[str, Callable[[Scenario, int, float], Scenario]] = {
    "input": lambda s, i, x: dataclasses.replace(s, input_values=_put(s.input_values, i, x)),
    "target": lambda s, i, x: dataclasses.replace(s, targets=_put(s.targets, i, x)),
    "hand-set": lambda s, i, x: dataclasses.replace(
        s, fixed=tuple((k, x if j == i else v) for j, (k, v) in enumerate(s.fixed))
    ),
}


def _put(xs: tuple[float, ...], i: int, x: float) -> tuple[float, ...]:
    return (*xs[:i], x, *xs[i + 1 :])


def _contradicts(
    s: Scenario, claim: Claim, base: Values, derived: Derived
) -> tuple[Claim, ...] | None:
    """A printed input that differs from the scenario's: which of the printed numbers (of every
    source) follow from the scenario's value and not from the printed one; None when with the
    printed one the numbers overflow or are undefined."""
    net, chain = derived
    kind, i = base_inputs(s, net)[claim.key]  # once per printed input that differs
    changed = GIVEN_AS_PRINTED[kind](s, i, float(claim.printed))
    ks = frozenset(k for c in s.claims if (k := _split(c.key)[1]) is not None)
    try:
        other = values(
            dataclasses.replace(changed, steps=max([s.steps, *ks])),
            record=ks,
            derived=(net.given((*changed.input_values, *changed.targets)), chain),
        )
    except NumericError:
        return None
    return tuple(
        c
        for c in s.claims
        if c.key != claim.key
        and c.key in base
        and rounds_to(base[c.key], c.printed)
        and not rounds_to(other[c.key], c.printed)
    )
