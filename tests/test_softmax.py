"""Softmax over an output layer with the categorical cross-entropy: the Jacobian route and its
shortcut ∂L/∂net_j = out_j − t_j, a worked step, a training set, and refusals. Checked always
against a plain-numpy computation written here and central differences, and against PyTorch's
cross_entropy where it is installed."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp

import explainer
from explainer.foundation.errors import ScenarioError
from explainer.rules.activations import ACTIVATIONS

SCENARIO = Path(__file__).parent.parent / "scenarios" / "softmax-cross-entropy.toml"
W1 = np.array([[0.1, -0.2], [0.4, 0.3]])
B1 = np.array([0.0, 0.1])
W2 = np.array([[0.3, -0.5], [0.2, 0.6], [-0.4, 0.1]])
B2 = np.array([0.1, 0.0, -0.1])
X, T = np.array([0.5, 1.0]), np.array([0.0, 1.0, 0.0])
PARAMS: tuple[str, ...] = ("w1", "w2", "w3", "w4", "b_h1", "b_h2", "w5", "w6", "w7", "w8")
PARAMS += ("w9", "w10", "b_o1", "b_o2", "b_o3")


def _loss(theta: np.ndarray, x: np.ndarray, t: np.ndarray) -> float:
    w1, b1 = theta[:4].reshape(2, 2), theta[4:6]
    w2, b2 = theta[6:12].reshape(3, 2), theta[12:15]
    h = 1 / (1 + np.exp(-(w1 @ x + b1)))
    z = w2 @ h + b2
    p = np.exp(z) / np.exp(z).sum()
    return float(-(t * np.log(p)).sum())


THETA = np.concatenate([W1.ravel(), B1, W2.ravel(), B2])


def _central(theta: np.ndarray, x: np.ndarray, t: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(theta)
    for i in range(len(theta)):
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        out[i] = (_loss(up, x, t) - _loss(down, x, t)) / (2 * h)
    return out


def _page() -> Any:
    return explainer.load(SCENARIO)


def test_the_worked_step_matches_central_differences_and_the_shortcut() -> None:
    v = _page().values
    grads = np.array([float(v[f"dL/d{p}"]) for p in PARAMS])
    assert grads == pytest.approx(_central(THETA, X, T), abs=1e-8)
    assert float(v["L"]) == pytest.approx(_loss(THETA, X, T), rel=1e-14)
    # δ at each net input is the output minus its target
    for j, name in enumerate(("o1", "o2", "o3")):
        delta = float(v[f"dL/dnet_{name}"])
        assert delta == pytest.approx(float(v[f"out_{name}"]) - T[j], abs=1e-15)


def test_the_worked_step_and_training_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    f64 = torch.float64
    w1 = torch.tensor(W1, dtype=f64, requires_grad=True)
    b1 = torch.tensor(B1, dtype=f64, requires_grad=True)
    w2 = torch.tensor(W2, dtype=f64, requires_grad=True)
    b2 = torch.tensor(B2, dtype=f64, requires_grad=True)
    x = torch.tensor(X[None, :], dtype=f64)
    cls = torch.tensor([1])
    v = _page().values
    for step in range(101):
        if step in (1, 10, 100):
            got = [float(v[f"{p}@{step}"]) for p in PARAMS]
            want = [*w1.detach().ravel(), *b1.detach(), *w2.detach().ravel(), *b2.detach()]
            assert got == pytest.approx([float(w) for w in want], rel=1e-10, abs=1e-13)
        loss = torch.nn.functional.cross_entropy(torch.sigmoid(x @ w1.T + b1) @ w2.T + b2, cls)
        for p in (w1, b1, w2, b2):
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in (w1, b1, w2, b2):
                p -= 0.5 * p.grad


def _doc() -> dict[str, Any]:
    import tomllib

    return tomllib.loads(SCENARIO.read_text(encoding="utf-8"))


def _numpy_batch(rows: np.ndarray, targets: np.ndarray, epochs: int) -> np.ndarray:
    """Batch descent on the mean loss, each epoch's gradient by central differences."""
    theta = THETA.copy()
    for _ in range(epochs):
        g = sum(_central(theta, x, t) for x, t in zip(rows, targets, strict=True))
        theta = theta - 0.5 * g / len(rows)
    return theta


def test_a_training_set_trains_as_a_plain_numpy_loop() -> None:
    doc = _doc()
    rows = [[0.5, 1.0], [1.0, -0.5], [-0.3, 0.2]]
    targets = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    del doc["example"]
    doc["data"] = {"inputs": rows, "targets": targets}
    doc["training"] = {"learning_rate": 0.5, "steps": 3, "mode": "batch"}
    v = explainer.from_dict(doc, name="set").values
    got = [float(v[f"{p}@3"]) for p in PARAMS]
    assert got == pytest.approx(list(_numpy_batch(np.array(rows), np.array(targets), 3)), abs=1e-8)
    assert float(v["accuracy@3"]) == pytest.approx(
        _accuracy(_numpy_batch(np.array(rows), np.array(targets), 3), rows, targets)
    )


def _accuracy(theta: np.ndarray, rows: list[list[float]], targets: list[list[float]]) -> float:
    w1, b1 = theta[:4].reshape(2, 2), theta[4:6]
    w2, b2 = theta[6:12].reshape(3, 2), theta[12:15]
    right = 0
    for x, t in zip(rows, targets, strict=True):
        z = w2 @ (1 / (1 + np.exp(-(w1 @ np.array(x) + b1)))) + b2
        right += int(np.argmax(z) == np.argmax(t))
    return right / len(rows)


def test_the_page_takes_the_jacobian_route_then_the_shortcut() -> None:
    md = _page().markdown()
    assert r"\frac{\partial \mathrm{out}_{o2}}{\partial \mathrm{net}_{o1}}" in md  # an off-diagonal
    assert r"\mathrm{out}_{o1} \cdot \left(t_{o1} + t_{o2} + t_{o3}\right) - t_{o1}" in md
    assert r"&= \mathrm{out}_{o1} - t_{o1}" in md
    assert "Only $E_{o" not in md  # every class's term depends on every net


@pytest.mark.parametrize(
    ("name", "i", "j"),
    [
        ("softmax", 0, 0),
        ("softmax", 0, 1),
        ("softmax", 2, 1),
        ("log_softmax", 0, 0),
        ("log_softmax", 1, 2),
    ],
)
def test_each_jacobian_step_equals_sympys_derivative(name: str, i: int, j: int) -> None:
    row = ACTIVATIONS[name]
    assert row.layer is not None and row.layer_steps is not None
    nets = sp.symbols("z0:3", real=True)
    derived = sp.diff(row.layer(nets, i).doit(), nets[j])
    at = {z: v for z, v in zip(nets, (0.3, -1.2, 0.7), strict=True)}
    for form in row.layer_steps(nets, i, j):
        assert float(form.doit().subs(at)) == pytest.approx(float(derived.subs(at)), rel=1e-14)


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        (lambda d: d["example"].update(targets=[0.5, 0.6, 0.0]), "example.targets", "summing to 1"),
        (
            lambda d: d["network"]["layers"][1].update(activation="sigmoid"),
            "layers[1].activation",
            "softmax",
        ),
        (
            lambda d: d["network"]["layers"][0].update(activation="softmax"),
            "layers[0].activation",
            "output layer",
        ),
    ],
)
def test_a_wrong_setup_is_refused_where_it_stands(change: Any, key: str, expected: str) -> None:
    doc = copy.deepcopy(_doc())
    change(doc)
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="bad")
    assert key in str(e.value) and expected in str(e.value)


def _numpy_outputs() -> np.ndarray:
    h = 1 / (1 + np.exp(-(W1 @ X + B1)))
    z = W2 @ h + B2
    p: np.ndarray = np.exp(z) / np.exp(z).sum()
    return p


def test_claims_on_a_softmax_page_get_a_verdict() -> None:
    """A claim for the loss, an output and an error signal, printed from plain numpy to 4
    digits, is reproduced; a number 0.37 off gets no cause (none of the alternatives fits)."""
    p = _numpy_outputs()
    doc = _doc()
    doc["claims"] = {
        "L": {"value": f"{-np.log(p[1]):.4f}"},
        "out_o3": {"value": f"{p[2]:.4f}"},
        "dL/dnet_o2": {"value": f"{p[1] - 1:.4f}"},
        "dL/dnet_o1": {"value": f"{p[0] + 0.37:.4f}"},
    }
    found = {f.claim.key: f for f in explainer.from_dict(doc, name="claims").verify()}
    assert all(found[k].reproduced for k in ("L", "out_o3", "dL/dnet_o2"))
    assert not found["dL/dnet_o1"].reproduced and not found["dL/dnet_o1"].explained_by


@pytest.mark.parametrize(
    ("sign", "written"),
    [("minus", "t_{o2} - \\mathrm{out}_{o2}"), ("plus", "\\mathrm{out}_{o2} - t_{o2}")],
)
def test_the_delta_profile_writes_the_shortcut_in_its_sign(sign: str, written: str) -> None:
    doc = _doc()
    doc["notation"] = {"profile": "delta", "delta_sign": sign}
    page = explainer.from_dict(doc, name="delta")
    p = _numpy_outputs()
    assert f"\\delta_{{o2}} &= {written}" in page.markdown()
    expected = (1 - p[1]) if sign == "minus" else (p[1] - 1)
    assert float(page.values["delta_o2"]) == pytest.approx(expected, rel=1e-13)


def test_the_delta_profile_with_a_softmax_and_a_squared_loss_is_refused() -> None:
    doc = _doc()
    doc["notation"] = {"profile": "delta"}
    doc["loss"] = {"function": "half_sse"}
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="delta")
    assert "notation.profile" in str(e.value)


def test_a_softmax_with_a_squared_error_takes_the_jacobian_route_alone() -> None:
    """No shortcut without the cross-entropy: the page's gradients are the sums over the
    Jacobian, equal to central differences of ½Σ(t − p)²."""
    doc = _doc()
    doc["loss"] = {"function": "half_sse"}
    page = explainer.from_dict(doc, name="squared")

    def loss(theta: np.ndarray) -> float:
        w1, b1 = theta[:4].reshape(2, 2), theta[4:6]
        w2, b2 = theta[6:12].reshape(3, 2), theta[12:15]
        z = w2 @ (1 / (1 + np.exp(-(w1 @ X + b1)))) + b2
        return float(0.5 * ((T - np.exp(z) / np.exp(z).sum()) ** 2).sum())

    h = 1e-6
    want = [(loss(THETA + h * e) - loss(THETA - h * e)) / (2 * h) for e in np.eye(len(THETA))]
    got = [float(page.values[f"dL/d{p}"]) for p in PARAMS]
    assert got == pytest.approx(want, abs=1e-9)
    assert "shortcut" not in page.markdown()


def test_a_log_softmax_with_the_negative_log_likelihood() -> None:
    """log-softmax outputs and NLL: the same gradients as softmax with the cross-entropy
    (log p is computed without the quotient), the shortcut e^out − t, and PyTorch's
    log_softmax with nll_loss."""
    doc = _doc()
    doc["network"]["layers"][1]["activation"] = "log_softmax"
    doc["loss"] = {"function": "nll"}
    page = explainer.from_dict(doc, name="nll")
    v = page.values
    grads = np.array([float(v[f"dL/d{p}"]) for p in PARAMS])
    assert grads == pytest.approx(_central(THETA, X, T), abs=1e-8)
    p = _numpy_outputs()
    assert [float(v[f"out_o{j}"]) for j in (1, 2, 3)] == pytest.approx(list(np.log(p)), rel=1e-14)
    assert float(v["dL/dnet_o2"]) == pytest.approx(p[1] - 1, rel=1e-13)
    md = page.markdown()
    assert r"&= e^{\mathrm{out}_{o1}} - t_{o1}" in md
    torch = pytest.importorskip("torch")
    f64 = torch.float64
    w1 = torch.tensor(W1, dtype=f64, requires_grad=True)
    w2 = torch.tensor(W2, dtype=f64, requires_grad=True)
    x = torch.tensor(X, dtype=f64)
    z = w2 @ torch.sigmoid(w1 @ x + torch.tensor(B1, dtype=f64)) + torch.tensor(B2, dtype=f64)
    torch.nn.functional.nll_loss(torch.log_softmax(z, 0)[None, :], torch.tensor([1])).backward()
    assert w1.grad is not None and w2.grad is not None
    want = [*w1.grad.ravel().tolist(), *w2.grad.ravel().tolist()]
    got = [float(v[f"dL/d{k}"]) for k in ("w1", "w2", "w3", "w4", *PARAMS[6:12])]
    assert got == pytest.approx(want, rel=1e-12)


def _diagonal_gradient_w1() -> tuple[float, float]:
    """∂L/∂w1 of the shipped softmax-cross-entropy network, right and with the softmax's
    Jacobian cut to its diagonal (δ_j = ∂L/∂out_j · out_j(1 − out_j)), in plain numpy."""
    w1, b1 = np.array([[0.1, -0.2], [0.4, 0.3]]), np.array([0.0, 0.1])
    w2, b2 = np.array([[0.3, -0.5], [0.2, 0.6], [-0.4, 0.1]]), np.array([0.1, 0.0, -0.1])
    x, t = np.array([0.5, 1.0]), np.array([0.0, 1.0, 0.0])
    h = 1 / (1 + np.exp(-(w1 @ x + b1)))
    z = w2 @ h + b2
    p = np.exp(z) / np.exp(z).sum()
    right, diagonal = p - t, (-t / p) * p * (1 - p)
    grads = [((w2.T @ d) * h * (1 - h))[0] * x[0] for d in (right, diagonal)]
    return grads[0], grads[1]


def test_a_gradient_made_with_the_diagonal_only_is_named() -> None:
    path = Path(__file__).resolve().parents[1] / "scenarios" / "softmax-cross-entropy.toml"
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    right, diagonal = _diagonal_gradient_w1()
    w = explainer.from_dict(doc, name="right")
    assert float(w.values["dL/dw1"]) == pytest.approx(right, rel=1e-13)
    assert f"{right:.5f}" != f"{diagonal:.5f}"
    doc["claims"] = {"dL/dw1": f"{diagonal:.5f}", "dL/dw2": "0.01234"}
    found = {f.claim.key: f for f in explainer.from_dict(doc, name="diag").verify()}
    assert found["dL/dw1"].explained_by == (
        "the softmax's Jacobian taken as its diagonal only, out(1 − out), as if each output "
        "were a sigmoid of its own net input",
    )
    assert not found["dL/dw2"].reproduced and found["dL/dw2"].explained_by == ()


def test_no_scenario_may_name_the_mistaken_softmax() -> None:
    path = Path(__file__).resolve().parents[1] / "scenarios" / "softmax-cross-entropy.toml"
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    doc["network"]["layers"][1]["activation"] = "softmax_diagonal"
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="bad")
    assert "network.layers[1].activation" in str(e.value)
