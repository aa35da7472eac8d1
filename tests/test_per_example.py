"""A claim on one example inside an epoch (`out_o@2#3`: training-set row 3 as epoch 2 meets it,
before its own update), as from-scratch code prints it from inside its loop over rows. The
values are checked against a plain-Python stochastic loop written here; published numbers made
with that loop's other habits get exactly that cause back, and a made-up one none."""

from __future__ import annotations

import math
import sys
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


def _loop(
    epochs: int, after: bool = False, adam: bool = False
) -> dict[tuple[int, int], dict[str, float]]:
    """Stochastic descent in order on ½(t − o)², each row's out_o, δ_o = ∂E/∂net_o · −1 and
    δ_h1, its loss, the output layer's parameters and its own gradient of them, from the
    weights before its update (or after it); `adam`: Adam's steps (PyTorch's defaults, bias
    corrected) in place of plain descent, with its first moment m."""
    w1, b1, w2, b2 = [r[:] for r in W1], B1[:], W2[:], B2
    m = {k: 0.0 for k in ("w5", "w6", "b_o", "w1", "w2", "w3", "w4", "b_h1", "b_h2")}
    v, t_adam = dict.fromkeys(m, 0.0), 0
    seen = {}

    def forward(x: list[float]) -> tuple[list[float], float]:
        h = [_sigmoid(w1[j][0] * x[0] + w1[j][1] * x[1] + b1[j]) for j in range(2)]
        return h, _sigmoid(w2[0] * h[0] + w2[1] * h[1] + b2)

    def move(key: str, p: float, g: float) -> float:
        if not adam:
            return p - RATE * g
        m[key] = 0.9 * m[key] + 0.1 * g
        v[key] = 0.999 * v[key] + 0.001 * g * g
        m_hat, v_hat = m[key] / (1 - 0.9**t_adam), v[key] / (1 - 0.999**t_adam)
        return p - RATE * m_hat / (math.sqrt(v_hat) + 1e-8)

    for e in range(1, epochs + 1):
        for r, (x, t) in enumerate(zip(X, T, strict=True)):
            h, o = forward(x)
            d_o = (o - t) * o * (1 - o)  # ∂E/∂net_o
            d_h = [d_o * w2[j] * h[j] * (1 - h[j]) for j in range(2)]
            if not after:
                seen[(e, r + 1)] = {
                    **dict(o=o, delta_o=-d_o, delta_h1=-d_h[0], E=0.5 * (t - o) ** 2),
                    **dict(w5=w2[0], b_o=b2, dw5=d_o * h[0], db_h1=d_h[0]),
                    **dict(m_w5=m["w5"], m_b_h1=m["b_h1"]),
                }
            t_adam += 1
            new_w2 = [move(f"w{5 + j}", w2[j], d_o * h[j]) for j in range(2)]
            for j in range(2):
                for k in range(2):
                    w1[j][k] = move(f"w{1 + 2 * j + k}", w1[j][k], d_h[j] * x[k])
                b1[j] = move(f"b_h{j + 1}", b1[j], d_h[j])
            w2, b2 = new_w2, move("b_o", b2, d_o)
            if after:
                h, o = forward(x)
                seen[(e, r + 1)] = {"o": o}
        # each row's output at the parameters the epoch ended with
        seen.update(((-e, r + 1), {"o": forward(x)[1]}) for r, x in enumerate(X) if not after)
    return seen


def _all_reproduced(doc: dict[str, Any], name: str) -> None:
    """Every claim of the document is found and reproduced."""
    found = explainer.from_dict(doc, name=name).verify()
    assert len(found) == len(doc["claims"]) and all(f.reproduced for f in found), [
        (f.claim.key, f.shown, f.claim.printed) for f in found
    ]


def test_an_example_inside_an_epoch_is_the_plain_loops() -> None:
    want = _loop(3)
    claims = {
        "out_o@2#3": f"{want[(2, 3)]['o']:.6f}",
        "delta_o@3#2": f"{want[(3, 2)]['delta_o']:.6f}",
        "delta_h1@1#4": f"{want[(1, 4)]['delta_h1']:.8f}",
        "E_total@3#1": f"{want[(3, 1)]['E']:.6f}",
    }
    _all_reproduced(_doc(claims), "seen")


def test_the_parameters_and_gradients_a_row_meets_are_the_plain_loops() -> None:
    """w5@2#3: the weight row 3's update starts from in epoch 2; dE_total/dw5@2#3: row 3's own
    gradient there; out_o#3@2: row 3's output after epoch 2."""
    want = _loop(2)
    claims = {
        "w5@2#3": f"{want[(2, 3)]['w5']:.8f}",
        "b_o@1#4": f"{want[(1, 4)]['b_o']:.8f}",
        "dE_total/dw5@2#3": f"{want[(2, 3)]['dw5']:.8f}",
        "dE_total/db_h1@2#2": f"{want[(2, 2)]['db_h1']:.10f}",
        "out_o#3@2": f"{want[(-2, 3)]['o']:.8f}",
        "out_o#4@1": f"{want[(-1, 4)]['o']:.8f}",
    }
    _all_reproduced(_doc(claims, steps=2), "seen")


def test_an_optimizers_state_a_row_meets_is_the_plain_loops() -> None:
    """m_w5@2#3: Adam's first moment as row 3's update meets it in epoch 2."""
    want = _loop(2, adam=True)
    assert want[(2, 3)]["m_w5"] != 0
    claims = {
        "m_w5@2#3": f"{want[(2, 3)]['m_w5']:.10f}",
        "m_b_h1@1#2": f"{want[(1, 2)]['m_b_h1']:.10f}",
        "w5@2#1": f"{want[(2, 1)]['w5']:.8f}",
        "out_o@2#4": f"{want[(2, 4)]['o']:.8f}",
    }
    _all_reproduced(_doc(claims, optimizer="adam"), "adam")


def test_the_worked_steps_results_after_a_first_example_are_the_next_rows_start() -> None:
    """A stochastic page's updates end in w5@1#2 (the next row's start), which the JSON holds
    and which is the plain loop's, not w5@1 (after epoch 1)."""
    w = explainer.from_dict(_doc({}), name="worked")
    want = _loop(1)
    assert w.values["w5@1#2"] == pytest.approx(want[(1, 2)]["w5"], rel=1e-14)
    assert w.values["b_o@1#2"] == pytest.approx(want[(1, 2)]["b_o"], rel=1e-14)
    assert w.values["w5@1"] != pytest.approx(want[(1, 2)]["w5"], rel=1e-6)
    assert w.values["out_o#2@3"] == pytest.approx(_loop(3)[(-3, 2)]["o"], rel=1e-13)


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


def test_a_second_network_of_the_same_shape_trains_from_its_own_weights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by this file in a full run: the network read as a circuit was kept per shape and
    example, with the first network's weights as its leaves, so a second one of that shape
    trained its epochs from the first one's weights."""
    first = explainer.from_dict(_doc({}, steps=1), name="first").values
    monkeypatch.setattr(sys.modules[__name__], "W2", [0.9, -0.7])
    doc = _doc({}, steps=1)
    doc["network"]["layers"][1]["weights"] = [W2]
    second = explainer.from_dict(doc, name="second").values
    want = _loop(1)
    assert second["w5@1"] != first["w5@1"]
    assert second["out_o#4@1"] == pytest.approx(want[(-1, 4)]["o"], rel=1e-13)
    assert second["out_o#2@1"] == pytest.approx(want[(-1, 2)]["o"], rel=1e-13)
