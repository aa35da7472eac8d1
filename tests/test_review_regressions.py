"""Regressions found in review: each input once crashed, lost data or showed a wrong number."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

import explainer
from explainer.cli import main
from explainer.foundation.errors import ScenarioError
from tests.conftest import MINIMAL, SCENARIOS, WriteScenario


def test_net_and_out_may_not_share_a_name(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scenario(MINIMAL + '\n[names]\nnet = "z_{neuron}"\nout = "z_{neuron}"\n')
    assert main(["render", str(path)]) == 2
    assert "names.net" in capsys.readouterr().err


def test_symbols_must_be_a_table(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    text = MINIMAL.replace('title = "Minimal"', 'title = "Minimal"\nsymbols = 5')
    assert main(["render", str(write_scenario(text))]) == 2
    assert "symbols" in capsys.readouterr().err


def test_csv_needs_a_header_and_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = MINIMAL.replace(
        "[example]\ninputs = [1.0, 2.0]\ntargets = [0.25]\n", '[data]\ncsv = "d.csv"\n'
    )
    (tmp_path / "s.toml").write_text(table, encoding="utf-8")
    (tmp_path / "d.csv").write_text("1,2,0.5\n3,4,0.25\n", encoding="utf-8")
    assert main(["render", str(tmp_path / "s.toml")]) == 2
    assert "header" in capsys.readouterr().err
    (tmp_path / "d.csv").write_bytes(b"x1,x2,y\n\xff\xfe,2,3\n")
    assert main(["render", str(tmp_path / "s.toml")]) == 2
    assert "UTF-8" in capsys.readouterr().err


def test_overflow_is_one_clear_line(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (SCENARIOS / "cross-entropy.toml").read_text(encoding="utf-8")
    text = text.replace("learning_rate = 0.5", "learning_rate = 2000")
    assert main(["render", str(write_scenario(text))]) == 2
    err = capsys.readouterr().err
    assert "overflow or are undefined" in err and err.count("\n") == 1


def test_cross_entropy_needs_a_sigmoid_output(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    text = MINIMAL + '\n[loss]\nfunction = "cross_entropy"\n'
    assert main(["render", str(write_scenario(text))]) == 2
    assert '"sigmoid" for the cross-entropy loss' in capsys.readouterr().err


def test_stopping_rule_for_gradient_ascent(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (SCENARIOS / "blanco-performance.toml").read_text(encoding="utf-8")
    text = text.replace("steps = 200", "steps = 200\nuntil_loss = 0.01")
    assert main(["render", str(write_scenario(text)), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"P@1"' in out  # it trained, rather than stopping at step 0


def test_step_network_with_early_stop_pairs_rows_by_step(write_scenario: WriteScenario) -> None:
    text = (SCENARIOS / "serengil-step.toml").read_text(encoding="utf-8")
    text = text.replace("steps = 50", "steps = 50\nuntil_loss = 0.4")
    assert main(["render", str(write_scenario(text)), "--format", "json"]) == 0


def test_same_output_name_twice_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "x.toml").write_text(MINIMAL, encoding="utf-8")
    args = [
        "render",
        str(tmp_path / "a/x.toml"),
        str(tmp_path / "b/x.toml"),
        "-o",
        str(tmp_path / "o"),
    ]
    assert main(args) == 2
    assert "both write" in capsys.readouterr().err


def test_written_pages_are_readable_by_others(
    tmp_path: Path, write_scenario: WriteScenario
) -> None:
    old = os.umask(0o022)
    try:
        assert main(["render", str(write_scenario(MINIMAL)), "-o", str(tmp_path / "o")]) == 0
    finally:
        os.umask(old)
    mode = (tmp_path / "o" / "case.md").stat().st_mode
    assert mode & stat.S_IROTH


def test_narrative_for_a_missing_section_is_kept(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (SCENARIOS / "blanco-performance.toml").read_text(encoding="utf-8")
    text += '\n[narrative]\nupdates = "Climbing the hill of P."\n'
    assert main(["render", str(write_scenario(text))]) == 0
    assert "Climbing the hill of P." in capsys.readouterr().out


def test_build_check_reports_pages_of_removed_scenarios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, out = tmp_path / "s", tmp_path / "o"
    folder.mkdir()
    (folder / "a.toml").write_text(MINIMAL, encoding="utf-8")
    build = ["build", "--scenarios", str(folder), "-o", str(out)]
    assert main(build) == 0
    (out / "old.md").write_text("gone", encoding="utf-8")
    assert main([*build, "--check"]) == 1
    assert "old.md" in capsys.readouterr().err


# A review of issue 26's second session ------------------------------------------------------


def test_a_softmax_shortcut_on_paper_writes_no_false_subtraction() -> None:
    """On paper the sum's value carries each rounded factor: the shortcut out − t is written,
    not worked with numbers that would not subtract to it."""
    from explainer.page.backward import ON_PAPER

    md = explainer.load("softmax-cross-entropy", arithmetic="paper:4").markdown()
    assert ON_PAPER in md
    assert r"&= 0.4842 - 1" not in md


def test_a_float32_scenarios_claims_are_checked_in_float32() -> None:
    """Printed from the float32 page's own numbers: reproduced; Mazur's float64 numbers on the
    float32 scenario: the cause is float64."""
    import tomllib

    f32 = explainer.load("float32").values
    doc = tomllib.loads((SCENARIOS / "float32.toml").read_text(encoding="utf-8"))
    f64 = explainer.load("mazur-2-2-2", steps=200).values
    doc["claims"] = {"w5@1": f"{float(f32['w5@1']):.9f}", "E_total": f"{float(f64['E_total']):.9f}"}
    found = {f.claim.key: f for f in explainer.from_dict(doc, name="f32").verify()}
    assert found["w5@1"].reproduced
    assert not found["E_total"].reproduced
    assert any("computed in float64" in x for x in found["E_total"].explained_by)


def test_a_summed_loss_is_called_a_sum() -> None:
    from tests.test_minibatch import _doc

    md = explainer.from_dict(_doc(4, mode="batch", reduction="sum"), name="s").markdown()
    assert "(sum over the examples)" in md and "(mean over the examples)" not in md


def test_a_hessian_at_a_relus_kink_takes_the_pages_side() -> None:
    """w·x + b is 0 in decimals and 5.55e-17 in float64: the page's pass takes z > 0, and so
    does the Hessian, 2·[x², x; x, 1] for L = (t − z)²."""
    doc = {
        "title": "kink",
        "graph": {
            "leaves": {"w": 0.2, "b": -0.3, "x": 1.5, "t": 1},
            "nodes": {"z": "w*x + b", "y": "relu(z)", "L": "(t - y)**2"},
            "output": "L",
            "gates": "nodes",
        },
        "derivatives": {"hessian": ["w", "b"]},
    }
    assert 0.2 * 1.5 - 0.3 > 0
    v = explainer.from_dict(doc, name="kink").values
    x = 1.5
    assert [float(v[k]) for k in ("d2L/dw/dw", "d2L/dw/db", "d2L/db/db")] == [2 * x * x, 2 * x, 2]


def test_a_hessian_sympy_cannot_simplify_keeps_its_values() -> None:
    """rnn-unrolled's three weights: the forms are too long to simplify within bounds; the
    values are written, against PyTorch's Hessian."""
    import tomllib

    torch = pytest.importorskip("torch")
    doc = tomllib.loads((SCENARIOS / "rnn-unrolled.toml").read_text(encoding="utf-8"))
    doc["derivatives"] = {"hessian": ["wx", "wh", "b"]}
    v = explainer.from_dict(doc, name="rnn").values

    def loss(p: Any) -> Any:
        h = torch.tensor(0.0, dtype=torch.float64)
        for xt in (1.0, -0.5):
            h = torch.tanh(p[0] * xt + p[1] * h + p[2])
        return (0.4 - h) ** 2

    h = torch.autograd.functional.hessian(loss, torch.tensor([0.5, -0.8, 0.1], dtype=torch.float64))
    names = ("wx", "wh", "b")
    got = [float(v[f"d2L/d{a}/d{b}"]) for a in names for b in names]
    assert got == pytest.approx(h.ravel().tolist(), rel=1e-12)


def test_a_stated_arithmetic_other_than_float64_with_a_training_set_is_refused_there() -> None:
    from tests.test_minibatch import _doc

    doc = _doc(4, batch_size=2)
    doc["display"] = {"arithmetic": "float32"}
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="x")
    assert "display.arithmetic" in str(e.value)
