"""Stage 8, export (course platforms: Moodle): a handout's variants as Moodle XML, one Cloze
("embedded answers") question per variant in one category, for a quiz's random question.

Each question is the sheet: its givens, then its table, a row per quantity, each blank a
NUMERICAL field `{w:NUMERICAL:=answer:tolerance}` of the blank's points (scaled to whole
numbers, Cloze's weights) and the tolerance answers.csv states; the math is TeX between \\( \\),
as Moodle's MathJax filter renders it. Moodle's Cloze parser reads `{digits:TYPE:` anywhere in
the text as a field, and a `}` ends it: no math here has a colon after a brace's digits, and a
test holds every text to that.
"""

from __future__ import annotations

import html
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from explainer.foundation.errors import UsageError
from explainer.handouts.sheet import Question, Sheet

CATEGORY = "$course$/top/explainer/{name}"
PENALTY = "0.3333333"  # Moodle's default for a wrong try in an adaptive quiz


def weights(sheets: Sequence[Sheet], platform: str = "moodle") -> dict[float, int]:
    """Each blank's points as a Cloze weight (a whole number): scaled by the least common
    denominator of every blank's points; without points, every blank weighs 1. Some blanks
    with points and some without cannot be weighed in proportion: refused."""
    points = {q.points for sheet in sheets for q in sheet.blanks}
    if points == {0.0} or not points:
        return dict.fromkeys(points, 1)
    if min(points) <= 0:
        raise UsageError(
            f"--export {platform}: some blanks have points and some have none "
            "([handout.points]); a course platform's blank weighs more than nothing, so give "
            "every blank its points"
        )
    scale = math.lcm(*(Fraction(p).limit_denominator(1000).denominator for p in points))
    return {p: int(Fraction(p).limit_denominator(1000) * scale) for p in points}


def identifier(name: str, sheet: Sheet) -> str:
    """A variant's identifier on a course platform: the scenario, the seed and the variant,
    so a second handout of the same scenario (another seed) does not overwrite the first."""
    seed = f"-s{sheet.seed}" if sheet.seed is not None else ""
    return f"{name}{seed}-{sheet.variant}"


def field(q: Question, tolerance: Decimal, weight: int) -> str:
    """A blank as a Cloze NUMERICAL field: its weight, the key's answer, the tolerance."""
    return f"{{{weight}:NUMERICAL:={q.answer}:{tolerance:f}}}"


def _math(latex: str) -> str:
    return f"\\({html.escape(latex, quote=False)}\\)"


def question_text(sheet: Sheet, weight: dict[float, int]) -> str:
    """The sheet as the question's HTML: instructions, givens, and each part's table."""
    givens = ", ".join(_math(f"{symbol} = {value}") for symbol, value in sheet.givens)
    out = [
        f"<p>{html.escape(sheet.instructions)}</p>",
        f"<p>Given: {givens}.</p>",
    ]
    for part in sheet.parts:
        rows = []
        for q in part.questions:
            if q.blank:
                cell = f"({q.number}) " + field(q, sheet.accepted, weight[q.points])
            else:
                cell = _math(q.answer)
            formula = _math(q.formula) if q.formula else ""
            rows.append(f"<tr><td>{_math(q.symbol)}</td><td>{formula}</td><td>{cell}</td></tr>")
        out.append(
            f"<h4>{html.escape(part.title)}</h4><table><tr><th>quantity</th><th>computed from"
            f"</th><th>value</th></tr>{''.join(rows)}</table>"
        )
    return "\n".join(out)


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, attrs)
    ET.SubElement(node, "text").text = text
    return node


def quiz(name: str, sheets: Sequence[Sheet]) -> str:
    """The Moodle XML of the variants' sheets: a category named after the scenario, then one
    Cloze question per variant (idnumber `<scenario>-s<seed>-<variant>`)."""
    root = ET.Element("quiz")
    category = ET.SubElement(root, "question", {"type": "category"})
    _text(category, "category", CATEGORY.format(name=name))
    weight = weights(sheets)
    for sheet in sheets:
        q = ET.SubElement(root, "question", {"type": "cloze"})
        who = f" ({sheet.student})" if sheet.student else ""
        _text(q, "name", f"{sheet.title}: variant {sheet.variant}{who}")
        _text(q, "questiontext", question_text(sheet, weight), format="html")
        _text(q, "generalfeedback", html.escape(sheet.tolerance), format="html")
        ET.SubElement(q, "penalty").text = PENALTY
        ET.SubElement(q, "hidden").text = "0"
        ET.SubElement(
            q, "idnumber"
        ).text = f"{name}{f'-s{sheet.seed}' if sheet.seed is not None else ''}-{sheet.variant}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
