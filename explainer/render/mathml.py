"""Stage 8, render (MathML): LaTeX → MathML for the HTML page: the view model's math strings, as
browsers render natively.

latex2mathml converts one formula; it does not lay out `aligned` rows (it prints `&` as an
identifier and `\\` as a line break MathML Core ignores), and browsers ignore text-align inside
<mtd>. So a display is an HTML table of display-style formulas: one row per line, the left side
right-aligned, the relation and right side left-aligned, and the equation tag in its own last
column, as amsmath's align places them.
latex2mathml writes every minus as an infix <mo>, spaced as a binary operator even where it is a
sign ("= − 0.217"); a minus with no operand before it is a sign, as TeX decides: joined to the
number it negates (<mn>−0.217</mn>), else set tight before what it negates.
The LaTeX comes from our own notation module and allow-listed symbols, never from free text.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from functools import lru_cache

from latex2mathml.converter import convert

from explainer.foundation.errors import NotationError

NAMESPACE = "http://www.w3.org/1998/Math/MathML"
MINUS = "\u2212"
CLOSING = frozenset(")]}\u27e9\u230b\u2309")  # an operand ends at these: a minus after is binary
BARS = frozenset("|\u2016")  # |x| and ‖x‖: a bar closes when an odd number of bars precede it


@lru_cache(maxsize=4096)
def _row(latex: str) -> str:
    """One formula as the children of a <math> element (the wrapper stripped)."""
    return "".join(_serialized(list(_tree(latex))))


def _tree(latex: str) -> ET.Element:
    """The formula as a <math> element with no namespace, its signs tightened."""
    if not latex.strip():
        return ET.fromstring("<math><mrow></mrow></math>")
    try:
        out = convert(latex)
        root = ET.fromstring(f"<math>{out[out.index('>') + 1 : out.rindex('</math>')]}</math>")
    except Exception as e:  # latex2mathml raises its own exception types for malformed input
        raise NotationError(f"this formula cannot be written as MathML ({e}): {latex}") from e
    _tighten(root)
    _fences(root)
    return root


TALL = frozenset({"mfrac", "munderover", "munder", "mover", "mtable"})


def _fences(parent: ET.Element) -> None:
    """\\left( … \\right) as TeX sets them: no space inside the brackets, and brackets of
    the text's own size around anything no taller than a line. latex2mathml makes every such
    fence stretchy, and Chromium sets a stretched bracket apart from what it holds."""
    for group in parent.iter("mrow"):
        fences = [c for c in group if c.tag == "mo" and c.get("fence") == "true"]
        if not fences:
            continue
        tall = any(e.tag in TALL for c in group for e in c.iter())
        for f in fences:
            f.attrib.update(lspace="0", rspace="0")
            if not tall:
                f.set("stretchy", "false")


def _serialized(elements: list[ET.Element]) -> list[str]:
    # Explicit end tags: an HTML parser honours <x/> in MathML, but the page stays plain XML too.
    return [ET.tostring(e, encoding="unicode", short_empty_elements=False) for e in elements]


def _tighten(parent: ET.Element) -> None:
    """Every sign minus below `parent`: merged into the <mn> it negates, else made a prefix
    operator with no space either side."""
    children = list(parent)
    for child in children:
        _tighten(child)
    for i, child in enumerate(children):
        if child.tag != "mo" or child.text != MINUS or not _is_sign(children, i):
            continue
        after = children[i + 1] if i + 1 < len(children) else None
        if after is not None and after.tag == "mn":
            after.text = MINUS + (after.text or "")
            parent.remove(child)
        else:
            child.attrib.update(form="prefix", lspace="0", rspace="0")


def _is_sign(row: list[ET.Element], i: int) -> bool:
    """Whether the minus at `row[i]` has no operand before it: it opens its row, or follows an
    operator, a relation or an opening fence."""
    if i == 0:
        return True
    before = row[i - 1]
    if before.tag != "mo":
        return False  # an identifier, a number, a fraction, a script, a group: an operand
    text = before.text or ""
    if text in BARS:
        return sum((e.text or "") == text for e in row[: i - 1] if e.tag == "mo") % 2 == 0
    return text not in CLOSING and before.get("form") != "postfix"


def inline(latex: str) -> str:
    return f'<math xmlns="{NAMESPACE}">{_row(latex)}</math>'


def display(rows: tuple[str, ...], tag: str = "") -> str:
    """Aligned rows at their `&` (one per row), numbered on the last row by `tag`: an HTML table
    of display-style formulas, left sides right-aligned, as amsmath's align sets them."""
    lines = []
    for i, row in enumerate(rows):
        left, _, right = row.partition("&")
        number = f"({html.escape(tag)})" if tag and i == len(rows) - 1 else ""
        lines.append(
            "<tr>"
            f'<td class="lhs">{_math(left)}</td>'
            f'<td class="rhs">{_math(right)}</td>'
            f'<td class="tag">{number}</td>'
            "</tr>"
        )
    return f'<table class="align">{"".join(lines)}</table>'


def _math(latex: str) -> str:
    if not latex.strip():
        return ""  # a continuation row's empty left side
    return f'<math xmlns="{NAMESPACE}" displaystyle="true">{_row(latex)}</math>'


# ---------------------------------------------------------------- numbers aligned on the point


def integer_width(number: str) -> int:
    """The width, in ch (a digit's advance), that the integer part of `number` (as the view
    model writes it: -0.217, 12, 3.5 \\times 10^{-5}) needs: a digit is 1ch with tabular figures,
    a minus sign about 1.6ch in Latin Modern and narrower in other math fonts, counted as 2."""
    digits = number.lstrip("-")
    whole = len(digits) - len(digits.lstrip("0123456789"))
    return whole + 2 * (len(number) - len(digits))


def aligned(number: str, width: float) -> str:
    """`number` split at its decimal point for a column of numbers aligned on it: the integer
    part right-aligned in a box `width` ch wide (every row of the column gets the same box), then
    the point, the fraction digits and any "× 10ᵏ" from the box's right edge on. Two <math>
    elements, each as the whole number's MathML would have set that part."""
    root = _tree(number)
    row = root[0] if len(root) == 1 and root[0].tag == "mrow" else root
    parts = list(row)
    if not parts or parts[0].tag != "mn":
        raise NotationError(f"not a number to align on its point: {number}")
    whole, point, fraction = (parts[0].text or "").partition(".")
    rest = _serialized(parts[1:])
    if point:
        rest.insert(0, f"<mn>{html.escape(point + fraction)}</mn>")
    integer = f'<span class="int" style="width: {width:g}ch"><math xmlns="{NAMESPACE}">'
    integer += f"<mn>{html.escape(whole)}</mn></math></span>"
    if not rest:
        return integer
    return f'{integer}<span class="frac"><math xmlns="{NAMESPACE}">{"".join(rest)}</math></span>'
