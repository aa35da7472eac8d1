"""Stage 6, render (a class's marks): a feedback page per student, and the class's figure.

A student's page shows each answer beside the line of the key it should have matched (the
quantity, what it is computed from, the key's number), the verdict in words (right; right
given their own earlier answers; wrong, and why) and the points. The class's figure counts,
per blank, the students who made each mistake. Arranges; computes nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType

from explainer.check import marking
from explainer.draw import drawing
from explainer.draw.drawing import Drawing, Label, Path
from explainer.foundation.limits import Limits
from explainer.handouts import batch, grading
from explainer.handouts.grading import Mark
from explainer.handouts.sheet import Question, Sheet
from explainer.render import pdf
from explainer.render.formats import FORMATS, PAPERS, environment

TEMPLATES = {"tex": "feedback.tex.j2", "md": "feedback.md.j2", "html": "feedback.html.j2"}
SAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Row:
    question: Question
    mark: Mark
    said: str  # the verdict in words


@dataclass(frozen=True)
class Page:
    student: str
    sheet: Sheet
    rows: tuple[Row, ...]
    points: str
    of: str
    causes: tuple[tuple[str, tuple[int, ...]], ...]  # each mistake once, with its blanks


def pages(marks: Sequence[Mark], sheet_of: Callable[[str], Sheet]) -> list[Page]:
    """Every student's page, in the answers file's order."""
    by: dict[str, list[Mark]] = {}
    for m in marks:
        by.setdefault(m.student, []).append(m)
    out = []
    for student, theirs in by.items():
        sheet = sheet_of(theirs[0].variant)
        questions = {q.number: q for q in sheet.blanks}
        numbers = {q.key: q.number for q in sheet.blanks}
        rows = tuple(Row(questions[m.blank.number], m, grading.said(m, numbers)) for m in theirs)
        causes: dict[str, list[int]] = {}
        for m in theirs:
            if m.verdict.kind == marking.WRONG:
                causes.setdefault(m.verdict.cause or "", []).append(m.blank.number)
        out.append(
            Page(
                student,
                sheet,
                rows,
                grading.points_text(sum((m.points for m in theirs), start=Decimal(0))),
                grading.points_text(sum((m.blank.points for m in theirs), start=Decimal(0))),
                tuple((c, tuple(ns)) for c, ns in causes.items()),
            )
        )
    return out


def file_names(ps: Sequence[Page]) -> list[str]:
    """Each page's file stem: feedback-<student> in letters, digits, - and _ (a name two
    students share in those letters gets its place in the file)."""
    stems = [f"feedback-{SAFE.sub('-', p.student).strip('-')[:40] or 'student'}" for p in ps]
    names: list[str] = []
    for i, s in enumerate(stems):
        name = s if stems.count(s) == 1 else f"{s}-{i + 1}"
        while name in names or (name != s and name in stems):  # never another page's name
            name += "-"
        names.append(name)
    return names


def render(page: Page, fmt: str, paper: str = "a4") -> str:
    f = FORMATS[fmt]
    env = environment(f)
    env.filters.update(
        inline_math=lambda latex: _mathml().inline(latex), points_text=grading.points_text
    )
    return env.get_template(TEMPLATES[fmt]).render(page=page, paper=PAPERS[paper])


def _mathml() -> ModuleType:
    from explainer.render import mathml  # slow to import: the HTML pages only

    return mathml


def documents(
    marks: Sequence[Mark], sheet_of: Callable[[str], Sheet], fmt: str, limits: Limits
) -> dict[str, str | bytes]:
    """Every student's feedback page as a file: Markdown, HTML, or PDF (compiled on every
    core, as a handout's are)."""
    ps = pages(marks, sheet_of)
    names = file_names(ps)
    if fmt != "pdf":
        return {f"{n}.{fmt}": render(p, fmt) for n, p in zip(names, ps, strict=True)}
    sources = [render(p, "tex") for p in ps]

    def compiled(i: int) -> bytes:
        return pdf.compile_pdf(sources[i], names[i], limits.tex_seconds)

    made = batch.each(range(len(ps)), compiled, False, "PDFs", threads=os.cpu_count() or 1)
    return {f"{n}.pdf": b for n, b in zip(names, made, strict=True)}


# ---------------------------------------------------------------- the class's figure

CELL_W, CELL_H, LEFT, TOP = 0.9, 0.6, 5.2, 0.8  # cm
SHADES = 4  # drawing.STYLES count-0 … count-3: more students, darker


def figure(marks: Sequence[Mark]) -> Drawing:
    """A grid: a row per mistake, a column per blank, each cell the number of students who
    made that mistake on that blank (blank cells: none), shaded by it."""
    counted = grading.mistakes(marks)
    blanks = sorted({n for (n, _), _ in counted})
    names = sorted({w for (_, w), _ in counted}, key=lambda w: (w == marking.NO_CAUSE, w))
    most = max((c for _, c in counted), default=1)
    width = LEFT + CELL_W * max(len(blanks), 1) + 0.3
    height = TOP + CELL_H * max(len(names), 1) + 0.3
    shapes: list[drawing.Shape] = []
    top = height - TOP
    for j, n in enumerate(blanks):
        x = LEFT + CELL_W * (j + 0.5)
        shapes.append(Label((x, top + 0.35), f"({n})", "center", "small", "label-plain"))
    for i, name in enumerate(names):
        y = top - CELL_H * (i + 0.5)
        shapes.append(Label((LEFT - 0.15, y), rf"\text{{{name}}}", "east", "small", "label-plain"))
        for j in range(len(blanks)):
            x0, y0 = LEFT + CELL_W * j, top - CELL_H * (i + 1)
            box = ((x0, y0), (x0 + CELL_W, y0), (x0 + CELL_W, y0 + CELL_H), (x0, y0 + CELL_H))
            shapes.append(Path(box, "grid", closed=True))
    for (n, name), c in counted:
        i, j = names.index(name), blanks.index(n)
        x0, y0 = LEFT + CELL_W * j, top - CELL_H * (i + 1)
        box = ((x0, y0), (x0 + CELL_W, y0), (x0 + CELL_W, y0 + CELL_H), (x0, y0 + CELL_H))
        shade = (c * SHADES - 1) // most  # the most students: the darkest
        shapes.append(Path(box, f"count-{shade}", closed=True))
        shapes.append(
            Label((x0 + CELL_W / 2, y0 + CELL_H / 2), str(c), "center", "small", "label-plain")
        )
    title = (
        "How many students made each mistake, by blank: "
        + "; ".join(f"blank {n}, {w}: {c}" for (n, w), c in counted)
        if counted
        else "No wrong answers"
    )
    return Drawing(width, height, tuple(shapes), title)
