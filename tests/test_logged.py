"""The epoch error as from-scratch code logs it: the running sum, over an epoch, of each
example's loss taken before that example's update (Brownlee's `sum_error += …`), as a
verification alternative. The 'published' numbers come from a plain Python loop written here."""

from __future__ import annotations

import math
from typing import Any

import explainer
from explainer.check.verify import LOGGED

ROWS = [([0.0, 0.0], [0.0]), ([0.0, 1.0], [1.0]), ([1.0, 0.0], [1.0]), ([1.0, 1.0], [0.0])]
W1, B1, W2, B2 = [[0.15, 0.2], [0.25, 0.3]], [0.35, 0.35], [0.4, 0.45], 0.6


def _doc(**training: Any) -> dict[str, Any]:
    return {
        "title": "logged",
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
        "data": {"inputs": [x for x, _ in ROWS], "targets": [t for _, t in ROWS]},
        "training": {"learning_rate": 0.5, "steps": 5, **training},
    }


def sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _brownlee(epochs: int) -> list[float]:
    """Each epoch's sum_error: Σ(t − o)² of each row from the pass its update is made from."""
    w1 = [row[:] for row in W1]
    b1, w2, b2 = B1[:], W2[:], B2
    logged = []
    for _ in range(epochs):
        sum_error = 0.0
        for x, (t,) in ROWS:
            h = [sig(w1[j][0] * x[0] + w1[j][1] * x[1] + b1[j]) for j in range(2)]
            o = sig(w2[0] * h[0] + w2[1] * h[1] + b2)
            sum_error += (t - o) ** 2
            d_o = (o - t) * o * (1 - o)
            d_h = [d_o * w2[j] * h[j] * (1 - h[j]) for j in range(2)]
            w2 = [w2[j] - 0.5 * d_o * h[j] for j in range(2)]
            b2 -= 0.5 * d_o
            for j in range(2):
                w1[j] = [w1[j][i] - 0.5 * d_h[j] * x[i] for i in range(2)]
                b1[j] -= 0.5 * d_h[j]
        logged.append(sum_error)
    return logged


def test_a_logged_epoch_error_is_diagnosed_as_logged() -> None:
    printed = _brownlee(3)[2]
    doc = _doc()
    doc["claims"] = {"E_total@3": {"value": f"{printed:.6f}"}, "E_total@2": {"value": "0.777777"}}
    found = {f.claim.key: f for f in explainer.from_dict(doc, name="b").verify()}
    logged = found["E_total@3"]
    assert not logged.reproduced
    assert f"{LOGGED}, summed, without the ½" in logged.explained_by
    assert not found["E_total@2"].explained_by  # a made-up number: no cause


def test_the_logged_error_with_its_half_and_averaged() -> None:
    """The page's own loss (½ included), summed and averaged: each its own named cause."""
    half = _brownlee(2)[1] / 2
    doc = _doc()
    doc["claims"] = {
        "E_total@2": {"value": f"{half:.6f}"},
        "E_total@1": {"value": f"{_brownlee(1)[0] / 2 / len(ROWS):.6f}"},
    }
    found = {f.claim.key: f for f in explainer.from_dict(doc, name="h").verify()}
    assert f"{LOGGED}, summed" in found["E_total@2"].explained_by
    assert f"{LOGGED}, averaged" in found["E_total@1"].explained_by
