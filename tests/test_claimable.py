"""A claim can be written for every quantity a shipped page prints (issue 26): each display row
that ends in a number names, in its `ends`, the JSON key of that number, a key a claim can
spell, whose value is the number the row prints; each number in a table is some key's value.
Then the new kinds of key are claimed with the numbers the pages print, and reproduce."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any

import pytest

import explainer
from explainer import api
from explainer.page.model import Display, Prose, Table
from explainer.read.claims import CLAIM_KEY, Claim
from tests.conftest import SCENARIOS

SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.toml"))

# a number as the pages write it: 0.3775, -6, 1.2 \times 10^{-5}, 10{,}000
NUMBER = re.compile(r"(-?[0-9][0-9{},]*(?:\.[0-9]+)?)(?:\s*\\times\s*10\^\{(-?[0-9]+)\})?")
# the end of a row after its last "=", spacing and punctuation left out
TRAILING = re.compile(r"\\(?:quad|qquad|,|;)|\\text\{[^}]*\}")

# Table cells that are not computed quantities of the scenario, each with why
NOT_QUANTITIES = {
    "step": "a step number",
    "epoch": "an epoch number",
    "example": "a row number",
    "printed": "the source's printed number, not ours",
}
# Tables of a scenario other than the page's own: what a claim checks is the page's run
OTHER_RUNS = {
    ("float32", "float32 beside float64"): "the same page computed in float64, for contrast",
    ("serengil-step", "Why the Heaviside step cannot learn"): "the sigmoid stand-in's run",
    ("serengil-sine", "Forecasting unseen examples"): "unseen examples, not the training set",
}


def _number(s: str) -> tuple[Decimal, Decimal] | None:
    """A printed number and half a unit of its last digit; None if s is not one number."""
    m = NUMBER.fullmatch(s.strip().replace("−", "-"))
    if not m:
        return None
    digits = m.group(1).replace("{,}", "").replace(",", "")
    exponent = int(m.group(2) or 0)
    value = Decimal(digits).scaleb(exponent)
    places = len(digits.partition(".")[2])
    return value, Decimal(5).scaleb(exponent - places - 1)


def _row_end(row: str) -> tuple[Decimal, Decimal] | None:
    if "=" not in row:
        return None
    return _number(TRAILING.sub(" ", row.rsplit("=", 1)[1]).strip().rstrip(".,"))


def _text(p: Prose) -> str:
    return "".join(s.value for s in p)


@pytest.fixture(scope="module", params=SHIPPED)
def page(request: pytest.FixtureRequest) -> explainer.Walkthrough:
    return explainer.load(request.param)


def test_every_row_that_ends_in_a_number_names_its_key(page: explainer.Walkthrough) -> None:
    values, wrong = page.values, []
    for section in page.explanation.sections:
        if section.title == "Summary":  # the rules, in symbols: ∂out/∂net = 1 is a form
            continue
        for item in section.items:
            if not isinstance(item, Display):
                continue
            for row, key in zip(item.rows, item.ends or ("",) * len(item.rows), strict=True):
                printed = _row_end(row)
                if printed is None:
                    continue
                x = values.get(key)
                if not key or not CLAIM_KEY.fullmatch(key) or not isinstance(x, float):
                    wrong.append((section.title, row[-70:], key or "no key"))
                elif abs(Decimal(repr(x)) - printed[0]) > printed[1]:
                    wrong.append((section.title, row[-70:], f"{key} = {x}"))
    assert not wrong, wrong


def test_every_number_in_a_table_is_a_keys(page: explainer.Walkthrough) -> None:
    values = [Decimal(repr(x)) for x in page.values.values() if isinstance(x, float)]
    givens = {Decimal(str(v)) for row in _givens(page) for v in row}
    missing = []
    for section in page.explanation.sections:
        if (page.name, section.title) in OTHER_RUNS:
            continue
        for item in section.items:
            if not isinstance(item, Table):
                continue
            header = [_text(h) for h in item.header]
            for row in item.rows:
                for head, cell in zip(header, row, strict=True):
                    printed = _number(_text(cell).strip("$ "))
                    if head in NOT_QUANTITIES or printed is None:
                        continue
                    x, half = printed
                    near = any(abs(abs(v) - abs(x)) <= half for v in values)
                    if not near and not any(abs(g - x) <= half for g in givens):
                        missing.append((section.title, head, _text(row[0]), _text(cell)))
    assert not missing, missing


def _givens(page: explainer.Walkthrough) -> list[tuple[float, ...]]:
    """A training set's inputs and targets: data, not computed (their keys are the first row's)."""
    s: Any = page.scenario
    rows = getattr(s, "data", ()) or ()
    if hasattr(rows, "rows"):  # a graph's [data]: a value per leaf, per example
        return list(rows.rows)
    out: list[tuple[float, ...]] = []
    for row in rows:
        if isinstance(row, tuple) and row and isinstance(row[0], tuple):
            out.extend(row)  # (inputs, targets)
        elif isinstance(row, tuple):
            out.append(row)
    return out


def _claimed(w: explainer.Walkthrough, claims: dict[str, str]) -> list[Any]:
    """The shipped scenario with these claims in place of its own (each key spelt as a file
    would have to: CLAIM_KEY), verified."""
    assert all(CLAIM_KEY.fullmatch(k) for k in claims), claims
    s = dataclasses.replace(w.scenario, claims=tuple(Claim(k, v, "") for k, v in claims.items()))
    return list(api.from_scenario(s, None, None, "", False, "a4").verify())


def _printed(w: explainer.Walkthrough, key: str) -> str:
    """The number a page prints at the end of the row that names `key`."""
    for section in w.explanation.sections:
        for item in section.items:
            if isinstance(item, Display) and key in item.ends:
                row = item.rows[item.ends.index(key)]
                end = TRAILING.sub(" ", row.rsplit("=", 1)[1]).strip()
                m = NUMBER.fullmatch(end)
                assert m, (key, row)
                return m.group(1).replace("{,}", "") + (f"e{m.group(2)}" if m.group(2) else "")
    raise AssertionError(f"no row of {w.name} ends in {key}")


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        # after the worked batch: what epoch 1's next update starts from; the batch's gradient
        ("minibatch", ("w1@1#2", "b_o@1#2")),
        ("serengil-sine", ("w5@1#2", "b_h2@1#2")),
        ("weight-decay", ("decayed_w1@1",)),  # AdamW's w − η·λ·w before Adam's step
        ("mazur-2-2-2-graph", ("dE_total/dnet_o2*dnet_o2/dout_h1",)),  # one gate's share
        ("scalar-expression", ("dg/dg2*dg2/db",)),
        ("leonel-linear", ("share_w11", "delta_h1")),
    ],
)
def test_the_keys_a_page_names_can_be_claimed_with_its_numbers(
    name: str, keys: tuple[str, ...]
) -> None:
    w = explainer.load(name)
    printed = {k: _printed(w, k) for k in keys}
    found = _claimed(w, printed)
    assert [f.claim.key for f in found] == list(keys)
    assert all(f.reproduced for f in found), [
        (f.claim.key, f.shown, f.claim.printed) for f in found
    ]


def test_a_graphs_batch_has_keys_for_each_example_and_the_mean() -> None:
    """circuit-line-fit, L = (w·x + b − t)² in batch mode: each example's dL/dw = 2(y − t)·x
    and dL/db = 2(y − t) at the start (dL/dw@1#r), their mean (dL_batch/dw), the set's mean
    loss before training (L@0), and the mean claimed with the page's digits reproduces."""
    w = explainer.load("circuit-line-fit")
    rows = [(1, 2), (2, 3), (3, 4.5), (-1, 0.25)]
    w0, b0 = 0.5, 0.0
    residual = [w0 * x + b0 - t for x, t in rows]
    for r, ((x, _), e) in enumerate(zip(rows, residual, strict=True), 1):
        assert w.values[f"dL/dw@1#{r}"] == pytest.approx(2 * e * x, rel=1e-15)
        assert w.values[f"dL/db@1#{r}"] == pytest.approx(2 * e, rel=1e-15)
    mean_w = sum(2 * e * x for (x, _), e in zip(rows, residual, strict=True)) / len(rows)
    assert w.values["dL_batch/dw"] == pytest.approx(mean_w, rel=1e-15)
    assert w.values["L@0"] == pytest.approx(sum(e * e for e in residual) / len(rows), rel=1e-15)
    found = _claimed(w, {"dL_batch/dw": f"{mean_w:.4g}", "dL/dw@1#3": f"{2 * residual[2] * 3:g}"})
    assert all(f.reproduced for f in found), [(f.claim.key, f.shown) for f in found]
