"""The multiclass hinge (SVM) loss Σ_{j≠y} max(0, out_j − s_y + 1), CS231n's, and PyTorch's
MultiMarginLoss (the same divided by the number of classes): its gradient against central
differences, PyTorch, and plain numpy over training; the page's s_y and Iverson brackets; a
number made with the other convention gets that cause."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import explainer
from explainer.foundation.errors import ScenarioError
from tests.fuzz.strategies import toml as toml_text

W1, B1 = [[0.5, -0.3], [0.2, 0.8]], [0.1, 0.0]
W2, B2 = [[0.3, -0.5], [0.2, 0.6], [0.9, 0.1]], [0.1, 0.0, -0.1]
X, T = [1.0, 0.5], [0.0, 1.0, 0.0]


def _doc(loss: str = "multiclass_hinge", steps: int = 20) -> dict[str, Any]:
    return {
        "title": "svm",
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
                {
                    "neurons": ["o1", "o2", "o3"],
                    "activation": "identity",
                    "weights": W2,
                    "bias": "per-neuron",
                    "biases": B2,
                },
            ],
        },
        "example": {"inputs": X, "targets": T},
        "loss": {"function": loss},
        "training": {"learning_rate": 0.1, "steps": steps},
    }


def _loss(w2: np.ndarray, scale: float = 1.0) -> float:
    h = np.tanh(np.array(W1) @ np.array(X) + np.array(B1))
    s = w2 @ h + np.array(B2)
    y = T.index(1.0)
    return float(scale * sum(max(0.0, s[j] - s[y] + 1) for j in range(3) if j != y))


@pytest.mark.parametrize(("loss", "scale"), [("multiclass_hinge", 1.0), ("multi_margin", 1 / 3)])
def test_each_weights_gradient_is_central_differences(loss: str, scale: float) -> None:
    v = explainer.from_dict(_doc(loss), name="svm").values
    assert float(v["E_total"]) == pytest.approx(_loss(np.array(W2), scale), rel=1e-14)
    h, names = 1e-6, iter(f"w{k}" for k in range(5, 11))
    for j in range(3):
        for k in range(2):
            up, down = np.array(W2), np.array(W2)
            up[j, k] += h
            down[j, k] -= h
            want = (_loss(up, scale) - _loss(down, scale)) / (2 * h)
            assert float(v[f"dE_total/d{next(names)}"]) == pytest.approx(want, abs=1e-8)


def test_the_gradients_and_training_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    f64 = torch.float64
    w1 = torch.tensor(W1, dtype=f64, requires_grad=True)
    b1 = torch.tensor(B1, dtype=f64, requires_grad=True)
    w2 = torch.tensor(W2, dtype=f64, requires_grad=True)
    b2 = torch.tensor(B2, dtype=f64, requires_grad=True)
    x, y = torch.tensor([X], dtype=f64), torch.tensor([T.index(1.0)])
    margin = torch.nn.MultiMarginLoss()  # p = 1, margin = 1, the mean over the classes
    opt = torch.optim.SGD([w1, b1, w2, b2], lr=0.1)
    for _ in range(20):
        opt.zero_grad()
        margin(torch.tanh(x @ w1.T + b1) @ w2.T + b2, y).backward()
        opt.step()
    v = explainer.from_dict(_doc("multi_margin"), name="torch").values
    got = [float(v[f"w{k}@20"]) for k in range(1, 11)]
    assert got == pytest.approx([*w1.detach().ravel().tolist(), *w2.detach().ravel().tolist()])


def test_a_training_set_trains_as_a_numpy_loop() -> None:
    """Two examples of different classes, stochastic epochs, against the loss's gradient in
    numpy written here: ∂L/∂s_j = [m_j > 0] for j ≠ y, ∂L/∂s_y = −Σ_j [m_j > 0]."""
    doc = _doc(steps=5)
    del doc["example"]
    rows = [([1.0, 0.5], [0.0, 1.0, 0.0]), ([-0.5, 1.0], [1.0, 0.0, 0.0])]
    doc["data"] = {"inputs": [r[0] for r in rows], "targets": [r[1] for r in rows]}
    w1, b1, w2, b2 = (np.array(a, dtype=float) for a in (W1, B1, W2, B2))
    for _ in range(5):
        for x_, t_ in rows:
            x, t = np.array(x_), np.array(t_)
            h = np.tanh(w1 @ x + b1)
            s = w2 @ h + b2
            hit = (1 - t) * (s - s @ t + 1 > 0)
            g = hit - t * hit.sum()
            dh = (w2.T @ g) * (1 - h**2)
            w2, b2 = w2 - 0.1 * np.outer(g, h), b2 - 0.1 * g
            w1, b1 = w1 - 0.1 * np.outer(dh, x), b1 - 0.1 * dh
    v = explainer.from_dict(doc, name="set").values
    got = [float(v[f"w{k}@5"]) for k in range(1, 11)]
    assert got == pytest.approx([*w1.ravel(), *w2.ravel()], rel=1e-12)


def test_the_page_names_the_true_score_and_writes_brackets() -> None:
    w = explainer.from_dict(_doc(), name="page")
    md = w.markdown()
    assert (
        "s_{y} &= \\mathrm{target}_{o1}" in md
        and r"\max\left(0, \mathrm{out}_{o1} - s_{y} + 1\right)" in md
    )
    assert r"\left[\mathrm{out}_{o1} - s_{y} + 1 > 0\right]" in md
    assert float(w.values["s_y"]) == pytest.approx(float(w.values["out_o2"]), rel=1e-15)
    assert "other output's term does not contain it" not in md


def test_a_number_of_the_other_convention_is_named() -> None:
    torchlike = explainer.from_dict(_doc("multi_margin"), name="t").values
    doc = _doc()
    doc["claims"] = {"E_total": f"{float(torchlike['E_total']):.6f}", "dE_total/dw5": "0.1234"}
    found = {f.claim.key: f for f in explainer.from_dict(doc, name="claims").verify()}
    assert found["E_total"].explained_by == (
        "divided by the number of classes, as torch.nn.MultiMarginLoss takes it",
    )
    assert not found["dE_total/dw5"].reproduced and found["dE_total/dw5"].explained_by == ()


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        (lambda d: d["example"].update(targets=[0.0, 0.5, 0.5]), "example.targets", "one-hot"),
        (lambda d: d.update(names={"loss_term": "E_{neuron}"}), "names.loss_term", "no named"),
    ],
)
def test_what_the_multiclass_hinge_cannot_take_is_refused(
    change: Any, where: str, says: str
) -> None:
    doc = copy.deepcopy(_doc())
    change(doc)
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="bad")
    assert where in str(e.value) and says in str(e.value)


def test_a_handout_of_the_multiclass_hinge_is_refused_with_the_reason(
    tmp_path: Any, capsys: Any
) -> None:
    from explainer.cli import main

    path = tmp_path / "svm.toml"
    path.write_text(toml_text(_doc()), encoding="utf-8")
    assert main(["handout", str(path), "--format", "md", "-o", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()
    assert "multiclass_hinge loss is not made yet" in capsys.readouterr().err
