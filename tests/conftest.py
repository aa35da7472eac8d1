"""Shared fixtures: the repository's folders and a minimal valid scenario to mutate."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
OUTPUT = ROOT / "output"

# Small and valid; tests replace one line at a time to make it invalid.
MINIMAL = """\
title = "Minimal"

[network]
inputs = ["x1", "x2"]

[[network.layers]]
neurons = ["h1"]
activation = "sigmoid"
weights = [[0.1, 0.2]]
bias = "per-neuron"
biases = [0.3]

[[network.layers]]
neurons = ["o1"]
activation = "identity"
weights = [[0.5]]

[example]
inputs = [1.0, 2.0]
targets = [0.25]

[training]
learning_rate = 0.1
steps = 3
"""


def tool(name: str) -> bool:
    """Whether an external tool is here; in CI a missing tool is a failure, never a skip."""
    if shutil.which(name):
        return True
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed, and CI must run this test (see .ci/run)")
    return False


@pytest.fixture
def write_scenario(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(text: str, name: str = "case") -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def tex() -> None:
    if not tool("pdflatex"):
        pytest.skip("pdflatex is not installed (CI installs TeX Live)")
