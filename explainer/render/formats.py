"""Stage 6, render: Explanation → text in one format (Markdown, LaTeX, JSON). The only jinja2 user.

A format is a row in FORMATS: its template, the Jinja delimiters it needs (LaTeX templates use
\\VAR{…} and \\BLOCK{…}, since {{ }} and {% %} clash with TeX braces) and how prose text is
escaped for it. Templates place what the Explanation holds; they compute nothing.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
import unicodedata
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2

from explainer.draw import drawing
from explainer.foundation.resources import resource_dir
from explainer.foundation.symbols import GREEK, GREEK_CAPITALS
from explainer.page.model import Display, Explanation, Figure, Item, Paragraph, Prose, Table

MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#$~])")

# pdflatex reads UTF-8, but has no glyphs for these in text mode; each becomes math or a macro.
TEX_UNICODE = {
    "σ": r"$\sigma$",
    "δ": r"$\delta$",
    "η": r"$\eta$",
    "Σ": r"$\Sigma$",
    "∂": r"$\partial$",
    "−": r"$-$",
    "½": r"$\frac{1}{2}$",
    "²": r"$^{2}$",
    "·": r"$\cdot$",
    "×": r"$\times$",
    "′": r"$'$",
    "≈": r"$\approx$",
    "→": r"$\to$",
    "≤": r"$\le$",
    "≥": r"$\ge$",
    "…": r"\dots{}",
    "∞": r"$\infty$",
    "ᵀ": r"$^{\mathsf{T}}$",
    "₁": r"$_{1}$",
    "₂": r"$_{2}$",
    "ᵢ": r"$_{i}$",
    "ⱼ": r"$_{j}$",
    "ₖ": r"$_{k}$",
    "∇": r"$\nabla$",
    "≠": r"$\neq$",
    "±": r"$\pm$",
    "∑": r"$\sum$",
    "∈": r"$\in$",
    "√": r"$\surd$",
    "⁻": r"$^{-}$",
    "¹": r"$^{1}$",
    "³": r"$^{3}$",
    "α": r"$\alpha$",
    "β": r"$\beta$",
    "ε": r"$\varepsilon$",
    "λ": r"$\lambda$",
}
TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


# What starts a block when it opens a line: a list item (- x, + x, 1. x, 1) x) or a thematic
# break (---); * and _ are escaped everywhere already.
MD_BLOCK_START = re.compile(r"^(\s*)([-+](?=\s|-|$)|\d+(?=[.)](\s|$)))")


def escape_markdown(s: str) -> str:
    s = s.replace("&", "&amp;")
    s = MD_SPECIAL.sub(r"\\\1", s)
    return MD_BLOCK_START.sub(
        lambda m: f"{m[1]}{m[2]}\\" if m[2].isdigit() else f"{m[1]}\\{m[2]}", s
    )


# GitHub reads Markdown before its math, so a backslash before ASCII punctuation inside $…$ is
# taken as a Markdown escape and lost (`\,` arrives as `,`). Each such control symbol is written
# as a control word of the same meaning; `\\` keeps a line to itself (GitHub keeps it there).
GITHUB_MATH = {
    r"\,": r"\thinspace ",
    r"\:": r"\enspace ",
    r"\>": r"\enspace ",
    r"\;": r"\enspace ",
    r"\!": r"\negthinspace ",
    r"\{": r"\lbrace ",
    r"\}": r"\rbrace ",
    r"\|": r"\Vert ",
}
_GITHUB_SYMBOL = re.compile(r"\\\\(?!\n|$) *|" + "|".join(map(re.escape, GITHUB_MATH)))


def github_math(tex: str) -> str:
    """`tex` as GitHub's Markdown pass leaves it intact: no control symbol it would unescape."""
    return _GITHUB_SYMBOL.sub(lambda m: GITHUB_MATH.get(m[0], "\\\\\n"), tex)


def _greek(c: str) -> str | None:
    """α → $\\alpha$, Δ → $\\Delta$: pdflatex's text fonts have no Greek."""
    name = unicodedata.name(c, "")
    small = name.startswith("GREEK SMALL LETTER ")
    if not (small or name.startswith("GREEK CAPITAL LETTER ")):
        return None
    word = name.split()[-1].lower().replace("lamda", "lambda")
    command = word if small else word.capitalize()
    return rf"$\{command}$" if (word in GREEK if small else command in GREEK_CAPITALS) else None


def escape_html(s: str) -> str:
    return html.escape(s, quote=True)


# A word of two or more Greek letters (a name, Σωκράτης) stays text, for LuaLaTeX's Greek font;
# a lone letter (σ′ = σ(1 − σ), η = 0.5) is a symbol, set as math by either engine.
GREEK_WORD = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]{2,}")


def escape_latex(s: str) -> str:
    out, done = [], 0
    for word in GREEK_WORD.finditer(s):
        out += [_escape_latex(s[done : word.start()]), word.group()]
        done = word.end()
    return "".join(out) + _escape_latex(s[done:])


def _escape_latex(s: str) -> str:
    return "".join(TEX_SPECIAL.get(c) or TEX_UNICODE.get(c) or _greek(c) or c for c in s)


# A number as the view model writes it in math: 0.298, -1.2, 3.51 \times 10^{-5}.
DECIMAL = re.compile(r"-?\d+(\.\d+)?( \\times 10\^\{-?\d+\})?")


def _number(cell: Prose) -> str | None:
    """The cell's number when the cell is a number alone (math), else None."""
    if len(cell) == 1 and cell[0].kind == "math" and DECIMAL.fullmatch(cell[0].value):
        return cell[0].value
    return None


FRACTION_STRUT = r"\rule[-1.6ex]{0pt}{4.2ex}"


def tex_cell(cell: Prose, numeric: bool, header: bool = False) -> str:
    """A LaTeX table cell. Numeric columns are dcolumn's D columns, aligned on the decimal point;
    a number goes in bare (the column is in math mode), anything else spans the column as text."""
    text = FORMATS["tex"].prose(cell)
    if r"\frac" in text:  # a fraction is taller than a row: a strut keeps rows apart
        text += FRACTION_STRUT
    if not numeric:
        return text
    number = None if header else _number(cell)
    if number is not None:
        return number
    return rf"\multicolumn{{1}}{{{'c' if header else 'r'}}}{{{text}}}"


def tex_columns(table: Table) -> str:
    """The column spec: text columns left-aligned; numeric ones dcolumn's D{.}{.}{L.R}, sized to
    the longest integer part L and fraction part R in the column (a negative size would centre
    the point and double the width), or right-aligned when the column holds no plain numbers."""
    spec = []
    for i, numeric in enumerate(table.numeric):
        found = (_number(row[i]) for row in table.rows) if numeric else ()
        numbers = [n for n in found if n is not None]
        if not numbers:
            spec.append("r" if numeric else "l")
            continue
        left = max(len(n.partition(".")[0].partition(" ")[0]) for n in numbers)
        right = max(_fraction_width(n) for n in numbers)
        spec.append(f"D{{.}}{{.}}{{{left}.{right}}}")
    return "".join(spec)


def html_columns(table: Table) -> tuple[int, ...]:
    """Per column, the width in ch of the box its numbers' integer parts are right-aligned in,
    so that every decimal point of the column falls on the box's right edge (CSS has no
    alignment on a character); 0 for a text column or one holding no plain numbers."""
    widths = []
    for i, numeric in enumerate(table.numeric):
        found = (_number(row[i]) for row in table.rows) if numeric else ()
        widths.append(max((_mathml().integer_width(n) for n in found if n is not None), default=0))
    return tuple(widths)


def html_cell(cell: Prose, numeric: bool, width: int) -> str:
    """A table cell: a plain number in a column aligned on the point is split there (class
    `point`); any other cell of a numeric column is right-aligned, a text cell left-aligned."""
    number = _number(cell) if width else None
    if number is not None:
        return f'<td class="num point">{_mathml().aligned(number, width)}</td>'
    return f'<td class="{"num" if numeric else "txt"}">{FORMATS["html"].prose(cell)}</td>'


def figure_width(f: Figure) -> str:
    """The width an HTML page shows a figure at, in ems of the figure's text (a caption's): the
    scale at which its smallest label is as large as that text. The style sheet caps it at the
    column's width; the SVG's viewBox keeps its aspect ratio."""
    d = f.drawing
    sizes = [drawing.SIZE_PT[s.size] for s in d.shapes if isinstance(s, drawing.Label)]
    smallest_cm = min(sizes, default=max(drawing.SIZE_PT.values())) * drawing.PT
    return f"{d.width / smallest_cm:.1f}em"


def _fraction_width(number: str) -> int:
    """Digits after the point, counting a "× 10ᵏ" as eight more (the sign, the spaces and the exponent)."""
    mantissa, times, _ = number.partition(" \\times ")
    return len(mantissa.partition(".")[2]) + (8 if times else 0)


def _prose(
    escape: Callable[[str], str], math: Callable[[str], str], strong: Callable[[str], str]
) -> Callable[[Prose], str]:
    def render(prose: Prose) -> str:
        kinds: dict[str, Callable[[str], str]] = {
            "text": escape,
            "math": math,
            "strong": lambda s: strong(escape(s)),
        }
        return "".join(kinds[seg.kind](seg.value) for seg in prose)

    return render


# xcolor's (TikZ loads it): the handouts' answer colour, around math set as in the display
TEX_ANSWER = r"\colorbox{{yellow!55}}{{$\displaystyle {}$}}"


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    template: str
    latex_delimiters: bool
    escape: Callable[[str], str]
    prose: Callable[[Prose], str]
    compiled: bool = False  # the template's text is compiled to a binary (LaTeX → PDF)
    # a number marked as an answer, in math: a box where the host draws one (GitHub's MathJax
    # has \boxed), a highlight in print and in HTML (a class the handout's style sheet colours)
    answer: Callable[[str], str] = lambda x: x


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "md",
            "md",
            "page.md.j2",
            False,
            escape_markdown,
            _prose(escape_markdown, lambda m: f"${github_math(m)}$", lambda s: f"**{s}**"),
            answer=lambda x: rf"\boxed{{{x}}}",
        ),
        Format(
            "tex",
            "tex",
            "page.tex.j2",
            True,
            escape_latex,
            _prose(escape_latex, lambda m: f"${m}$", lambda s: rf"\textbf{{{s}}}"),
            answer=lambda x: TEX_ANSWER.format(x),
        ),
        Format("json", "json", "", False, str, lambda p: ""),
        Format(
            "html",
            "html",
            "page.html.j2",
            False,
            escape_html,
            _prose(escape_html, lambda m: _mathml().inline(m), lambda s: f"<strong>{s}</strong>"),
            answer=lambda x: rf"\class{{answer}}{{{x}}}",
        ),
        Format(
            "pdf",
            "pdf",
            "page.tex.j2",
            True,
            escape_latex,
            _prose(escape_latex, lambda m: f"${m}$", lambda s: rf"\textbf{{{s}}}"),
            compiled=True,
            answer=lambda x: TEX_ANSWER.format(x),
        ),
    )
}


def _file_link(f: Figure, page: Explanation) -> str:
    return urllib.parse.quote(figure_file(page, f))


def _inline_link(f: Figure, page: Explanation) -> str:
    """The figure itself as a data URI (a notebook's Markdown has no folder beside it)."""
    svg = drawing.svg(f.drawing, figure_id(page, f))
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def environment(
    fmt: Format, templates: Path | None = None, inline_figures: bool = False
) -> jinja2.Environment:
    """A new Jinja environment for one format (never a shared, mutated global)."""
    options: dict[str, Any] = dict(
        loader=jinja2.FileSystemLoader(str(templates or resource_dir("templates"))),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    if fmt.latex_delimiters:
        options.update(
            block_start_string=r"\BLOCK{",
            block_end_string="}",
            variable_start_string=r"\VAR{",
            variable_end_string="}",
            comment_start_string=r"\#{",
            comment_end_string="}",
        )
    env = jinja2.Environment(**options)
    env.filters.update(
        escape=fmt.escape,
        prose=fmt.prose,
        mathml=lambda item: _mathml().display(item.rows, item.tag),
        svg=lambda f, page: drawing.svg(f.drawing, figure_id(page, f)),
        figure_link=_inline_link if inline_figures else _file_link,
        tikz=lambda f: drawing.tikz(f.drawing),
        cell=tex_cell,
        columns=tex_columns,
        html_columns=html_columns,
        html_cell=html_cell,
        figure_width=figure_width,
        github_math=github_math,
        kept=kept,
        breaks=breaks,
        leads=leads,
    )
    return env


# What a heading, or a paragraph that leads into a block, keeps below it on its page (with
# \keepspace before it), so that no page ends on either: the whole block where it cannot break
# (a display, a figure), else its first lines. A display row with fractions is about 2.4 lines.
FIRST_BLOCK: dict[str, Callable[[Any], str]] = {
    "display": lambda item: f"{2.4 * _kept_rows(item) + 1:.1f}\\baselineskip",
    "figure": lambda item: "3\\baselineskip",  # a float: it goes where it fits
    "table": lambda item: f"{2 + 1.3 * _kept_rows(item):.1f}\\baselineskip",
    "paragraph": lambda item: "3\\baselineskip",
}
LINE = 85  # characters of text a line of the printed page holds, about
# A table longer than this may break across pages (a longtable, its header repeated); a shorter
# one is set whole.
LONG_TABLE = 30


def breaks(item: Table | Display) -> bool:
    """Whether a block may break across pages: a long table; a display of separate equations
    (every row its own left side, as a list of updates), never a derivation's chain of "= …"."""
    if isinstance(item, Table):
        return len(item.rows) > LONG_TABLE
    return len(item.rows) > KEPT_ROWS and all(r.partition("&")[0].strip() for r in item.rows)


KEPT_ROWS = 3  # what a heading or a lead keeps of a block that may break: its first rows


def _kept_rows(item: Table | Display) -> int:
    return min(len(item.rows), KEPT_ROWS) if breaks(item) else len(item.rows)


def tex_keep(item: Item, lines: float) -> str:
    """The space `lines` of text and then `item` need, as a TeX dimension expression."""
    return f"\\dimexpr {lines:.1f}\\baselineskip+{FIRST_BLOCK[item.kind](item)}\\relax"


def leads(item: Item) -> bool:
    """A paragraph that introduces the block after it: a run-in heading (bold text alone), or
    a sentence that ends in a colon."""
    if not isinstance(item, Paragraph) or not item.prose:
        return False
    last = item.prose[-1]
    bold = all(seg.kind == "strong" for seg in item.prose)
    return bold or (last.kind == "text" and last.value.rstrip().endswith(":"))


def kept(items: tuple[Item, ...], lines: float = 0.0) -> str:
    """What the start of `items` needs on one page, after `lines` of text (3: a heading): each
    leading paragraph and the block it leads into, through a chain of them (a run-in heading,
    then a sentence ending in a colon, then its display)."""
    i = 0
    while i + 1 < len(items) and leads(items[i]):
        lead = items[i]
        assert isinstance(lead, Paragraph)
        lines += text_lines(lead)
        i += 1
    return tex_keep(items[i], lines)


def text_lines(item: Paragraph) -> float:
    """About how many printed lines a paragraph takes (math counted at half its LaTeX)."""
    chars = sum(len(seg.value) // (2 if seg.kind == "math" else 1) for seg in item.prose)
    return 1.5 + chars // LINE


PAPERS = {"a4": "a4paper", "letter": "letterpaper"}


def render(
    explanation: Explanation,
    fmt: str,
    body_only: bool = False,
    paper: str = "a4",
    inline_figures: bool = False,
    answers: frozenset[str] = frozenset(),
    keepspace: bool = False,
) -> str:
    """The page in one format, as text; for a compiled format (PDF), the text it compiles.
    `inline_figures`: Markdown with its figures embedded as data URIs instead of linked files.
    `answers`: keys of quantities whose values the page marks where it derives them (a key).
    `keepspace`: a LaTeX body that still keeps headings and leads with what follows them (for
    a document that defines \\keepspace, as the handouts do)."""
    f = FORMATS[fmt]
    if f.name == "json":
        return _json(explanation)
    if answers:
        explanation = answered(explanation, answers, f.answer)
    template = environment(f, inline_figures=inline_figures).get_template(f.template)
    body = body_only and not f.compiled
    return template.render(
        page=explanation, body_only=body, keeps=not body or keepspace, paper=PAPERS[paper]
    )


def answered(
    explanation: Explanation, answers: frozenset[str], mark: Callable[[str], str]
) -> Explanation:
    """The page with the value of each answer marked where a display row ends in it: the number
    after the row's last "=" (a number never holds one)."""

    def row(latex: str, key: str) -> str:
        if key not in answers:
            return latex
        head, equals, value = latex.rpartition("=")
        assert equals and value.strip(), f"no value ends the row of {key}: {latex}"
        return f"{head}= {mark(value.strip())}"

    def item(x: Item) -> Item:
        if not isinstance(x, Display) or not answers.intersection(x.ends):
            return x
        rows = tuple(row(r, k) for r, k in zip(x.rows, x.ends, strict=True))
        return dataclasses.replace(x, rows=rows)

    sections = tuple(
        dataclasses.replace(s, items=tuple(item(x) for x in s.items)) for s in explanation.sections
    )
    return dataclasses.replace(explanation, sections=sections)


def _mathml() -> ModuleType:
    """The LaTeX → MathML converter, imported by the HTML page only (it is slow to import)."""
    from explainer.render import mathml

    return mathml


def figure_id(explanation: Explanation, figure: Figure) -> str:
    """<scenario>-<figure>: the SVG's id prefix, and the Markdown page's figure file's stem."""
    return f"{explanation.name}-{figure.key}"


def figure_file(explanation: Explanation, figure: Figure) -> str:
    """The file a Markdown page links a figure by, beside it."""
    return f"{figure_id(explanation, figure)}.svg"


def attachments(explanation: Explanation, fmt: str) -> tuple[tuple[str, str], ...]:
    """Files a page needs beside it: the Markdown page's figures as SVG (HTML inlines them,
    LaTeX draws them with TikZ)."""
    if fmt != "md":
        return ()
    return tuple(
        (
            figure_file(explanation, item),
            drawing.svg(item.drawing, figure_id(explanation, item)),
        )
        for section in explanation.sections
        for item in section.items
        if isinstance(item, Figure)
    )


def _json(e: Explanation) -> str:
    document = {
        "scenario": e.name,
        "title": e.title,
        "source": e.source,
        "arithmetic": e.arithmetic,
        "values": dict(e.values),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
