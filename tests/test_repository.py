"""The repository as a visitor and a maintainer meet it: README true, code linted and typed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import OUTPUT, ROOT


def test_readme_excerpt_matches_the_real_output() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    excerpts = re.findall(r"<!-- excerpt:(\S+) -->\n(.*?)<!-- /excerpt -->", readme, flags=re.S)
    assert excerpts
    for name, text in excerpts:
        assert text.strip() in (OUTPUT / name).read_text(encoding="utf-8"), name


def test_readme_names_the_commands_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = "python -m pip install -e '.[test]' && python -m pytest"
    assert test_command in readme and test_command in ci
    assert "python -m pip install -e . && explainer build" in readme


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy", "explainer", "tests"]],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_code_quality_gate(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed (pip install -e '.[test]')")
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_readme_scenario_example_renders(tmp_path: Path) -> None:
    from explainer.pipeline import Options, render_text
    from explainer.read import scenario

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", readme, flags=re.S)
    assert block, "README.md documents the scenario format with a complete example"
    path = tmp_path / "readme-example.toml"
    path.write_text(block.group(1), encoding="utf-8")
    page = render_text(scenario.load_network(path), "md", Options(steps=3))
    assert isinstance(page, str)  # Markdown is text; only PDF is bytes
    assert page.startswith("# Backpropagation step by step")


def test_readme_limits_table_is_the_code_s() -> None:
    """Safety's table lists every limit with the default and meaning `explainer.limits` has."""
    from explainer.foundation.limits import DEFAULT, DESCRIBE

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (table,) = re.findall(r"<!-- limits -->\n(.*?)<!-- /limits -->", readme, flags=re.S)
    rows = [line.strip("|").split("|") for line in table.strip().splitlines()[2:]]
    shown = {name.strip(" `"): (int(v.replace(",", "")), what.strip()) for name, v, what in rows}
    assert shown == {name: (getattr(DEFAULT, name), what) for name, what in DESCRIBE.items()}
