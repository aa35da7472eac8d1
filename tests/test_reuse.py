"""Verification shares the page's run: one training per convention, continued (and checked)
where a claim reads a step past the page's last."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pytest

from explainer.check import results
from explainer.cli import main
from explainer.evaluate import trainer
from explainer.evaluate.worked import Step, Training
from explainer.graph.network import Network
from explainer.read.scenario import load_network as load
from explainer.read.settings import Schedule, resolve
from tests.conftest import WriteScenario

SINGLE = (
    (Path(__file__).resolve().parent.parent / "scenarios" / "single-weight.toml")
    .read_text("utf-8")
    .split("[claims]")[0]
)


def with_claims(claims: str, rate: str = "0.1", steps: str = "20") -> str:
    text = SINGLE.replace("learning_rate = 0.1", f"learning_rate = {rate}")
    return text.replace("steps = 20", f"steps = {steps}") + f"\n[claims]\n{claims}\n"


def trainings(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every float64 training from here on: (the step it starts from, the step it ends at)."""
    seen: list[tuple[int, int]] = []
    real = trainer.train

    def spy(
        net: Network,
        run: Schedule,
        steps: int,
        record: Collection[int],
        start: Step | None = None,
    ) -> Training:
        seen.append((start.k if start else 0, steps))
        return real(net, run, steps, record, start)

    monkeypatch.setattr(trainer, "train", spy)
    return seen


@pytest.mark.parametrize(
    ("claim", "base", "upto"),
    [
        ('C = "0.49"', [(0, 20)], 1),
        ('"w@20" = "0.3"', [(0, 20), (20, 21)], 20),
        ('"w@21" = "0.3"', [(0, 20), (20, 22)], 21),
        ('C = "0.123"', [(0, 20)], 1),
        ('"w@7" = "0.123"', [(0, 20)], 7),
        ('"w@21" = "0.123"', [(0, 20), (20, 22)], 21),
    ],
)
def test_the_page_and_its_verification_train_once(
    write_scenario: WriteScenario,
    monkeypatch: pytest.MonkeyPatch,
    claim: str,
    base: list[tuple[int, int]],
    upto: int,
) -> None:
    """The page trains its 20 steps once; verification continues that run to one step past the
    claim (the trainer is called with the final step, from where the page stopped), and trains
    each other convention (the other update order, the ½ in the loss) once, to the claim's own
    step (a claim of the worked step: one step)."""
    s = load(write_scenario(with_claims(claim)))
    seen = trainings(monkeypatch)
    found = results.results(resolve(s)).findings
    assert [f.claim.key for f in found] == [claim.split(" = ")[0].strip('"')]
    reproduced = found[0].reproduced
    assert seen[: len(base)] == base
    assert seen[len(base) :] == ([] if reproduced else [(0, upto)] * 2)


def test_a_claim_past_the_page_where_training_diverges_is_an_error(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    """A learning rate of 1.0 makes w oscillate and grow; a claim at step 300 needs the run
    continued past the page's 5 steps, and that continuation is checked as the page's is."""
    path = write_scenario(with_claims('"w@300" = "0.333"', rate="1.0", steps="5"))
    assert main(["render", str(path), "-f", "md"]) == 2
    render_error = capsys.readouterr().err
    assert main(["verify", str(path)]) == 2
    assert "overflow or are undefined" in render_error
    assert capsys.readouterr().err == render_error  # the same step named, page or not
