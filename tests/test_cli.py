"""The command line as a user meets it: render, build --check, list, python -m explainer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from explainer.cli import main
from tests.conftest import MINIMAL, OUTPUT, SCENARIOS


def test_render_shipped_name_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "single-weight", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scenario"] == "single-weight"
    for key in ("a", "C", "dC/da", "da/dw", "dC/dw", "w@1"):
        assert key in data["values"], key


def test_render_path_to_directory(tmp_path: Path) -> None:
    path = SCENARIOS / "mazur-2-2-2.toml"
    assert main(["render", str(path), "--format", "tex", "-o", str(tmp_path)]) == 0
    text = (tmp_path / "mazur-2-2-2.tex").read_text(encoding="utf-8")
    assert text.startswith(r"\documentclass") and text.rstrip().endswith(r"\end{document}")


def test_body_only_is_pasteable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "single-weight", "--format", "tex", "--body-only"]) == 0
    body = capsys.readouterr().out
    assert r"\documentclass" not in body and r"\begin{document}" not in body
    assert r"\section{Forward pass}" in body


def test_steps_and_digits_override(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "mazur-2-2-2", "--format", "json", "--steps", "3"]) == 0
    values = json.loads(capsys.readouterr().out)["values"]
    assert "E_total@3" in values and "E_total@4" not in values
    assert main(["render", "single-weight", "--digits", "2"]) == 0
    assert "0.8 \\cdot 1.5" in capsys.readouterr().out


def test_unknown_scenario_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "no-such-scenario"]) == 2
    err = capsys.readouterr().err
    assert "no-such-scenario" in err and "mazur-2-2-2" in err


def test_several_scenarios_to_stdout_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "single-weight", "mazur-2-2-2"]) == 2
    assert "-o DIR" in capsys.readouterr().err


def test_list_names_every_shipped_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for path in SCENARIOS.glob("*.toml"):
        assert path.stem in out


def test_build_check_detects_stale_then_fresh(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "small.toml").write_text(MINIMAL, encoding="utf-8")
    out = tmp_path / "out"
    build = ["build", "--scenarios", str(folder), "-o", str(out)]
    assert main([*build, "--check"]) == 1
    assert main([*build, "--no-pdf"]) == 0
    made = sorted(p.name for p in out.iterdir())
    assert made == [
        "small-backward.svg",
        "small-loss.svg",
        "small-network.svg",
        "small.html",
        "small.json",
        "small.md",
        "small.tex",
    ]
    assert main([*build, "--check"]) == 0
    victim = next(out.glob("*.md"))
    victim.write_text(victim.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    assert main([*build, "--check"]) == 1
    assert victim.name in capsys.readouterr().err


def test_python_dash_m_and_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "explainer", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    for command in ("render", "build", "list"):
        assert command in result.stdout


def test_shipped_output_is_up_to_date() -> None:
    """output/ is committed so visitors see pages without installing anything."""
    code = main(["build", "--check", "-o", str(OUTPUT)])
    assert code == 0, "output/ is stale: run `explainer build` from the repository root"
