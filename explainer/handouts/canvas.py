"""Stage 8, export (course platforms: Canvas classic quizzes): a handout's variants as a QTI 1.2
package, canvas.zip, as Canvas's "QTI .zip file" import reads it: imsmanifest.xml and one
assessment (a quiz) per variant, each blank a `numerical_question`.

Canvas's numerical question holds one answer; it is written as Canvas itself exports one
"exact answer with margin": the key's answer, or any answer between the answer ∓ the tolerance
of answers.csv (`vargte`/`varlte`, both ends included), for the blank's points. The question
text is the variant's givens and the blank's line of the key, the math TeX between \\( \\), as
Canvas's MathJax renders it. Canvas's trap: it stores a number below 0.0001 in magnitude as 0,
so a bound that small (a tolerance of 1e-5, an answer of 0.00004) would silently change the
question; such a sheet is refused with a message saying why. The zip has fixed dates and order.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from decimal import Decimal

from explainer.foundation.errors import UsageError
from explainer.handouts import moodle, qti
from explainer.handouts.sheet import Question, Sheet

QTI12 = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
LOCATION = f"{QTI12} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"
SMALLEST = Decimal("0.0001")  # Canvas stores a number smaller than this in magnitude as 0


def bounds(q: Question, tolerance: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """The key's answer and the range accepted around it."""
    answer = Decimal(q.answer.replace("−", "-"))
    return answer, answer - tolerance, answer + tolerance


def _refuse_small(sheets: Sequence[Sheet]) -> None:
    for sheet in sheets:
        for q in sheet.blanks:
            for x in (*bounds(q, sheet.accepted), sheet.accepted):  # the margin is stored too
                if x and abs(x) < SMALLEST:
                    raise UsageError(
                        f"--export canvas: variant {sheet.variant}, blank ({q.number}): Canvas "
                        f"stores a number below 0.0001 as 0, so {x:f} (the key's answer, its "
                        f"tolerance or a bound) would change the question; make the handout with "
                        f"at most 4 decimals (--arithmetic paper:4) or give this blank (a "
                        f"quantity that small) in other units"
                    )


def _field(parent: ET.Element, label: str, entry: str) -> None:
    f = ET.SubElement(parent, "qtimetadatafield")
    ET.SubElement(f, "fieldlabel").text = label
    ET.SubElement(f, "fieldentry").text = entry


def _math(latex: str) -> str:
    return f"\\({html.escape(latex, quote=False)}\\)"


def question_text(sheet: Sheet, q: Question) -> str:
    givens = ", ".join(_math(f"{symbol} = {value}") for symbol, value in sheet.givens)
    line = _math(f"{q.symbol} = {q.formula}" if q.formula else q.symbol)
    return (
        f"<p>Variant {html.escape(sheet.variant)}. Given: {givens}.</p>"
        f"<p>({q.number}) {line}</p><p>{html.escape(sheet.instructions)}</p>"
    )


def assessment(name: str, sheet: Sheet) -> str:
    """One variant's sheet as a Canvas quiz: a numerical question per blank."""
    root = ET.Element(
        "questestinterop",
        {
            "xmlns": QTI12,
            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xsi:schemaLocation": LOCATION,
        },
    )
    ident = moodle.identifier(name, sheet)
    quiz = ET.SubElement(
        root, "assessment", {"ident": ident, "title": f"{sheet.title}: {sheet.variant}"}
    )
    _field(ET.SubElement(quiz, "qtimetadata"), "cc_maxattempts", "1")
    section = ET.SubElement(quiz, "section", {"ident": "root_section"})
    for q in sheet.blanks:
        item = ET.SubElement(
            section, "item", {"ident": f"{ident}-{q.number}", "title": f"({q.number})"}
        )
        meta = ET.SubElement(ET.SubElement(item, "itemmetadata"), "qtimetadata")
        _field(meta, "question_type", "numerical_question")
        _field(meta, "points_possible", f"{qti.points(q):f}")
        presentation = ET.SubElement(item, "presentation")
        text = ET.SubElement(
            ET.SubElement(presentation, "material"), "mattext", {"texttype": "text/html"}
        )
        text.text = question_text(sheet, q)
        response = ET.SubElement(
            presentation, "response_str", {"ident": "response1", "rcardinality": "Single"}
        )
        fib = ET.SubElement(response, "render_fib", {"fibtype": "Decimal"})
        ET.SubElement(fib, "response_label", {"ident": "answer1"})
        processing = ET.SubElement(item, "resprocessing")
        ET.SubElement(
            ET.SubElement(processing, "outcomes"),
            "decvar",
            {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"},
        )
        condition = ET.SubElement(processing, "respcondition", {"continue": "No"})
        either = ET.SubElement(ET.SubElement(condition, "conditionvar"), "or")
        answer, low, high = bounds(q, sheet.accepted)
        ET.SubElement(either, "varequal", {"respident": "response1"}).text = f"{answer:f}"
        both = ET.SubElement(either, "and")
        ET.SubElement(both, "vargte", {"respident": "response1"}).text = f"{low:f}"
        ET.SubElement(both, "varlte", {"respident": "response1"}).text = f"{high:f}"
        ET.SubElement(condition, "setvar", {"action": "Set", "varname": "SCORE"}).text = "100"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def manifest(name: str, sheets: Sequence[Sheet]) -> str:
    ET.register_namespace("", qti.CP)
    root = ET.Element(f"{{{qti.CP}}}manifest", {"identifier": f"{name}-canvas"})
    ET.SubElement(root, f"{{{qti.CP}}}organizations")
    resources = ET.SubElement(root, f"{{{qti.CP}}}resources")
    for sheet in sheets:
        ident = moodle.identifier(name, sheet)
        href = f"{ident}/{ident}.xml"
        r = ET.SubElement(
            resources,
            f"{{{qti.CP}}}resource",
            {"identifier": ident, "type": "imsqti_xmlv1p2", "href": href},
        )
        ET.SubElement(r, f"{{{qti.CP}}}file", {"href": href})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def package(name: str, sheets: Sequence[Sheet]) -> bytes:
    """canvas.zip: the manifest, then a quiz per variant."""
    _refuse_small(sheets)
    qti.checked_points(sheets, "canvas")
    files = {"imsmanifest.xml": manifest(name, sheets)}
    for s in sheets:
        ident = moodle.identifier(name, s)
        files[f"{ident}/{ident}.xml"] = assessment(name, s)
    return qti.zipped(files)
