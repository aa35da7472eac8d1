"""A claim on one example inside an epoch (`out_o@2#3`: training-set row 3 as epoch 2 meets it,
before its own update), as from-scratch code prints it from inside its loop over rows. The
values are checked against a plain-Python stochastic loop written here; published numbers made
with that loop's other habits get exactly that cause back, and a made-up one none."""

from __future__ import annotations

import math
from typing import Any

import pytest

import explainer
from explainer.foundation.errors import ScenarioError

X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
T = [0.0, 1.0, 1.0, 0.0]
W1, B1, W2, B2 = [[0.5, -0.4], [0.3, 0.8]], [0.1, -0.1], [0.6, -0.2], 0.05
RATE = 0.5


def _doc(claims: dict[str, str], **training: Any) -> dict[str, Any]:
    return {
        "title": "per example",
        "source": "invented",
        "network": {
            "inputs": ["x1", "x2"],
            "layers": [
                {
                    "neurons": ["h1", "h2"],
                    "activation": "sigmoid",
                    "weights": W1,
                    "bias": "per-neuron",
                    "biases": B1,
                },
                {
                    "neurons": ["o"],
                    "activation": "sigmoid",
                    "weights": [W2],
                    "bias": "per-neuron",
                    "biases": [B2],
                },
            ],
        },
        "data": {"inputs": X, "targets": [[t] for t in T]},
        "training": {"learning_rate": RATE, "steps": 3, **training},
        "claims": claims,
    }


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _loop(epochs: int, after: bool = False) -> dict[tuple[int, int], dict[str, float]]:
    """Stochastic descent in order on ½(t − o)², each row's out_o, δ_o = ∂E/∂net_o · −1 and
    δ_h1, and its loss, from the weights before its update (or after it)."""
    w1, b1, w2, b2 = [r[:] for r in W1], B1[:], W2[:], B2
    seen = {}

    def forward(x: list[float]) -> tuple[list[float], float]:
        h = [_sigmoid(w1[j][0] * x[0] + w1[j][1] * x[1] + b1[j]) for j in range(2)]
        return h, _sigmoid(w2[0] * h[0] + w2[1] * h[1] + b2)

    for e in range(1, epochs + 1):
        for r, (x, t) in enumerate(zip(X, T, strict=True)):
            h, o = forward(x)
            d_o = (o - t) * o * (1 - o)  # ∂E/∂net_o
            d_h = [d_o * w2[j] * h[j] * (1 - h[j]) for j in range(2)]
            if not after:
                seen[(e, r + 1)] = {"o": o, "delta_o": -d_o, "delta_h1": -d_h[0]}
                seen[(e, r + 1)]["E"] = 0.5 * (t - o) ** 2
            for j in range(2):
                w2[j] -= RATE * d_o * h[j]
                for k in range(2):
                    w1[j][k] -= RATE * d_h[j] * x[k]
                b1[j] -= RATE * d_h[j]
            b2 -= RATE * d_o
            if after:
                h, o = forward(x)
                seen[(e, r + 1)] = {"o": o}
    return seen


def test_an_example_inside_an_epoch_is_the_plain_loops() -> None:
    want = _loop(3)
    claims = {
        "out_o@2#3": f"{want[(2, 3)]['o']:.6f}",
        "delta_o@3#2": f"{want[(3, 2)]['delta_o']:.6f}",
        "delta_h1@1#4": f"{want[(1, 4)]['delta_h1']:.8f}",
        "E_total@3#1": f"{want[(3, 1)]['E']:.6f}",
    }
    found = explainer.from_dict(_doc(claims), name="seen").verify()
    assert len(found) == 4 and all(f.reproduced for f in found), [
        (f.claim.key, f.shown, f.claim.printed) for f in found
    ]


def test_a_value_printed_after_its_own_update_gets_that_cause() -> None:
    before, after = _loop(2)[(2, 3)]["o"], _loop(2, after=True)[(2, 3)]["o"]
    assert f"{before:.6f}" != f"{after:.6f}"
    (f,) = explainer.from_dict(_doc({"out_o@2#3": f"{after:.6f}"}), name="after").verify()
    assert not f.reproduced and f.explained_by == (
        "the value after that example's own update, not before it",
    )


def test_a_shuffled_run_printed_in_order_gets_that_cause() -> None:
    in_order = _loop(2)[(2, 2)]["o"]
    doc = _doc({"out_o@2#2": f"{in_order:.6f}"}, shuffle="numpy-rng", shuffle_seed=3)
    (f,) = explainer.from_dict(doc, name="shuffled").verify()
    assert not f.reproduced and f.explained_by == ("the examples taken in order, not shuffled",)


def test_a_made_up_number_gets_no_cause() -> None:
    real = _loop(2)[(2, 3)]["o"]
    (f,) = explainer.from_dict(_doc({"out_o@2#3": f"{real + 0.0137:.6f}"}), name="x").verify()
    assert not f.reproduced and f.explained_by == ()


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("out_o@2#5", "a row of the training set, 1 to 4"),  # a row the set lacks
        ("out_o@0#1", "each counted from 1"),
        ("out_o@1#0", "each counted from 1"),
    ],
)
def test_an_example_the_set_does_not_have_is_refused(key: str, says: str) -> None:
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(_doc({key: "0.5"}), name="bad").verify()
    assert key in str(e.value) and says in str(e.value)


def test_a_claim_inside_an_epoch_needs_a_training_set() -> None:
    doc = _doc({"out_o@1#1": "0.5"})
    del doc["data"]
    doc["example"] = {"inputs": X[0], "targets": [T[0]]}
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="one").verify()
    assert "out_o@1#1" in str(e.value) and "a training set ([data])" in str(e.value)
