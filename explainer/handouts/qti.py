"""Stage 8, export (course platforms: QTI 2.1): a handout's variants as an IMS content package,
qti.zip: imsmanifest.xml and one assessmentItem per variant (items/<variant>.xml).

Each item is the sheet: its givens, then a table per part, a row per quantity (the math as
MathML, which QTI 2.1 item bodies embed), each blank a textEntryInteraction of base type float.
Response processing adds a blank's points to SCORE when the answer equals the key's within the
tolerance answers.csv states (`<equal toleranceMode="absolute" tolerance="t t">`, both bounds
included); an empty answer is NULL and scores nothing. MAXSCORE is the sheet's points. The zip
is written with fixed dates and in a fixed order: the same handout, the same bytes.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from decimal import Decimal
from types import ModuleType

from explainer.handouts import moodle
from explainer.handouts.sheet import Question, Sheet

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
LOCATION = f"{QTI} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
MATHML = "http://www.w3.org/1998/Math/MathML"
STAMP = (1980, 1, 1, 0, 0, 0)  # every entry's date: a zip's earliest, the same on every run


def response(q: Question) -> str:
    return f"RESPONSE_{q.number}"


def points(q: Question) -> Decimal:
    """A blank's points as the sheet gives them; 1 each where no blank has any (every blank
    then weighs the same). A sheet with some blanks worth points and some not is refused
    before (`checked_points`)."""
    return Decimal(repr(q.points)).normalize() if q.points else Decimal(1)


def checked_points(sheets: Sequence[Sheet], platform: str) -> None:
    """Every blank worth points, or none: a blank a platform scores counts for something."""
    moodle.weights(sheets, platform)


def _mathml() -> ModuleType:
    from explainer.render import mathml  # slow to import: the exports that need it only

    return mathml


def _math(parent: ET.Element, latex: str) -> None:
    """MathML of the page's own converter, in the item body."""
    parent.append(ET.fromstring(_mathml().inline(latex)))


def item(name: str, sheet: Sheet) -> str:
    """One variant's sheet as a QTI 2.1 assessmentItem."""
    ET.register_namespace("", QTI)
    ET.register_namespace("m", MATHML)
    root = ET.Element(
        f"{{{QTI}}}assessmentItem",
        {
            f"{{{XSI}}}schemaLocation": LOCATION,
            "identifier": moodle.identifier(name, sheet),
            "title": f"{sheet.title}: variant {sheet.variant}",
            "adaptive": "false",
            "timeDependent": "false",
        },
    )
    tolerance = f"{sheet.accepted:f}"
    for q in sheet.blanks:
        r = _el(root, "responseDeclaration", identifier=response(q), cardinality="single")
        r.set("baseType", "float")
        _el(_el(r, "correctResponse"), "value").text = q.answer.replace("−", "-")
    for outcome, value in (("SCORE", "0"), ("MAXSCORE", _total(sheet))):
        o = _el(root, "outcomeDeclaration", identifier=outcome, cardinality="single")
        o.set("baseType", "float")
        _el(_el(o, "defaultValue"), "value").text = value
    _body(_el(root, "itemBody"), sheet)
    processing = _el(root, "responseProcessing")
    for q in sheet.blanks:
        test = _el(_el(processing, "responseCondition"), "responseIf")
        equal = _el(test, "equal", toleranceMode="absolute", tolerance=f"{tolerance} {tolerance}")
        _el(equal, "variable", identifier=response(q))
        _el(equal, "correct", identifier=response(q))
        total = _el(_el(test, "setOutcomeValue", identifier="SCORE"), "sum")
        _el(total, "variable", identifier="SCORE")
        _el(total, "baseValue", baseType="float").text = f"{points(q):f}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _total(sheet: Sheet) -> str:
    return f"{sum((points(q) for q in sheet.blanks), start=Decimal(0)):f}"


def _el(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{QTI}}}{tag}", attrs)


def _body(body: ET.Element, sheet: Sheet) -> None:
    """The sheet's instructions, givens and tables."""
    _el(body, "p").text = sheet.instructions
    given = _el(body, "p")
    given.text = "Given: "
    for i, (symbol, value) in enumerate(sheet.givens):
        _math(given, f"{symbol} = {value}")
        given[-1].tail = ", " if i < len(sheet.givens) - 1 else "."
    longest = max((len(b.answer) for b in sheet.blanks), default=0)  # one width for all
    for part in sheet.parts:
        _el(body, "h4").text = part.title
        table = _el(body, "table")
        head = _el(_el(table, "thead"), "tr")
        for title in ("quantity", "computed from", "value"):
            _el(head, "th").text = title
        rows = _el(table, "tbody")
        for q in part.questions:
            tr = _el(rows, "tr")
            _math(_el(tr, "td"), q.symbol)
            formula = _el(tr, "td")
            if q.formula:
                _math(formula, q.formula)
            cell = _el(tr, "td")
            if q.blank:
                cell.text = f"({q.number}) "
                entry = _el(cell, "textEntryInteraction", responseIdentifier=response(q))
                entry.set("expectedLength", str(longest + 2))
            else:
                _math(cell, q.answer)


def manifest(name: str, sheets: Sequence[Sheet]) -> str:
    """The content package's manifest: one resource per item."""
    ET.register_namespace("", CP)
    root = ET.Element(f"{{{CP}}}manifest", {"identifier": f"{name}-manifest"})
    ET.SubElement(root, f"{{{CP}}}organizations")
    resources = ET.SubElement(root, f"{{{CP}}}resources")
    for sheet in sheets:
        href = f"items/{sheet.variant}.xml"
        r = ET.SubElement(
            resources,
            f"{{{CP}}}resource",
            {
                "identifier": moodle.identifier(name, sheet),
                "type": "imsqti_item_xmlv2p1",
                "href": href,
            },
        )
        ET.SubElement(r, f"{{{CP}}}file", {"href": href})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def package(name: str, sheets: Sequence[Sheet]) -> bytes:
    """qti.zip: the manifest, then the items in the variants' order."""
    checked_points(sheets, "qti")
    files = {"imsmanifest.xml": manifest(name, sheets)}
    files |= {f"items/{s.variant}.xml": item(name, s) for s in sheets}
    return zipped(files)


def zipped(files: dict[str, str]) -> bytes:
    """A zip of these texts (UTF-8) in this order, every entry dated STAMP: the same files,
    the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path, text in files.items():
            info = zipfile.ZipInfo(path, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, text.encode("utf-8"))
    return out.getvalue()
