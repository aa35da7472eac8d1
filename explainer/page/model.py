"""Stage 5, explain (the page model): the frozen data a page is made of.

Prose is a tuple of segments, text or math, so each renderer escapes the text for its own
format and leaves the math alone; math is LaTeX. No sympy object and no computation here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from explainer.draw.drawing import Drawing

SegKind = Literal["text", "math", "strong"]


@dataclass(frozen=True)
class Seg:
    kind: SegKind
    value: str


Prose = tuple[Seg, ...]


def text(*parts: str | Seg) -> Prose:
    """Prose from plain strings and math segments: text("the error ", math("E"), " falls")."""
    return tuple(p if isinstance(p, Seg) else Seg("text", p) for p in parts)


def math(latex: str) -> Seg:
    return Seg("math", latex)


def strong(s: str) -> Seg:
    return Seg("strong", s)


@dataclass(frozen=True)
class Paragraph:
    prose: Prose
    kind: Literal["paragraph"] = "paragraph"


@dataclass(frozen=True)
class Display:
    """Aligned display math: each row holds one `&` before its relation; the tag numbers it.
    `ends`, row by row: the JSON key of the quantity whose value the row ends with ("" none),
    so that an answer key can mark that value."""

    rows: tuple[str, ...]
    tag: str = ""
    ends: tuple[str, ...] = ()
    kind: Literal["display"] = "display"


@dataclass(frozen=True)
class Table:
    header: tuple[Prose, ...]
    rows: tuple[tuple[Prose, ...], ...]
    numeric: tuple[bool, ...]  # per column: right-align
    kind: Literal["table"] = "table"


@dataclass(frozen=True)
class Figure:
    """A picture with its caption; `key` names it (the Markdown page's SVG file ends in it)."""

    key: str
    drawing: Drawing
    caption: Prose
    kind: Literal["figure"] = "figure"


Item = Paragraph | Display | Table | Figure


@dataclass(frozen=True)
class Section:
    title: str
    level: int  # 2: section, 3: subsection
    items: tuple[Item, ...]
    anchor: str = ""


@dataclass(frozen=True)
class Explanation:
    name: str
    title: str
    source: str
    sections: tuple[Section, ...]
    values: tuple[tuple[str, float | str], ...]  # every quantity under its stable JSON key
    arithmetic: str
    warnings: tuple[str, ...] = ()  # numeric trouble worth a word on the terminal (saturation)
