"""Stage 6, render (handouts): Sheets → LaTeX, Markdown or HTML text, as students, graders and
the board see them. The numbers are the Sheet's; a template lays them out."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from types import ModuleType

from explainer.draw import drawing
from explainer.handouts.sheet import Question, Sheet
from explainer.render.formats import FORMATS, PAPERS, environment

# What a file holds, by (key, a summary): the title under the scenario's own.
WHAT = {
    (False, False): "Exercise sheet",
    (True, False): "Answer key",
    (False, True): "Summary",
    (True, True): "Summary",
}
TEMPLATES = {"tex": "handout.tex.j2", "md": "handout.md.j2", "html": "handout.html.j2"}


def render_sheets(
    sheets: Sequence[Sheet],
    fmt: str,
    key: bool,
    derivations: Sequence[str] = (),
    paper: str = "a4",
) -> str:
    """Sheets one after another in one document (a page break between students); with
    `derivations` (the worked page's body, one per sheet, in the same format) after each."""
    f = FORMATS[fmt]
    env = environment(f)
    env.filters.update(
        tikz_drawing=drawing.tikz,
        svg_drawing=drawing.svg,
        figure_file=figure_file,
        inline_math=lambda latex: _mathml().inline(latex),
        display_math=lambda rows: _mathml().display(tuple(rows)),
        box=box,
        strut=strut,
        points=points,
        side_by_side=side_by_side,
        paired=paired,
        qr_tikz=qr_tikz,
        qr_svg=qr_svg,
    )
    summary = all(not s.variant for s in sheets)
    return env.get_template(TEMPLATES[fmt]).render(
        sheets=sheets,
        key=key,
        what=WHAT[key, summary],
        derivations=derivations,
        paper=PAPERS[paper],
    )


# A student sheet's variant as a QR code, for paper-grading tools that sort scanned pages: the
# text `explainer:<variant>`, error correction M, drawn QR_MM wide in the page's right margin
QR_MM = 11.0


def qr_text(sheet: Sheet) -> str:
    return f"explainer:{sheet.variant}"


def _modules(sheet: Sheet) -> tuple[bytes, ...]:
    return _matrix(qr_text(sheet))


@functools.cache
def _matrix(text: str) -> tuple[bytes, ...]:
    import segno  # the sheets' QR codes only

    return tuple(bytes(row) for row in segno.make(text, error="m", micro=False).matrix)


def _runs(sheet: Sheet) -> list[tuple[int, int, int]]:
    """The QR code's dark modules as runs along each row: (row, first column, past the last)."""
    out = []
    for y, row in enumerate(_modules(sheet)):
        x = 0
        while x < len(row):
            end = x
            while end < len(row) and row[end]:
                end += 1
            if end > x:
                out.append((y, x, end))
            x = end + 1
    return out


def qr_tikz(sheet: Sheet) -> str:
    """The QR code as TikZ, a rectangle per run (y down)."""
    size = QR_MM / len(_modules(sheet))
    fills = " ".join(f"({x},{-y}) rectangle ({end},{-y - 1})" for y, x, end in _runs(sheet))
    return rf"\begin{{tikzpicture}}[x={size:.4f}mm,y={size:.4f}mm]\fill {fills};\end{{tikzpicture}}"


def qr_svg(sheet: Sheet) -> str:
    """The QR code as inline SVG, titled for screen readers."""
    path = "".join(f"M{x} {y}h{end - x}v1h{x - end}z" for y, x, end in _runs(sheet))
    n = len(_modules(sheet)) + 8  # with the quiet zone of 4 modules each side
    label = f"QR code of variant {sheet.variant}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-4 -4 {n} {n}" width="{2 * n}mm" '
        f'height="{2 * n}mm" role="img" aria-label="{label}"><title>{label}</title>'
        f'<rect x="-4" y="-4" width="{n}" height="{n}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/></svg>'
    )


def figure_file(sheet: Sheet) -> str:
    """The file a Markdown sheet links its network figure by: figure-v07.svg."""
    return f"figure-{sheet.variant or 'summary'}.svg"


def _mathml() -> ModuleType:
    from explainer.render import mathml  # slow to import: the HTML sheets only

    return mathml


def side_by_side(sheet: Sheet) -> list[tuple[tuple[str, str], ...]]:
    """The summary's table: each part a pair of columns (symbol, value), row by row, a part
    that runs out left empty."""
    columns = [[(q.symbol, q.answer) for q in part.questions] for part in sheet.parts]
    rows = max((len(c) for c in columns), default=0)
    return [tuple(c[i] if i < len(c) else ("", "") for c in columns) for i in range(rows)]


def paired(rows: Sequence[str]) -> list[str]:
    """Aligned rows two to a line (the summary's rules, in half the height): amsmath's align
    sets each further "&" pair as another column."""
    return [" & ".join(rows[i : i + 2]) for i in range(0, len(rows), 2)]


# A fill-in row's strut (depth, height in ex): room for display-size fractions, else for a box
# to write in, else a plain row; boxes in adjacent rows never touch.
STRUTS = {"fraction": (2.2, 6.2), "box": (1.6, 5.2), "plain": (1.2, 4.0)}


def strut(q: Question) -> str:
    kind = "fraction" if r"\frac" in q.formula + q.symbol else "box" if q.blank else "plain"
    depth, height = STRUTS[kind]
    return rf"\rule[-{depth}ex]{{0pt}}{{{height}ex}}"


def box(sheet: Sheet) -> float:
    """Every blank's width in ems: the batch's (the widest of its sheets', so every variant's
    boxes stand at the same place, as a paper-grading tool's template cuts them), else room for
    the sheet's longest number, or a sign, a digit and the decimals, and a little more. One
    width for all, so no box gives away its answer's sign or size."""
    if sheet.box_width:
        return sheet.box_width
    longest = max((len(q.answer) for p in sheet.parts for q in p.questions), default=0)
    return round(0.6 * max(longest, sheet.decimals + 3) + 2.0, 1)


def points(x: float) -> str:
    return f"{x:g}"
