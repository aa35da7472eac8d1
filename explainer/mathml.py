"""LaTeX → MathML for the HTML page: the view model's math strings, as browsers render natively.

latex2mathml converts one formula; it does not lay out `aligned` rows (it prints `&` as an
identifier and `\\` as a line break MathML Core ignores), and browsers ignore text-align inside
<mtd>. So a display is an HTML table of display-style formulas: one row per line, the left side
right-aligned, the relation and right side left-aligned, and the equation tag in its own last
column, as amsmath's align places them.
The LaTeX comes from our own notation module and allow-listed symbols, never from free text.
"""

from __future__ import annotations

import html
from functools import lru_cache

from latex2mathml.converter import convert

from explainer.errors import NotationError

NAMESPACE = "http://www.w3.org/1998/Math/MathML"


@lru_cache(maxsize=4096)
def _row(latex: str) -> str:
    """One formula as the children of a <math> element (the wrapper stripped)."""
    if not latex.strip():
        return "<mrow></mrow>"
    try:
        out = convert(latex)
    except Exception as e:  # latex2mathml raises its own exception types for malformed input
        raise NotationError(f"this formula cannot be written as MathML ({e}): {latex}") from e
    return out[out.index(">") + 1 : out.rindex("</math>")]


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
