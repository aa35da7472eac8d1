"""The story of a page: an opening that says what the page computes, and a closing summary
whose rules are the page's and whose numbers agree with an independent run of the trainer."""

from __future__ import annotations

from pathlib import Path

import pytest

from explainer.evaluate.compute import run
from explainer.foundation.precision import show
from explainer.page.model import Display, Paragraph, Section, Table
from explainer.pipeline import explain
from explainer.read import scenario
from explainer.read.arithmetic_spec import parse_arithmetic
from tests.conftest import SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.toml"))
NETWORKS = [p for p in SHIPPED if "[graph]" not in p.read_text(encoding="utf-8")]


def words(p: Paragraph) -> str:
    return "".join(s.value for s in p.prose)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_page_opens_by_saying_what_it_computes(path: Path) -> None:
    page = explain(scenario.load(path))
    first = page.sections[0].items[0]
    assert isinstance(first, Paragraph)
    opening = words(first)
    assert opening.startswith("This page ")
    assert "every number on the page is computed from" in opening.lower()


@pytest.mark.parametrize("path", NETWORKS, ids=lambda p: p.stem)
def test_the_opening_names_the_computed_loss_and_the_parts_present(path: Path) -> None:
    s = scenario.load_network(path)
    r = run(s, parse_arithmetic(s.arithmetic))  # in the page's own arithmetic
    page = explain(scenario.load(path))
    opening = words(page.sections[0].items[0])  # type: ignore[arg-type]
    loss = show(float(r.evaluation.node(r.net.loss)), s.digits).latex
    assert f"= {loss}" in opening
    anchors = {x.anchor for x in page.sections}
    assert ("training" in anchors) == ("of training" in opening)
    assert ("verification" in anchors) == ("the source prints" in opening)
    noun = "performance" if s.loss == "performance" else "loss"
    assert f"to the {noun} " in opening


def summary_of(path: Path) -> Section:
    page = explain(scenario.load(path))
    return next(x for x in page.sections if x.anchor == "summary")


@pytest.mark.parametrize("path", NETWORKS, ids=lambda p: p.stem)
def test_the_summary_table_is_every_parameter_before_and_after_the_trainers_first_step(
    path: Path,
) -> None:
    """'after one step' is the page's update; the trainer (compiled code, not the page's
    evaluation) reaches the same parameters after its first step."""
    s = scenario.load_network(path)
    r = run(s, parse_arithmetic(s.arithmetic))  # in the page's own arithmetic
    table = next(i for i in summary_of(path).items if isinstance(i, Table))
    assert len(table.rows) == len(r.evaluation.updates)
    first = r.training.steps[1] if len(r.training.steps) > 1 else None
    index = {p.key: i for i, p in enumerate(r.net.params)}
    for row, u in zip(table.rows, r.evaluation.updates, strict=True):
        before, after = row[1][0].value, row[3][0].value
        assert before == show(float(u.old), s.digits).latex
        assert after == show(float(u.new), s.digits).latex
        if first is not None and first.k == 1 and len(s.data) <= 1:
            assert float(first.params[index[u.key]]) == pytest.approx(float(u.new), rel=1e-12)


@pytest.mark.parametrize("path", NETWORKS, ids=lambda p: p.stem)
def test_the_summary_states_the_update_rule_with_the_pages_sign_and_rate(path: Path) -> None:
    s = scenario.load_network(path)
    display = next(i for i in summary_of(path).items if isinstance(i, Display))
    # the update rule, after the chain rule's rows (a batch's mean follows it)
    w = "W" if s.profile == "matrix" else "w"  # a layer's matrix at once, or one weight
    rule = next(r for r in display.rows if r.startswith(w + r"^{+} &="))
    sign = "+" if s.loss == "performance" else "-"
    if s.optimizer == "sgd":
        assert rule.startswith(w + r"^{+} &= " + w + " " + sign + " " + s.rate_symbol)
    else:  # the optimizer's last equation: its step, not the plain one
        assert rule.startswith(r"w^{+} &= w") and (r"\frac{" in rule or "v^{+}" in rule)


def test_single_weight_ends_on_the_exact_minimum_y_over_i() -> None:
    """Seed 001: C = (i·w − y)², so dC/dw = 2(i·w − y)·i is zero at w = y/i, exactly 1/3 for
    i = 1.5, y = 0.5; computed here from the scenario's own numbers with fractions."""
    from fractions import Fraction

    path = SCENARIOS / "single-weight.toml"
    s = scenario.load_network(path)
    i = Fraction(str(s.input_values[0]))
    y = Fraction(str(s.targets[0]))
    best = y / i
    display = [x for x in summary_of(path).items if isinstance(x, Display)][-1]
    assert display.rows[-1].startswith(
        rf"w^{{*}} &= \frac{{{best.numerator}}}{{{best.denominator}}}"
    )


def test_the_second_forward_pass_is_the_loss_at_the_updated_weights() -> None:
    """Seed 002: a forward pass at the updated weights (evaluate.forward, float64) gives the
    loss the summary prints."""
    from explainer.evaluate import worked as evaluate
    from explainer.evaluate.arithmetic import ARITHMETIC

    path = SCENARIOS / "mazur-2-2-2.toml"
    s = scenario.load_network(path)
    r = run(s, parse_arithmetic(s.arithmetic))  # in the page's own arithmetic
    new = {u.key: float(u.new) for u in r.evaluation.updates}
    params = {p.key: new.get(p.key, float(p.value)) for p in r.net.params}
    loss = float(evaluate.forward(r.net, params, ARITHMETIC["float64"])[r.net.loss])
    said = next(
        words(x)
        for x in summary_of(path).items
        if isinstance(x, Paragraph) and "second forward" in words(x)
    )
    assert f"= {show(loss, s.digits).latex}" in said
