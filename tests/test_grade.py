"""`explainer grade HANDOUT ANSWERS.csv`: a class's answers, as a teacher's spreadsheet saves
them, marked against the handout's answers.csv. Thirty students on thirty variants: right
answers, answers off by the tolerance (right) or by more (wrong), dropped signs, empty cells and
decimal commas; the marks and totals are recounted here from answers.csv. Then the located
errors of a bad file, with nothing written."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from explainer.cli import main


@pytest.fixture(scope="module")
def handout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("handout")
    argv = ["handout", "mazur-2-2-2", "--variants", "30", "--seed", "7", "-f", "md"]
    assert main([*argv, "-o", str(out)]) == 0
    return out


def _key(handout: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((handout / "answers.csv").read_text(encoding="utf-8"))))


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# what student n writes for a blank: (how, answer from the key's answer and tolerance)
def _written(n: int, blank: int, answer: Decimal, tolerance: Decimal) -> tuple[str, str]:
    if n % 5 == 1 and blank == 3:
        return "wrong", str(-answer) if answer else "1"  # the sign dropped
    if n % 5 == 2 and blank == 7:
        return "right", str(answer + tolerance)  # off by the tolerance: accepted
    if n % 5 == 3 and blank == 12:
        return "wrong", str(answer + 3 * tolerance)  # three units off
    if n % 5 == 4 and blank == 1:
        return "empty", ""
    return "right", str(answer)


def test_thirty_students_get_the_marks_counted_from_the_key(
    handout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = _key(handout)
    blanks = max(int(r["blank"]) for r in key)
    rows, expected, verdicts = [], {}, {}
    for n in range(1, 31):
        variant = f"v{n:02d}"
        mine = [r for r in key if r["variant"] == variant]
        cells, got = [], Decimal(0)
        for r in mine:
            how, text = _written(n, int(r["blank"]), Decimal(r["answer"]), Decimal(r["tolerance"]))
            cells.append(text)
            got += Decimal(r["points"]) if how == "right" else 0
            verdicts[f"s{n}", int(r["blank"])] = {"right": "right", "wrong": "wrong"}.get(
                how, "no answer"
            )
        rows.append([f"s{n}", variant, *cells])
        expected[f"s{n}"] = (got, sum(Decimal(r["points"]) for r in mine))
    answers = _write(
        tmp_path / "class.csv", ["student", "variant", *map(str, range(1, blanks + 1))], rows
    )
    out = tmp_path / "marks"
    assert main(["grade", str(handout), str(answers), "-o", str(out)]) == 0
    assert "30 students" in capsys.readouterr().out
    totals = list(csv.DictReader(io.StringIO((out / "totals.csv").read_text(encoding="utf-8"))))
    assert {t["student"]: (Decimal(t["points"]), Decimal(t["of"])) for t in totals} == expected
    grades = csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8")))
    assert {(g["student"], int(g["blank"])): g["verdict"] for g in grades} == verdicts
    per_blank = list(csv.DictReader(io.StringIO((out / "blanks.csv").read_text(encoding="utf-8"))))
    wrong_3 = next(b for b in per_blank if b["blank"] == "3")
    assert wrong_3["wrong"] == str(sum(1 for n in range(1, 31) if n % 5 == 1))
    again = tmp_path / "again"
    assert main(["grade", str(handout), str(answers), "-o", str(again)]) == 0
    assert all(
        (out / f).read_bytes() == (again / f).read_bytes() for f in ("grades.csv", "totals.csv")
    )


def test_a_decimal_comma_is_read_when_asked_for(handout: Path, tmp_path: Path) -> None:
    key = [r for r in _key(handout) if r["variant"] == "v01"]
    header = ["student", "variant", *(r["blank"] for r in key)]
    answers = _write(
        tmp_path / "comma.csv",
        header,
        [["ada", "v01", *(r["answer"].replace(".", ",") for r in key)]],
    )
    out = tmp_path / "marks"
    assert main(["grade", str(handout), str(answers), "-o", str(out)]) == 2
    assert not out.exists()
    assert main(["grade", str(handout), str(answers), "-o", str(out), "--decimal-comma"]) == 0
    totals = (out / "totals.csv").read_text(encoding="utf-8").splitlines()
    points = sum(Decimal(r["points"]) for r in key)
    assert totals[1] == f"ada,v01,{points},{points}"


@pytest.mark.parametrize(
    ("header", "row", "where", "says"),
    [
        (["student", "variant", "1"], ["ada", "v31", "0.5"], "row 2, variant", "v01…v30"),
        (["student", "variant", "1"], ["ada", "v01", "0.5"], "row 1", "a column '2'"),
        (["student", "variant", "1"], ["ada", "v01", "about 0.5"], "row 2, column 1", "a number"),
        (["student", "variant", "1"], ["ada", "v01", "0,5"], "row 2, column 1", "--decimal-comma"),
        (["name", "variant", "1"], ["ada", "v01", "0.5"], "row 1", "a column 'student'"),
    ],
)
def test_a_bad_answers_file_is_located_and_nothing_is_written(
    handout: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    header: list[str],
    row: list[str],
    where: str,
    says: str,
) -> None:
    answers = _write(tmp_path / "bad.csv", header, [row])
    out = tmp_path / "marks"
    assert main(["grade", str(handout), str(answers), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{answers}: {where}: expected" in err and says in err and "Traceback" not in err
    assert not out.exists()


def test_a_student_named_twice_is_located(
    handout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blanks = sorted({r["blank"] for r in _key(handout)}, key=int)
    rows = [["ada", "v01"], ["ada", "v02"]]
    answers = _write(tmp_path / "twice.csv", ["student", "variant", *blanks], rows)
    assert main(["grade", str(handout), str(answers), "-o", str(tmp_path / "m")]) == 2
    assert "row 3, student" in capsys.readouterr().err


def _full_header(handout: Path) -> list[str]:
    return ["student", "variant", *sorted({r["blank"] for r in _key(handout)}, key=int)]


@pytest.mark.parametrize(
    ("cell", "where", "says"),
    [
        ("1e9999999", "row 2, column 1", "exponent"),
        ("0." + "1" * 80, "row 2, column 1", "printed_digits"),
    ],
)
def test_a_number_past_the_limits_is_located(
    handout: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cell: str,
    where: str,
    says: str,
) -> None:
    answers = _write(tmp_path / "big.csv", _full_header(handout), [["ada", "v01", cell]])
    assert main(["grade", str(handout), str(answers), "-o", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert where in err and says in err and "Traceback" not in err


def test_a_semicolon_file_with_decimal_commas_and_a_bom_is_read(
    handout: Path, tmp_path: Path
) -> None:
    """What a spreadsheet in a decimal-comma locale saves: ';' between cells, a BOM first."""
    key = [r for r in _key(handout) if r["variant"] == "v02"]
    header = ";".join(["student", "variant", *(r["blank"] for r in key)])
    row = ";".join(["bo", "v02", *(r["answer"].replace(".", ",") for r in key)])
    answers = tmp_path / "semicolons.csv"
    answers.write_bytes(("\ufeff" + header + "\r\n" + row + "\r\n").encode("utf-8"))
    out = tmp_path / "m"
    assert main(["grade", str(handout), str(answers), "-o", str(out), "--decimal-comma"]) == 0
    points = sum(Decimal(r["points"]) for r in key)
    assert (out / "totals.csv").read_text(encoding="utf-8").splitlines()[
        1
    ] == f"bo,v02,{points},{points}"


def test_a_key_without_blanks_and_a_column_twice_are_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], handout: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "answers.csv").write_text((handout / "answers.csv").read_text().splitlines()[0] + "\n")
    answers = _write(tmp_path / "a.csv", ["student", "variant", "1"], [["ada", "v01", "0.5"]])
    assert main(["grade", str(empty), str(answers)]) == 2
    assert "answers.csv: row 2: expected a blank of a variant" in capsys.readouterr().err
    twice = _write(tmp_path / "t.csv", ["student", "variant", "1", "1"], [["ada", "v01", "1", "2"]])
    assert main(["grade", str(handout), str(twice), "-o", str(tmp_path / "m")]) == 2
    assert "row 1: expected each column once, found '1' twice" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda m: {**m, "seed": "seven"}, "handout.json: seed: expected an integer"),
        (lambda m: {**m, "sha256": "0" * 64}, "is not the file the handout was made from"),
        (lambda m: {**m, "scenario": "gone.toml"}, "--scenario FILE"),
        (lambda m: {**m, "seed": -5}, "handout.json: seed: expected a seed of 0 or more"),
        (lambda m: {**m, "variants": 100_000}, "handout.json: variants: expected 1 to 1,000"),
        (lambda m: {**m, "arithmetic": "bogus"}, "handout.json: arithmetic: expected a key's"),
    ],
)
def test_a_manifest_that_does_not_match_its_scenario_is_refused(
    handout: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[dict[str, object]], dict[str, object]],
    says: str,
) -> None:
    copy = tmp_path / "handout"
    shutil.copytree(handout, copy)
    manifest = copy / "handout.json"
    manifest.write_text(json.dumps(edit(json.loads(manifest.read_text(encoding="utf-8")))))
    key = _key(copy)
    answers = _write(
        tmp_path / "class.csv",
        ["student", "variant", *(r["blank"] for r in key if r["variant"] == "v01")],
        [["ada", "v01", *(r["answer"] for r in key if r["variant"] == "v01")]],
    )
    out = tmp_path / "marks"
    assert main(["grade", str(copy), str(answers), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert not out.exists()


def test_an_edited_key_is_found_when_the_variant_is_drawn_again(
    handout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "handout"
    shutil.copytree(handout, copy)
    key = _key(copy)
    first = next(r for r in key if r["variant"] == "v01")
    first["answer"] = str(Decimal(first["answer"]) + 1)
    _write(copy / "answers.csv", list(key[0]), [list(r.values()) for r in key])
    answers = _write(
        tmp_path / "class.csv",
        ["student", "variant", *(r["blank"] for r in key if r["variant"] == "v01")],
        [["ada", "v01", *(r["answer"] for r in key if r["variant"] == "v01")]],
    )
    assert main(["grade", str(copy), str(answers), "-o", str(tmp_path / "marks")]) == 2
    assert "the key drawn again" in capsys.readouterr().err


def test_a_graph_handout_is_graded_with_its_causes(tmp_path: Path) -> None:
    """A circuit's sheet (the graph engine): right answers, a gradient's sign turned (named),
    and a wire off by a number no mistake gives (no cause)."""
    out = tmp_path / "handout"
    argv = ["handout", "circuit-sigmoid-neuron", "--variants", "3", "--seed", "1", "-f", "md"]
    assert main([*argv, "--key", "answers", "-o", str(out)]) == 0
    key = _key(out)
    blanks = [r for r in key if r["variant"] == "v01"]
    gradient = next(r for r in blanks if r["key"].startswith("df/dw") and Decimal(r["answer"]))
    wire = blanks[0]

    def answers(changed: dict[str, str]) -> list[str]:
        return [changed.get(r["key"], r["answer"]) for r in blanks]

    turned = str(-Decimal(gradient["answer"]))
    off = str(Decimal(wire["answer"]) + Decimal("0.3183"))
    rows = [
        ["right", "v01", *answers({})],
        ["turned", "v01", *answers({gradient["key"]: turned})],
        ["off", "v01", *answers({wire["key"]: off})],
    ]
    answers_csv = _write(
        tmp_path / "class.csv", ["student", "variant", *(r["blank"] for r in blanks)], rows
    )
    assert main(["grade", str(out), str(answers_csv), "-o", str(tmp_path / "marks")]) == 0
    with (tmp_path / "marks" / "grades.csv").open(encoding="utf-8") as f:
        graded = {(r["student"], r["key"]): r for r in csv.DictReader(f)}
    assert all(graded["right", r["key"]]["verdict"] == "right" for r in blanks)
    assert graded["turned", gradient["key"]]["cause"].startswith("a minus sign")
    assert graded["off", wire["key"]]["verdict"] == "wrong"
    assert graded["off", wire["key"]]["cause"] == "no cause found"


def test_without_its_manifest_a_handout_is_marked_right_or_wrong_only(
    handout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "handout"
    shutil.copytree(handout, copy)
    (copy / "handout.json").unlink()
    key = [r for r in _key(copy) if r["variant"] == "v01"]
    answers = _write(
        tmp_path / "class.csv",
        ["student", "variant", *(r["blank"] for r in key)],
        [["ada", "v01", str(Decimal(key[0]["answer"]) + 1), *(r["answer"] for r in key[1:])]],
    )
    out = tmp_path / "marks"
    assert main(["grade", str(copy), str(answers), "-o", str(out)]) == 0
    assert "no handout.json" in capsys.readouterr().out
    with (out / "grades.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert (rows[0]["verdict"], rows[0]["cause"]) == ("wrong", "")
    assert all(r["verdict"] == "right" for r in rows[1:])
    assert not list(out.glob("feedback-*"))
    assert (out / "mistakes.csv").read_text(encoding="utf-8") == "blank,mistake,students\n"
