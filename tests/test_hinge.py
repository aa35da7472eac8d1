"""The hinge loss max(0, 1 − t·out) with targets ±1: its gradient where the margin is violated
and zero where it holds, against central differences and PyTorch's relu(1 − t·out)."""

from __future__ import annotations

import math
from typing import Any

import pytest

import explainer
from explainer.foundation.errors import ScenarioError

W1, B1, W2 = [[0.5, -0.3], [0.2, 0.8]], [0.1, 0.0], [0.7, -0.4]


def _doc(x: list[float], t: float, w2: list[float] = W2) -> dict[str, Any]:
    return {
        "title": "hinge",
        "network": {
            "inputs": ["x1", "x2"],
            "layers": [
                {
                    "neurons": ["h1", "h2"],
                    "activation": "tanh",
                    "weights": W1,
                    "bias": "per-neuron",
                    "biases": B1,
                },
                {"neurons": ["o"], "activation": "identity", "weights": [w2]},
            ],
        },
        "example": {"inputs": x, "targets": [t]},
        "loss": {"function": "hinge"},
        "training": {"learning_rate": 0.1, "steps": 3},
    }


def _loss(w5: float, x: list[float], t: float) -> float:
    h = [math.tanh(W1[j][0] * x[0] + W1[j][1] * x[1] + B1[j]) for j in range(2)]
    return max(0.0, 1 - t * (w5 * h[0] + W2[1] * h[1]))


@pytest.mark.parametrize(("x", "t"), [([1.0, 0.5], 1.0), ([1.0, 0.5], -1.0), ([-2.0, 1.0], 1.0)])
def test_the_hinge_gradient_is_central_differences(x: list[float], t: float) -> None:
    v = explainer.from_dict(_doc(x, t), name="h").values
    h = 1e-6
    want = (_loss(W2[0] + h, x, t) - _loss(W2[0] - h, x, t)) / (2 * h)
    assert float(v["dE_total/dw5"]) == pytest.approx(want, abs=1e-8)
    assert float(v["E_total"]) == pytest.approx(_loss(W2[0], x, t), rel=1e-14)


def test_a_margin_that_holds_passes_no_gradient() -> None:
    v = explainer.from_dict(_doc([1.0, 0.5], 1.0, w2=[4.0, 0.0]), name="m").values
    assert float(v["E_total"]) == 0 and float(v["dE_total/dw5"]) == 0


def test_the_hinge_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    f64 = torch.float64
    w1 = torch.tensor(W1, dtype=f64, requires_grad=True)
    b1 = torch.tensor(B1, dtype=f64, requires_grad=True)
    w2 = torch.tensor(W2, dtype=f64, requires_grad=True)
    out = w2 @ torch.tanh(w1 @ torch.tensor([1.0, 0.5], dtype=f64) + b1)
    torch.relu(1 - (-1.0) * out).backward()
    v = explainer.from_dict(_doc([1.0, 0.5], -1.0), name="t").values
    assert w1.grad is not None and w2.grad is not None
    got = [float(v[f"dE_total/d{k}"]) for k in ("w1", "w2", "w3", "w4", "w5", "w6")]
    assert got == pytest.approx([*w1.grad.ravel().tolist(), *w2.grad.tolist()], rel=1e-13)


def test_targets_other_than_plus_or_minus_one_are_refused() -> None:
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(_doc([1.0, 0.5], 0.0), name="bad")
    assert "example.targets" in str(e.value) and "+1 or −1" in str(e.value)
