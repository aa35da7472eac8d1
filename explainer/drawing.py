"""Figures as drawings: shapes in centimetres (y up, as TikZ has it), and two ways to write them.

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


Shape = Path | Circle | Label


@dataclass(frozen=True)
class Drawing:
    width: float  # cm
    height: float
    shapes: tuple[Shape, ...]
    title: str  # plain text: SVG <title>, for screen readers


def beside(left: Drawing, right: Drawing, gap: float, title: str) -> Drawing:
    """Two drawings side by side, as one (seed 001's a(w) and C(w) panels)."""

    def moved(s: Shape) -> Shape:
        dx = left.width + gap
        if isinstance(s, Path):
            return Path(tuple((x + dx, y) for x, y in s.points), s.style, s.closed)
        if isinstance(s, Circle):
            return Circle((s.at[0] + dx, s.at[1]), s.radius, s.style)
        return Label((s.at[0] + dx, s.at[1]), s.latex, s.anchor, s.size, s.style)

    return Drawing(
        left.width + gap + right.width,
        max(left.height, right.height),
        (*left.shapes, *(moved(s) for s in right.shapes)),
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
}

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


def _scale(d: Drawing) -> float:
    """The factor a drawing larger than the text block is printed at."""
    return min(1.0, MAX_WIDTH / d.width, MAX_HEIGHT / d.height)


def printed_height(d: Drawing) -> float:
    """The drawing's height on the printed page, in cm."""
    return d.height * _scale(d)


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
            back = ",fill=white,fill opacity=0.85,text opacity=1" if st.halo else ""
            size = r"\scriptsize" if s.size == "small" else r"\tiny"
            lines.append(
                rf"\node[anchor={s.anchor},inner sep=1.5pt,font={size}{colour}{back}]"
                rf" at ({_cm(x)},{_cm(y)}) {{${s.latex}$}};"
            )
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


# ---------------------------------------------------------------- SVG

PX = 40.0  # SVG user units per centimetre
FONT = {"small": 11.0, "tiny": 9.0}  # px, close to \scriptsize and \tiny at 11pt
# TikZ anchor → SVG text-anchor and a baseline shift (in ems) that puts the box where TikZ would
ANCHORS = {
    "center": ("middle", 0.35),
    "north": ("middle", 1.0),
    "south": ("middle", -0.25),
    "east": ("end", 0.35),
    "west": ("start", 0.35),
    "north east": ("end", 1.0),
    "north west": ("start", 1.0),
    "south east": ("end", -0.25),
    "south west": ("start", -0.25),
}
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


def _backing(x: float, y: float, anchor: str, shift: float, size: float, latex: str) -> str:
    """A white box behind a label, as TikZ's fill=white gives; SVG cannot measure text, so its
    width is estimated from the characters (0.5 em each, smaller in sub/superscripts)."""
    width = sum(len(r.text) * (0.375 if r.shift else 0.5) for r in runs(latex)) * size + 3
    left = {"middle": x - width / 2, "start": x - 1.5, "end": x - width + 1.5}[anchor]
    top = y + shift * size - 0.85 * size
    return (
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{1.2 * size:.1f}" '
        'fill="#ffffff" fill-opacity="0.85"/>'
    )


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
            x, y = xy(s.at)
            anchor, shift = ANCHORS[s.anchor]
            size = FONT[s.size]
            colour = st.fill if st.fill != "none" else INK
            if st.halo:
                out.append(_backing(float(x), float(y), anchor, shift, size, s.latex))
            out.append(
                f'<text x="{x}" y="{float(y) + shift * size:.1f}" font-size="{size:.0f}" '
                f'text-anchor="{anchor}" fill="{colour}">{_svg_text(s.latex)}</text>'
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"
