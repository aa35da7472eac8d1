"""Stage 4, check (an article's numbers): every number an article prints, placed at the
scenario quantity it prints, ready to be claimed and verified.

A number is found where it has a decimal point or an exponent (an integer is a step, a count or a
year as often as a quantity). It is placed by what it is and where it stands:

1. by value and name: a quantity whose value, rounded (or truncated) to the printed decimals, is
   the printed number, and whose name stands beside it ("w5 = 0.3589"; names compared without
   case, underscores, braces or spaces, ∂ read as d, a target also as t1, an input as x1);
2. by the name it is set equal to ("T2=0.22"), where its value is no value of that quantity: the
   named quantity nearest to it (a wrong number placed at what it tried to be, for verify to
   diagnose: "w5=0.3595" at w5@1), before any other quantity its value happens to round to;
3. by value alone, where one quantity gives it, or one quantity at several steps (the last of
   them: a training that has settled prints its limit); a number of one significant digit is
   too short to be placed by value alone.

Anything else is listed as not placed, or as placed more than one way, with the candidates. A
quantity printed twice is claimed once, where it has the most digits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from explainer.check.printed import at_places, rounds_to
from explainer.foundation.errors import ScenarioError
from explainer.foundation.limits import DEFAULT, Limits
from explainer.read.article import Article
from explainer.read.scenario import AnyScenario, Scenario

# a printed number: a decimal point or an exponent, a minus sign (ASCII or U+2212) kept
NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-−]?)(?P<body>\d++\.\d++|\.\d++|\d++(?:\.\d++)?[eE][-+−]?\d++)"
    r"(?![\w.]*+\d)"
)
NAME = re.compile(r"[A-Za-zΔδ∂][A-Za-z0-9_{}₀-₉/∂]*")
# a name and the number it names: "w5 = ", "(o1) is ", "w5: ", "w5 ≈ "
BESIDE = re.compile(
    r"(?P<name>[A-Za-zΔδ∂][A-Za-z0-9_{}₀-₉/∂]*)[*)\]]*\s*(?:=|:|≈|is|was|becomes|equals|of)?\s*\**$"
)
# a name that the number is set equal to, "T2=0.22", "w5 = " (not "a(w) = ", a function's value):
# a number that names nothing else is placed by this alone
EQUALS = re.compile(r"(?<![\w(])(?P<name>[A-Za-zΔδ∂][A-Za-z0-9_{}₀-₉/∂]*)\s*[=:≈]\s*\**$")
WINDOW = 40  # characters before a number in which its name may stand
SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
MAX_LISTED = 5  # candidates named in a comment


@dataclass(frozen=True)
class Printed:
    text: str  # as printed, with an ASCII minus: "-0.3595"
    line: int  # from 1
    context: str  # the line around it, for the claim's note
    before: str  # the line's text just before it, where its name may stand

    @property
    def significant(self) -> int:
        return len(Decimal(self.text).normalize().as_tuple().digits)


@dataclass(frozen=True)
class Placed:
    number: Printed
    key: str  # "" where it is not placed
    how: str  # how it was placed, or why not
    others: tuple[str, ...] = ()  # the other candidates, where there were several


def normalized(name: str) -> str:
    """A name as it is compared: w_{5} = w5, E_total = etotal, ∂E/∂w5 = de/dw5."""
    out = name.translate(SUBSCRIPTS).replace("∂", "d").replace("Δ", "δ").lower()
    return re.sub(r"[_{}\\$\s*^]", "", out)


def base(key: str) -> str:
    """A key's quantity without its step or example: w5@1 and w5@1#3 are w5."""
    return re.split(r"[@#]", key, maxsplit=1)[0]


def aliases(key: str, extra: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """The names an article may print a quantity under: its key's, a gradient's with the
    loss's initial (∂E/∂w5 for dE_total/dw5), and `extra`'s for its base (an input's x1)."""
    b = base(key)
    out = {normalized(b), *(normalized(x) for x in extra.get(b, ()))}
    if "/" in b:
        top, _, by = b.partition("/")
        if top.startswith("d") and len(top) > 2:
            out.add(normalized(f"d{top[1]}/{by}"))
    if b.startswith("target_"):
        out.add(normalized("t" + re.sub(r"\D", "", b)))
    prefix, _, neuron = b.partition("_")
    if prefix in ("out", "o") and neuron:  # a neuron's output, written by the neuron's name
        out.add(normalized(neuron))
    return frozenset(out)


def extra_names(s: AnyScenario) -> dict[str, tuple[str, ...]]:
    """Names an article gives a scenario's quantities beyond their keys: a network's inputs as
    x1, x2, … (its targets are t1, t2 by aliases)."""
    if not isinstance(s, Scenario):
        return {}
    return {name: (f"x{i}",) for i, name in enumerate(s.inputs, start=1)}


def numbers(article: Article, limits: Limits = DEFAULT) -> list[Printed]:
    """Every number the article prints, in reading order, within the limits on a printed
    number (`printed_digits`, `exponent`: a longer one is no quantity's)."""
    out = []
    for i, line in enumerate(article.lines):
        n = article.line(i)
        for m in NUMBER.finditer(line):
            text = ("-" if m["sign"] else "") + m["body"].replace("−", "-")
            try:
                limits.printed(article.name, "", text, "a number")
            except ScenarioError:
                continue
            start, end = max(0, m.start() - WINDOW), min(len(line), m.end() + WINDOW)
            context = " ".join(line[start:end].split())
            out.append(Printed(text, n, context, line[start : m.start()]))
    return out


def _matches(x: float, printed: str) -> bool:
    """The printed number is x rounded half up, or truncated, to its decimals."""
    return rounds_to(x, printed) or at_places(x, printed, ROUND_DOWN) == Decimal(printed)


def _step(key: str) -> int:
    at = key.partition("@")[2]
    digits = re.match(r"\d+", at)
    return int(digits.group()) if digits else 0


def place(
    article: Article, values: Mapping[str, object], extra: Mapping[str, Iterable[str]]
) -> list[Placed]:
    """Each printed number placed at a key of `values` (floats; other values are left out), or
    not; then each key kept once, where it is printed with the most digits."""
    numeric = {k: float(v) for k, v in values.items() if isinstance(v, float | int)}
    named: dict[str, set[str]] = {}
    for k in numeric:
        for a in aliases(k, extra):
            named.setdefault(a, set()).add(k)
    out = []
    for p in numbers(article):
        beside, equals = BESIDE.search(p.before), EQUALS.search(p.before)
        near = {normalized(x) for x in NAME.findall(p.before)}
        beside_name = normalized(beside["name"]) if beside else ""
        equals_name = normalized(equals["name"]) if equals else ""
        out.append(_one(p, numeric, named, beside_name, equals_name, near))
    return _once(out)


def _one(
    p: Printed,
    numeric: Mapping[str, float],
    named: Mapping[str, set[str]],
    beside: str,
    equals: str,
    near: set[str],
) -> Placed:
    by_value = [k for k, v in numeric.items() if _matches(v, p.text)]
    right_beside = [k for k in by_value if k in named.get(beside, ())]
    if right_beside:
        return _chosen(p, right_beside, "by its value and the name beside it")
    by_name = set().union(*(named.get(x, set()) for x in near))
    both = [k for k in by_value if k in by_name]
    if both and p.significant >= 2:  # a name further off: the digits must say more
        return _chosen(p, both, "by its value and a name before it")
    if equals in named:  # a wrong number placed at what it tried to be
        family = sorted(named[equals], key=lambda k: (abs(numeric[k] - float(p.text)), k))
        return Placed(p, family[0], "by the name beside it (its value reproduces nothing)")
    if by_value and p.significant >= 2:
        return _chosen(p, by_value, "by its value")
    if by_value:
        listed = tuple(sorted(by_value)[:MAX_LISTED])
        return Placed(p, "", "one significant digit: too short to place by value alone", listed)
    return Placed(p, "", "no quantity of the scenario gives it")


def _chosen(p: Printed, keys: list[str], how: str) -> Placed:
    """One quantity (at its last step, where several steps give the number), or none where
    different quantities give it."""
    families = {base(k) for k in keys}
    if len(families) > 1:
        listed = tuple(sorted(keys)[:MAX_LISTED])
        return Placed(p, "", f"{how}, but more than one quantity gives it", listed)
    last = max(keys, key=lambda k: (_step(k), "#" not in k, k))
    return Placed(p, last, how, tuple(sorted(k for k in keys if k != last)[:MAX_LISTED]))


def _once(placed: list[Placed]) -> list[Placed]:
    """Each key claimed once, where the article prints it with the most significant digits
    (the first of equals); its other places listed as not claimed."""
    best: dict[str, Placed] = {}
    for x in placed:
        if x.key and (x.key not in best or x.number.significant > best[x.key].number.significant):
            best[x.key] = x
    kept = {id(x) for x in best.values()}
    return [
        x
        if not x.key or id(x) in kept
        else Placed(x.number, "", f"{x.key} again, claimed where it has more digits", ())
        for x in placed
    ]


def claims_toml(article: Article, scenario: str, placed: list[Placed]) -> str:
    """The [claims] table of the placed numbers, each with its source and a note quoting the
    article, and a comment for every number not placed."""
    lines = [
        f"# [claims] read from {article.name} for the scenario {scenario} by `explainer claims`:",
        "# each is where the article prints a number; check it, paste the table into the",
        "# scenario and run `explainer verify`. Numbers not placed are listed below it.",
        "[claims]",
    ]
    for x in placed:
        if x.key:
            note = f"“{x.number.context}”; placed {x.how}"
            if x.others:
                note += f" (also {', '.join(x.others)})"
            fields = {
                "value": x.number.text,
                "source": f"{article.name}, line {x.number.line}",
                "note": note,
            }
            inner = ", ".join(f"{k} = {_string(v)}" for k, v in fields.items())
            lines.append(f"{_string(x.key)} = {{ {inner} }}")
    skipped = [x for x in placed if not x.key]
    if skipped:
        lines += ["", "# not placed:"]
        for x in skipped:
            more = f": {', '.join(x.others)}" if x.others else ""
            lines.append(
                f"# line {x.number.line}: {x.number.text} ({x.how}{more}) “{x.number.context}”"
            )
    return "\n".join(lines) + "\n"


def _string(s: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(s, ensure_ascii=False)
