"""Teachers' handouts: every variant's key recomputed by hand, the constraints checked on the
numbers, the same seed giving the same bytes, and bad input refused with nothing written."""

from __future__ import annotations

import io
import math
import re
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest

from explainer.cli import main
from explainer.evaluate.compute import derive
from explainer.foundation import errors
from explainer.handouts import batch as handouts
from explainer.handouts import variants
from explainer.handouts.batch import HandoutOptions
from explainer.handouts.sheet import Sheet
from explainer.read import scenario
from tests.conftest import SCENARIOS, XOR, tool

MAZUR = SCENARIOS / "mazur-2-2-2.toml"


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def by_hand(s: scenario.Scenario) -> dict[str, float]:
    """The 2-2-2 network's worked step written out, independent of explainer's evaluation."""
    (w1, w2), (w3, w4) = s.layers[0].weights
    (w5, w6), (w7, w8) = s.layers[1].weights
    (b1,), (b2,) = s.layers[0].biases, s.layers[1].biases
    i1, i2 = s.input_values
    t1, t2 = s.targets
    h1, h2 = sigmoid(w1 * i1 + w2 * i2 + b1), sigmoid(w3 * i1 + w4 * i2 + b1)
    o1, o2 = sigmoid(w5 * h1 + w6 * h2 + b2), sigmoid(w7 * h1 + w8 * h2 + b2)
    d1, d2 = (o1 - t1) * o1 * (1 - o1), (o2 - t2) * o2 * (1 - o2)
    e1, e2 = (d1 * w5 + d2 * w7) * h1 * (1 - h1), (d1 * w6 + d2 * w8) * h2 * (1 - h2)
    g = {"w1": e1 * i1, "w2": e1 * i2, "w3": e2 * i1, "w4": e2 * i2}
    g |= {"w5": d1 * h1, "w6": d1 * h2, "w7": d2 * h1, "w8": d2 * h2}
    values = {"out_h1": h1, "out_h2": h2, "out_o1": o1, "out_o2": o2}
    values["E_total"] = 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2
    values |= {f"dE_total/d{k}": v for k, v in g.items()}
    weights = dict(zip(g, (w1, w2, w3, w4, w5, w6, w7, w8), strict=True))
    values |= {f"{k}@1": weights[k] - s.learning_rate * v for k, v in g.items()}
    return values


@pytest.fixture(scope="module")
def batch() -> tuple[tuple[variants.Variant, ...], list[Sheet]]:
    s = scenario.load_network(MAZUR)
    drawn = variants.for_students(s, derive(s), 7, 30)
    return drawn, handouts.sheets(s, drawn, s.handout.blank)


def test_every_keys_answers_match_the_network_worked_by_hand(
    batch: tuple[tuple[variants.Variant, ...], list[Sheet]],
) -> None:
    """Each blank's highlighted answer is within the tolerance the key states of the same
    quantity computed by hand in float64, for all 30 variants."""
    drawn, sheets = batch
    assert len(sheets) == 30
    for v, sheet in zip(drawn, sheets, strict=True):
        exact = by_hand(v.scenario)
        units = int(sheet.tolerance.split("within ±")[1].split()[0])
        assert units <= 3
        checked = [q for q in sheet.blanks if q.key in exact]
        assert len(checked) == 21  # 5 forward values, 8 gradients, 8 updated weights
        for q in checked:
            assert abs(float(q.answer) - exact[q.key]) <= (units + 0.5) * 1e-4, (v.label, q.key)


def test_variants_meet_their_constraints_and_differ(
    batch: tuple[tuple[variants.Variant, ...], list[Sheet]],
) -> None:
    drawn, _ = batch
    rules = scenario.load_network(MAZUR).handout.constraints
    givens = set()
    for v in drawn:
        exact = by_hand(v.scenario)
        assert all(
            1 - rules.saturation <= exact[k] <= rules.saturation for k in ("out_o1", "out_o2")
        )
        assert all(abs(exact[f"dE_total/dw{i}"]) >= rules.min_gradient for i in range(1, 9))
        values = [*(w for row in v.scenario.layers[0].weights for w in row), *v.scenario.targets]
        assert all(round(x, rules.decimals) == x for x in values)
        givens.add((v.scenario.layers, v.scenario.input_values, v.scenario.targets))
    assert len(givens) == 30


def test_the_variant_is_on_every_page_and_the_answers_only_on_the_key(
    batch: tuple[tuple[variants.Variant, ...], list[Sheet]],
) -> None:
    from explainer.handouts.typeset import render_sheets

    _, sheets = batch
    sheet = sheets[6]
    student, key = render_sheets([sheet], "tex", False), render_sheets([sheet], "tex", True)
    # the student's header carries the variant's QR code too (a TikZ picture in the margin)
    assert r"\fancyhead[R]{\small Variant v07, seed 7\makebox[0pt][l]" in student
    assert r"\fancyhead[R]{\small Variant v07, seed 7}" in key
    assert student.count(r"\blank{") == len(sheet.blanks) and r"\answer{" not in student
    assert key.count(r"\answer{") == len(sheet.blanks) and r"\blank{" not in key
    assert sheet.points == 11 * 1 + 8 * 2 + 8 * 1


BOXED = re.compile(r"\\boxed\{([^{}]*)\}")


@pytest.mark.parametrize("blank", [None, ("out_h1", "w3@1")])
def test_the_worked_solution_marks_each_blanks_answer_where_it_is_derived(
    blank: tuple[str, ...] | None,
) -> None:
    """The key's worked solution boxes exactly the blanks' values, each once, where a display
    ends in it; the student's sheet boxes nothing."""
    s = scenario.load_network(MAZUR)
    files = handouts.files(s, HandoutOptions(seed=5, blank=blank, fmt="md"))
    (sheet,) = handouts.sheets(
        s, variants.for_students(s, derive(s), 5, 1), blank or s.handout.blank
    )
    key, student = files["key-v01.md"], files["sheet-v01.md"]
    assert isinstance(key, str) and isinstance(student, str)
    worked = key.partition("# The worked solution")[2]
    boxed = sorted(float(x) for x in BOXED.findall(worked))
    assert boxed == sorted(float(q.answer) for q in sheet.blanks)
    assert len(boxed) == (27 if blank is None else 2)
    assert not BOXED.search(student)


def test_the_same_seed_gives_the_same_files_and_another_seed_other_variants() -> None:
    s = scenario.load_network(MAZUR)
    options = HandoutOptions(variants=3, seed=11, fmt="tex")
    first, again = handouts.files(s, options), handouts.files(s, options)
    assert first == again
    assert sorted(first) == sorted(
        [
            *(f"{k}-v0{i}.tex" for k in ("sheet", "key") for i in (1, 2, 3)),
            "answers.csv",
            "handout.json",
            "sheets.tex",
            "keys.tex",
            "summary.tex",
        ]
    )
    other = handouts.files(s, HandoutOptions(variants=3, seed=12, fmt="tex"))
    assert other["sheet-v01.tex"] != first["sheet-v01.tex"]


def test_a_roster_keys_each_variant_by_the_students_id(tmp_path: Path) -> None:
    s = scenario.load_network(MAZUR)
    roster = tmp_path / "class.csv"
    roster.write_text("id,name\nS001,Ada Lovelace\nS002,Alan Turing\n", encoding="utf-8")
    swapped = tmp_path / "swapped.csv"
    swapped.write_text("id,name\nS002,Alan Turing\nS001,Ada Lovelace\n", encoding="utf-8")
    a = handouts.files(s, HandoutOptions(seed=3, roster=roster, fmt="md"))
    b = handouts.files(s, HandoutOptions(seed=3, roster=swapped, fmt="md"))
    assert a["sheet-S001.md"] == b["sheet-S001.md"]
    assert "Ada Lovelace" in a["sheet-S001.md"]


def test_a_blank_named_by_key_leaves_only_that_blank() -> None:
    s = scenario.load_network(MAZUR)
    files = handouts.files(s, HandoutOptions(seed=1, blank=("out_h1",), fmt="tex"))
    sheet = files["sheet-v01.tex"]
    assert isinstance(sheet, str) and sheet.count(r"\blank{") == 1


@pytest.mark.parametrize(
    ("args", "roster", "words"),
    [
        (["--blank", "out_h9"], None, "--blank[0]: expected a kind"),
        (
            ["--roster", "{roster}"],
            "id,name\nS1,A\nS1,B\n",
            "row 3, id: expected an ID no other row has",
        ),
        (["--roster", "{roster}"], "id,name\n,A\n", "row 2, id: expected an ID"),
        (["--roster", "{roster}"], "name\nA\n", "row 1: expected a header row"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(
    args: list[str],
    roster: str | None,
    words: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "class.csv"
    if roster is not None:
        path.write_text(roster, encoding="utf-8")
    out = tmp_path / "out"
    argv = ["handout", "mazur-2-2-2", "--format", "tex", "-o", str(out)]
    code = main([*argv, *(a.replace("{roster}", str(path)) for a in args)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and words in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("decimals = 2", "decimals = 1", "handout.constraints"),  # 0.05 steps need 2 decimals
        (  # 1 × 1 × 2² = 4 different variants at most
            "weights = { from = 0.05, to = 0.95, step = 0.05 }\n"
            "inputs = { from = 0.05, to = 0.5, step = 0.05 }\n"
            "targets = [0.01, 0.05, 0.95, 0.99]",
            "weights = [0.5]\ninputs = [0.1]\ntargets = [0.01, 0.99]",
            "handout.vary",
        ),
    ],
)
def test_impossible_variants_are_a_clear_error(
    old: str, new: str, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = MAZUR.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "m.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    out = tmp_path / "out"
    variants_asked = "1" if key == "handout.constraints" else "5"
    code = main(["handout", str(path), "--variants", variants_asked, "-f", "tex", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and f"{path}: {key}:" in err and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.skipif(not tool("pdflatex"), reason="needs pdflatex")
def test_pdfs_are_the_same_bytes_twice_and_the_summary_is_one_page(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert (
            main(["handout", "mazur-2-2-2", "--variants", "2", "--seed", "7", "-o", str(out)]) == 0
        )
        runs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert runs[0] == runs[1]
    assert sorted(runs[0]) == sorted(
        [
            "answers.csv",
            "handout.json",
            "key-v01.pdf",
            "key-v02.pdf",
            "keys.pdf",
            "sheet-v01.pdf",
            "sheet-v02.pdf",
            "sheets.pdf",
            "summary.pdf",
        ]
    )
    pages = {
        k: len(pypdf.PdfReader(io.BytesIO(v)).pages)
        for k, v in runs[0].items()
        if k.endswith(".pdf")
    }
    assert pages["summary.pdf"] == 1
    assert pages["keys.pdf"] == pages["key-v01.pdf"] + pages["key-v02.pdf"]
    assert pages["sheets.pdf"] == pages["sheet-v01.pdf"] + pages["sheet-v02.pdf"]


def test_the_python_api_makes_and_writes_the_same_files(tmp_path: Path) -> None:
    import explainer

    made = explainer.handout("mazur-2-2-2", variants=2, seed=7, fmt="md", output=tmp_path)
    assert made == handouts.files(
        scenario.load_network(MAZUR), HandoutOptions(variants=2, seed=7, fmt="md")
    )
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == made


def test_the_keys_arithmetic_sets_the_decimals_of_every_answer() -> None:
    s = scenario.load_network(MAZUR)
    (v,) = variants.for_students(s, derive(s), 7, 1)
    options = HandoutOptions(arithmetic="paper:3")
    (sheet,) = [w.sheet for w in handouts.worked(s, [v], s.handout.blank, "--blank", "", options)]
    assert all(len(q.answer.split(".")[1]) == 3 for q in sheet.blanks)
    assert "worked to 3 decimals" in sheet.tolerance


def test_a_scenario_that_varies_nothing_gives_one_sheet_of_its_own_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No [handout.vary]: one sheet with the author's givens and no constraint checked
    (Blanco's article is the sheet). A roster or more variants would hand every student the
    published example (issue 24): refused, saying what to add, and nothing written."""
    s = scenario.load_network(SCENARIOS / "blanco-performance.toml")
    (v,) = variants.for_students(s, derive(s), 3, 1)
    assert v.scenario == variants.worked_step(s)
    roster = tmp_path / "class.csv"
    roster.write_text("id,name\nS1,Ada\nS2,Alan\n", encoding="utf-8")
    out = tmp_path / "out"
    for asked in (["--roster", str(roster)], ["--variants", "2"]):
        code = main(["handout", "blanco-performance", "-f", "tex", "-o", str(out), *asked])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1
        assert "blanco-performance.toml: handout.vary: expected givens that differ" in err
        assert "weights = { from" in err and "the scenario's own worked example" in err
        assert not out.exists()


def test_a_training_sets_sheet_works_an_example_whose_answers_are_not_zero(
    tmp_path: Path,
) -> None:
    """XOR's first example (0, 0) zeroes four of its nine gradients, and so do the next two;
    the sheet asks the fourth, one step, and its title says so (issue 24)."""
    path = tmp_path / "xor.toml"
    path.write_text(XOR, encoding="utf-8")
    s = scenario.load_network(path)
    (v,) = variants.for_students(s, derive(s), 1, 1)
    assert v.scenario.input_values == (1.0, 1.0) and v.scenario.targets == (0.0,)
    assert v.scenario.data == () and v.scenario.steps == 1
    made = handouts.files(s, HandoutOptions(fmt="md"))
    for name in ("sheet-v01.md", "key-v01.md", "summary.md"):
        assert str(made[name]).startswith("# XOR over several epochs: one step on example 4 of 4\n")
    (sheet,) = handouts.sheets(s, (v,), ("gradients",))
    # by hand: h = σ(W·(1, 1) + b), o = σ(w5·h1 + w6·h2 + b_o), ∂E/∂w = δ·input, ½(t − o)²
    h1, h2 = sigmoid(0.5 - 0.4 + 0.1), sigmoid(0.3 + 0.8 - 0.2)
    o = sigmoid(0.7 * h1 - 0.6 * h2 + 0.05)
    d = (o - 0) * o * (1 - o)
    e1, e2 = d * 0.7 * h1 * (1 - h1), d * -0.6 * h2 * (1 - h2)
    expected = {"w1": e1, "w2": e1, "w3": e2, "w4": e2, "w5": d * h1, "w6": d * h2}
    answers = {q.key: float(q.answer) for q in sheet.blanks}
    for k, g in expected.items():
        assert abs(answers[f"dE_total/d{k}"] - g) <= 2e-4 and abs(g) > 1e-3


def test_a_training_set_with_no_example_a_sheet_can_ask_is_refused(tmp_path: Path) -> None:
    """Every example zeroes a gradient (x2 is always 0): said, naming the constraint."""
    path = tmp_path / "zero.toml"
    path.write_text(XOR.replace("[[0, 0], [0, 1], [1, 0], [1, 1]]", "[[0, 0], [1, 0]] "), "utf-8")
    path.write_text(path.read_text("utf-8").replace("[[0], [1], [1], [0]]", "[[0], [1]]"), "utf-8")
    s = scenario.load_network(path)
    with pytest.raises(errors.ScenarioError, match=r"zero\.toml: data: expected an example"):
        variants.for_students(s, derive(s), 1, 1)


def test_the_sine_sheet_works_its_first_window() -> None:
    """Serengil's sine is trained on a set of windows; its first meets the constraints, so the
    sheet works it, in the handout's paper arithmetic (which trains no set)."""
    s = scenario.load_network(SCENARIOS / "serengil-sine.toml")
    (v,) = variants.for_students(s, derive(s), 1, 1)
    x, (target,) = s.data[0]
    assert v.scenario.data == () and v.scenario.input_values == x
    assert v.scenario.title.endswith(f": one step on example 1 of {len(s.data)}")
    hidden = [
        sigmoid(sum(w * xi for w, xi in zip(row, x, strict=True)) + b)
        for row, b in zip(s.layers[0].weights, s.layers[0].biases, strict=True)
    ]
    ((w_out,), (b_out,)) = (s.layers[1].weights, s.layers[1].biases)
    out = sigmoid(sum(w * h for w, h in zip(w_out, hidden, strict=True)) + b_out)
    (sheet,) = handouts.sheets(s, (v,), ("forward",))
    answers = {q.key: float(q.answer) for q in sheet.blanks}
    assert abs(answers["out_o"] - out) <= 2e-4
    assert abs(answers["E"] - (target - out) ** 2) <= 2e-4  # mse: one output, no ½


def test_sheets_give_the_rate_one_box_width_and_their_figures_as_files() -> None:
    """η is a given (the updates need it); every box is as wide as every other (none gives
    away a sign); a Markdown batch links figure files it also writes (GitHub shows no data:
    images)."""
    s = scenario.load_network(MAZUR)
    tex = handouts.files(s, HandoutOptions(variants=2, seed=7, fmt="tex"))
    sheet = tex["sheet-v01.tex"]
    assert isinstance(sheet, str)
    assert r"\mbox{$\eta = 0.5$}" in sheet
    assert len(set(re.findall(r"\\blank\{([\d.]+)\}", sheet))) == 1
    md = handouts.files(s, HandoutOptions(variants=2, seed=7, fmt="md"))
    linked = {
        name
        for text in md.values()
        if isinstance(text, str)
        for name in re.findall(r"\]\(([^)]+\.svg)\)", text)
    }
    assert linked and linked <= set(md) and "data:image" not in str(md["keys.md"])


def test_on_paper_each_update_shows_the_rounded_step_it_subtracts() -> None:
    """w⁺ = w − η·g = old − η·g = old − step = new, where step is η·g as carried: the last
    subtraction is exact in the key's own decimals, so a student can follow every digit."""
    s = scenario.load_network(MAZUR)
    key = handouts.files(s, HandoutOptions(seed=7, fmt="md"))["key-v01.md"]
    assert isinstance(key, str)
    rows = [r for r in key.splitlines() if r.startswith("w_{") and "^{+} &=" in r]
    assert len(rows) == 8
    for row in rows:
        *_, last_step, new = row.removesuffix(r" \\").split(" = ")
        old, step = last_step.split(" - ")
        value = BOXED.fullmatch(new)
        assert value is not None, row
        assert Decimal(old) - Decimal(step.strip("()")) == Decimal(value[1]), row
