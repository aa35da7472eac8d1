"""A batch step on the page is the step training makes (issue 24): each example's gradient, their
mean, then the update, checked against the trainer's first epoch and against a plain numpy
network differentiated by central differences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from explainer import page
from explainer.check.layered import LayeredResults
from explainer.check.results import results
from explainer.foundation.precision import show
from explainer.page.model import Display, Table
from explainer.read import scenario
from explainer.read.settings import resolve
from tests.conftest import XOR as BASE
from tests.conftest import WriteScenario

XOR = BASE.replace("steps = 20", 'steps = 20\nmode = "batch"')
# the parameters in the scenario's order: w1..w4, b_h1, b_h2, w5, w6, b_o
START = np.array([0.5, -0.4, 0.3, 0.8, 0.1, -0.2, 0.7, -0.6, 0.05])
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
T = np.array([0, 1, 1, 0], dtype=float)


def _loss(theta: np.ndarray, x: np.ndarray, t: float) -> float:
    """½(t − o)² of one example, written out with numpy alone."""
    w = theta[:4].reshape(2, 2)
    h = 1 / (1 + np.exp(-(w @ x + theta[4:6])))
    o = 1 / (1 + np.exp(-(theta[6:8] @ h + theta[8])))
    return float(0.5 * (t - o) ** 2)


def _computed(path: Path) -> LayeredResults:
    return results(resolve(scenario.load_network(path)))


def _gradients(theta: np.ndarray) -> np.ndarray:
    """Each example's gradient (a row each), by central differences."""
    eps = 1e-6
    rows = []
    for x, t in zip(X, T, strict=True):
        row = []
        for i in range(len(theta)):
            up, down = theta.copy(), theta.copy()
            up[i] += eps
            down[i] -= eps
            row.append((_loss(up, x, t) - _loss(down, x, t)) / (2 * eps))
        rows.append(row)
    return np.array(rows)


@pytest.mark.parametrize(
    ("update", "profile"),
    [("simultaneous", "chain"), ("sequential", "chain"), ("simultaneous", "delta")],
)
def test_the_worked_update_is_trainings_first(
    write_scenario: WriteScenario, update: str, profile: str
) -> None:
    text = XOR.replace('mode = "batch"', f'mode = "batch"\nupdate = "{update}"')
    text += f'\n[notation]\nprofile = "{profile}"\n'
    r = _computed(write_scenario(text))
    ev = r.view.run.evaluation
    first_epoch = np.array(r.view.run.training.at(1).params)
    worked = np.array([float(u.new) for u in ev.updates])
    assert worked == pytest.approx(first_epoch, rel=1e-12, abs=1e-15)
    if update == "simultaneous":  # every example's gradient at the starting weights, averaged
        by_hand = START - 0.5 * _gradients(START).mean(axis=0)
        assert worked == pytest.approx(by_hand, abs=1e-8)
        assert np.array([[float(g) for g in row] for row in ev.batch]) == pytest.approx(
            _gradients(START), abs=1e-8
        )


def test_the_page_shows_each_examples_gradient_then_the_mean_it_takes(
    write_scenario: WriteScenario,
) -> None:
    r = _computed(write_scenario(XOR))
    (updating,) = [s for s in page.build(r).sections if s.anchor == "updates"]
    tables = [i for i in updating.items if isinstance(i, Table)]
    heads = [c[0].value for t in tables for c in t.header[1:]]
    assert heads == ["example 1", "example 2", "example 3", "example 4", "mean"]
    digits = r.plan.digits
    by_hand = _gradients(START)
    mean = by_hand.mean(axis=0)
    cells = [[c[0].value for c in row[1:]] for t in tables for row in t.rows]
    rows_per_table = len(tables[0].rows)
    for i in range(rows_per_table):  # a row per parameter, across the tables
        row = [cell for t in range(len(tables)) for cell in cells[t * rows_per_table + i]]
        expected = [*by_hand[:, i], mean[i]]
        for shown, x in zip(row, expected, strict=True):
            assert shown == show(round(x, 10) + 0.0, digits).latex or abs(x) < 1e-9
    (display,) = [i for i in updating.items if isinstance(i, Display)]
    assert all(r"\overline{" in row for row in display.rows)
    for line, u in zip(display.rows, r.view.run.evaluation.updates, strict=True):
        assert line.endswith(f"= {show(u.new, digits).latex}")
