"""Regressions found in review: each input once crashed, lost data or showed a wrong number."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from explainer.cli import main
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
