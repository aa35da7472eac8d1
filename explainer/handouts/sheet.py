"""Stage 5, explain (handouts): one variant's numbers → a teacher's sheet, with its blanks.

A sheet is the worked step as questions: every forward value, every gradient of a trained
parameter, every updated parameter (and, when asked for, every local factor), each with what it
is computed from in the page's own symbols. A question is given (its number printed) or blank
(a box on the student's sheet, the highlighted answer on the key). The same Sheet is rendered
both ways; the summary sheet is one with nothing blank. Arranges; computes nothing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from explainer.check.layered import LayeredResults
from explainer.derive.derivation import Partial
from explainer.draw import figures
from explainer.draw.drawing import Drawing
from explainer.foundation.errors import ScenarioError
from explainer.foundation.precision import show, to_decimal
from explainer.handouts.variants import Variant
from explainer.page import notation
from explainer.page.context import Context
from explainer.page.story import rules
from explainer.page.words import updated_key
from explainer.read.handout_spec import BLANK_KINDS
from explainer.rules.activations import LOSSES

JOINT = frozenset(k for k, rule in LOSSES.items() if rule.over_layer)
# A kind that stands for several (the whole backward pass).
WIDER = {"backward": ("local", "gradients", "updates")}
PART_TITLES = {
    "forward": "Forward pass",
    "local": "Local derivatives",
    "gradients": "Gradients",
    "updates": "Updated parameters",
}


@dataclass(frozen=True)
class Question:
    key: str  # the quantity's JSON key
    kind: str  # forward | local | gradients | updates
    symbol: str  # LaTeX
    formula: str  # LaTeX: what it is computed from, in the page's symbols ("" none)
    answer: str  # LaTeX: the number at the sheet's decimals
    blank: bool
    points: float
    number: int = 0  # a blank's number on the sheet (from 1, in reading order); 0 a given


@dataclass(frozen=True)
class Part:
    title: str
    questions: tuple[Question, ...]

    @property
    def points(self) -> float:
        """What the part's blanks are worth: a table with none has no points column."""
        return sum(q.points for q in self.questions if q.blank)


@dataclass(frozen=True)
class Sheet:
    title: str
    variant: str  # "v07", a student's ID, or "" (the summary)
    student: str
    seed: int | None
    givens: tuple[tuple[str, str], ...]  # (symbol, number): inputs, targets, parameters, rate
    figure: Drawing
    parts: tuple[Part, ...]
    rules: tuple[str, ...]  # display rows: the chain rule, the local factors, the update
    decimals: int
    instructions: str  # for students: how to round, as the key's arithmetic does
    tolerance: str  # for graders: how far a careful answer may be from the key's
    # each blank's own: how far it drifts, in units of the last decimal (at least 1), by key
    drift: tuple[tuple[str, int], ...] = ()
    # every blank's box width in ems, the batch's (typeset.box): 0, the sheet's own
    box_width: float = 0.0
    drawn: str = "network"  # what the figure draws, in the words of its alternative text
    # what the summary's numbers are, said on it: no variant's, so no student takes them for theirs
    summary_note: str = (
        "The scenario's own worked example, one step of training, with the network and the "
        "rules every variant shares."
    )

    @property
    def points(self) -> float:
        return sum(q.points for p in self.parts for q in p.questions if q.blank)

    @property
    def blanks(self) -> tuple[Question, ...]:
        return tuple(q for p in self.parts for q in p.questions if q.blank)

    @property
    def accepted(self) -> Decimal:
        """The tolerance a grader accepts on every blank, as the key's note states it: the
        largest of the blanks' drifts (a student who rounds at other steps drifts about as
        far on any of them), in the sheet's last decimal."""
        return Decimal(max(dict(self.drift).values(), default=1)).scaleb(-self.decimals)


def sheet(
    ctx: Context,
    exact: LayeredResults,
    variant: Variant | None,
    blank: tuple[str, ...],
    decimals: int,
    where: str = "handout.blank",
) -> Sheet:
    """One variant's sheet: `ctx` holds its numbers in the handout's arithmetic (the key's),
    `exact` the same in float64 (for the graders' tolerance). `blank`: kinds and keys."""
    s, net = ctx.scenario, ctx.net
    num = fixed(decimals)
    marked, parts = marked_parts(_questions(ctx, num), blank, dict(s.handout.points), s.path, where)
    hidden = {q.key for q in marked if q.blank}
    values = {k: float(v) for k, v in ctx.ev.nodes}
    marks = figures.forward_marks(net, values, ctx.sym, as_given)  # the givens as written
    computed = {n.out for n in net.neurons}
    marks = figures.Marks(
        {
            k: num(values[k]) if k in computed else v
            for k, v in marks.nodes.items()
            if k not in hidden
        },
        marks.edges,
        marks.biases,
        marks.targets,
        "" if net.loss in hidden else num(values[net.loss]),
    )
    givens = (
        *(
            (ctx.sym(k), as_given(values[k]))
            for k in (
                *net.inputs,
                *(n.target or "" for n in net.outputs),
                *(p.key for p in net.params),
            )
        ),
        (s.rate_symbol, as_given(s.learning_rate)),  # the updates' step size
    )
    return Sheet(
        title=s.title,
        variant=variant.label if variant else "",
        student=variant.student if variant else "",
        seed=variant.seed if variant else None,
        givens=givens,
        figure=figures.network(net, marks, ctx.sym, ""),  # no path singled out: a sheet asks all
        parts=parts,
        rules=rules(ctx),
        decimals=decimals,
        instructions=INSTRUCTIONS[ctx.plan.arithmetic.kind].format(
            decimals=decimals, values=NETWORK_VALUES
        ),
        tolerance=_tolerance(ctx, exact, [q for q in marked if q.blank], decimals),
        drift=tuple(
            drifts(
                ctx.results.values, exact.values, [q for q in marked if q.blank], decimals
            ).items()
        ),
    )


def marked_parts(
    every: list[Question],
    blank: tuple[str, ...],
    points: dict[str, float],
    path: str,
    where: str,
) -> tuple[list[Question], tuple[Part, ...]]:
    """The questions with those `blank` names (kinds or keys) made blanks worth their points,
    and the parts of the sheet: one per kind, in PART_TITLES order; local derivatives only
    where one is blank, and no part without a question."""
    kinds, keys = _chosen(blank, {q.key for q in every}, path, where)
    _known_points(points, {q.key for q in every}, path)
    marked = [
        dataclasses.replace(q, blank=True, points=points.get(q.key, points.get(q.kind, 0.0)))
        if q.kind in kinds or q.key in keys
        else q
        for q in every
    ]
    if blank and not any(q.blank for q in marked):  # kinds this scenario has nothing of
        raise ScenarioError(
            path,
            where,
            "blanks naming at least one quantity this scenario computes (a graph that does not "
            "learn has no updates)",
            f"{', '.join(blank)}: nothing to ask",
        )
    parts = tuple(
        Part(PART_TITLES[k], tuple(q for q in marked if q.kind == k))
        for k in PART_TITLES
        if (k != "local" or any(q.kind == "local" and q.blank for q in marked))
        and any(q.kind == k for q in marked)
    )
    return marked, numbered(parts)


def numbered(parts: tuple[Part, ...]) -> tuple[Part, ...]:
    """The blanks numbered 1, 2, … in the order the sheet prints them (a grader's column and a
    platform's answer each take its number)."""
    n = 0
    out = []
    for part in parts:
        questions = []
        for q in part.questions:
            if q.blank:
                n += 1
                q = dataclasses.replace(q, number=n)
            questions.append(q)
        out.append(dataclasses.replace(part, questions=tuple(questions)))
    return tuple(out)


def _known_points(points: dict[str, float], keys: set[str], path: str) -> None:
    """Each `[handout.points]` name a kind or a quantity of the sheet: points for a name no
    question has would be silently worth nothing."""
    for name in points:
        if name not in WIDER and name not in BLANK_KINDS and name not in keys:
            example = sorted(keys)[:3]
            raise ScenarioError(
                path,
                f"handout.points.{name}",
                f"a kind ({', '.join(BLANK_KINDS)}) or a quantity's key (e.g. "
                f"{', '.join(example)})",
                "a name no question of the sheet has",
            )


def _chosen(
    blank: tuple[str, ...], keys: set[str], path: str, where: str
) -> tuple[set[str], set[str]]:
    """The kinds and the keys a blank list names; an unknown one is the scenario's error."""
    kinds: set[str] = set()
    named: set[str] = set()
    for i, x in enumerate(blank):
        if x in WIDER:
            kinds.update(WIDER[x])
        elif x in BLANK_KINDS:
            kinds.add(x)
        elif x in keys:
            named.add(x)
        else:
            example = sorted(keys)[:3]
            raise ScenarioError(
                path,
                f"{where}[{i}]",
                f"a kind ({', '.join(BLANK_KINDS)}) or a quantity's key (e.g. "
                f"{', '.join(example)})",
                repr(x),
            )
    return kinds, named


def _questions(ctx: Context, num: Callable[[object], str]) -> list[Question]:
    """Every quantity of the worked step a sheet may ask for, in the order it is computed."""
    net = ctx.net
    names = ctx.names
    out: list[Question] = []
    # the forward pass's quantities, a layer loss's true-class score s_y among them
    for n in (node for node in net.nodes if node.kind in ("net", "out", "score", "term", "loss")):
        formula = notation.latex(n.display, names) if n.display is not None else ""
        out.append(
            Question(n.key, "forward", ctx.sym(n.key), formula, num(ctx.ev.node(n.key)), False, 0)
        )
    for x in ctx.view.run.chain.locals:
        local = x.partial
        out.append(
            Question(
                local.key,
                "local",
                ctx.partial(local),
                # a loss over the layer: its cases of 1 or 0 as brackets [margin > 0]
                notation.latex(x.textbook, names, iverson=x.rule in JOINT),
                num(ctx.value(local)),
                False,
                0,
            )
        )
    eta = ctx.scenario.rate_symbol
    sign = "+" if ctx.plan.direction == "ascent" else "-"
    for p in net.trained:
        g = Partial(net.loss, p.key)
        eq = ctx.view.run.chain.equation(g)
        chain = (
            " + ".join(r" \cdot ".join(ctx.partial(f) for f in t) for t in eq.terms) if eq else ""
        )
        out.append(Question(g.key, "gradients", ctx.partial(g), chain, num(ctx.value(g)), False, 0))
    for u in ctx.ev.updates:
        w = ctx.sym(u.key)
        out.append(
            Question(
                updated_key(u.key),
                "updates",
                f"{w}^{{+}}",
                rf"{w} {sign} {eta} \cdot {ctx.partial(Partial(net.loss, u.key))}",
                num(u.new),
                False,
                0,
            )
        )
    return out


# What a student works out, as a sheet's instructions list it.
NETWORK_VALUES = (
    "each net input, output, error, local derivative, gradient, and learning rate times gradient"
)

# How a student works, in their words, by the key's arithmetic. On paper: every quantity the
# page shows is rounded (Decimal's ROUND_HALF_UP: halves away from zero) and carried forward
# rounded; otherwise every digit is kept and only the answers are rounded.
INSTRUCTIONS = {
    "paper": (
        "Work to {decimals} decimals: round each value you work out ({values}) half up, halves "
        "away from zero, and go on with the rounded value."
    ),
    "float64": (
        "Keep every digit your calculator shows as you go on, and write each answer rounded to "
        "{decimals} decimals, half up (halves away from zero)."
    ),
    "exact": (
        "Work exactly, in fractions, and write each answer as a decimal rounded to {decimals} "
        "decimals, half up (halves away from zero)."
    ),
}


def fixed(decimals: int) -> Callable[[object], str]:
    """A number as a calculator shows it: `decimals` places, rounded half up."""
    step = Decimal(1).scaleb(-decimals)

    def shown(x: object) -> str:
        exact = to_decimal(x)
        with localcontext() as room:  # every digit before the point, however many, and the K after
            room.prec = max(28, exact.adjusted() + decimals + 2)
            d = exact.quantize(step, ROUND_HALF_UP)
        return format(abs(d) if d == 0 else d, "f")  # never "-0.0000"

    return shown


def as_given(x: object) -> str:
    """A given as the scenario or the grid wrote it: 0.05, not 0.0500."""
    return show(x, GIVEN_DIGITS).latex


GIVEN_DIGITS = 15  # enough for any given a grid or a scenario writes, as written


def _tolerance(ctx: Context, measure: LayeredResults, blanks: list[Question], decimals: int) -> str:
    return tolerance(ctx.plan.arithmetic.kind, ctx.results.values, measure.values, blanks, decimals)


def tolerance(
    kind: str,
    key_values: tuple[tuple[str, float | str], ...],
    measured: tuple[tuple[str, float | str], ...],
    blanks: list[Question],
    decimals: int,
) -> str:
    """How far the key's answers are from those worked the other way (a key on paper from every
    digit kept; a key that keeps every digit from every value rounded to `decimals`), in units
    of the last decimal: a careful student who works the other way differs by at most that
    much, so a grader accepts that. `kind`: the key's arithmetic."""
    units = max(drifts(key_values, measured, blanks, decimals).values(), default=1)
    return TOLERANCE[kind].format(decimals=decimals, units=units)


NOISE = Decimal("1e-9")  # a drift's units are read to this, then rounded up


def drifts(
    key_values: tuple[tuple[str, float | str], ...],
    measured: tuple[tuple[str, float | str], ...],
    blanks: list[Question],
    decimals: int,
) -> dict[str, int]:
    """Each blank's distance from the same answer worked the other way (tolerance's measure),
    in units of the last decimal, rounded up, at least 1."""
    values = dict(measured)
    key = dict(key_values)  # exact arithmetic keeps fractions as JSON does: "6/5"
    unit = Decimal(1).scaleb(-decimals)
    out = {}
    for q in blanks:
        if q.key not in values:
            out[q.key] = 1
            continue
        far = abs(float(Fraction(key[q.key])) - float(Fraction(values[q.key])))
        # in units, past float noise (0.25 − 0.2493 is 7.000000000000062 units, not 8)
        if not math.isfinite(far):
            out[q.key] = 1
            continue
        with localcontext() as room:  # every digit of a drift of any size
            room.prec = max(28, Decimal(repr(far)).adjusted() + decimals + 12)
            units = (Decimal(repr(far)) / unit).quantize(NOISE)
            out[q.key] = max(1, int(units.to_integral_value(ROUND_CEILING)))
    return out


# The graders' note, by the key's arithmetic: how the key was worked, and the other way.
_ON_PAPER = (
    "Every answer is worked to {decimals} decimals, each value rounded half up as the sheet "
    "asks. Keeping all the calculator's digits instead changes an answer by at most {units} in "
    "its last decimal place here, and rounding at other steps by about as much, so accept "
    "answers within ±{units} there."
)
_EVERY_DIGIT = (
    "Every answer is worked {how} and rounded to {{decimals}} decimals at the end, as the sheet "
    "asks. Rounding each value to {{decimals}} decimals as it is worked out instead changes an "
    "answer by at most {{units}} in its last decimal place here, so accept answers within "
    "±{{units}} there."
)
TOLERANCE = {
    "paper": _ON_PAPER,
    "float64": _EVERY_DIGIT.format(how="with every digit kept"),
    "exact": _EVERY_DIGIT.format(how="exactly, in fractions,"),
}
