"""Stage 1, load (claims): the numbers a source prints, as a scenario's `[claims]` table has them.

A claim keeps the printed text, so its digits are known: `"w5@1" = "0.3595"`, or with a note
`{ value = "0.3595", note = "Figure 3" }`, or several printed values for one quantity as a list.
A scenario that checks the numbers of more than one work names each claim's work with `source`
(`{ value = "0.3595", source = "Matt Mazur, …" }`); a claim without one is the scenario's own
`source`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from explainer.foundation.errors import ScenarioError
from explainer.foundation.limits import Limits
from explainer.read.expressions import Node, names, parse_at
from explainer.read.reader import Reader


@dataclass(frozen=True)
class Claim:
    """A number as a textbook or article prints it, kept as text so its digits are known."""

    key: str  # a JSON key: w5@1, E_total@10000, target_o2, dE_total/dw5
    printed: str  # "0.3595"
    note: str  # where it appears: "Figure 3", "the updated weights"
    # The source's own working, when it prints one: an expression of named operands, each with
    # the value the source prints for it ("out_h1 * (1 - out_h1) * w5", out_h1 = "0.593", …).
    work: Node | None = None
    operands: tuple[tuple[str, str, str], ...] = ()  # (name in work, key, printed)
    source: str = ""  # the work that prints it, as a page names it; "": the scenario's `source`


PRINTED = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
# A key as quantities.py makes them: a name (with up to two underscores: a RESERVED prefix before
# a name that has one, share_w_5), a partial d<of>/d<by>, or a change Δw5 (U+0394); then @k.
_KEY = r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+){0,2}"
# a value, a change, a first derivative d<of>/d<by> or a second d2<of>/d<a>/d<b>, at a step;
# or, with a training set, #r: row r as that epoch meets it (out_o1@2#3, before its update)
# or a Jacobian entry J_<wire>/<leaf>, or one gate's share d<f>/d<g>*d<g>/d<x> of the gradient
# of a wire that feeds several
# or a training-set row's output after k epochs, out_o1#3@2
CLAIM_KEY = re.compile(
    rf"(?:d{_KEY}/d{_KEY}(?:\*d{_KEY}/d{_KEY})?|d2{_KEY}/d{_KEY}/d{_KEY}|J_{_KEY}/{_KEY}|Δ?{_KEY}"
    r"|" + _KEY + r"#(?P<row>[0-9]+)(?=@[0-9]+$))"
    r"(?:@(?P<step>[0-9]+)(?:#(?P<inside>[0-9]+))?)?"
)


def read_claims(top: Reader, limits: Limits) -> tuple[Claim, ...]:
    r = top.sub("claims", tuple(top.table.get("claims", {}) or ()))
    claims: list[Claim] = []
    for key, raw in r.table.items():
        where = r.key(key)
        _check_key(r, where, key, limits)
        note: str = ""
        source: str = ""
        work: Node | None = None
        operands: Operands = ()
        if isinstance(raw, dict):
            entry = Reader(r.file, raw, where, ("value", "note", "source", "work", "operands"))
            raw, note = entry.table.get("value"), entry.get("note", entry.line, "")
            source = entry.get("source", entry.line, "")
            work, operands = _working(entry, limits)
            where = entry.key("value")
            if raw is None:
                raise ScenarioError(r.file, where, "a printed number or a list of them", "nothing")
        # several printed values for one quantity (the source prints it twice, differently)
        values = raw if isinstance(raw, list) else [raw]
        if not values:
            raise ScenarioError(r.file, where, "at least one printed value", "an empty list")
        if len(claims) + len(values) > limits.claims:
            raise limits.exceeded(
                r.file, where, "claims", "printed numbers", len(claims) + len(values)
            )
        for i, value in enumerate(values):
            at = f"{where}[{i}]" if isinstance(raw, list) else where
            printed = _printed(r, at, value, limits)
            claims.append(Claim(key, printed, note, work, operands, source))
    return tuple(claims)


def _check_key(r: Reader, where: str, key: str, limits: Limits) -> None:
    """A claim's key: one quantities.py makes, its step within the limits, its rows from 1."""
    m = CLAIM_KEY.fullmatch(key)
    if not m:
        raise ScenarioError(
            r.file,
            where,
            "a quantity's key such as w5, w5@1, Δw5@1, dE_total/dw5, d2L/dw/db or out_o1@2#3",
            repr(key),
        )
    if m["step"]:
        limits.step(r.file, where, m["step"], "a claimed step")
    if m["inside"] and (int(m["step"]) < 1 or int(m["inside"]) < 1):
        raise ScenarioError(
            r.file,
            where,
            "an epoch and a training-set row, each counted from 1 (out_o1@1#1: the first "
            "row as the first epoch meets it)",
            repr(key),
        )
    if m["row"] and int(m["row"]) < 1:
        raise ScenarioError(
            r.file,
            where,
            "a training-set row counted from 1 (out_o1#1@5: the first row's output after 5 epochs)",
            repr(key),
        )


Operands = tuple[tuple[str, str, str], ...]


def _working(entry: Reader, limits: Limits) -> tuple[Node | None, Operands]:
    """`work`, the source's arithmetic as an expression of named operands, and `operands`,
    the value the source prints for each name (read by the graph grammar, never evaluated)."""
    if "work" not in entry.table:
        if "operands" in entry.table:
            raise ScenarioError(
                entry.file, entry.key("operands"), "operands with a work", "no work"
            )
        return None, ()
    where = entry.key("work")
    node = parse_at(entry.file, where, entry.line(where, entry.table["work"]), limits)
    table = entry.sub("operands", tuple(entry.table.get("operands", {}) or ()))
    operands: dict[str, tuple[str, str]] = {}  # name in work → (key, printed)
    for name, value in table.table.items():
        key, at = name, table.key(name)
        if isinstance(value, dict):  # a key a name cannot spell: { key = "dE_total/dw5", … }
            one = Reader(entry.file, value, at, ("key", "value"))
            key, value, at = (
                one.get("key", one.string),
                one.get("value", one.string),
                one.key("value"),
            )
        if not CLAIM_KEY.fullmatch(key):
            raise ScenarioError(entry.file, table.key(name), "a quantity's key", repr(key))
        operands[name] = (key, _printed(table, at, value, limits))
    missing = [n for n in names(node) if n not in operands]
    if missing:
        raise ScenarioError(
            entry.file, table.key(missing[0]), "the printed value of each name in work", "nothing"
        )
    return node, tuple((name, *kp) for name, kp in operands.items())


def _printed(r: Reader, where: str, raw: object, limits: Limits) -> str:
    """A printed number, kept as the text the source prints."""
    printed = r.string(where, raw)
    if not PRINTED.fullmatch(printed):
        raise ScenarioError(
            r.file, where, 'a number as printed, in quotes ("0.3595")', repr(printed)[:80]
        )
    limits.printed(r.file, where, printed, "a printed value")
    return printed


def claim_where(key: str) -> str:
    """A claim's key path as error messages write it: claims."w5@1"."""
    return Reader("", {}, "claims", ()).key(key)
