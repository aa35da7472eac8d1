"""Shared fixtures: the repository's folders and a minimal valid scenario to mutate."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Protocol

import pytest
from hypothesis import HealthCheck, settings

# The fuzzer's profiles (tests/fuzz): `ci`, the default, a few hundred examples in a fixed order
# so that CI is repeatable; `long`, 10,000 across the three fuzz tests, drawn afresh each run
# (python -m pytest tests/fuzz -p no:randomly --hypothesis-profile long).
_FUZZ: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "database": None,
}
settings.register_profile("ci", max_examples=100, derandomize=True, **_FUZZ)
settings.register_profile("long", max_examples=3334, **_FUZZ)


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("ci")


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


# XOR's training set on a 2-2-1 sigmoid network: its first example (0, 0) zeroes the gradients
# of the first layer's weights, and the next two half of them.
XOR = """\
title = "XOR over several epochs"

[network]
inputs = ["x1", "x2"]

[[network.layers]]
neurons = ["h1", "h2"]
activation = "sigmoid"
weights = [[0.5, -0.4], [0.3, 0.8]]
bias = "per-neuron"
biases = [0.1, -0.2]

[[network.layers]]
neurons = ["o"]
activation = "sigmoid"
weights = [[0.7, -0.6]]
bias = "per-neuron"
biases = [0.05]

[data]
inputs = [[0, 0], [0, 1], [1, 0], [1, 1]]
targets = [[0], [1], [1], [0]]

[training]
learning_rate = 0.5
steps = 20
"""


def tool(name: str) -> bool:
    """Whether an external tool is here; in CI a missing tool is a failure, never a skip."""
    if shutil.which(name):
        return True
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed, and CI must run this test (see .ci/run)")
    return False


class WriteScenario(Protocol):
    """The `write_scenario` fixture: writes `text` to `<tmp_path>/<name>.toml` and returns it."""

    def __call__(self, text: str, name: str = "case") -> Path: ...


@pytest.fixture
def write_scenario(tmp_path: Path) -> WriteScenario:
    def write(text: str, name: str = "case") -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def tex() -> None:
    if not tool("pdflatex"):
        pytest.skip("pdflatex is not installed (CI installs TeX Live)")


def tex_processes(under: Path | None = None) -> list[int]:
    """pdflatex processes running (in a folder below `under`, when given), read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if name == "pdflatex" and (under is None or cwd.startswith(str(under))):
            found.append(int(entry.name))
    return found


def answers_by_variant(folder: Path) -> dict[str, list[dict[str, str]]]:
    """A handout's answers.csv (as `explainer handout` wrote it into `folder`), its rows by
    variant."""
    import csv

    with (folder / "answers.csv").open(encoding="utf-8") as f:
        out: dict[str, list[dict[str, str]]] = {}
        for row in csv.DictReader(f):
            out.setdefault(row["variant"], []).append(row)
        return out


def zip_entries(path: Path) -> dict[str, bytes]:
    """Every entry of a zip file by name."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}
