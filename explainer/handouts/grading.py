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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from explainer.check import marking
from explainer.check.marking import EMPTY, FOLLOWS, RIGHT, WRONG, Verdict
from explainer.foundation.errors import ExplainerError, ScenarioError, UsageError
from explainer.foundation.limits import DEFAULT, Limits
from explainer.handouts import batch, manifest
from explainer.handouts.sheet import Sheet
from explainer.read.arithmetic_spec import for_a_calculator
from explainer.read.files import read_regular
from explainer.read.graph_scenario import GraphScenario
from explainer.read.scenario import Scenario, load

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
    verdict: Verdict
    points: Decimal

    @property
    def right(self) -> bool:
        return self.verdict.kind == RIGHT


# A variant's answers judged: (variant, the student's answers by key) → each blank's verdict
Judge = Callable[[str, dict[str, Decimal]], dict[str, Verdict]]


def plain(variant: str, key: tuple[Blank, ...], answers: dict[str, Decimal]) -> dict[str, Verdict]:
    """Right or wrong against the key alone (no handout.json: no variant to recompute)."""
    return {
        b.key: Verdict(
            EMPTY
            if b.key not in answers
            else RIGHT
            if abs(answers[b.key] - b.answer) <= b.tolerance
            else WRONG
        )
        for b in key
    }


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
    path: Path,
    key: dict[str, tuple[Blank, ...]],
    limits: Limits,
    comma: bool = False,
    judge: Judge | None = None,
    follow: Decimal = Decimal(1),
) -> list[Mark]:
    """Every student's answers marked: a row per student (`student`, `variant`, then a column
    per blank headed by its number); an empty cell is no answer. `judge` gives each answer's
    verdict (else right or wrong against the key); an answer right given the student's own
    earlier ones earns `follow` of its points."""
    file = str(path)
    rows = _rows(file, read_regular(file, "answers", path, limits, "roster_bytes", True))
    header = _header(file, rows)
    read: list[tuple[str, str, dict[Blank, str], dict[str, Decimal]]] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if any(c.strip() for c in row[len(header) :]):
            raise ScenarioError(file, f"row {i}", f"at most {len(header)} cells", f"{len(row)}")
        cells = dict(zip(header, row, strict=False))
        student = _student(file, i, cells, seen)
        variant = _variant(file, i, cells, key)
        given: dict[Blank, str] = {}
        answers: dict[str, Decimal] = {}
        for b in key[variant]:  # each cell located as it is read
            given[b] = g = _cell(file, header, cells, b)
            if g:
                answers[b.key] = _number(file, f"row {i}, column {b.number}", g, comma, limits)
        read.append((student, variant, given, answers))
    marks: list[Mark] = []
    for student, variant, given, answers in read:  # every cell read before any is judged
        verdicts = (judge or (lambda v, a: plain(v, key[v], a)))(variant, answers)
        for b, g in given.items():
            v = verdicts[b.key]
            earned = b.points if v.kind == RIGHT else b.points * follow if v.kind == FOLLOWS else 0
            marks.append(Mark(student, variant, b, g, v, Decimal(earned)))
    return marks


def _cell(file: str, header: list[str], cells: dict[str, str], blank: Blank) -> str:
    column = str(blank.number)
    if column not in header:
        raise ScenarioError(
            file, "row 1", f"a column {column!r} (blank {column} of the sheet)", "none"
        )
    return cells.get(column, "").strip()


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


def _csv(rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def said(m: Mark, numbers: dict[str, int]) -> str:
    """A verdict in words: right; right given the student's answers to (2) and (5); wrong,
    with its cause; or no answer."""
    v = m.verdict
    if v.kind == FOLLOWS:
        blanks = " and ".join(f"({numbers[k]})" for k in v.follows if k in numbers)
        return f"right given your answer{'s' if len(v.follows) > 1 else ''} to {blanks}"
    if v.kind == WRONG and v.cause:
        return f"wrong: {v.cause}"
    return "wrong, no cause found" if v.name == marking.NO_CAUSE else v.kind


def reports(marks: Sequence[Mark]) -> dict[str, str]:
    """grades.csv (an answer a row, with its verdict and cause), totals.csv (a student a row),
    blanks.csv (a blank a row: how many got it right, right by follow-through, wrong, or left
    it empty) and mistakes.csv (a blank and a cause a row: how many students made it)."""
    numbers = {(m.variant, m.blank.key): m.blank.number for m in marks}
    grades: list[tuple[object, ...]] = [
        (
            "student",
            "variant",
            "blank",
            "key",
            "answer",
            "key_answer",
            "verdict",
            "cause",
            "follows",
            "points",
        )
    ]
    for m in marks:
        mine = {k: n for (v, k), n in numbers.items() if v == m.variant}
        follows = " ".join(str(mine[k]) for k in m.verdict.follows if k in mine)
        grades.append(
            (
                m.student,
                m.variant,
                m.blank.number,
                m.blank.key,
                m.given,
                m.blank.answer,
                m.verdict.kind,
                m.verdict.cause or (marking.NO_CAUSE if m.verdict.name == marking.NO_CAUSE else ""),
                follows,
                points_text(m.points),
            )
        )
    totals: dict[tuple[str, str], list[Decimal]] = {}
    for m in marks:
        got, of = totals.setdefault((m.student, m.variant), [Decimal(0), Decimal(0)])
        totals[m.student, m.variant] = [got + m.points, of + m.blank.points]
    kinds = (RIGHT, FOLLOWS, WRONG, EMPTY)
    blanks: dict[int, list[int]] = {}
    for m in marks:
        blanks.setdefault(m.blank.number, [0] * len(kinds))[kinds.index(m.verdict.kind)] += 1
    return {
        "grades.csv": _csv(grades),
        "totals.csv": _csv(
            [
                ("student", "variant", "points", "of"),
                *((s, v, points_text(g), points_text(o)) for (s, v), (g, o) in totals.items()),
            ]
        ),
        "blanks.csv": _csv([("blank", *kinds), *((n, *c) for n, c in sorted(blanks.items()))]),
        "mistakes.csv": _csv(
            [("blank", "mistake", "students"), *((n, w, c) for (n, w), c in mistakes(marks))]
        ),
    }


def mistakes(marks: Sequence[Mark]) -> list[tuple[tuple[int, str], int]]:
    """How many students made each mistake, by blank and the mistake's short name; a wrong
    answer with no cause found counts as one too (none where no cause was looked for: a
    handout without its manifest)."""
    count: dict[tuple[int, str], int] = {}
    for m in marks:
        if m.verdict.kind == WRONG and m.verdict.name:
            k = (m.blank.number, m.verdict.name)
            count[k] = count.get(k, 0) + 1
    return sorted(count.items())


def points_text(x: Decimal) -> str:
    """Points as a teacher writes them: 2, 1.5 (not 2.00, 1.50, 2E+1)."""
    return f"{x.normalize():f}" if x else "0"


class Regenerated:
    """A handout's variants drawn again from its manifest: each variant's sheet and the judge
    of its answers (follow-through and causes: check/marking.py), made on first use, for the
    variants a class's answers name."""

    def __init__(
        self,
        s: Scenario | GraphScenario,
        m: manifest.Manifest,
        key: dict[str, tuple[Blank, ...]],
        answers_csv: Path,
        source: Path,
    ) -> None:
        drawn, _ = batch.view(s).drawn(s, m.seed, m.variants, m.students, m.arithmetic)
        self._s, self._m, self._key, self._file, self._source = s, m, key, answers_csv, source
        self._drawn = {v.label: v for v in drawn}
        unknown = sorted(set(key) - set(self._drawn))
        if unknown:
            raise UsageError(
                f"{answers_csv}: variant {unknown[0]}: not among the variants {source} draws "
                "with the handout's seed (answers.csv was edited, or explainer changed)"
            )
        self._sheets: dict[str, Sheet] = {}
        self._grounds: dict[str, marking.Ground] = {}

    def sheet(self, label: str) -> Sheet:
        if label not in self._sheets:
            v = self._drawn[label]
            options = batch.HandoutOptions(arithmetic=self._m.arithmetic)
            (w,) = batch.worked(self._s, [v], self._m.blank, self._m.where, "", options, False)
            _same_key(self._file, label, w.sheet, self._key[label], self._source)
            self._sheets[label] = w.sheet
        return self._sheets[label]

    def judge(self, variant: str, answers: dict[str, Decimal]) -> dict[str, Verdict]:
        blanks = self._key[variant]
        self.sheet(variant)  # the key drawn again is answers.csv's
        if variant not in self._grounds:
            scenario = self._drawn[variant].scenario
            keys = [b.key for b in blanks]
            self._grounds[variant] = marking.ground(scenario, keys, self._m.arithmetic)
        return marking.judge(
            self._grounds[variant],
            {b.key: b.answer for b in blanks},
            answers,
            max(b.tolerance for b in blanks),
        )


def regenerated(
    folder: Path, key: dict[str, tuple[Blank, ...]], scenario: Path | None, limits: Limits
) -> Regenerated | None:
    """The handout's variants, to be drawn again from its manifest (None without one: a
    handout made before manifests, or from a scenario built in Python); `scenario` in place of
    the manifest's path. Each key drawn again must be answers.csv's, blank for blank."""
    path = folder / manifest.MANIFEST
    if not path.is_file():
        return None
    m = manifest.read(path, limits)
    source = scenario or Path(m.scenario)
    where = f"{path}: scenario"
    if not source.is_file():
        raise UsageError(
            f"{where}: {m.scenario!r} is not a file here; name the scenario the handout was "
            "made from with --scenario FILE"
        )
    _usable(path, m)
    data = read_regular(str(source), "scenario", source, limits, "file_bytes", True)
    if manifest.sha256(data) != m.sha256:
        raise UsageError(
            f"{where}: {source} is not the file the handout was made from (its bytes differ); "
            "grade with the scenario as it was, or make the handout again"
        )
    return Regenerated(load(source, limits), m, key, folder / batch.ANSWERS, source)


def _usable(path: Path, m: manifest.Manifest) -> None:
    """A manifest's numbers within what `explainer handout` takes: a file edited by hand is
    refused where its key stands, before any variant is drawn."""
    file = str(path)
    if m.seed < 0:
        raise ScenarioError(file, "seed", "a seed of 0 or more", str(m.seed))
    if not 1 <= m.variants <= batch.MAX_VARIANTS:
        raise ScenarioError(file, "variants", f"1 to {batch.MAX_VARIANTS:,}", str(m.variants))
    try:
        for_a_calculator(m.arithmetic)
    except ExplainerError:
        raise ScenarioError(
            file, "arithmetic", "a key's arithmetic (paper:K, float64 or exact)", repr(m.arithmetic)
        ) from None


def _same_key(file: Path, label: str, sheet: Sheet, key: tuple[Blank, ...], source: Path) -> None:
    drawn = [(q.number, q.key, Decimal(q.answer.replace("−", "-"))) for q in sheet.blanks]
    kept = [(b.number, b.key, b.answer) for b in key]
    if drawn != kept:
        first = next((d, k) for d, k in zip([*drawn, None], [*kept, None], strict=False) if d != k)
        raise UsageError(
            f"{file}: variant {label}: the key drawn again from {source} differs ({first[0]} "
            f"against {first[1]}): answers.csv was edited, or explainer changed since the "
            "handout was made"
        )
