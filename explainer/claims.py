"""Stage 1, load (claims): the numbers a source prints, as a scenario's `[claims]` table has them.

A claim keeps the printed text, so its digits are known: `"w5@1" = "0.3595"`, or with a note
`{ value = "0.3595", note = "Figure 3" }`, or several printed values for one quantity as a list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from explainer.errors import ScenarioError
from explainer.limits import Limits
from explainer.reader import Reader


@dataclass(frozen=True)
class Claim:
    """A number as a textbook or article prints it, kept as text so its digits are known."""

    key: str  # a JSON key: w5@1, E_total@10000, target_o2, dE_total/dw5
    printed: str  # "0.3595"
    note: str  # where it appears: "Figure 3", "the updated weights"


PRINTED = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_KEY = r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)?"
CLAIM_KEY = re.compile(rf"(?:d{_KEY}/d{_KEY}|{_KEY})(?:@([0-9]+))?")


def read_claims(top: Reader, limits: Limits) -> tuple[Claim, ...]:
    r = top.sub("claims", tuple(top.table.get("claims", {}) or ()))
    claims = []
    for key, raw in r.table.items():
        where = r.key(key)
        m = CLAIM_KEY.fullmatch(key)
        if not m:
            raise ScenarioError(
                r.file, where, "a quantity's key such as w5, w5@1 or dE_total/dw5", repr(key)
            )
        if m.group(1) and int(m.group(1)) > limits.steps:
            raise limits.exceeded(r.file, where, "steps", "a claimed step", int(m.group(1)))
        note = ""
        if isinstance(raw, dict):
            entry = Reader(r.file, raw, where, ("value", "note"))
            raw, note = entry.table.get("value"), entry.get("note", entry.line, "")
            where = entry.key("value")
            if raw is None:
                raise ScenarioError(r.file, where, "a printed number or a list of them", "nothing")
        # several printed values for one quantity (the source prints it twice, differently)
        values = raw if isinstance(raw, list) else [raw]
        if not values:
            raise ScenarioError(r.file, where, "at least one printed value", "an empty list")
        for i, value in enumerate(values):
            at = f"{where}[{i}]" if isinstance(raw, list) else where
            claims.append(Claim(key, _printed(r, at, value, limits), note))
    return tuple(claims)


def _printed(r: Reader, where: str, raw: object, limits: Limits) -> str:
    """A printed number, kept as the text the source prints."""
    printed = r.string(where, raw)
    if not PRINTED.fullmatch(printed):
        raise ScenarioError(
            r.file, where, 'a number as printed, in quotes ("0.3595")', repr(printed)[:80]
        )
    mantissa, _, exponent = printed.lower().partition("e")
    digits = sum(c.isdigit() for c in mantissa)
    if digits > limits.printed_digits:
        raise limits.exceeded(r.file, where, "printed_digits", "a printed value", digits)
    if exponent and abs(int(exponent)) > limits.exponent:
        raise limits.exceeded(r.file, where, "exponent", "an exponent", int(exponent))
    return printed


def claim_where(key: str) -> str:
    """A claim's key path as error messages write it: claims."w5@1"."""
    return Reader("", {}, "claims", ()).key(key)
