"""Arithmetic modes: exact rationals, on-paper rounding carried forward, and float64."""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pytest

from explainer.cli import main
from explainer.derive import derivation
from explainer.evaluate import trainer
from explainer.evaluate import worked as evaluate
from explainer.foundation.precision import show
from explainer.graph import network
from explainer.read import scenario
from explainer.read.settings import schedule
from tests.conftest import SCENARIOS


def test_exact_single_weight_is_fractions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "single-weight", "--arithmetic", "exact", "-f", "json"]) == 0
    v = json.loads(capsys.readouterr().out)["values"]
    # a = 1.5 · 0.8, C = (a − 0.5)², w ← 0.8 − 0.1 · 2(a − 0.5) · 1.5, by hand in fractions
    a = Fraction(3, 2) * Fraction(4, 5)
    w1 = Fraction(4, 5) - Fraction(1, 10) * 2 * (a - Fraction(1, 2)) * Fraction(3, 2)
    assert (v["a"], v["C"], v["w@1"]) == (str(a), str((a - Fraction(1, 2)) ** 2), str(w1))
    assert (v["a"], v["C"], v["w@1"]) == ("6/5", "49/100", "59/100")


def test_exact_page_prints_fractions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "single-weight", "--arithmetic", "exact"]) == 0
    md = capsys.readouterr().out
    assert r"&= \frac{6}{5}" in md and "exact rational arithmetic" in md


def test_exact_refuses_the_sigmoid_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "mazur-2-2-2", "--arithmetic", "exact", "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert "irrational" in err and err.count("\n") == 1


def by_hand_on_paper(decimals: int, rounding: str) -> list[Decimal]:
    """Mazur's first step as a student does it: every shown number rounded, then reused."""
    q, mode = (
        Decimal(1).scaleb(-decimals),
        {"half-up": ROUND_HALF_UP, "truncate": ROUND_DOWN}[rounding],
    )

    def r(x: Decimal) -> Decimal:
        return x.quantize(q, rounding=mode)

    def sig(z: Decimal) -> Decimal:
        return r(1 / (1 + (-z).exp()))

    i = [Decimal("0.05"), Decimal("0.1")]
    w1 = [[Decimal("0.15"), Decimal("0.2")], [Decimal("0.25"), Decimal("0.3")]]
    w2 = [[Decimal("0.4"), Decimal("0.45")], [Decimal("0.5"), Decimal("0.55")]]
    t = [Decimal("0.01"), Decimal("0.99")]
    h = [sig(r(w1[j][0] * i[0] + w1[j][1] * i[1] + Decimal("0.35"))) for j in range(2)]
    o = [sig(r(w2[k][0] * h[0] + w2[k][1] * h[1] + Decimal("0.6"))) for k in range(2)]
    new = []
    for k in range(2):
        de, do = r(-(t[k] - o[k])), r(o[k] * (1 - o[k]))
        delta = r(de * do)
        for j in range(2):
            g = r(de * do * h[j])
            new.append(r(w2[k][j] - r(Decimal("0.5") * g)))
        assert delta == r(de * do)
    return new


@pytest.mark.parametrize(
    ("decimals", "rounding"), [(4, "half-up"), (4, "truncate"), (6, "half-up")]
)
def test_on_paper_matches_a_student_by_hand(decimals: int, rounding: str) -> None:
    s = scenario.load_network(SCENARIOS / "mazur-2-2-2.toml")
    net = network.build(s)
    ev = evaluate.evaluate(net, derivation.derive(net), schedule(s), f"paper:{decimals}:{rounding}")
    got = [u.new for u in ev.updates if u.key in ("w5", "w6", "w7", "w8")]
    assert got == by_hand_on_paper(decimals, rounding)


def test_on_paper_stepwise_training_agrees_with_float_at_many_decimals() -> None:
    s = scenario.load_network(SCENARIOS / "mazur-2-2-2.toml")
    net = network.build(s)
    d = derivation.derive(net)
    paper = evaluate.train_stepwise(
        net, d, schedule(s), 3, evaluate.arithmetic("paper:15"), lambda k: True
    )
    exact = trainer.train(net, schedule(s), 3, range(3 + 1))
    for a, b in zip(paper.steps, exact.steps, strict=True):
        assert float(a.loss) == pytest.approx(b.loss, abs=1e-13)
        assert np.allclose([float(x) for x in a.params], b.params, atol=1e-13)
    # the predictions are the outputs after the last step, not after one more update
    (predicted,) = paper.predictions
    assert np.allclose([float(x) for x in predicted], exact.predictions[0], atol=1e-13)


@pytest.mark.parametrize(
    ("x", "digits", "text"),
    [
        (0.125, 2, "0.13"),
        (0.4086661860762334, 4, "0.4087"),
        (2.5, 1, "3"),
        (3.5101878e-05, 6, "3.51019e-5"),
    ],
)
def test_display_rounds_half_up(x: float, digits: int, text: str) -> None:
    assert show(x, digits).text == text


def test_unknown_arithmetic_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "single-weight", "--arithmetic", "paper:0"]) == 2
    assert "paper:K" in capsys.readouterr().err


def test_gradient_check_section_agrees_with_the_chain_rule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["render", "mazur-2-2-2", "--steps", "1", "--check-gradients"]) == 0
    md = capsys.readouterr().out
    section = md.split("## An independent check of the gradients")[1]
    rows = [line for line in section.splitlines() if line.startswith("| $w_{")]
    assert len(rows) == 8
    for row in rows:
        difference = row.split("|")[4].strip().strip("$")
        mantissa, _, exponent = difference.partition(r" \times 10^{")
        value = float(mantissa) * 10 ** int(exponent.rstrip("}") or 0)
        assert value < 1e-9, row
