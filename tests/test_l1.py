"""An L1 penalty λ₁·Σ|p| (`[training] l1`), coupled: λ₁·sign(p) joins each gradient, with any
optimizer and beside weight decay. Checked against PyTorch's autograd on the penalized loss
(torch.sign's subgradient at 0 is 0, as here), and always against the first step written out
in plain Python from the page's own gradient."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import explainer
from explainer.foundation.errors import ScenarioError
from tests.test_optimizers import PARAMS, mazur_tensors
from tests.test_optimizers import _mazur as mazur

L1 = 0.05


def _doc(optimizer: str = "sgd", steps: int = 5, **training: Any) -> dict[str, Any]:
    doc = mazur(optimizer, steps=steps)
    doc["training"].update({"l1": L1, **training})
    return doc


def _torch(optimizer: str, steps: int, weight_decay: float = 0.0) -> list[float]:
    torch = pytest.importorskip("torch")
    t = torch.float64
    w1, b1, w2, b2 = mazur_tensors(torch)
    params = [w1, b1, w2, b2]
    made = {
        "sgd": lambda: torch.optim.SGD(params, lr=0.5, weight_decay=weight_decay),
        "adam": lambda: torch.optim.Adam(params, lr=0.5, weight_decay=weight_decay),
    }[optimizer]()
    x, y = torch.tensor([0.05, 0.10], dtype=t), torch.tensor([0.01, 0.99], dtype=t)
    for _ in range(steps):
        made.zero_grad()
        out = torch.sigmoid(w2 @ torch.sigmoid(w1 @ x + b1) + b2)
        penalty = L1 * sum(p.abs().sum() for p in params)
        (0.5 * ((y - out) ** 2).sum() + penalty).backward()
        made.step()
    return [*w1.detach().ravel().tolist(), b1.item(), *w2.detach().ravel().tolist(), b2.item()]


@pytest.mark.parametrize(
    ("optimizer", "weight_decay"), [("sgd", 0.0), ("sgd", 0.01), ("adam", 0.0)]
)
def test_the_l1_penalty_trains_as_pytorch_autograd(optimizer: str, weight_decay: float) -> None:
    doc = _doc(optimizer)
    if weight_decay:
        doc["training"]["weight_decay"] = weight_decay
    v = explainer.from_dict(doc, name="l1").values
    want = _torch(optimizer, 5, weight_decay)
    assert [float(v[f"{p}@5"]) for p in PARAMS] == pytest.approx(want, rel=1e-11, abs=1e-14)


def test_the_worked_step_adds_lambda_times_the_sign() -> None:
    w = explainer.from_dict(_doc(steps=1), name="l1")
    v = w.values
    for p in PARAMS:
        old, g = float(v[p]), float(v[f"dE_total/d{p}"])
        sign = (old > 0) - (old < 0)
        assert float(v[f"{p}@1"]) == pytest.approx(old - 0.5 * (g + L1 * sign), rel=1e-15)
    md = w.markdown()
    assert r"\lambda_{1} \cdot \operatorname{sign}\left(w_{5}\right)" in md
    assert "an L1 penalty 0.05" in md


def test_a_step_printed_without_the_penalty_gets_that_cause() -> None:
    plain = explainer.from_dict(mazur("sgd", steps=1), name="plain").values
    doc = _doc(steps=1)
    doc["claims"] = {"w5@1": f"{float(plain['w5@1']):.6f}"}
    (f,) = explainer.from_dict(doc, name="claimed").verify()
    assert not f.reproduced and f.explained_by == ("without an L1 penalty (l1 = 0)",)
    made_up = copy.deepcopy(doc)
    made_up["claims"] = {"w5@1": f"{float(plain['w5@1']) + 0.0123:.6f}"}
    (g,) = explainer.from_dict(made_up, name="made-up").verify()
    assert not g.reproduced and g.explained_by == ()


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        ({"training": {"l1": -0.1}}, "training.l1", "a number of 0 or more"),
        ({"notation": {"profile": "delta"}}, "notation.profile", "a penalty, weight_decay or l1"),
    ],
)
def test_what_the_penalty_cannot_take_is_refused(
    change: dict[str, dict[str, Any]], where: str, says: str
) -> None:
    doc = _doc()
    for table, values in change.items():
        doc.setdefault(table, {}).update(values)
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="bad")
    assert where in str(e.value) and says in str(e.value)
