"""Outputs set by hand (`[example.fixed]`): a source that fixes the hidden outputs to chosen
numbers to demonstrate the backward pass. The page computes on from them (checked against plain
Python written here from the hand-set values); a number made from the forward pass instead, or
(with `fixed_on_page = false`) from the source's hand-set values, gets exactly that cause."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

import explainer
from explainer.foundation.errors import ScenarioError, UsageError
from tests.fuzz.strategies import toml as toml_text

W1, B1, W2, B2 = [[0.15, 0.20], [0.25, 0.30]], 0.35, [0.40, 0.45], 0.60
X, T, RATE = [0.05, 0.10], 0.01, 0.5
HAND = {"out_h1": 0.6, "out_h2": 0.4}


def _doc(on_page: bool = True, **training: Any) -> dict[str, Any]:
    example: dict[str, Any] = {"inputs": X, "targets": [T], "fixed": dict(HAND)}
    if not on_page:
        example["fixed_on_page"] = False
    return {
        "title": "hand-set outputs",
        "network": {
            "inputs": ["i1", "i2"],
            "layers": [
                {
                    "neurons": ["h1", "h2"],
                    "activation": "sigmoid",
                    "weights": W1,
                    "bias": "shared",
                    "biases": [B1],
                },
                {
                    "neurons": ["o1"],
                    "activation": "sigmoid",
                    "weights": [W2],
                    "bias": "shared",
                    "biases": [B2],
                },
            ],
        },
        "example": example,
        "training": {"learning_rate": RATE, **training},
    }


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _by_hand(h: list[float] | None = None) -> dict[str, float]:
    """The worked step from hidden outputs h (the hand-set ones, or computed when None)."""
    if h is None:
        h = [_sigmoid(W1[j][0] * X[0] + W1[j][1] * X[1] + B1) for j in range(2)]
    o = _sigmoid(W2[0] * h[0] + W2[1] * h[1] + B2)
    d_o = (o - T) * o * (1 - o)  # ∂E/∂net_o1 for ½(t − o)²
    d_h1 = d_o * W2[0] * h[0] * (1 - h[0])  # out(1 − out) at the hand-set output
    return {"out_o1": o, "dE_total/dw5": d_o * h[0], "dE_total/dw1": d_h1 * X[0]}


def test_the_page_computes_on_from_the_hand_set_outputs() -> None:
    w = explainer.from_dict(_doc(), name="hand")
    want = _by_hand([HAND["out_h1"], HAND["out_h2"]])
    for key, x in want.items():
        assert float(w.values[key]) == pytest.approx(x, rel=1e-14), key
    assert float(w.values["out_h1"]) == HAND["out_h1"]
    md = w.markdown()
    assert "Set by hand, as the source does" in md and r"\mathrm{out}_{h1} &= 0.6" in md


def test_a_number_from_the_forward_pass_instead_gets_that_cause() -> None:
    computed = _by_hand()["out_o1"]
    doc = _doc()
    doc["claims"] = {"out_o1": f"{computed:.6f}"}
    (f,) = explainer.from_dict(doc, name="computed").verify()
    assert not f.reproduced
    assert f.explained_by == ("the outputs computed by the forward pass, not set by hand",)


def test_a_source_that_mixes_in_its_hand_set_outputs_is_diagnosed() -> None:
    doc = _doc(on_page=False)
    w = explainer.from_dict(doc, name="mixed")
    assert float(w.values["dE_total/dw5"]) == pytest.approx(_by_hand()["dE_total/dw5"], rel=1e-14)
    hand = _by_hand([HAND["out_h1"], HAND["out_h2"]])
    doc["claims"] = {
        "dE_total/dw5": f"{hand['dE_total/dw5']:.6f}",
        "dE_total/dw1": f"{_by_hand()['dE_total/dw1'] + 0.0011:.6f}",  # made up
    }
    got = {f.claim.key: f for f in explainer.from_dict(doc, name="mixed").verify()}
    assert got["dE_total/dw5"].explained_by == (
        "the source's hand-set outputs (out_h1 = 0.6, out_h2 = 0.4)",
    )
    assert not got["dE_total/dw1"].reproduced and got["dE_total/dw1"].explained_by == ()


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        (lambda d: d["example"]["fixed"].update(w5=0.3), "example.fixed", "w5"),
        (lambda d: d["training"].update(steps=10), "training.steps", "0 with outputs set by hand"),
        (
            lambda d: d.update(notation={"profile": "matrix"}),
            "example.fixed",
            "computed outputs with the matrix profile",
        ),
        (lambda d: d["example"].update(fixed={}), "example.fixed", "at least one hand-set"),
        (
            lambda d: d["example"].pop("fixed") and d["example"].update(fixed_on_page=False),
            "example.fixed_on_page",
            "an [example.fixed] table",
        ),
    ],
)
def test_what_hand_set_outputs_cannot_be_is_refused(change: Any, where: str, says: str) -> None:
    doc = copy.deepcopy(_doc())
    change(doc)
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="bad")
    assert where in str(e.value) and says in str(e.value)


def test_finite_differences_of_a_hand_set_page_are_refused() -> None:
    with pytest.raises(UsageError) as e:
        explainer.from_dict(_doc(), name="fd", check_gradients=True).markdown()
    assert "set by hand" in str(e.value)


def test_a_handout_of_hand_set_outputs_is_refused(tmp_path: Any, capsys: Any) -> None:
    from explainer.cli import main

    path = tmp_path / "hand.toml"
    path.write_text(toml_text(_doc()), encoding="utf-8")
    assert main(["handout", str(path), "--format", "md", "-o", str(tmp_path / "out")]) == 2
    assert "outputs set by hand" in capsys.readouterr().err
