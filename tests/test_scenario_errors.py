"""Bad scenario files: one clear line naming file, key, expected and found; exit 2; nothing
written; no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from explainer.cli import main
from tests.conftest import MINIMAL, WriteScenario

# (id, old line, new line, key path the message must name, words it must contain)
CASES = [
    (
        "forecast row of the wrong width",
        "[training]",
        "[forecast]\ninputs = [[1.0]]\ntargets = [[0.5]]\n\n[training]",
        "forecast.inputs[0]",
        "a list of 2",
    ),
    (
        "replaced activation unknown",
        "[training]",
        '[display]\nreplaced = "sigmoid"\n\n[training]',
        "display.replaced",
        '"step"',
    ),
    (
        "unknown top key",
        'title = "Minimal"',
        'title = "Minimal"\ncolour = "red"',
        "colour",
        "unknown key",
    ),
    (
        "unknown layer key",
        'activation = "sigmoid"',
        'activation = "sigmoid"\nfoo = 1',
        "network.layers[0].foo",
        "unknown key",
    ),
    (
        "unknown activation",
        'activation = "sigmoid"',
        'activation = "softmax"',
        "network.layers[0].activation",
        "'softmax'",
    ),
    (
        "weights wrong count",
        "weights = [[0.1, 0.2]]",
        "weights = [[0.1]]",
        "network.layers[0].weights[0]",
        "a list of 2",
    ),
    (
        "weights wrong type",
        "weights = [[0.1, 0.2]]",
        'weights = [[0.1, "x"]]',
        "network.layers[0].weights[0][1]",
        "a number",
    ),
    (
        "negative learning rate",
        "learning_rate = 0.1",
        "learning_rate = -0.1",
        "training.learning_rate",
        "a positive number",
    ),
    (
        "zero learning rate",
        "learning_rate = 0.1",
        "learning_rate = 0",
        "training.learning_rate",
        "a positive number",
    ),
    (
        "too few targets",
        "targets = [0.25]",
        "targets = [0.25, 0.5]",
        "example.targets",
        "a list of 1",
    ),
    ("missing title", 'title = "Minimal"', "", "title", "missing"),
    ("steps not an integer", "steps = 3", "steps = 2.5", "training.steps", "whole number"),
    ("bad name", 'inputs = ["x1", "x2"]', 'inputs = ["x1", "x 2"]', "network.inputs[1]", "a name"),
    (
        "duplicate name",
        'neurons = ["o1"]',
        'neurons = ["h1"]',
        "network.layers[1].neurons",
        "not used elsewhere",
    ),
    (
        "bias count",
        "biases = [0.3]",
        "biases = [0.3, 0.4]",
        "network.layers[0].biases",
        "a list of 1",
    ),
    ("boolean as number", "steps = 3", "steps = true", "training.steps", "whole number"),
    (
        "unsafe latex symbol",
        'title = "Minimal"',
        'title = "Minimal"\n[symbols]\nx1 = "\\\\input{/etc/passwd}"',
        "symbols.x1",
        "LaTeX",
    ),
    (
        "symbol for unknown name",
        'title = "Minimal"',
        'title = "Minimal"\n[symbols]\nq = "q"',
        "symbols.q",
        "a name the network defines",
    ),
    ("not toml", 'title = "Minimal"', 'title = "Minimal', "", "valid TOML"),
]


@pytest.mark.parametrize(
    ("old", "new", "key", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_scenario_is_one_clear_line(
    old: str,
    new: str,
    key: str,
    words: str,
    write_scenario: WriteScenario,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert old in MINIMAL
    path = write_scenario(MINIMAL.replace(old, new, 1))
    out_dir = tmp_path / "out"
    code = main(["render", str(path), "-o", str(out_dir)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err
    assert f": {key}:" in err or not key
    assert words in err
    assert not out_dir.exists()


def test_minimal_scenario_is_valid(write_scenario: WriteScenario, tmp_path: Path) -> None:
    assert main(["render", str(write_scenario(MINIMAL)), "-o", str(tmp_path)]) == 0
    assert (tmp_path / "case.md").read_text(encoding="utf-8").startswith("# Minimal")


def test_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "no/such/file.toml"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_one_bad_file_among_good_writes_nothing(
    write_scenario: WriteScenario, tmp_path: Path
) -> None:
    good = write_scenario(MINIMAL, "good")
    bad = write_scenario(MINIMAL.replace("steps = 3", "steps = -1"), "bad")
    out_dir = tmp_path / "out"
    assert main(["render", str(good), str(bad), "-o", str(out_dir)]) == 2
    assert not out_dir.exists()


def test_a_replaced_step_needs_a_sigmoid_layer_to_stand_in(
    write_scenario: WriteScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = MINIMAL.replace('activation = "sigmoid"', 'activation = "tanh"').replace(
        "[training]", '[display]\nreplaced = "step"\n\n[training]'
    )
    path = write_scenario(text)
    assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert ": display.replaced:" in err and "a sigmoid layer" in err and "tanh" in err
    assert not (tmp_path / "out").exists()


def test_a_forecast_csv_is_checked_like_the_training_sets(
    write_scenario: WriteScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scenario(
        MINIMAL.replace("[training]", '[forecast]\ncsv = "rows.csv"\n\n[training]')
    )
    (path.parent / "rows.csv").write_text("x1,x2,t\n1,2\n", encoding="utf-8")
    assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "forecast.csv (rows.csv), row 2" in err and "3 columns" in err
