"""A graph that learns from a training set ([data]): its trained leaves after k epochs against
gradient descent written independently in plain numpy (stochastic and batch), the compiled
per-example pass against the stepwise one, exact arithmetic against fractions by hand, the
page's batch table, claims at epochs, CSV files, and every malformed [data] located."""

from __future__ import annotations

import dataclasses
import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from explainer.cli import main
from explainer.derive import local
from explainer.evaluate import arithmetic, graph_training
from explainer.foundation.errors import ScenarioError
from explainer.graph import circuit
from explainer.handouts import batch as handouts
from explainer.handouts.batch import HandoutOptions
from explainer.pipeline import explain, explain_values, findings
from explainer.read.graph_scenario import GraphScenario
from explainer.read.scenario import from_mapping, load
from explainer.read.settings import Options

ROW = re.compile(r"^\| \$(.+?)\$ \| .*? \| \(\d+\) \$\\boxed\{(-?[\d.]+)\}\$ ✔ \|$", re.M)
ROWS = [[1.0, 2.0], [2.0, 3.0], [3.0, 4.5], [-1.0, 0.25]]
START = {"w": 0.5, "b": 0.0}


def fit(mode: str, steps: int = 12, rate: float = 0.05, **more: Any) -> dict[str, Any]:
    """A line y = w·x + b fitted to ROWS with the squared error, as a lecturer would write it."""
    x0, t0 = ROWS[0]
    raw: dict[str, Any] = {
        "title": "fit",
        "graph": {
            "leaves": {**START, "x": x0, "t": t0},
            "nodes": {"y": "w * x + b", "L": "(y - t)**2"},
        },
        "training": {"train": ["w", "b"], "learning_rate": rate, "steps": steps, "mode": mode},
        "data": {"leaves": ["x", "t"], "rows": ROWS},
    }
    for key, value in more.items():
        raw[key] = {**raw.get(key, {}), **value}
    return raw


def graph_of(raw: dict[str, Any]) -> GraphScenario:
    s = from_mapping(raw, "fit")
    assert isinstance(s, GraphScenario)
    return s


def values(raw: dict[str, Any], **options: Any) -> dict[str, Any]:
    return dict(explain_values(graph_of(raw), Options(**options)).values)


def by_hand(mode: str, steps: int, rate: float) -> list[tuple[float, float, float]]:
    """(w, b, mean loss) after each epoch, written from the formulas with numpy:
    ∂L/∂w = 2(wx + b − t)·x, ∂L/∂b = 2(wx + b − t)."""
    data = np.array(ROWS)
    x, t = data[:, 0], data[:, 1]
    w, b = START["w"], START["b"]
    out = [(w, b, float(np.mean((w * x + b - t) ** 2)))]
    for _ in range(steps):
        if mode == "batch":
            r = w * x + b - t
            w, b = w - rate * float(np.mean(2 * r * x)), b - rate * float(np.mean(2 * r))
        else:
            for xi, ti in zip(x, t, strict=True):
                r = w * xi + b - ti
                w, b = w - rate * 2 * r * xi, b - rate * 2 * r
        out.append((w, b, float(np.mean((w * x + b - t) ** 2))))
    return out


@pytest.mark.parametrize("mode", ["stochastic", "batch"])
def test_training_on_a_data_set_is_independent_gradient_descent(mode: str) -> None:
    v = values(fit(mode))
    expected = by_hand(mode, 12, 0.05)
    for k in range(1, 13):  # every step shown: the table's first ten, then 12 (the last)
        if k == 11:
            continue
        w, b, loss = expected[k]
        assert v[f"w@{k}"] == pytest.approx(w, abs=1e-12)
        assert v[f"b@{k}"] == pytest.approx(b, abs=1e-12)
        assert v[f"L@{k}"] == pytest.approx(loss, abs=1e-12)
    # with a training set, @1 is after the first epoch: a batch's worked update is epoch 1's;
    # a stochastic one is example 1's alone, keyed as what example 2's update starts from
    if mode == "batch":
        assert v["Δw@1"] == pytest.approx(v["w@1"] - START["w"], abs=1e-15)
    else:
        x, t = ROWS[0]
        r = START["w"] * x + START["b"] - t
        assert v["w@1#2"] == pytest.approx(START["w"] - 0.05 * 2 * r * x, abs=1e-15)
        assert v["Δb@1#2"] == pytest.approx(-0.05 * 2 * r, abs=1e-15)
        assert "Δw@1" not in v
    assert "y@3" not in v  # a node but the output is per example: not recorded


def test_the_compiled_pass_is_the_stepwise_pass() -> None:
    s = graph_of(fit("stochastic", steps=40))
    assert s.training is not None and s.data is not None
    c = circuit.split(s)
    locals_ = local.derive(c)
    f64 = arithmetic.arithmetic("float64")
    every = frozenset(range(41))
    args = (c, locals_, f64, s.training, s.data, 40, every, every)
    compiled = graph_training.epochs(*args)
    start = {n: f64.number(v) for n, v in c.leaves}
    examples = [
        {n: f64.number(v) for n, v in s.data.example(i).items()} for i in range(len(s.data.rows))
    ]
    one = graph_training._stepwise_example(c, locals_, f64, s.training, "")
    rows, _ = graph_training._epochs(s.training, start, examples, f64, 40, *args[6:8], one, "L")
    for a, b in zip(compiled.steps, rows, strict=True):
        assert a.k == b.k
        for key in ("w", "b", "L"):
            assert float(a.values[key]) == pytest.approx(float(b.values[key]), abs=1e-12)


def test_exact_arithmetic_is_gradient_descent_in_fractions() -> None:
    v = values(fit("batch", steps=2, rate=0.25), arithmetic="exact")
    w, b = Fraction(1, 2), Fraction(0)
    data = [(Fraction(x), Fraction(t)) for x, t in ROWS]
    for _ in range(2):
        gw = sum((2 * (w * x + b - t) * x for x, t in data), Fraction(0)) / len(data)
        gb = sum((2 * (w * x + b - t) for x, t in data), Fraction(0)) / len(data)
        w, b = w - Fraction(1, 4) * gw, b - Fraction(1, 4) * gb
    assert Fraction(v["w@2"]) == w and Fraction(v["b@2"]) == b


def test_the_batch_page_shows_each_examples_gradient_and_their_mean() -> None:
    page = explain(graph_of(fit("batch")))
    updates = next(x for x in page.sections if x.anchor == "updates")
    table = next(i for i in updates.items if i.kind == "table")
    assert len(table.rows) == 2 and len(table.header) == 2 + len(ROWS)  # leaf, examples, mean
    # example n's gradient of w, 2(wx + b − t)·x at the start, and the mean the step takes
    r = [2 * (START["w"] * x + START["b"] - t) * x for x, t in ROWS]
    shown = [float("".join(seg.value for seg in cell)) for cell in table.rows[0][1:]]
    assert shown == pytest.approx([*r, sum(r) / len(r)], rel=1e-5)
    training = next(x for x in page.sections if x.anchor == "training")
    assert training.title.endswith("12 epochs")


def test_claims_at_epochs_are_checked_and_diagnosed() -> None:
    v = values(fit("stochastic", steps=5))
    raw = fit(
        "stochastic",
        steps=5,
        claims={"w@3": f"{v['w@3']:.4f}", "L@5": f"{v['L@4']:.4f}"},  # the loss an epoch early
    )
    checked = {f.claim.key: f for f in findings(graph_of(raw))}
    assert checked["w@3"].reproduced
    assert not checked["L@5"].reproduced
    assert "one step fewer (4 instead of 5)" in checked["L@5"].diagnosis


def test_a_data_set_from_a_csv_file(write_scenario: Any, tmp_path: Path) -> None:
    path = write_scenario(
        'title = "csv"\n[graph]\nleaves = { w = 0.5, b = 0.0, x = 1.0, t = 2.0 }\n'
        'nodes = { y = "w * x + b", L = "(y - t)**2" }\n'
        '[training]\ntrain = ["w", "b"]\nlearning_rate = 0.05\nsteps = 12\n'
        '[data]\ncsv = "points.csv"\n',
        "csvfit",
    )
    (path.parent / "points.csv").write_text(
        "# the points\nx,t\n" + "".join(f"{x},{t}\n" for x, t in ROWS), encoding="utf-8"
    )
    s = load(path)
    assert isinstance(s, GraphScenario) and s.data is not None
    assert s.data.leaves == ("x", "t") and [list(r) for r in s.data.rows] == ROWS
    assert dict(explain_values(s).values)["w@12"] == pytest.approx(
        by_hand("stochastic", 12, 0.05)[12][0], abs=1e-12
    )


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        ({"data": {"leaves": ["x", "w"]}}, "data.leaves[1]", "given, not trained"),
        ({"data": {"leaves": ["x", "q"]}}, "data.leaves[1]", "a leaf of the graph"),
        ({"data": {"leaves": ["x", "x"]}}, "data.leaves", "each leaf once"),
        ({"data": {"leaves": "x"}}, "data.leaves", "a list of the leaves"),
        ({"data": {"rows": [[1.0, 2.0], [2.0]]}}, "data.rows[1]", "2"),
        ({"data": {"rows": []}}, "data.rows", "at least 1"),
        ({"data": {"rows": [[9.0, 2.0]]}}, "graph.leaves.x", "first row, 9.0"),
        ({"data": {"csv": "a.csv"}}, "data", "either csv or leaves and rows"),
        ({"data": {"weights": 1}}, "data.weights", ""),
        ({"training": {"update": "sequential", "mode": "batch"}}, "training.update", "batch"),
        ({"training": {"mode": "epochs"}}, "training.mode", "stochastic"),
    ],
)
def test_a_bad_data_set_is_located(change: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as e:
        graph_of(fit("stochastic", **change))
    assert e.value.key == key
    assert expected in str(e.value)


def test_a_data_set_needs_training_and_a_mode_needs_a_data_set() -> None:
    raw = fit("stochastic")
    del raw["training"]
    with pytest.raises(ScenarioError) as e:
        graph_of(raw)
    assert e.value.key == "data" and "[training]" in str(e.value)
    raw = fit("batch")
    del raw["data"]
    with pytest.raises(ScenarioError) as e:
        graph_of(raw)
    assert e.value.key == "training.mode" and "[data]" in str(e.value)


def test_a_diverging_training_set_names_the_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    raw = fit("stochastic", steps=500, rate=5.0)
    s = graph_of(raw)
    wide = dataclasses.replace(s, path="fit.toml")
    with pytest.raises(Exception) as e:
        explain_values(wide)
    assert "training epochs" in str(e.value) and "graph.nodes" in str(e.value)
    assert not math.isnan(by_hand("stochastic", 1, 5.0)[1][0])  # one epoch is still finite


def test_render_a_data_set_from_the_command_line(write_scenario: Any, tmp_path: Path) -> None:
    x0, t0 = ROWS[0]
    path = write_scenario(
        f'title = "fit"\n[graph]\nleaves = {{ w = 0.5, b = 0.0, x = {x0}, t = {t0} }}\n'
        'nodes = { y = "w * x + b", L = "(y - t)**2" }\n'
        '[training]\ntrain = ["w", "b"]\nlearning_rate = 0.05\nsteps = 3\nmode = "batch"\n'
        f'[data]\nleaves = ["x", "t"]\nrows = {ROWS}\n',
        "fit",
    )
    out = tmp_path / "out"
    assert main(["render", str(path), "--format", "md", "-o", str(out)]) == 0
    page = (out / "fit.md").read_text(encoding="utf-8")
    assert "A training set of 4 examples" in page and "| 4 | $-1$ | $0.25$ |" in page
    assert "Training for 3 epochs" in page


@pytest.mark.parametrize("mode", ["stochastic", "batch"])
def test_a_handout_works_the_first_example_and_its_own_update(
    mode: str, write_scenario: Any
) -> None:
    x0, t0 = ROWS[0]
    path = write_scenario(
        f'title = "fit"\n[graph]\nleaves = {{ w = 0.5, b = 0.0, x = {x0}, t = {t0} }}\n'
        'nodes = { y = "w * x + b", L = "(y - t)**2" }\n'
        f'[training]\ntrain = ["w", "b"]\nlearning_rate = 0.1\nsteps = 3\nmode = "{mode}"\n'
        f'[data]\nleaves = ["x", "t"]\nrows = {ROWS}\n[handout]\n',
        "fit",
    )
    made = handouts.files(load(path), HandoutOptions(fmt="md"))
    key = made["key-v01.md"]
    assert isinstance(key, str)
    answers = {name: float(v) for name, v in ROW.findall(key)}
    # the sheet's rule p⁺ = p − η·∂L/∂p with example 1's gradient, 2(wx + b − t)·x
    r = START["w"] * x0 + START["b"] - t0
    assert answers["w^{+}"] == pytest.approx(START["w"] - 0.1 * 2 * r * x0, abs=5e-5)
    assert answers["b^{+}"] == pytest.approx(START["b"] - 0.1 * 2 * r, abs=5e-5)
