"""Mini-batches on a graph: a line fitted in batches of two, shuffled each epoch by
np.random.default_rng, against plain numpy written here; the worked batch's keys and table;
claims made with the other reduction or without the shuffle get that cause back; and the
[training] keys a graph's batches take are located when wrong."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from explainer.foundation.errors import ScenarioError
from explainer.page.model import Table
from explainer.pipeline import explain, explain_values, findings
from explainer.read.graph_scenario import GraphScenario
from explainer.read.scenario import from_mapping
from explainer.read.settings import Options

ROWS = [[1.0, 2.0], [2.0, 3.0], [3.0, 4.5], [-1.0, 0.25], [0.5, 1.0]]
RATE, EPOCHS = 0.05, 4


def scenario(claims: dict[str, str] | None = None, **training: Any) -> GraphScenario:
    """y = w·x + b, L = (y − t)², five points; the written x and t are the first batch's first
    row (the example the page works in full)."""
    t = {"train": ["w", "b"], "learning_rate": RATE, "steps": EPOCHS, **training}
    first = first_batch(t)[0]
    x, target = ROWS[first]
    raw: dict[str, Any] = {
        "title": "t",
        "graph": {
            "leaves": {"w": 0.5, "x": x, "b": 0.0, "t": target},
            "nodes": {"y": "w*x + b", "L": "(y - t)**2"},
            "output": "L",
        },
        "training": t,
        "data": {"leaves": ["x", "t"], "rows": ROWS},
    }
    if claims:
        raw["claims"] = claims
    s = from_mapping(raw, "g")
    assert isinstance(s, GraphScenario)
    return s


def orders(training: dict[str, Any]) -> list[list[int]]:
    """Each epoch's order of the rows, as the source's numpy code draws it."""
    if "shuffle" not in training:
        return [list(range(len(ROWS)))] * EPOCHS
    rng = np.random.default_rng(training.get("shuffle_seed", 0))
    return [[int(i) for i in rng.permutation(len(ROWS))] for _ in range(EPOCHS)]


def first_batch(training: dict[str, Any]) -> list[int]:
    return orders(training)[0][: training.get("batch_size", 1)]


def by_numpy(training: dict[str, Any]) -> list[tuple[float, float, float]]:
    """(w, b, epoch loss) after each epoch: ∂L/∂w = 2(wx + b − t)·x, ∂L/∂b = 2(wx + b − t),
    each batch's mean (or sum), the epoch's loss the mean (or sum) over every row."""
    data = np.array(ROWS)
    k, total = training["batch_size"], training.get("reduction") == "sum"
    combine = np.sum if total else np.mean
    w, b, out = 0.5, 0.0, []
    for order in orders(training):
        for i in range(0, len(order), k):
            batch = data[order[i : i + k]]
            r = w * batch[:, 0] + b - batch[:, 1]
            w, b = w - RATE * float(combine(2 * r * batch[:, 0])), b - RATE * float(combine(2 * r))
        out.append((w, b, float(combine((w * data[:, 0] + b - data[:, 1]) ** 2))))
    return out


SHUFFLED: dict[str, Any] = {"batch_size": 2, "shuffle": "numpy-rng", "shuffle_seed": 3}
CASES: list[dict[str, Any]] = [SHUFFLED, {"batch_size": 2}, {"batch_size": 3, "reduction": "sum"}]


@pytest.mark.parametrize("training", CASES)
def test_mini_batches_on_a_graph_are_numpys(training: dict[str, Any]) -> None:
    v = dict(explain_values(scenario(**training), Options()).values)
    for k, (w, b, loss) in enumerate(by_numpy(training), start=1):
        assert v[f"w@{k}"] == pytest.approx(w, abs=1e-12)
        assert v[f"b@{k}"] == pytest.approx(b, abs=1e-12)
        assert v[f"L@{k}"] == pytest.approx(loss, abs=1e-12)


def test_the_worked_batch_has_each_examples_gradient_and_the_mean() -> None:
    s = scenario(**SHUFFLED)
    v = dict(explain_values(s, Options()).values)
    rows = first_batch(SHUFFLED)
    order = orders(SHUFFLED)[0]
    for r in rows:  # each example of the first batch, by its row (from 1)
        x, t = ROWS[r]
        assert v[f"dL/dw@1#{r + 1}"] == pytest.approx(2 * (0.5 * x - t) * x)
    mean = np.mean([2 * (0.5 * ROWS[r][0] - ROWS[r][1]) for r in rows])
    assert v["dL_batch/db"] == pytest.approx(mean)
    # the step's result, keyed as what the second batch's first row meets
    assert v[f"b@1#{order[2] + 1}"] == pytest.approx(-RATE * mean)
    page = explain(s, Options())
    (table,) = [
        x
        for section in page.sections
        if section.anchor == "updates"
        for x in section.items
        if isinstance(x, Table)
    ]
    heads = ["".join(seg.value for seg in cell) for cell in table.header]
    assert heads == ["leaf", *(f"example {r + 1}" for r in rows), "mean"]


def _claimed(source: dict[str, Any], claims: list[str]) -> dict[str, Any]:
    made = dict(explain_values(scenario(**source), Options()).values)
    checked = findings(scenario({k: f"{made[k]:.6f}" for k in claims}, **SHUFFLED))
    return {f.claim.key: f for f in checked}


@pytest.mark.parametrize(
    ("source", "cause"),
    [
        ({**SHUFFLED, "reduction": "sum"}, "from the sum of its examples' gradients"),
        ({"batch_size": 2}, "the examples taken in order, not shuffled"),
    ],
)
def test_a_published_epoch_made_the_other_way_gets_that_cause(
    source: dict[str, Any], cause: str
) -> None:
    f = _claimed(source, ["w@3"])["w@3"]
    assert not f.reproduced and cause in f.diagnosis


def test_a_number_no_alternative_explains_has_no_cause() -> None:
    own = dict(explain_values(scenario(**SHUFFLED), Options()).values)
    off = float(own["w@3"]) + 0.0523
    (f,) = findings(scenario({"w@3": f"{off:.6f}"}, **SHUFFLED))
    assert not f.reproduced and not f.explained_by
    assert f.diagnosis.startswith("not reproduced by any alternative tried")


@pytest.mark.parametrize(
    ("training", "key", "expected"),
    [
        ({"batch_size": 9}, "training.batch_size", "from 1 to 5"),
        ({"batch_size": 2, "update": "sequential"}, "training.update", "simultaneous"),
        ({"shuffle": "numpy-rng"}, "training.shuffle_seed", "seeded"),
        ({"mode": "batch", "batch_size": 2}, "training.batch_size", "minibatch"),
    ],
)
def test_a_bad_batching_on_a_graph_is_located(
    training: dict[str, Any], key: str, expected: str
) -> None:
    with pytest.raises(ScenarioError) as e:
        scenario(**training)
    assert e.value.key == key and expected in str(e.value)


def test_the_written_leaves_must_be_the_first_batchs_first_row() -> None:
    raw = {
        "title": "t",
        "graph": {
            "leaves": {"w": 0.5, "x": 1.0, "b": 0.0, "t": 2.0},
            "nodes": {"y": "w*x + b", "L": "(y - t)**2"},
        },
        "training": {"train": ["w", "b"], "learning_rate": RATE, **SHUFFLED},
        "data": {"leaves": ["x", "t"], "rows": ROWS},
    }
    first = first_batch(SHUFFLED)[0]
    with pytest.raises(ScenarioError) as e:
        from_mapping(raw, "g")
    assert e.value.key == "graph.leaves.x"
    assert f"row {first + 1} of the data set" in str(e.value)


def test_a_batch_setting_without_a_data_set_is_located() -> None:
    raw = {
        "title": "t",
        "graph": {"leaves": {"w": 0.5, "x": 1.0}, "nodes": {"L": "(w*x - 1)**2"}},
        "training": {"train": ["w"], "learning_rate": RATE, "batch_size": 2},
    }
    with pytest.raises(ScenarioError) as e:
        from_mapping(raw, "g")
    assert e.value.key == "training.batch_size" and "[data]" in str(e.value)


def test_momentum_over_shuffled_mini_batches_counts_a_step_per_batch() -> None:
    """The optimizer's state and step count go on across batches and epochs: momentum's
    velocity written out here over numpy's shuffled batches."""
    training = {**SHUFFLED, "optimizer": "momentum", "momentum": 0.5}
    v = dict(explain_values(scenario(**training), Options()).values)
    data, w, b, vw, vb = np.array(ROWS), 0.5, 0.0, 0.0, 0.0
    for order in orders(training):
        for i in range(0, len(order), 2):
            batch = data[order[i : i + 2]]
            r = w * batch[:, 0] + b - batch[:, 1]
            vw = 0.5 * vw + float(np.mean(2 * r * batch[:, 0]))
            vb = 0.5 * vb + float(np.mean(2 * r))
            w, b = w - RATE * vw, b - RATE * vb
    assert [v[f"w@{EPOCHS}"], v[f"b@{EPOCHS}"]] == pytest.approx([w, b], abs=1e-12)
    assert [v[f"v_w@{EPOCHS}"], v[f"v_b@{EPOCHS}"]] == pytest.approx([vw, vb], abs=1e-12)
