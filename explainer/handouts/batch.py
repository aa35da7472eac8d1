"""Interface (handouts): `explainer handout`, and `explainer.handouts(...)` from Python.

One scenario → per variant a student sheet and an answer key, the combined sheets and the
combined answer booklet, and a one-page summary. Every variant is drawn (variants.py), computed
in the handout's arithmetic for the key and in float64 for the graders' tolerance, laid out
(handout.py) and rendered (handout_render.py); PDFs are compiled on every core. Everything is
made before anything is written, so a failure leaves the output folder as it was.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib
import io
import os
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pypdf
from tqdm import tqdm

from explainer.check.results import results
from explainer.draw import drawing
from explainer.foundation.errors import ExplainerError, MissingCharacter, ScenarioError, UsageError
from explainer.foundation.limits import DEFAULT, Limits
from explainer.handouts import canvas, manifest, moodle, prairielearn, qti, variants
from explainer.handouts import sheet as handout
from explainer.handouts.typeset import box, figure_file, render_sheets
from explainer.page import build as page
from explainer.read.arithmetic_spec import for_a_calculator
from explainer.read.files import read_regular
from explainer.read.graph_scenario import GraphScenario
from explainer.read.scenario import Scenario
from explainer.read.settings import Options, parse_arithmetic, plan
from explainer.render import pdf
from explainer.render.formats import attachments, render
from explainer.rules.activations import LOSSES

FORMATS = ("pdf", "tex", "md", "html")
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")  # a roster ID: also a file name
MAX_VARIANTS = 1000
T = TypeVar("T")
R = TypeVar("R")


class Unset(ExplainerError):
    """Students whose documents no installed font can set (one line each in `rows`); `files`
    holds everything else of the batch, which the caller still writes."""

    def __init__(self, files: dict[str, str | bytes], rows: tuple[str, ...]) -> None:
        super().__init__("; ".join(rows))
        self.files, self.rows = files, rows


@dataclass(frozen=True)
class HandoutOptions:
    variants: int = 1
    seed: int = 0
    roster: Path | None = None
    blank: tuple[str, ...] | None = None  # None: the scenario's [handout] blank
    fmt: str = "pdf"
    arithmetic: str | None = None  # the key's; None: the scenario's [handout] arithmetic
    paper: str = "a4"
    progress: bool = False  # a progress bar on stderr
    limits: Limits = DEFAULT  # the roster's, and TeX's time
    note: Callable[[str], None] | None = None  # told, before a batch of minutes starts
    export: tuple[str, ...] = ()  # course platforms' files too: rows of EXPORTS
    key: str = "full"  # a key's content: a row of KEYS


# What a key holds: its answer tables, the rules used and the whole worked solution, or the
# same without the worked solution
KEYS = ("full", "answers")

# A course platform's import file of the variants' sheets: its file name, and its writer
EXPORTS: dict[str, tuple[str, Callable[[str, Sequence[handout.Sheet]], str | bytes]]] = {
    "moodle": ("moodle.xml", moodle.quiz),
    "qti": ("qti.zip", qti.package),
    "canvas": ("canvas.zip", canvas.package),
    "prairielearn": ("prairielearn.zip", prairielearn.package),
}


# Seconds per variant on two cores (benchmarks/handouts.md: 30 variants of Mazur's network in
# 7.0 s as sources, 20.4 s as PDFs): a forecast that says so when a batch takes minutes.
SECONDS_PER_VARIANT = {"pdf": 0.7, "tex": 0.25, "md": 0.25, "html": 0.25}
LONG_BATCH = 60


def read_roster(path: Path, limits: Limits = DEFAULT) -> tuple[variants.Student, ...]:
    """A roster CSV with a header naming `id` and `name`: one student a row, IDs unique, at
    most `students` rows."""
    where = str(path)
    students: list[variants.Student] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(_rows(path, limits)[1:], start=2):
        if not row or not any(c.strip() for c in row):
            continue
        if len(students) == limits.students:
            raise limits.exceeded(where, f"row {i}", "students", "a roster", "more rows")
        ident = row[0].strip()
        if not ID.fullmatch(ident):
            raise ScenarioError(
                where,
                f"row {i}, id",
                "an ID of letters, digits, '_' or '-' (at most 40)",
                repr(ident[:80]),
            )
        if ident in seen:
            raise ScenarioError(
                where, f"row {i}, id", "an ID no other row has", f"{ident!r}, as row {seen[ident]}"
            )
        seen[ident] = i
        students.append(variants.Student(ident, row[1].strip() if len(row) > 1 else "", i))
    if not students:
        raise ScenarioError(where, "", "at least one student", "no rows")
    return tuple(students)


def _rows(path: Path, limits: Limits) -> list[list[str]]:
    """The roster's rows, its header checked: a regular file of at most `roster_bytes`, UTF-8
    with or without the byte-order mark that spreadsheet programs write first."""
    where = str(path)
    try:
        data = read_regular(where, "", path, limits, "roster_bytes", follow=True)
    except ScenarioError as e:
        if e.found == "no such file":
            raise UsageError(f"{where}: no such roster file") from None
        raise
    try:
        rows = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    except (UnicodeDecodeError, csv.Error) as e:
        raise ScenarioError(where, "", "a UTF-8 CSV file", type(e).__name__) from None
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["id", "name"]:
        found = ", ".join(rows[0]) if rows else "an empty file"
        raise ScenarioError(where, "row 1", "a header row: id,name", repr(found[:80]))
    return rows


def files(s: Scenario | GraphScenario, options: HandoutOptions) -> dict[str, str | bytes]:
    """Every file of the batch by name: sheet-<id>, key-<id>, sheets, keys and summary."""
    if options.fmt not in FORMATS:
        raise UsageError(f"--format {options.fmt}: expected one of {', '.join(FORMATS)}")
    if not 1 <= options.variants <= MAX_VARIANTS:
        raise UsageError(f"--variants {options.variants}: expected 1 to {MAX_VARIANTS}")
    blank = options.blank if options.blank is not None else s.handout.blank
    where = "--blank" if options.blank is not None else "handout.blank"
    roster = read_roster(options.roster, options.limits) if options.roster else ()
    count = len(roster) or options.variants
    seconds = count * SECONDS_PER_VARIANT[options.fmt]
    if options.note and seconds > LONG_BATCH:
        options.note(
            f"{s.path}: {count:,} sheets and keys: this may take about "
            f"{max(2, round(seconds / 60))} minutes"
        )
    ext = "tex" if options.fmt == "pdf" else options.fmt
    key = options.arithmetic or s.handout.arithmetic
    for_a_calculator(key)
    optimized = (
        s.optimizer != "sgd" or s.optimizer_settings.penalized
        if isinstance(s, Scenario)
        else s.training is not None and not s.training.plain
    )
    if optimized:
        raise UsageError(  # a key's tolerance is measured on paper, where no optimizer runs
            f"{s.path}: a handout for a {'network' if isinstance(s, Scenario) else 'graph'} "
            "trained by an optimizer or with a penalty (weight decay, L1) is not made yet (its "
            "key is worked on paper, and an optimizer computes in float64); the page "
            "(explainer render) works its step"
        )
    if isinstance(s, Scenario) and LOSSES[s.loss].over_layer:
        raise UsageError(  # its loss, a term of every class, is wider than a sheet's table
            f"{s.path}: a handout with the {s.loss} loss is not made yet (the loss, a term for "
            "every class, is wider than a sheet's table); the page (explainer render) works "
            "its step"
        )
    if isinstance(s, Scenario) and s.fixed:
        raise UsageError(  # a sheet would ask for a value the source sets, and vary around it
            f"{s.path}: a handout of a network with outputs set by hand ([example.fixed]) is "
            "not made: its sheet would ask students to compute a value the source sets, and "
            "its variants would change the numbers that value came from; the page (explainer "
            "render) works its step"
        )
    drawn, summary_of = view(s).drawn(s, options.seed, options.variants, roster, key)
    if options.key not in KEYS:
        raise UsageError(f"--key {options.key}: expected one of {', '.join(KEYS)}")
    made = same_boxes(worked(s, drawn, blank, where, ext, options, options.key == "full"))
    (summary,) = worked(summary_of, [None], (), where, ext, options)
    docs: dict[str, str] = {}
    for v, w in zip(drawn, made, strict=True):
        docs[f"sheet-{v.label}.{ext}"] = render_sheets([w.sheet], ext, False, paper=options.paper)
        docs[f"key-{v.label}.{ext}"] = render_sheets(
            [w.sheet], ext, True, _derivations([w]), paper=options.paper
        )
    docs[f"summary.{ext}"] = render_sheets([summary.sheet], ext, True, paper=options.paper)
    exports = _exports(s.name, drawn, made, options.export)
    m = manifest.of(Path(s.path), options.seed, options.variants, roster, blank, where, key)
    recorded = {manifest.MANIFEST: manifest.write(m)} if m else {}
    if options.fmt != "pdf":  # the booklets as sources; as PDFs they are joined below
        every = [w.sheet for w in made]
        docs[f"sheets.{ext}"] = render_sheets(every, ext, False, paper=options.paper)
        docs[f"keys.{ext}"] = render_sheets(
            every, ext, True, _derivations(made), paper=options.paper
        )
        figures = (f for w in (*made, summary) for f in w.figures)
        return {**docs, **dict(figures), **exports, **recorded}
    return {**_pdfs(docs, drawn, options), **exports, **recorded}


def _exports(
    name: str, drawn: Sequence[variants.Variant], made: Sequence[Worked], export: Iterable[str]
) -> dict[str, str | bytes]:
    """answers.csv, and each course platform's file asked for."""
    out: dict[str, str | bytes] = {ANSWERS: answers(drawn, made)}
    for platform in export:
        if platform not in EXPORTS:
            raise UsageError(f"--export {platform}: expected one of {', '.join(EXPORTS)}")
        file, write = EXPORTS[platform]
        out[file] = write(name, [w.sheet for w in made])
    return out


ANSWERS = "answers.csv"
ANSWER_COLUMNS = ("variant", "student", "blank", "key", "answer", "tolerance", "points")


def answers(drawn: Sequence[variants.Variant], made: Sequence[Worked]) -> str:
    """Every variant's blanks, one row each: its number on the sheet, the quantity's key, the
    key's answer as the sheet prints it, the tolerance a grader (or a course platform) accepts
    (the key's note's: the sheet's largest drift when worked the other way) and its points."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ANSWER_COLUMNS)
    for v, w in zip(drawn, made, strict=True):
        for q in w.sheet.blanks:
            points = f"{Decimal(repr(q.points)).normalize():f}" if q.points else ""
            row = (v.label, v.student, q.number, q.key, q.answer, f"{w.sheet.accepted:f}", points)
            writer.writerow(row)
    return out.getvalue()


def _pdfs(
    docs: dict[str, str], drawn: Sequence[variants.Variant], options: HandoutOptions
) -> dict[str, str | bytes]:
    """The documents compiled on every core, and the booklets joined from the variants' own
    PDFs. A student's name with a character no installed font has costs that student's sheet
    and key, not the class's: the others are made, and Unset names each row left out."""

    def compiled(n: str) -> bytes | MissingCharacter:
        try:
            return pdf.compile_pdf(docs[n], n.removesuffix(".tex"), options.limits.tex_seconds)
        except MissingCharacter as e:
            return e

    names = list(docs)
    made = each(names, compiled, options.progress, "PDFs", threads=os.cpu_count() or 1)
    pdfs = {n.removesuffix(".tex"): b for n, b in zip(names, made, strict=True)}
    if isinstance(pdfs["summary"], MissingCharacter):  # in the title: no sheet can be set
        raise pdfs["summary"]
    left_out = [
        v for v in drawn if any(isinstance(pdfs[f"{k}-{v.label}"], Exception) for k in KINDS)
    ]
    gone = {f"{k}-{v.label}" for v in left_out for k in KINDS}
    out: dict[str, bytes] = {
        f"{n}.pdf": b for n, b in pdfs.items() if n not in gone and isinstance(b, bytes)
    }
    # the booklets are the variants' own PDFs one after another: the same pages, not compiled
    # a second time
    kept = [v for v in drawn if v not in left_out]
    for kind, booklet in KINDS.items():
        if kept:
            out[f"{booklet}.pdf"] = _joined([out[f"{kind}-{v.label}.pdf"] for v in kept])
    if left_out:
        raise Unset(dict(out), tuple(_unset(v, pdfs, options.roster) for v in left_out))
    return dict(out)


KINDS = {"sheet": "sheets", "key": "keys"}  # a variant's documents, and the booklet of each


def _unset(
    v: variants.Variant, pdfs: dict[str, bytes | MissingCharacter], roster: Path | None
) -> str:
    """Why a student's documents are left out, naming the roster's row and the character."""
    error = next(e for k in KINDS if isinstance(e := pdfs[f"{k}-{v.label}"], MissingCharacter))
    row = f"{roster}: row {v.row}, " if roster is not None and v.row else ""
    return (
        f"{row}{v.label} {v.student!r}: no installed font has the character {error.character} "
        f"(U+{ord(error.character):04X}), so this student's sheet and key are not written"
    )


@dataclass(frozen=True)
class Worked:
    """One variant's sheet, its worked solution (the page's body in the batch's format), and
    the files a Markdown batch needs beside it (its figures: GitHub shows no data: images)."""

    sheet: handout.Sheet
    solution: str
    figures: tuple[tuple[str, str], ...]


def view(s: Scenario | GraphScenario) -> Any:
    """The handout module of the scenario's view (its plan's `view`: handouts/layered.py,
    handouts/gates.py): its variants drawn, and a variant's sheet."""
    return importlib.import_module(f"explainer.handouts.{plan(s).view}")


def worked(
    s: Scenario | GraphScenario,
    drawn: Sequence[variants.Variant | None],
    blank: tuple[str, ...],
    where: str,
    text: str,
    options: HandoutOptions,
    solutions: bool = True,
) -> list[Worked]:
    """Each variant's sheet and its worked solution (in `text`, "" none; none either without
    `solutions`, a key of the answer tables alone); None: the summary, the givens of `s` with
    nothing blank."""
    chosen = options.arithmetic or s.handout.arithmetic
    arithmetic = parse_arithmetic(chosen)
    decimals = arithmetic.decimals if arithmetic.kind == "paper" else 4

    # the tolerance's measure: a key on paper against every digit kept (float64), a key that
    # keeps every digit against the sheet's paper arithmetic
    other = "float64" if arithmetic.kind == "paper" else f"paper:{decimals}"

    def one(v: variants.Variant | None) -> Worked:
        base = v.scenario if v else s
        keyed = results(plan(base, Options(arithmetic=chosen)))
        measured = results(plan(base, Options(arithmetic=other)), values_only=True)
        view = importlib.import_module(f"explainer.handouts.{keyed.plan.view}")
        sheet: handout.Sheet = view.sheet(keyed, measured, v, blank, decimals, where)
        figures: tuple[tuple[str, str], ...] = ()
        if text == "md":
            figures = ((figure_file(sheet), drawing.svg(sheet.figure, figure_file(sheet)[:-4])),)
        if not text or v is None or not solutions:
            return Worked(sheet, "", figures)
        # the variant's own page name: its figures' files and SVG ids are its own
        explanation = dataclasses.replace(page(keyed), name=f"{s.name}-{v.label}")
        solution = render(
            explanation,
            text,
            body_only=True,
            paper=options.paper,
            answers=frozenset(q.key for q in sheet.blanks),
            keepspace=True,
        )
        return Worked(sheet, solution, (*figures, *attachments(explanation, text)))

    return each(drawn, one, options.progress and len(drawn) > 1, "variants")


def _derivations(made: Sequence[Worked]) -> list[str]:
    """The keys' worked solutions, one per sheet; none for a key of the answer tables alone."""
    return [w.solution for w in made] if any(w.solution for w in made) else []


def same_boxes(made: list[Worked]) -> list[Worked]:
    """Every variant's boxes as wide as the widest sheet's: each box of each variant then
    stands at the same place on the same page."""
    width = max((box(w.sheet) for w in made), default=0.0)
    return [
        dataclasses.replace(w, sheet=dataclasses.replace(w.sheet, box_width=width)) for w in made
    ]


def sheets(
    s: Scenario | GraphScenario, drawn: Sequence[variants.Variant], blank: tuple[str, ...]
) -> list[handout.Sheet]:
    """The variants' sheets alone (no worked solutions): what a test checks the keys of."""
    return [w.sheet for w in worked(s, drawn, blank, "handout.blank", "", HandoutOptions())]


def _joined(pdfs: Sequence[bytes]) -> bytes:
    """PDFs one after another in one file; the same bytes for the same parts (pypdf writes
    no date and an ID from the content)."""
    writer = pypdf.PdfWriter()
    for part in pdfs:
        writer.append(io.BytesIO(part))
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def each(
    items: Sequence[T],
    f: Callable[[T], R],
    progress: bool,
    what: str,
    threads: int = 1,
) -> list[R]:
    """f of every item, in order; on `threads` threads (pdflatex runs as its own process, so
    threads keep every core busy); a progress bar on stderr when asked for."""
    bar: Iterable[R]
    if threads > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            bar = tqdm(pool.map(f, items), total=len(items), desc=what, disable=not progress)
            return list(bar)
    bar = tqdm(map(f, items), total=len(items), desc=what, disable=not progress)
    return list(bar)
