"""Each convention of the lecture catalogue as a verification alternative, both ways round where
it has two: a 'published' number made with the convention (invented values: the scenario with
that convention, computed here, or a plain loop) gets that exact cause back, and a number 0.0123
off it, which no alternative explains, gets no cause.

The families the other test files leave one way round or without a no-cause check: Adam's bias
correction, weight decay left out and coupled against decoupled, the update order, the mean
against the sum of a batch, the logged epoch error averaged without its ½, and the sign of a
printed weight change."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import explainer
from explainer.check.verify import LOGGED
from tests.test_logged import ROWS as LOGGED_ROWS
from tests.test_logged import _brownlee
from tests.test_logged import _doc as logged_doc
from tests.test_minibatch import _doc as batch_doc
from tests.test_optimizers import _mazur as mazur

OFF = 0.0123  # a made-up error no alternative explains


def _verify(doc: dict[str, Any], claims: dict[str, float]) -> dict[str, Any]:
    claimed = copy.deepcopy(doc)
    claimed["claims"] = {k: f"{v:.6f}" for k, v in claims.items()}
    return {f.claim.key: f for f in explainer.from_dict(claimed, name="claimed").verify()}


def _values(doc: dict[str, Any]) -> dict[str, Any]:
    return dict(explainer.from_dict(doc, name="source").values)


def _assert_cause_and_none(doc: dict[str, Any], key: str, printed: float, cause: str) -> None:
    found = _verify(doc, {key: printed})[key]
    assert not found.reproduced
    assert cause in found.explained_by, found.explained_by
    made_up = _verify(doc, {key: printed + OFF})[key]
    assert not made_up.reproduced and made_up.explained_by == ()
    assert made_up.diagnosis.startswith("not reproduced by any alternative tried")


def _mazur(optimizer: str, **training: Any) -> dict[str, Any]:
    doc = mazur(optimizer, steps=3)
    doc["training"].update(training)
    return doc


OPTIMIZER_CASES = [
    # (the scenario's training, the source's, the cause)
    (("adam", {}), ("adam", {"bias_correction": False}), "Adam without its bias correction"),
    (("adam", {"bias_correction": False}), ("adam", {}), "Adam with its bias correction"),
    (
        ("momentum", {"weight_decay": 0.1}),
        ("momentum", {}),
        "without weight decay (weight_decay = 0)",
    ),
    (
        ("adam", {"weight_decay": 0.1}),
        ("adamw", {"weight_decay": 0.1}),
        "the weight decay decoupled (AdamW), not coupled (L2 in the loss)",
    ),
    (
        ("adamw", {"weight_decay": 0.1}),
        ("adam", {"weight_decay": 0.1}),
        "the weight decay coupled (L2 in the loss, Adam), not decoupled (AdamW)",
    ),
    (("sgd", {"update": "sequential"}), ("sgd", {}), "simultaneous updates"),
]


@pytest.mark.parametrize(("scenario", "source", "cause"), OPTIMIZER_CASES)
def test_an_optimizers_convention_the_other_way_is_named(
    scenario: tuple[str, dict[str, Any]], source: tuple[str, dict[str, Any]], cause: str
) -> None:
    printed = float(_values(_mazur(source[0], **source[1]))["w5@3"])
    _assert_cause_and_none(_mazur(scenario[0], **scenario[1]), "w5@3", printed, cause)


def test_a_batch_averaged_where_the_scenario_sums_is_named() -> None:
    printed = float(_values(batch_doc(4, batch_size=2))["w5@3"])
    _assert_cause_and_none(
        batch_doc(4, batch_size=2, reduction="sum"),
        "w5@3",
        printed,
        "each update from the mean of its examples' gradients, not their sum",
    )


def test_the_logged_error_averaged_without_its_half_is_named() -> None:
    printed = _brownlee(3)[2] / len(LOGGED_ROWS)
    _assert_cause_and_none(logged_doc(), "E_total@3", printed, f"{LOGGED}, averaged, without the ½")


def test_a_weight_change_printed_as_the_amount_subtracted_and_a_made_up_one() -> None:
    change = float(_values(_mazur("sgd"))["Δw5@1"])
    _assert_cause_and_none(
        _mazur("sgd"), "Δw5@1", -change, "printed as the amount subtracted, −Δw5"
    )
