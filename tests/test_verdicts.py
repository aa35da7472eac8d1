"""Verdicts a user can trust (issue 24): a claim's step is the source's whatever the page trains,
stale copies of a starting value are found, a misprint is one number named once, and a printed
weight change may be the amount subtracted. Each case is a source made up here from values
computed independently of the verification (plain float arithmetic or the page's own run)."""

from __future__ import annotations

import dataclasses
import math

import pytest

import explainer
from explainer import pipeline
from explainer.check.findings import Finding
from explainer.check.verify import verify
from explainer.evaluate import compute, trainer
from explainer.evaluate.compute import values
from explainer.read import scenario
from explainer.read.claims import Claim
from explainer.read.settings import Options, schedule
from tests.conftest import SCENARIOS

MAZUR = SCENARIOS / "mazur-2-2-2.toml"


def _verdicts(found: tuple[Finding, ...]) -> list[tuple[str, str, bool, tuple[str, ...]]]:
    return [(f.claim.key, f.claim.printed, f.reproduced, f.explained_by) for f in found]


@pytest.mark.parametrize("steps", [1, 100, 9_999, 10_000, 12_000])
def test_a_claims_step_is_the_sources_whatever_the_page_trains(steps: int) -> None:
    """`--steps N` and `load(steps=N)` change the page's training, never which step a claim
    `E_total@10000` names: the verdicts and causes are those without the option."""
    alone = explainer.load("mazur-2-2-2").verify()
    assert _verdicts(explainer.load("mazur-2-2-2", steps=steps).verify()) == _verdicts(alone)
    s = scenario.load(MAZUR)
    page = pipeline.compute(s, Options(steps=steps))
    assert _verdicts(page.findings) == _verdicts(alone)
    late = {f.claim.key: f for f in alone}["E_total@10000"]
    assert late.explained_by == ("one step fewer (9,999 instead of 10,000)",)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _mazur_loss_after(steps: int) -> float:
    """Mazur's network trained by hand-written float loops, sharing no code with explainer."""
    w = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
    i, t = (0.05, 0.10), (0.01, 0.99)
    for k in range(steps + 1):
        h = [_sigmoid(w[0] * i[0] + w[1] * i[1] + 0.35), _sigmoid(w[2] * i[0] + w[3] * i[1] + 0.35)]
        o = [_sigmoid(w[4] * h[0] + w[5] * h[1] + 0.6), _sigmoid(w[6] * h[0] + w[7] * h[1] + 0.6)]
        if k == steps:
            return sum(0.5 * (tk - ok) ** 2 for tk, ok in zip(t, o, strict=True))
        d = [(ok - tk) * ok * (1 - ok) for tk, ok in zip(t, o, strict=True)]
        dh = [(d[0] * w[4 + j] + d[1] * w[6 + j]) * h[j] * (1 - h[j]) for j in range(2)]
        grads = [dh[0] * i[0], dh[0] * i[1], dh[1] * i[0], dh[1] * i[1]]
        grads += [d[0] * h[0], d[0] * h[1], d[1] * h[0], d[1] * h[1]]
        w = [x - 0.5 * g for x, g in zip(w, grads, strict=True)]
    raise AssertionError


@pytest.mark.parametrize("start", [1, 37, 100])
def test_training_continued_from_a_recorded_step_is_one_longer_run(start: int) -> None:
    """The compiled loop, resumed from step `start`, ends where one run of 300 steps ends (it
    used to step its counter back to the loss curve's earlier samples and train them again)."""
    s = dataclasses.replace(scenario.load_network(MAZUR), steps=300)
    net, run = compute.derive(s)[0], schedule(s)
    first = trainer.train(net, run, start, {start})
    more = trainer.train(net, run, 300, {299, 300}, start=first.steps[-1])
    assert [st.k for st in more.steps] == [start, 299, 300]
    assert more.steps[-1].loss == pytest.approx(_mazur_loss_after(300), rel=1e-12)
    assert more.steps[-2].loss == pytest.approx(_mazur_loss_after(299), rel=1e-12)


def _mazur_with(*claims: Claim) -> dict[str, Finding]:
    s = dataclasses.replace(scenario.load_network(MAZUR), steps=1, claims=claims)
    return {f.claim.key: f for f in verify(s)}


def test_a_stale_copy_of_a_starting_value_is_one_step_fewer() -> None:
    """A source that prints out_h1 after the first step but copies the starting value: one step
    fewer is step 0, which the worked step keeps under the bare key."""
    start = _sigmoid(0.15 * 0.05 + 0.20 * 0.10 + 0.35)  # out_h1 at the starting weights
    f = _mazur_with(Claim("out_h1@1", f"{start:.9f}", ""))["out_h1@1"]
    assert not f.reproduced
    assert f.explained_by == ("one step fewer (0 instead of 1)",)


def test_a_weight_change_printed_as_the_amount_subtracted() -> None:
    """Δw5 = −η·∂E/∂w5; a source that prints η·∂E/∂w5 (what it subtracts) is named as such."""
    o1 = _sigmoid(0.40 * 0.593269992 + 0.45 * 0.596884378 + 0.6)
    subtracted = 0.5 * (o1 - 0.01) * o1 * (1 - o1) * 0.593269992  # η·∂E/∂w5 > 0, Δw5 < 0
    f = _mazur_with(Claim("Δw5@1", f"{subtracted:.6f}", ""))["Δw5@1"]
    assert not f.reproduced
    assert f.explained_by == ("printed as the amount subtracted, −Δw5",)
    assert not any("sign dropped" in w for w in f.explained_by)


def test_a_misprint_is_one_number_named_once() -> None:
    """w5 after the step is 0.35891648 at 8 decimals: printed with two digits swapped, it is
    one misprint, however many alternatives round to the same digits."""
    exact = values(dataclasses.replace(scenario.load_network(MAZUR), steps=1))["w5@1"]
    assert isinstance(exact, float)
    meant = f"{exact:.8f}"
    assert meant == "0.35891648"
    f = _mazur_with(Claim("w5@1", "0.35981648", ""))["w5@1"]
    assert f.explained_by == (
        f"a misprint of {meant} (the exact value at 8 decimals): digits 8 and 9 transposed",
    )
    assert f.caution == ""
