"""Stage 8, grade (a class's answers): students' answers marked against a handout's key.

The key is the handout's answers.csv (each variant's blanks by number, the key's answer, the
tolerance and the points); the answers are a CSV a teacher's spreadsheet saves, a row per
student: `student`, `variant`, then one column per blank, headed by its number on the sheet.
An answer is right when it is within the blank's tolerance of the key's, and earns the
blank's points; an empty cell is no answer. Every cell is read as text and parsed here (never
evaluated): a bad file names its row and column, and nothing is written.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from explainer.foundation.errors import ScenarioError
from explainer.foundation.limits import DEFAULT, Limits
from explainer.read.files import read_regular

KEY_COLUMNS = ("variant", "student", "blank", "key", "answer", "tolerance", "points")
NUMBER = re.compile(r"[-+−]?(\d++([.,]\d*+)?|[.,]\d++)([eE][-+]?\d++)?")
BLANK = re.compile(r"\d{1,6}")  # a blank's number on a sheet


@dataclass(frozen=True)
class Blank:
    number: int
    key: str  # the quantity's JSON key
    answer: Decimal
    tolerance: Decimal
    points: Decimal


@dataclass(frozen=True)
class Mark:
    student: str
    variant: str
    blank: Blank
    given: str  # the cell as written ("" no answer)
    right: bool
    points: Decimal


def _rows(file: str, data: bytes) -> list[list[str]]:
    """The CSV's rows; a file whose header has semicolons and no commas is read as a
    spreadsheet in a decimal-comma locale saves it, separated by semicolons."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ScenarioError(file, f"byte {e.start:,}", "UTF-8 text", "other bytes") from None
    first = text.partition("\n")[0]
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        rows.extend(reader)
    except csv.Error as e:
        raise ScenarioError(file, f"row {reader.line_num}", "a CSV row", str(e)) from None
    return rows


def _number(file: str, where: str, cell: str, comma: bool, limits: Limits = DEFAULT) -> Decimal:
    """A number cell: digits with a decimal point (or, with `comma`, a decimal comma), a sign,
    an exponent within the limits; nothing else."""
    text = cell.strip().replace("−", "-")
    if "," in text and not comma:
        raise ScenarioError(
            file,
            where,
            "a number with a decimal point (a decimal comma with --decimal-comma)",
            repr(cell),
        )
    if not NUMBER.fullmatch(text) or (comma and "." in text and "," in text):
        raise ScenarioError(file, where, "a number", repr(cell[:40]))
    limits.printed(file, where, text, "a number")
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ScenarioError(file, where, "a number", repr(cell[:40])) from None


def read_key(path: Path, limits: Limits) -> dict[str, tuple[Blank, ...]]:
    """A handout's answers.csv: each variant's blanks, by number."""
    file = str(path)
    rows = _rows(file, read_regular(file, "answers.csv", path, limits, "roster_bytes", True))
    if not rows or tuple(rows[0]) != KEY_COLUMNS:
        raise ScenarioError(
            file, "row 1", f"the header {','.join(KEY_COLUMNS)} (explainer handout's)", "other"
        )
    out: dict[str, list[Blank]] = {}
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(KEY_COLUMNS):
            raise ScenarioError(file, f"row {i}", f"{len(KEY_COLUMNS)} cells", f"{len(row)}")
        cells = dict(zip(KEY_COLUMNS, row, strict=True))
        if not BLANK.fullmatch(cells["blank"]):
            raise ScenarioError(
                file, f"row {i}, blank", "a blank's number", repr(cells["blank"][:40])
            )
        blank = Blank(
            int(cells["blank"]),
            cells["key"],
            _number(file, f"row {i}, answer", cells["answer"], False),
            _number(file, f"row {i}, tolerance", cells["tolerance"], False),
            _number(file, f"row {i}, points", cells["points"] or "0", False),
        )
        out.setdefault(cells["variant"], []).append(blank)
    if not out:
        raise ScenarioError(file, "row 2", "a blank of a variant", "the header alone")
    return {v: tuple(b) for v, b in out.items()}


def mark(
    path: Path, key: dict[str, tuple[Blank, ...]], limits: Limits, comma: bool = False
) -> list[Mark]:
    """Every student's answers marked: a row per student (`student`, `variant`, then a column
    per blank headed by its number); an empty cell is no answer."""
    file = str(path)
    rows = _rows(file, read_regular(file, "answers", path, limits, "roster_bytes", True))
    header = _header(file, rows)
    marks: list[Mark] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if any(c.strip() for c in row[len(header) :]):
            raise ScenarioError(file, f"row {i}", f"at most {len(header)} cells", f"{len(row)}")
        cells = dict(zip(header, row, strict=False))
        student = _student(file, i, cells, seen)
        variant = _variant(file, i, cells, key)
        for blank in key[variant]:
            marks.append(_one(file, i, header, cells, student, variant, blank, comma, limits))
    return marks


def _header(file: str, rows: list[list[str]]) -> list[str]:
    if not rows:
        raise ScenarioError(file, "row 1", "a header: student,variant,1,2,…", "an empty file")
    header = [h.strip() for h in rows[0]]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise ScenarioError(file, "row 1", "each column once", f"{twice[0]!r} twice")
    for column in ("student", "variant"):
        if column not in header:
            raise ScenarioError(file, "row 1", f"a column {column!r}", ", ".join(header) or "none")
    return header


def _student(file: str, i: int, cells: dict[str, str], seen: dict[str, int]) -> str:
    """The row's student, named once in the file."""
    student = cells.get("student", "").strip()
    if not student or student in seen:
        found = "none" if not student else f"{student!r}, as in row {seen[student]}"
        raise ScenarioError(file, f"row {i}, student", "a student named once", found)
    seen[student] = i
    return student


def _variant(file: str, i: int, cells: dict[str, str], key: dict[str, tuple[Blank, ...]]) -> str:
    variant = cells.get("variant", "").strip()
    if variant not in key:
        known = sorted(key)
        shown = f"{known[0]}…{known[-1]}" if len(known) > 1 else known[0]
        raise ScenarioError(
            file, f"row {i}, variant", f"a variant of the handout ({shown})", repr(variant)
        )
    return variant


def _one(
    file: str,
    i: int,
    header: list[str],
    cells: dict[str, str],
    student: str,
    variant: str,
    blank: Blank,
    comma: bool,
    limits: Limits,
) -> Mark:
    """One answer marked: right within the blank's tolerance of the key's answer."""
    column = str(blank.number)
    if column not in header:
        raise ScenarioError(
            file, "row 1", f"a column {column!r} (blank {column} of the sheet)", "none"
        )
    given = cells.get(column, "").strip()
    if not given:
        return Mark(student, variant, blank, "", False, Decimal(0))
    x = _number(file, f"row {i}, column {column}", given, comma, limits)
    right = blank.answer - blank.tolerance <= x <= blank.answer + blank.tolerance  # exact
    return Mark(student, variant, blank, given, right, blank.points if right else Decimal(0))


def _csv(rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def reports(marks: Sequence[Mark]) -> dict[str, str]:
    """grades.csv (an answer a row), totals.csv (a student a row) and blanks.csv (a blank a
    row: how many got it right, wrong, or left it empty)."""
    grades: list[tuple[object, ...]] = [
        ("student", "variant", "blank", "key", "answer", "key_answer", "verdict", "points")
    ]
    for m in marks:
        verdict = "right" if m.right else "wrong" if m.given else "no answer"
        grades.append(
            (
                m.student,
                m.variant,
                m.blank.number,
                m.blank.key,
                m.given,
                m.blank.answer,
                verdict,
                m.points,
            )
        )
    totals: dict[tuple[str, str], list[Decimal]] = {}
    for m in marks:
        got, of = totals.setdefault((m.student, m.variant), [Decimal(0), Decimal(0)])
        totals[m.student, m.variant] = [got + m.points, of + m.blank.points]
    blanks: dict[int, list[int]] = {}
    for m in marks:
        counts = blanks.setdefault(m.blank.number, [0, 0, 0])
        counts[0 if m.right else 1 if m.given else 2] += 1
    return {
        "grades.csv": _csv(grades),
        "totals.csv": _csv(
            [
                ("student", "variant", "points", "of"),
                *((s, v, g, o) for (s, v), (g, o) in totals.items()),
            ]
        ),
        "blanks.csv": _csv(
            [
                ("blank", "right", "wrong", "no answer"),
                *((n, *c) for n, c in sorted(blanks.items())),
            ]
        ),
    }
