"""`explainer new KIND`: a commented starting scenario a new user edits, to standard output or
into a new file (never over one); every starting file is a valid scenario of its kind as it
stands."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import explainer
from explainer.cli import main
from explainer.read.starting import KINDS, starting_file

# What makes each kind what it is: the top-level tables its file has.
TABLES = {
    "network": {"network", "example", "loss", "training"},
    "graph": {"graph"},
    "training-set": {"network", "data", "training"},
    "handout": {"network", "example", "handout"},
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_starting_file_is_a_commented_scenario_that_renders(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", kind]) == 0
    text = capsys.readouterr().out
    assert text == starting_file(kind)
    assert TABLES[kind] <= set(tomllib.loads(text))
    comments = [
        line for line in text.splitlines() if line.lstrip().startswith("#") or " # " in line
    ]
    assert len(comments) >= 5, "a starting file explains its keys"
    path = tmp_path / f"{kind}.toml"
    path.write_text(text, encoding="utf-8")
    page = explainer.load(path)
    assert page.markdown().startswith("# ")
    assert page.values  # every number computed from the file's own inputs


def test_the_handout_starting_file_makes_variants(tmp_path: Path) -> None:
    path = tmp_path / "class.toml"
    path.write_text(starting_file("handout"), encoding="utf-8")
    files = explainer.handout(path, variants=2, seed=1, fmt="md")
    assert {"sheet-v01.md", "key-v01.md", "sheet-v02.md", "key-v02.md"} <= set(files)
    assert files["sheet-v01.md"] != files["sheet-v02.md"]


def test_new_writes_a_new_file_and_never_over_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine.toml"
    assert main(["new", "graph", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == starting_file("graph")
    out.write_text("my own work", encoding="utf-8")
    capsys.readouterr()
    assert main(["new", "network", "-o", str(out)]) == 2
    assert "there already" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "my own work"


def test_an_unknown_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["new", "xor"])
    assert e.value.code == 2
    assert "network" in capsys.readouterr().err
    with pytest.raises(explainer.UsageError):
        starting_file("xor")
