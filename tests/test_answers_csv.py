"""Numbered blanks and `answers.csv`: every blank of a sheet has its number beside its box (on
the sheet and on the key), and the handout's answers.csv gives each variant's blanks by those
numbers: the quantity's key, the key's answer as printed, the tolerance a grader accepts (the
blank's own drift when worked the other way) and its points."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from explainer.handouts import batch as handouts
from explainer.handouts.batch import HandoutOptions
from explainer.handouts.sheet import Question, drifts
from explainer.read import scenario
from tests.conftest import SCENARIOS

# a key's row in Markdown: | $symbol$ | formula | (n) $\boxed{answer}$ ✔ | points |
KEY_ROW = re.compile(r"\| \((\d+)\) \$\\boxed\{(-?[\d.]+)\}\$ ✔ \|")
SHEET_ROW = re.compile(r"\| \((\d+)\) \\_\\_")
UNITS = re.compile(r"accept answers within ±(\d+) there")


def _rows(files: dict[str, str | bytes]) -> list[dict[str, str]]:
    text = files["answers.csv"]
    assert isinstance(text, str)
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("name", "arithmetic"),
    [("mazur-2-2-2", ""), ("mazur-2-2-2", "float64"), ("circuit-sigmoid-neuron", "")],
)
def test_answers_csv_is_each_keys_numbered_blanks(name: str, arithmetic: str) -> None:
    s = scenario.load(SCENARIOS / f"{name}.toml")
    files = handouts.files(s, HandoutOptions(variants=3, seed=4, fmt="md", arithmetic=arithmetic))
    rows = _rows(files)
    assert list(rows[0]) == list(handouts.ANSWER_COLUMNS)
    for label in ("v01", "v02", "v03"):
        mine = [r for r in rows if r["variant"] == label]
        key, sheet = files[f"key-{label}.md"], files[f"sheet-{label}.md"]
        assert isinstance(key, str) and isinstance(sheet, str)
        table = key.partition("# The worked solution")[0]
        boxed = {int(n): a for n, a in KEY_ROW.findall(table)}
        assert [int(r["blank"]) for r in mine] == list(range(1, len(mine) + 1))
        assert {int(r["blank"]): r["answer"] for r in mine} == boxed
        assert sorted(int(n) for n in SHEET_ROW.findall(sheet)) == sorted(boxed)
        # the key's one rule for graders is the largest of the blanks' own tolerances
        (units,) = UNITS.findall(table)
        decimals = len(mine[0]["answer"].partition(".")[2])
        unit = Decimal(1).scaleb(-decimals)
        # every blank the note's tolerance, in the sheet's last decimal
        assert {Decimal(r["tolerance"]) for r in mine} == {int(units) * unit}


def _question(key: str) -> Question:
    return Question(key, "forward", key, "", "", True, 1.0, 1)


def test_a_blanks_drift_is_its_distance_in_last_decimals_rounded_up() -> None:
    blanks = [_question(k) for k in ("a", "b", "c", "d")]
    key = (("a", 0.1235), ("b", 0.5), ("c", "6/5"), ("d", 0.25))
    other = (("a", 0.12372), ("b", 0.5), ("c", 1.2), ("d", 0.2493))
    # 0.00022 is 2.2 units of 0.0001: 3; equal values: 1 (a last decimal's rounding); 0.0007: 7
    assert drifts(key, other, blanks, 4) == {"a": 3, "b": 1, "c": 1, "d": 7}


def test_a_key_of_the_answers_alone_has_no_worked_solution() -> None:
    s = scenario.load(SCENARIOS / "mazur-2-2-2.toml")
    full = handouts.files(s, HandoutOptions(variants=2, seed=4, fmt="md"))
    short = handouts.files(s, HandoutOptions(variants=2, seed=4, fmt="md", key="answers"))
    for name in ("key-v01.md", "keys.md"):
        long_key, short_key = full[name], short[name]
        assert isinstance(long_key, str) and isinstance(short_key, str)
        assert "# The worked solution" in long_key and "# The worked solution" not in short_key
    long_key, short_key = full["key-v01.md"], short["key-v01.md"]
    assert isinstance(long_key, str) and isinstance(short_key, str)
    assert KEY_ROW.findall(short_key) == KEY_ROW.findall(long_key.partition("# The worked")[0])
    assert short["answers.csv"] == full["answers.csv"]
    assert short["sheet-v01.md"] == full["sheet-v01.md"]
