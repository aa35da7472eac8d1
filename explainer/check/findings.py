"""Stage 5, check (findings): findings of a verification and how they are said: as a terminal
table, as JSON, in words.

Kept apart from `verify.py` (which recomputes) so that the page builder can word findings without
depending on the recomputation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from explainer.read.claims import Claim


@dataclass(frozen=True)
class Finding:
    claim: Claim
    computed: float | None  # None: the scenario defines no such quantity
    shown: str  # the computed value at the printed number of decimals
    reproduced: bool
    explained_by: tuple[str, ...]  # every alternative that reproduces it, simplest first
    nearest: tuple[tuple[str, str], ...]  # (alternative, its value) when none reproduces it
    remark: str = ""  # for a printed input: which of the author's other numbers it contradicts
    working: str = ""  # the source's own working, checked (claims that print one)
    caution: str = ""  # several causes give the number: which fit it only by coincidence
    given: bool = False  # a printed input (input, target, initial parameter): given, not computed
    # For a printed input that differs from the value used here: the printed numbers (of any
    # source) that follow from the value used here and not from the printed one.
    contradicts: tuple[Claim, ...] = ()
    ulps: int = 0  # printed at float64's full length, this many doubles from the value here

    @property
    def diagnosis(self) -> str:
        """The verdict in words, with its cause: what `explainer verify` prints for it."""
        return diagnosis(self)


def as_dict(f: Finding) -> dict[str, Any]:
    return {
        "key": f.claim.key,
        "published": f.claim.printed,
        "note": f.claim.note,
        "source": f.claim.source,
        "input": f.given,
        "computed": f.computed,
        "computed_at_printed_digits": f.shown,
        "verdict": "reproduced" if f.reproduced else "not reproduced",
        "explained_by": list(f.explained_by),
        "nearest": [{"alternative": what, "value": value} for what, value in f.nearest],
        "remark": f.remark,
        "working": f.working,
        "caution": f.caution,
        "float64_ulps": f.ulps,
    }


def diagnosis(f: Finding) -> str:
    """The finding in words, for the terminal and the page."""
    if f.reproduced:
        return "reproduced" + "".join(f"; {x}" for x in (agreement(f), f.working) if x)
    if f.computed is None:
        return "the scenario computes no quantity of that name"
    if f.explained_by:
        words = "not reproduced; reproduced by " + "; or by ".join(f.explained_by)
        return words + "".join(f"; {x}" for x in (f.caution, f.working) if x)
    words = "not reproduced by any alternative tried"
    if f.nearest:
        words += "; nearest: " + "; ".join(f"{what} gives {v}" for what, v in f.nearest)
    return words + "".join(f"; {x}" for x in (f.remark, f.working) if x)


def agreement(f: Finding) -> str:
    """What a full-length float64 number a few doubles away is: the same number, summed in
    another order (never a truncation or a wrong value)."""
    if not f.ulps:
        return ""
    unit = "ulp" if f.ulps == 1 else "ulps"
    return (
        f"agrees to float64 rounding ({f.ulps} {unit}): the same number, its sums taken in "
        "another order"
    )


def contradiction(claim: Claim, used: float, broken: tuple[Claim, ...] | None) -> str:
    """A printed input against the numbers that follow from the value used here and not from
    the printed one, each credited to its own source; `broken` None: with the printed value the
    numbers overflow or are undefined."""
    if broken is None:
        return f"with {claim.key} = {claim.printed} the numbers overflow or are undefined"
    if not broken:
        return ""
    own = ", ".join(f"{c.key} = {c.printed}" for c in broken if c.source == claim.source)
    listed = [f"its source's own {own}"] if own else []
    listed += [
        f"{c.key} = {c.printed} ({c.source or SCENARIO_SOURCE})"
        for c in broken
        if c.source != claim.source
    ]
    return (
        f"with {claim.key} = {claim.printed}, {' and '.join(listed)} would not follow; "
        f"they follow from {claim.key} = {used:g}, the value used here"
    )


SCENARIO_SOURCE = "the scenario's source"  # a claim without a `source` of its own


def table(name: str, findings: tuple[Finding, ...]) -> str:
    rows = [("quantity", "published", "computed", "verdict")]
    rows += [
        (f.claim.key, f.claim.printed, f.shown, "reproduced" if f.reproduced else "NOT reproduced")
        for f in findings
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    if not findings:
        return f"{name}: no printed numbers to check (the scenario has no [claims])\n"
    lines = [f"{name}: {sum(f.reproduced for f in findings)} of {len(findings)} reproduced"]
    lines += [
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    lines += [f"  {f.claim.key}: {diagnosis(f)}" for f in findings if not f.reproduced or f.working]
    return "\n".join(lines) + "\n"
