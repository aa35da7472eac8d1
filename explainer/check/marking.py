"""Stage 5, check (a student's answers): each answer of one sheet judged as a teacher marks it.

An answer is right within the sheet's tolerance of the key's. A wrong one may still be right
given the student's own earlier answers (follow-through, "error carried forward"): the worked
step is recomputed with every other answer the student wrote in place of the computed value,
and carried on from there, as verification carries a source's printed numbers (verify.Side).
Otherwise its cause is looked for among the alternatives verification tries on a published
number (rounding on paper, truncation, the ½, the update order, a dropped sign, one step fewer)
and the mistakes students make on a sheet (the factor 2 of a square's derivative, the paths
multiplied instead of summed, the learning rate used twice, the step's sign turned): of those
that give the student's number within the tolerance, the one that gives most of the student's
wrong answers names it, then the nearest. A cause is never taken from a
table of known answers: each is the worked step recomputed that way.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from explainer.check import gates, verify
from explainer.check.printed import places
from explainer.evaluate.quantities import CHANGE
from explainer.foundation.errors import NumericError
from explainer.foundation.precision import to_decimal
from explainer.read.claims import Claim
from explainer.read.graph_scenario import GraphScenario
from explainer.read.scenario import Scenario
from explainer.read.settings import Options, plan
from explainer.rules.activations import LOSSES

RIGHT, FOLLOWS, WRONG, EMPTY = "right", "follow-through", "wrong", "no answer"
NO_CAUSE = "no cause found"


@dataclass(frozen=True)
class Verdict:
    kind: str  # RIGHT | FOLLOWS | WRONG | EMPTY
    cause: str = ""  # a wrong answer's cause in a sentence; "" none found
    name: str = ""  # the cause's short name (a row of the class's figure); NO_CAUSE none
    follows: tuple[str, ...] = ()  # follow-through: the keys of the wrong answers it follows


@dataclass(frozen=True)
class Ground:
    """What one variant's answers are judged against: verification's side of its worked step
    (every key's float64 value, the alternatives, the recomputation with carried values), the
    loss's key, the learning rate, and whether the loss is a squared error."""

    side: verify.Side
    rate: float
    squared: bool
    # the alternatives, built on first use, and their values by step, computed once
    alternatives: Callable[[], list[verify.Variant]]
    get: Callable[[verify.Variant, int], Any]
    arithmetic: str = "float64"  # the sheet's: a student's numbers are recomputed in it

    @property
    def loss(self) -> str:
        return self.side.loss


# The squared-error losses: a ½ to forget, and the factor 2 of the square's derivative
SQUARED = frozenset({"half_sse", "sse", "mse", "half_mse"}) & frozenset(LOSSES)


def ground(s: Scenario | GraphScenario, keys: Sequence[str], arithmetic: str = "float64") -> Ground:
    """A variant's ground, for answers on these keys (a claim on each: the steps trained),
    on a sheet worked in `arithmetic`."""
    claims = tuple(Claim(k, "0", "") for k in keys)
    if isinstance(s, GraphScenario):
        g = dataclasses.replace(s, claims=claims)
        p = plan(g, Options(arithmetic="float64"))
        rate = g.training.learning_rate if g.training else 0.0
        squared = gates.halved(g) is not None
        side = gates.plan_side(p)  # type: ignore[arg-type]
    else:
        n = dataclasses.replace(s, claims=claims)
        side, rate, squared = verify.side(n), n.learning_rate, n.loss in SQUARED
    cached = functools.cache(side.variants)
    return Ground(side, rate, squared, cached, verify.cached(), arithmetic)


# verification's words for an alternative, as a student's mistake: (pattern, short name, words)
STUDENT_WORDS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(p), n, w)
    for p, n, w in (
        (
            r"^sequential updates$",
            "updated weight too early",
            "an updated weight used too early (a later layer's new weights in an earlier "
            "layer's gradients)",
        ),
        (
            r"^simultaneous updates$",
            "old weight kept",
            "the old weights used where the sheet updates one layer at a time",
        ),
        (r"without the ½", "½ forgotten", "the ½ of the squared error forgotten"),
        (r"with a ½", "½ added", "a ½ put in front of a squared error that has none"),
        (
            r"^every intermediate rounded half up to (\d+) decimals$",
            "rounded too early",
            r"rounded too early: every intermediate value rounded to \1 decimals",
        ),
        (
            r"^every intermediate truncated to (\d+) decimals$",
            "truncated",
            r"every intermediate value truncated (cut off) to \1 decimals, not rounded",
        ),
        (r"truncated to \d+ decimals, not rounded", "truncated", "truncated, not rounded"),
        (r"sign dropped", "minus sign", "a minus sign dropped"),
        (r"other sign convention for δ", "sign dropped", "δ taken with the other sign"),
        (r"^one step fewer", "not updated", "the starting value, not updated"),
        (r"^one step more", "updated twice", "the update made twice"),
        (r"^printed as the amount subtracted", "minus sign", "the change's sign turned"),
    )
)


def in_words(what: str) -> tuple[str, str]:
    """An alternative's (short name, sentence) as a student's mistake."""
    for pattern, name, words in STUDENT_WORDS:
        if pattern.search(what):
            return name, pattern.sub(words, what) if "\\" in words else words
    return what, what


def _mistakes(g: Ground, key: str, answered: Mapping[str, float]) -> list[tuple[str, str, Any]]:
    """The mistakes only a student makes, each as (short name, sentence, the value it gives)."""
    base = g.side.base
    name, _, step = key.partition("@")
    out: list[tuple[str, str, Any]] = []
    change = f"{CHANGE}{name}@{step}"
    if step == "1" and change in base and name in base:  # an updated parameter: old + Δ
        old, delta = float(base[name]), float(base[change])
        out += [
            ("η twice", "the learning rate used twice (η·η·∂E/∂w)", old + g.rate * delta),
            ("step uphill", "the step's sign turned (w + η·∂E/∂w)", old - delta),
        ]  # a gradient's own mistake (the factor 2) reaches the update by follow-through
    elif g.squared and key.startswith(f"d{g.loss}/d"):
        out.append(("factor 2 forgotten", FACTOR_2, float(base[key]) / 2))
    out += _paths_multiplied(g, key, answered)
    if key in base and float(base[key]) > 0:
        out.append(("minus sign", "a minus sign too many", -float(base[key])))
    return out


FACTOR_2 = "the factor 2 of the square's derivative forgotten (d/dx x² = 2x)"
PATHS = "the paths multiplied instead of summed"


def _paths_multiplied(
    g: Ground, key: str, answered: Mapping[str, float]
) -> list[tuple[str, str, Any]]:
    """A sum over paths taken as their product, and carried on from there."""
    base, out = g.side.base, []
    for total, terms in g.side.sums:
        try:
            product = math.prod(math.prod(float(base[f]) for f in t) for t in terms)
        except KeyError:
            continue
        if key == total:
            out.append(("paths multiplied", PATHS, product))
            continue
        values = g.side.recompute({**answered, total: product})
        if values is not None and key in values and values[key] != base.get(key):
            out.append(("paths multiplied", f"{PATHS} ({_symbolic(total)})", values[key]))
    return out


def _symbolic(key: str) -> str:
    """dE_total/dout_h1 → ∂E_total/∂out_h1."""
    return f"∂{key[1:].replace('/d', '/∂', 1)}" if key.startswith("d") else key


def judge(
    g: Ground,
    key: Mapping[str, Decimal],
    answers: Mapping[str, Decimal],
    tolerance: Decimal,
) -> dict[str, Verdict]:
    """Every blank's verdict (by key, as `key` lists them: the key's answers): right within
    `tolerance` of the key's; right given the student's other answers; wrong, with a cause
    when one reproduces it; or no answer."""
    given = {k: float(x) for k, x in answers.items()}
    done: dict[frozenset[tuple[str, float]], Any] = {}

    def recompute(carried: dict[str, float]) -> Any:
        trial = frozenset(carried.items())
        if trial not in done:
            try:
                done[trial] = g.side.recompute(carried, g.arithmetic)
            except NumericError:
                done[trial] = None
        return done[trial]

    def near(x: Decimal, v: Any, k: str) -> bool:
        """Within the tolerance of an alternative's value (float64), widened by how far the
        key's own rounding on paper is from float64 on this blank: a student who works the
        sheet's rounding drifts from it as the key does."""
        d = to_decimal(v)
        drift = abs(key[k] - to_decimal(g.side.base[k])) if k in g.side.base else Decimal(0)
        return d.is_finite() and abs(x - d) <= tolerance + drift

    order = list(key)
    right = {k for k, x in answers.items() if k in key and abs(x - key[k]) <= tolerance}
    wrong = [k for k in key if k in answers and k not in right]
    out = {k: Verdict(RIGHT if k in right else EMPTY) for k in key if k not in wrong}
    fitting: dict[str, list[Verdict]] = {}
    for k in wrong:
        x = answers[k]
        others = {o: v for o, v in given.items() if o != k}
        through = _followed(g, k, others, recompute)
        # recomputed in the sheet's own arithmetic: within the tolerance, and moved by them
        if (
            through is not None
            and abs(x - to_decimal(through)) <= tolerance
            and to_decimal(through) != key[k]
        ):
            # the mistakes it follows from: the wrong answers before it that are mistakes of
            # their own (out_h1, not net_o1 computed from it) and that reach it, carried alone
            # or left out of the others
            earlier = [w for w in wrong if order.index(w) < order.index(k)]
            mistakes = [w for w in earlier if out[w].kind == WRONG]
            reach = [
                w
                for w in mistakes
                if _moves(g, k, {w: given[w]}, None, recompute, tolerance)
                or _moves(g, k, _without(others, w), through, recompute, tolerance)
            ]
            roots = reach or mistakes or earlier
            out[k] = Verdict(FOLLOWS, follows=tuple(roots))
            continue
        fitting[k] = _cause(g, k, x, others, functools.partial(_near_at, near, k))
        out[k] = fitting[k][0]  # for the follow-through of the answers after it
    out |= _chosen(fitting)
    return {k: out[k] for k in key}


def _near_at(near: Callable[[Decimal, Any, str], bool], k: str, x: Decimal, v: Any) -> bool:
    return near(x, v, k)


def _followed(
    g: Ground, key: str, others: dict[str, float], recompute: Callable[[dict[str, float]], Any]
) -> Any:
    """The blank's value computed on from the student's other answers: the worked step
    recomputed with them, or for an updated parameter the update of the student's own
    gradient (old + Δ·g'/g: a plain step is linear in its gradient)."""
    values = recompute(others) if others else None
    if values is not None and key in values and values[key] != g.side.base.get(key):
        return values[key]
    name, _, step = key.partition("@")
    gradient = f"d{g.loss}/d{name}"
    base = g.side.base
    change = f"{CHANGE}{name}@{step}"
    if step == "1" and gradient in others and change in base and float(base[gradient]):
        return float(base[name]) + float(base[change]) * others[gradient] / float(base[gradient])
    return None


def _moves(
    g: Ground,
    key: str,
    carried: dict[str, float],
    than: Any,
    recompute: Callable[[dict[str, float]], Any],
    tolerance: Decimal,
) -> bool:
    """Whether the blank's value from these answers is another than `than` (None: the
    worked step's own), past the tolerance."""
    v = _followed(g, key, carried, recompute)
    if v is None:
        return False
    other = g.side.base[key] if than is None else than
    return abs(to_decimal(v) - to_decimal(other)) > tolerance


def _without(answers: dict[str, float], key: str) -> dict[str, float]:
    return {k: v for k, v in answers.items() if k != key}


ON_PAPER = re.compile(r"^every intermediate (?:rounded half up|truncated) to (\d+) decimals$")


def _could_write(what: str, printed: str) -> bool:
    """Whether a student working as `what` says could have written `printed`: one who rounds
    every intermediate to 2 decimals writes 0.67, not 0.6665."""
    m = ON_PAPER.match(what)
    return m is None or places(printed) <= int(m.group(1))


def _cause(
    g: Ground,
    key: str,
    x: Decimal,
    others: dict[str, float],
    near: Callable[[Decimal, Any], bool],
) -> list[Verdict]:
    """A wrong answer's causes: the mistakes and alternatives that give it within the
    tolerance, nearest the student's number first (a coincidence of rounding lands near, the
    mistake made lands on it; the students' own mistakes first where two are as near)."""
    base = g.side.base
    printed = f"{x:f}"
    claim = Claim(key, printed, "")
    found = verify.candidates(claim, base[key], base, g.alternatives(), g.get, g.side.direction)
    tried = [
        *_mistakes(g, key, others),
        *((*in_words(what), v) for what, v in found if _could_write(what, printed)),
    ]
    fits = sorted((abs(x - to_decimal(v)), i) for i, (_, _, v) in enumerate(tried) if near(x, v))
    if fits:
        return [Verdict(WRONG, words, name) for name, words, v in (tried[i] for _, i in fits)]
    if places(printed) >= 2:
        slips = verify.misprints(printed, [("the exact value", base[key])])
        if slips:
            return [Verdict(WRONG, f"a slip of the pen: {slips[0]}", "slip")]
    return [Verdict(WRONG, "", NO_CAUSE)]


def _chosen(fitting: dict[str, list[Verdict]]) -> dict[str, Verdict]:
    """Each wrong answer's cause: of those that give it, the one that gives most of the
    student's wrong answers (a student who rounds everywhere did not truncate once), the
    nearest where they give as many, as verification ranks a source's causes."""
    count: dict[str, int] = {}
    for fits in fitting.values():
        for name in {v.name for v in fits}:
            count[name] = count.get(name, 0) + 1
    return {
        k: min(fits, key=lambda v: (-count[v.name], fits.index(v))) for k, fits in fitting.items()
    }
