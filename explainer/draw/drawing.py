"""Stage 6, explain (drawings): figures as drawings: shapes in centimetres (y up, as TikZ has it),
and two ways to write them.

A figure is built once, from the numbers, as a Drawing; `tikz()` writes it for LaTeX and `svg()`
for HTML and Markdown, so the PDF and the web page show the same picture. Labels are LaTeX math
(our own symbols and formatted numbers); SVG gets them as text with italic letters and
sub/superscripts, through the small LaTeX subset `runs()` reads. Styles are a table, each row
giving the same look in both languages.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True)
class Path:
    points: tuple[Point, ...]
    style: str
    closed: bool = False


@dataclass(frozen=True)
class Circle:
    at: Point
    radius: float
    style: str


@dataclass(frozen=True)
class Label:
    at: Point
    latex: str  # math mode
    anchor: str = "center"  # center | north | south | east | west | north east | … (TikZ's)
    size: str = "small"  # small | tiny
    style: str = "label"
    over: Path | Circle | None = None  # the one line or node this label annotates and may cover


Shape = Path | Circle | Label


@dataclass(frozen=True)
class Drawing:
    width: float  # cm
    height: float
    shapes: tuple[Shape, ...]
    title: str  # plain text: SVG <title>, for screen readers


def shift(s: Shape, dx: float, dy: float) -> Shape:
    """A shape moved by (dx, dy); a label's `over` moves with it."""
    if isinstance(s, Path):
        return Path(tuple((x + dx, y + dy) for x, y in s.points), s.style, s.closed)
    if isinstance(s, Circle):
        return Circle((s.at[0] + dx, s.at[1] + dy), s.radius, s.style)
    over = shift(s.over, dx, dy) if s.over is not None else None
    assert not isinstance(over, Label)
    return Label((s.at[0] + dx, s.at[1] + dy), s.latex, s.anchor, s.size, s.style, over)


def beside(left: Drawing, right: Drawing, gap: float, title: str) -> Drawing:
    """Two drawings side by side, as one (seed 001's a(w) and C(w) panels)."""
    return Drawing(
        left.width + gap + right.width,
        max(left.height, right.height),
        (*left.shapes, *(shift(s, left.width + gap, 0.0) for s in right.shapes)),
        title,
    )


@dataclass(frozen=True)
class Style:
    stroke: str  # #rrggbb or "none"
    width: float  # pt
    fill: str = "none"
    dash: bool = False
    arrow: bool = False
    halo: bool = False  # labels: a white background, so text over lines stays legible


INK, GREY, ACCENT, BLUE, LIGHT = "#000000", "#8c8c8c", "#d95f02", "#1f5fa8", "#fbe3cf"
STYLES = {
    "edge": Style(GREY, 0.6),
    "edge-path": Style(ACCENT, 1.6),
    "neuron": Style(INK, 0.8, "#ffffff"),
    "neuron-path": Style(ACCENT, 1.2, LIGHT),
    "bias": Style(GREY, 0.6, "#ffffff"),
    "axis": Style(INK, 0.6),
    "grid": Style("#dddddd", 0.4),
    "curve": Style(BLUE, 1.2),
    "target": Style(GREY, 0.8, dash=True),
    "tangent": Style(ACCENT, 1.0, dash=True),
    "step": Style(ACCENT, 0.9, arrow=True),
    "dot": Style(ACCENT, 0.6, ACCENT),
    "label": Style("none", 0, halo=True),
    "label-plain": Style("none", 0),
    "label-path": Style("none", 0, ACCENT, halo=True),
    "wire": Style(INK, 0.7),
    "gate": Style(INK, 0.8, "#ffffff"),
    "label-value": Style("none", 0, BLUE, halo=True),
    "label-gradient": Style("none", 0, ACCENT, halo=True),
    # a class's figure: how many students made a mistake, lighter to darker
    **{
        f"count-{i}": Style("#8c8c8c", 0.4, shade)
        for i, shade in enumerate(("#fde0c5", "#f9b47e", "#f08a3e", "#d95f02"))
    },
}

# ---------------------------------------------------------------- text boxes

PT = 2.54 / 72.27  # cm per TeX point
SIZE_PT = {"small": 8.0, "tiny": 6.0}  # \scriptsize and \tiny in an 11pt document
SCRIPT = {"small": 0.75, "tiny": 0.84}  # sub/superscripts: 6pt in 8pt text, 5pt in 6pt
# Small sizes of Latin Modern are drawn wider (optical sizes): a digit is 0.5 em at 10pt, 0.53
# at 8pt, 0.61 at 6pt and 0.68 at 5pt. Each size's text and its scripts widen by these factors.
SCRIPTSPACE = 0.5 * PT  # TeX's \scriptspace, after every sub- and superscript
OPTICAL = {"small": (1.07, 1.23), "tiny": (1.23, 1.37)}
INNER_SEP = 1.5 * PT  # TikZ's inner sep, as tikz() writes every label
# Widths in ems of Computer Modern (math italic for letters), rounded up: a label's box is
# estimated from these, and a test compares the estimate with TeX's own boxes.
EM = {
    **dict.fromkeys("0123456789", 0.5),
    **dict.fromkeys(".,;!'", 0.28),
    **dict.fromkeys("()[]|", 0.39),
    **dict.fromkeys("mwMW", 0.95),
    **dict.fromkeys("ijlt", 0.4),
    "/": 0.5,
    " ": 0.34,  # a space of \text{…}; none in math, so an overestimate there
    "∂": 0.58,
}
BINARY = ("+", "−", "×", "·", "÷")  # 0.78 em and 4mu either side, or 0.78 alone when unary
# After these (or at the start) an operator is unary: no space either side, as TeX decides
UNARY_AFTER = ("", "=", "(", "[", "≈", "→", "/")


def _em(ch: str, before: str) -> float:
    """One character's width in ems, with the math spacing TeX puts around it."""
    if ch in "=≈→":
        return 0.78 + 2 * 0.28  # a relation: thick spaces either side
    if ch == ":":
        return 0.28 + 8 / 18  # amsmath's \colon: 2mu before the colon, 6mu after
    if ch in BINARY:
        return 0.78 if before in UNARY_AFTER else 0.78 + 2 * 0.23
    if ch in EM:
        return EM[ch]
    if ch.isupper():
        return 0.8
    return 0.62 if ch.isalpha() and not ch.isascii() else 0.56


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in cm (y up)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def meets(self, other: Box, gap: float = 0.0) -> bool:
        return not (
            self.x1 + gap <= other.x0
            or other.x1 + gap <= self.x0
            or self.y1 + gap <= other.y0
            or other.y1 + gap <= self.y0
        )


def extent(latex: str, size: str) -> tuple[float, float, float]:
    """A label's text as (width, height above the baseline, depth below it) in cm."""
    em = SIZE_PT[size] * PT
    wide, script = OPTICAL[size]
    parts = runs(latex)
    chars = [(ch, SCRIPT[size] * script if r.shift else wide) for r in parts for ch in r.text]
    width = SCRIPTSPACE * sum(1 for r in parts if r.shift)
    before = ""
    for i, (ch, scale) in enumerate(chars):
        if ch == " ":  # math ignores spaces; one between words (\text{…}) is set
            after = chars[i + 1][0] if i + 1 < len(chars) else ""
            width += EM[ch] * scale * em if before.isalnum() and after.isalnum() else 0.0
            continue
        if ch.isspace():
            width += 0.17 * scale * em  # \, \quad as thin and wide spaces
            continue
        width += _em(ch, before) * scale * em
        before = ch
    sub, sup = any(r.shift < 0 for r in parts), any(r.shift > 0 for r in parts)
    return width, (0.98 if sup else 0.75) * em, (0.4 if sub else 0.25) * em


# Where an anchor puts the box: the fraction of its width and height left of and below `at`
ANCHOR_AT = {
    "center": (0.5, 0.5),
    "north": (0.5, 1.0),
    "south": (0.5, 0.0),
    "east": (1.0, 0.5),
    "west": (0.0, 0.5),
    "north east": (1.0, 1.0),
    "north west": (0.0, 1.0),
    "south east": (1.0, 0.0),
    "south west": (0.0, 0.0),
}


def box(label: Label) -> Box:
    """The label's box on the drawing, inner sep included, as TikZ lays the node out."""
    width, height, depth = extent(label.latex, label.size)
    w, h = width + 2 * INNER_SEP, height + depth + 2 * INNER_SEP
    fx, fy = ANCHOR_AT[label.anchor]
    x0, y0 = label.at[0] - fx * w, label.at[1] - fy * h
    return Box(x0, y0, x0 + w, y0 + h)


def printed_pt(d: Drawing, label: Label) -> float:
    """The size a label's text is printed at, in points, once the drawing is scaled to fit."""
    return SIZE_PT[label.size] * _scale(d)


# ---------------------------------------------------------------- TikZ


def _tikz_colour(c: str) -> str:
    r, g, b = (int(c[i : i + 2], 16) for i in (1, 3, 5))
    return f"{{rgb,255:red,{r};green,{g};blue,{b}}}"


def _tikz_style(s: Style) -> str:
    parts = []
    if s.stroke != "none":
        parts += [f"draw={_tikz_colour(s.stroke)}", f"line width={s.width}pt"]
    if s.fill != "none":
        parts.append(f"fill={_tikz_colour(s.fill)}")
    if s.dash:
        parts.append("dashed")
    if s.arrow:
        parts.append("-{Stealth[length=4pt]}")
    return ",".join(parts)


def _cm(x: float) -> str:
    return f"{x:.3f}".rstrip("0").rstrip(".")


MAX_WIDTH = 15.5  # cm: narrower than the text block on A4 and on Letter with 2.2 cm margins
MAX_HEIGHT = 19.0  # cm: well within the text block's height, with room for the caption


MIN_PT = 6.0  # \tiny in an 11pt document: no label is printed smaller


def legible(d: Drawing) -> bool:
    """Whether every label is printed at MIN_PT or more, at the scale the drawing prints at."""
    scale = _scale(d)
    return all(SIZE_PT[x.size] * scale >= MIN_PT for x in d.shapes if isinstance(x, Label))


def _scale(d: Drawing) -> float:
    """The factor a drawing larger than the text block is printed at."""
    return min(1.0, MAX_WIDTH / d.width, MAX_HEIGHT / d.height)


def tikz(d: Drawing) -> str:
    """A tikzpicture, scaled down as a whole (labels too) when larger than the text block."""
    scale = _scale(d)
    shrink = f",scale={scale:.3f},every node/.append style={{transform shape}}" if scale < 1 else ""
    lines = [rf"\begin{{tikzpicture}}[x=1cm,y=1cm,line cap=round,line join=round{shrink}]"]
    lines.append(rf"\useasboundingbox (0,0) rectangle ({_cm(d.width)},{_cm(d.height)});")
    for s in d.shapes:
        st = STYLES[s.style]
        if isinstance(s, Path):
            pts = " -- ".join(f"({_cm(x)},{_cm(y)})" for x, y in s.points)
            lines.append(rf"\path[{_tikz_style(st)}] {pts}{' -- cycle' if s.closed else ''};")
        elif isinstance(s, Circle):
            x, y = s.at
            lines.append(rf"\path[{_tikz_style(st)}] ({_cm(x)},{_cm(y)}) circle ({_cm(s.radius)});")
        else:
            x, y = s.at
            colour = f",text={_tikz_colour(st.fill)}" if st.fill != "none" else ""
            back = ",fill=white" if st.halo else ""
            size = r"\scriptsize" if s.size == "small" else r"\tiny"
            lines.append(
                rf"\node[anchor={s.anchor},inner sep=1.5pt,font={size}{colour}{back}]"
                rf" at ({_cm(x)},{_cm(y)}) {{${s.latex}$}};"
            )
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


# ---------------------------------------------------------------- SVG

PX = 40.0  # SVG user units per centimetre
# LaTeX commands in our labels, as characters: Greek, operators, accents (combining marks).
SYMBOLS = {
    **{
        g: chr(c)
        for g, c in {
            "alpha": 0x3B1,
            "beta": 0x3B2,
            "gamma": 0x3B3,
            "delta": 0x3B4,
            "epsilon": 0x3F5,
            "varepsilon": 0x3B5,
            "zeta": 0x3B6,
            "eta": 0x3B7,
            "theta": 0x3B8,
            "vartheta": 0x3D1,
            "iota": 0x3B9,
            "kappa": 0x3BA,
            "lambda": 0x3BB,
            "mu": 0x3BC,
            "nu": 0x3BD,
            "xi": 0x3BE,
            "pi": 0x3C0,
            "rho": 0x3C1,
            "sigma": 0x3C3,
            "tau": 0x3C4,
            "upsilon": 0x3C5,
            "phi": 0x3D5,
            "varphi": 0x3C6,
            "chi": 0x3C7,
            "psi": 0x3C8,
            "omega": 0x3C9,
            "Gamma": 0x393,
            "Delta": 0x394,
            "Theta": 0x398,
            "Lambda": 0x39B,
            "Xi": 0x39E,
            "Pi": 0x3A0,
            "Sigma": 0x3A3,
            "Upsilon": 0x3A5,
            "Phi": 0x3A6,
            "Psi": 0x3A8,
            "Omega": 0x3A9,
        }.items()
    },
    "times": "×",
    "div": "÷",
    "cdot": "·",
    "partial": "∂",
    "prime": "′",
    "ell": "ℓ",
    "to": "→",
    "approx": "≈",
    "colon": ":",
    "left": "",
    "right": "",
    ",": "\u2009",
    "quad": "\u2003",
}
ACCENTS = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "vec": "\u20d7", "dot": "\u0307"}
ACCENTS["ddot"] = "\u0308"
UPRIGHT = ("mathrm", "text", "operatorname", "mathsf", "mathbf", "mathcal")
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}_^]|[^\\{}_^]")


@dataclass(frozen=True)
class Run:
    text: str
    italic: bool
    shift: int  # 0 baseline, -1 subscript, +1 superscript


def runs(latex: str) -> tuple[Run, ...]:
    """Our label LaTeX as runs of text: letters in math italic unless \\mathrm{…} or \\text{…},
    _{…} and ^{…} lowered or raised one level, \\frac{a}{b} as a/b, commands as characters."""
    reader = _Runs(_TOKEN.findall(latex))
    i = 0
    while i < len(reader.tokens):
        i = reader.item(i, True, 0)
    return _merged(reader.out)


class _Runs:
    """A reader of label tokens, appending the runs it reads to `out`."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.out: list[Run] = []

    def group(self, i: int, italic: bool, shift: int) -> int:
        """Read one argument (a braced group or a single token) from tokens[i]; return the end.
        Spaces before it are skipped, as TeX does (\\vec x is \\vec{x})."""
        tokens = self.tokens
        while i < len(tokens) and tokens[i] == " ":
            i += 1
        if i < len(tokens) and tokens[i] == "{":
            i += 1
            while i < len(tokens) and tokens[i] != "}":
                i = self.item(i, italic, shift)
            return i + 1
        return self.item(i, italic, shift)

    def item(self, i: int, italic: bool, shift: int) -> int:
        t = self.tokens[i]
        if t in ("_", "^"):
            return self.group(i + 1, italic, shift + (-1 if t == "_" else 1))
        if t == "{":
            return self.group(i, italic, shift)
        if t.startswith("\\"):
            return self.command(i, t[1:], italic, shift)
        text = "−" if t == "-" else t
        self.out.append(Run(text, italic and t.isalpha(), shift))
        return i + 1

    def command(self, i: int, name: str, italic: bool, shift: int) -> int:
        out = self.out
        if name in UPRIGHT or name == "mathit":
            return self.group(i + 1, name == "mathit", shift)
        if name == "frac":
            j = self.group(i + 1, italic, shift)
            out.append(Run("/", False, shift))
            return self.group(j, italic, shift)
        if name in ACCENTS:
            before = len(out)
            j = self.group(i + 1, italic, shift)
            if len(out) > before:  # \hat{} accents nothing
                out[-1] = Run(out[-1].text + ACCENTS[name], out[-1].italic, out[-1].shift)
            return j
        out.append(Run(SYMBOLS.get(name, name), name in SYMBOLS and name.isalpha(), shift))
        return i + 1


def _merged(out: list[Run]) -> tuple[Run, ...]:
    """Neighbouring runs of the same style joined; empty ones dropped."""
    merged: list[Run] = []
    for r in out:
        if merged and (merged[-1].italic, merged[-1].shift) == (r.italic, r.shift):
            merged[-1] = Run(merged[-1].text + r.text, r.italic, r.shift)
        elif r.text:
            merged.append(r)
    return tuple(merged)


def _svg_text(latex: str) -> str:
    parts, level = [], 0
    for r in runs(latex):
        attrs = ' font-style="italic"' if r.italic else ""
        if r.shift != level:
            attrs += f' dy="{(level - r.shift) * 0.35:.2f}em"'
            level = r.shift
        if r.shift:
            attrs += ' font-size="75%"'
        parts.append(f"<tspan{attrs}>{html.escape(r.text)}</tspan>")
    if level:
        parts.append(f'<tspan dy="{level * 0.35:.2f}em"></tspan>')
    return "".join(parts)


def _svg_label(s: Label, st: Style, h: float) -> list[str]:
    """A label placed in its box (see box()): SVG cannot measure text, so the box is the
    estimate TikZ's node is checked against, with the text's baseline its depth above the
    bottom, left-aligned, centred or right-aligned as the anchor has it."""
    b = box(s)
    _, _, depth = extent(s.latex, s.size)
    fx, _ = ANCHOR_AT[s.anchor]
    x = {0.0: b.x0 + INNER_SEP, 0.5: (b.x0 + b.x1) / 2, 1.0: b.x1 - INNER_SEP}[fx]
    align = {0.0: "start", 0.5: "middle", 1.0: "end"}[fx]
    baseline = h - (b.y0 + INNER_SEP + depth) * PX
    out = []
    if st.halo:
        out.append(
            f'<rect x="{b.x0 * PX:.1f}" y="{h - b.y1 * PX:.1f}" width="{(b.x1 - b.x0) * PX:.1f}" '
            f'height="{(b.y1 - b.y0) * PX:.1f}" fill="#ffffff"/>'
        )
    colour = st.fill if st.fill != "none" else INK
    out.append(
        f'<text x="{x * PX:.1f}" y="{baseline:.1f}" font-size="{SIZE_PT[s.size] * PT * PX:.1f}" '
        f'text-anchor="{align}" fill="{colour}">{_svg_text(s.latex)}</text>'
    )
    return out


def _svg_paint(s: Style) -> str:
    out = f'stroke="{s.stroke}" stroke-width="{s.width * PX / 28.45:.2f}" fill="{s.fill}"'
    if s.dash:
        out += ' stroke-dasharray="4 3"'
    if s.arrow:
        out += ' marker-end="url(#arrow)"'
    return out


def svg(d: Drawing, ident: str = "figure") -> str:
    """A standalone SVG document (also valid inline in HTML); `ident` keeps marker ids unique
    when several drawings share a page."""
    ident = re.sub(r"[^A-Za-z0-9_-]", "-", ident)  # from a file name: safe as an XML id
    w, h = d.width * PX, d.height * PX

    def xy(p: Point) -> tuple[str, str]:
        return f"{p[0] * PX:.1f}", f"{h - p[1] * PX:.1f}"

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.0f} {h:.0f}" role="img" '
        f'font-family="Latin Modern Roman, CMU Serif, Times New Roman, serif">',
        f"<title>{html.escape(d.title)}</title>",
        f'<defs><marker id="{ident}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{ACCENT}"/></marker></defs>',
    ]
    for s in d.shapes:
        st = STYLES[s.style]
        paint = _svg_paint(st).replace("url(#arrow)", f"url(#{ident}-arrow)")
        if isinstance(s, Path):
            pts = " ".join(",".join(xy(p)) for p in s.points)
            tag = "polygon" if s.closed else "polyline"
            out.append(f'<{tag} points="{pts}" {paint}/>')
        elif isinstance(s, Circle):
            x, y = xy(s.at)
            out.append(f'<circle cx="{x}" cy="{y}" r="{s.radius * PX:.1f}" {paint}/>')
        else:
            out += _svg_label(s, st, h)
    out.append("</svg>")
    return "\n".join(out) + "\n"
