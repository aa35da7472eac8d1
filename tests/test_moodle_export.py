"""`explainer handout … --export moodle`: the variants as Moodle XML, read back as Moodle's
importer reads it (a category, then Cloze questions whose NUMERICAL fields its parser finds
with its own pattern) and graded round trip: the key's answers get full marks, typical wrong
answers none."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest

from explainer.cli import main
from explainer.handouts import batch as handouts
from explainer.handouts.batch import HandoutOptions
from explainer.read import scenario
from tests.conftest import SCENARIOS

# Moodle's Cloze field, as qtype_multianswer's parser finds it: {weight:TYPE:answers}
FIELD = re.compile(r"\{(\d*):(NUMERICAL|NM):(.*?)\}")


def _export(name: str, variants: int = 4) -> tuple[ET.Element, list[dict[str, str]]]:
    s = scenario.load(SCENARIOS / f"{name}.toml")
    files = handouts.files(
        s, HandoutOptions(variants=variants, seed=3, fmt="md", export=("moodle",))
    )
    xml, answers = files["moodle.xml"], files["answers.csv"]
    assert isinstance(xml, str) and isinstance(answers, str)
    return ET.fromstring(xml), list(csv.DictReader(io.StringIO(answers)))


def _fields(question: ET.Element) -> list[tuple[int, Decimal, Decimal]]:
    """(weight, answer, tolerance) of each NUMERICAL field, in order."""
    text = question.findtext("questiontext/text") or ""
    out = []
    for weight, _, answers in FIELD.findall(text):
        assert answers.startswith("=") and "~" not in answers  # one answer, 100%
        value, _, tolerance = answers[1:].partition(":")
        out.append((int(weight or 1), Decimal(value), Decimal(tolerance)))
    return out


def _graded(fields: list[tuple[int, Decimal, Decimal]], given: list[Decimal]) -> int:
    """Moodle's NUMERICAL marking: a field's weight when |answer − value| ≤ tolerance."""
    return sum(w for (w, v, t), a in zip(fields, given, strict=True) if abs(a - v) <= t)


@pytest.mark.parametrize("name", ["mazur-2-2-2", "circuit-sigmoid-neuron"])
def test_the_export_reads_as_moodles_importer_reads_it(name: str) -> None:
    root, answers = _export(name)
    assert root.tag == "quiz"
    category, *questions = root.findall("question")
    assert category.get("type") == "category"
    assert (category.findtext("category/text") or "").startswith("$course$/")
    assert len(questions) == 4 and {q.get("type") for q in questions} == {"cloze"}
    ids = [q.findtext("idnumber") for q in questions]
    assert len(set(ids)) == len(ids)
    for q, label in zip(questions, ("v01", "v02", "v03", "v04"), strict=True):
        text = q.find("questiontext")
        assert q.findtext("name/text") and text is not None and text.get("format") == "html"
        rows = [r for r in answers if r["variant"] == label]
        fields = _fields(q)
        assert [(str(v), str(t)) for _, v, t in fields] == [
            (r["answer"], r["tolerance"]) for r in rows
        ]
        # no other brace that Moodle's parser would take for a field: "{digits:" outside them
        rest = FIELD.sub("", q.findtext("questiontext/text") or "")
        assert not re.search(r"\{\d*:", rest)


def test_the_keys_answers_get_full_marks_and_typical_mistakes_none() -> None:
    root, answers = _export("mazur-2-2-2")
    labels = ("v01", "v02", "v03", "v04")
    for q, label in zip(root.findall("question[@type='cloze']"), labels, strict=True):
        fields = _fields(q)
        total = sum(w for w, _, _ in fields)
        key = [Decimal(r["answer"]) for r in answers if r["variant"] == label]  # answers.csv
        assert _graded(fields, key) == total
        # worked the other way, off by the stated tolerance: still right
        assert _graded(fields, [v + t for _, v, t in fields]) == total
        for wrong in (
            [-v for _, v, _ in fields],  # the sign dropped
            [2 * v for _, v, _ in fields],  # a factor 2 too many
            [v + 3 * t for _, v, t in fields],  # three units off in the last decimal
        ):
            marked = [
                w
                for (w, v, t), a in zip(fields, wrong, strict=True)
                if abs(a - v) <= t and abs(v) > 3 * t
            ]
            assert marked == []


def test_points_become_whole_cloze_weights() -> None:
    root, answers = _export("mazur-2-2-2", variants=1)
    (q,) = root.findall("question[@type='cloze']")
    weights = [w for w, _, _ in _fields(q)]
    points = [Decimal(r["points"] or "0") for r in answers]
    assert all(isinstance(w, int) and w >= 1 for w in weights)
    ratios = {Decimal(w) / p for w, p in zip(weights, points, strict=True) if p}
    assert len(ratios) == 1  # one scale for every blank: the sheet's points kept in proportion


def test_the_command_writes_moodle_xml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "h"
    argv = ["handout", "mazur-2-2-2", "--variants", "2", "-f", "md", "-o", str(out)]
    assert main([*argv, "--export", "moodle"]) == 0
    assert ET.parse(out / "moodle.xml").getroot().tag == "quiz"
    with pytest.raises(SystemExit) as e:
        main([*argv, "--export", "blackboard"])
    assert e.value.code == 2 and "moodle" in capsys.readouterr().err


def test_blanks_with_points_beside_blanks_without_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (SCENARIOS / "mazur-2-2-2.toml").read_text(encoding="utf-8")
    points = "points = { forward = 1, local = 1, gradients = 2, updates = 1 }"
    assert points in text
    zero = text.replace(points, "points = { forward = 1 }", 1)  # the gradients' blanks: none
    path = tmp_path / "zero.toml"
    path.write_text(zero, encoding="utf-8")
    out = tmp_path / "h"
    argv = ["handout", str(path), "--variants", "2", "-f", "md", "--export", "moodle"]
    assert main([*argv, "-o", str(out)]) == 2
    assert "give every blank its points" in capsys.readouterr().err
    assert not out.exists()
