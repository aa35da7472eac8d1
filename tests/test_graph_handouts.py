"""A circuit as a handout: every key's answers against the circuit recomputed by hand from the
sheet's own givens (plain Python, no explainer), seeded variants, a roster, a graph that learns
(its updates asked), and the refusals that name what to add."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from explainer.cli import main
from explainer.foundation import errors
from explainer.handouts import batch as handouts
from explainer.handouts.batch import HandoutOptions
from explainer.read.scenario import load
from tests.conftest import SCENARIOS

NEURON = SCENARIOS / "circuit-sigmoid-neuron.toml"
LEARNS = SCENARIOS / "circuit-neuron-training.toml"
GIVEN = re.compile(r"\$([a-z])_\{(\d)\} = (-?[\d.]+)\$")
ROW = re.compile(r"^\| \$(.+?)\$ \| .*? \| \(\d+\) \$\\boxed\{(-?[\d.]+)\}\$ ✔ \|$", re.M)
TOLERANCE = re.compile(r"within ±(\d+) there")


def neuron_by_hand(w0: float, x0: float, w1: float, x1: float, w2: float) -> dict[str, float]:
    """f = σ(w0·x0 + w1·x1 + w2) and its gradients, by the textbook: ∂f/∂s = f(1 − f)."""
    s = w0 * x0 + w1 * x1 + w2
    f = 1 / (1 + math.exp(-s))
    d = f * (1 - f)
    return {
        "g_{1}": w0 * x0,
        "g_{2}": w1 * x1,
        "g_{3}": w0 * x0 + w1 * x1,
        "s": s,
        "g_{4}": -s,
        "g_{5}": math.exp(-s),
        "g_{6}": 1 + math.exp(-s),
        "f": f,
        r"\frac{\partial f}{\partial w_{0}}": d * x0,
        r"\frac{\partial f}{\partial x_{0}}": d * w0,
        r"\frac{\partial f}{\partial w_{1}}": d * x1,
        r"\frac{\partial f}{\partial x_{1}}": d * w1,
        r"\frac{\partial f}{\partial w_{2}}": d,
    }


def md_batch(path: Path, **options: object) -> dict[str, str]:
    made = handouts.files(load(path), HandoutOptions(fmt="md", **options))  # type: ignore[arg-type]
    return {k: v for k, v in made.items() if isinstance(v, str)}


def test_every_keys_answers_match_the_circuit_worked_by_hand() -> None:
    made = md_batch(NEURON, variants=5, seed=1)
    givens_seen = set()
    for i in range(1, 6):
        key = made[f"key-v0{i}.md"]
        given = {f"{a}{n}": float(v) for a, n, v in GIVEN.findall(key.split("\n\n## ")[0])}
        assert set(given) == {"w0", "x0", "w1", "x1", "w2"}
        givens_seen.add(tuple(given.values()))
        expected = neuron_by_hand(**given)
        answers = dict(ROW.findall(key.split("# The worked solution")[0]))
        assert set(answers) == set(expected)  # forward values and gradients, as blank asks
        units = int(TOLERANCE.search(key).group(1))  # type: ignore[union-attr]
        for symbol, printed in answers.items():
            assert len(printed.split(".")[1]) == 4  # the sheet's decimals
            # the key works on paper; the grader's stated tolerance covers every digit kept
            assert abs(float(printed) - expected[symbol]) <= (units + 0.5) * 1e-4, symbol
            assert f"\\boxed{{{printed}}}" not in made[f"sheet-v0{i}.md"]
    assert len(givens_seen) == 5  # no two variants alike


def test_the_same_seed_gives_the_same_files_and_another_seed_others() -> None:
    one, again, other = (md_batch(NEURON, variants=3, seed=s) for s in (7, 7, 8))
    assert one == again
    assert one["sheet-v01.md"] != other["sheet-v01.md"]


def test_a_roster_keys_each_circuit_variant_by_the_students_id(tmp_path: Path) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("id,name\ns01,Ada\ns02,Alan\n", encoding="utf-8")
    made = md_batch(NEURON, roster=roster)
    assert {"sheet-s01.md", "key-s02.md"} <= set(made)
    assert "Ada" in made["sheet-s01.md"]


def test_a_graph_that_learns_asks_for_its_updates(write_scenario) -> None:  # type: ignore[no-untyped-def]
    text = LEARNS.read_text(encoding="utf-8") + (
        '\n[handout]\nblank = ["gradients", "updates"]\narithmetic = "float64"\n'
        "[handout.vary]\nw0 = [1, 2]\nw1 = [-2, -1]\n"
    )
    made = md_batch(write_scenario(text, "learns"), variants=2, seed=3)
    key = made["key-v01.md"]
    given = {f"{a}{n}": float(v) for a, n, v in GIVEN.findall(key.split("\n\n## ")[0])}
    answers = dict(ROW.findall(key.split("# The worked solution")[0]))
    # by hand: L = (t − f)², ∂L/∂w = −2(t − f)·f(1 − f)·x, w⁺ = w − η·∂L/∂w with η = 1
    s = given["w0"] * -1 + given["w1"] * -2 + -3
    f = 1 / (1 + math.exp(-s))
    g0 = -2 * (1 - f) * f * (1 - f) * -1
    assert float(answers["w_{0}^{+}"]) == pytest.approx(given["w0"] - g0, abs=5e-5)
    assert float(answers[r"\frac{\partial L}{\partial w_{0}}"]) == pytest.approx(g0, abs=5e-5)
    assert "x_{0}^{+}" not in answers  # an input is not trained


def test_a_circuit_that_varies_nothing_gives_one_sheet_and_refuses_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = md_batch(SCENARIOS / "circuit-add-multiply.toml")
    assert "sheet-v01.md" in made and "summary.md" in made
    out = tmp_path / "out"
    assert (
        main(["handout", "circuit-add-multiply", "-f", "md", "--variants", "3", "-o", str(out)])
        == 2
    )
    err = capsys.readouterr().err
    assert "handout.vary" in err and "leaves of the graph (x, y, z)" in err and not out.exists()


def test_a_vary_table_naming_no_leaf_is_located(write_scenario) -> None:  # type: ignore[no-untyped-def]
    path = write_scenario(
        'title = "t"\n[graph]\nleaves = { x = 1, y = 2 }\nnodes = { f = "x*y" }\n'
        "[handout.vary]\nweights = [1, 2]\n"
    )
    with pytest.raises(errors.ScenarioError) as e:
        load(path)
    assert e.value.key == "handout.vary.weights"


def test_circuit_sheets_and_keys_compile_to_pdf(tex: None, tmp_path: Path) -> None:
    import io

    import pypdf

    out = tmp_path / "pdf"
    assert (
        main(
            ["handout", "circuit-sigmoid-neuron", "--variants", "2", "--seed", "1", "-o", str(out)]
        )
        == 0
    )
    names = {p.name for p in out.iterdir()}
    assert {"sheet-v01.pdf", "key-v02.pdf", "sheets.pdf", "keys.pdf", "summary.pdf"} <= names
    key = pypdf.PdfReader(io.BytesIO((out / "key-v01.pdf").read_bytes()))
    words = " ".join(page.extract_text() for page in key.pages)
    md = md_batch(NEURON, variants=2, seed=1)["key-v01.md"]
    for printed in dict(ROW.findall(md.split("# The worked solution")[0])).values():
        assert printed.replace("-", "−") in words or printed in words


def test_a_blank_kind_a_graph_has_nothing_of_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["handout", "circuit-sigmoid-neuron", "--blank", "updates", "-f", "md", "-o", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "nothing to ask" in err and not out.exists()
