"""The matrix profile: a layer's net inputs, outputs and error signals as columns, its weights as
a matrix. The numbers its displays print are checked against a plain numpy backpropagation
written here (δᴸ = (a − t) ⊙ σ′(z), δˡ = (Wᵀδ) ⊙ f′(z), ∂E/∂W = δ aᵀ), against PyTorch where it
is installed, and the refusals where the profile cannot write a page."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import explainer
from explainer.foundation.errors import ScenarioError
from explainer.foundation.precision import show
from tests import networks

SHIPPED = Path(__file__).resolve().parents[1] / "scenarios" / "matrix-notation.toml"
DIGITS = explainer.load(str(SHIPPED)).scenario.digits  # the page's significant digits


def _doc() -> dict[str, Any]:
    return tomllib.loads(SHIPPED.read_text(encoding="utf-8"))


def _numpy(doc: dict[str, Any]) -> dict[str, np.ndarray]:
    """Backpropagation of the shipped 2-3-2 network (tanh, then sigmoid, ½ squared error), in
    matrix form with numpy alone."""
    (l1, l2), ex = doc["network"]["layers"], doc["example"]
    w1, b1 = np.array(l1["weights"]), np.array(l1["biases"])
    w2, b2 = np.array(l2["weights"]), np.array(l2["biases"])
    x, t = np.array(ex["inputs"]), np.array(ex["targets"])
    z1 = w1 @ x + b1
    a1 = np.tanh(z1)
    z2 = w2 @ a1 + b2
    a2 = 1 / (1 + np.exp(-z2))
    d2 = (a2 - t) * a2 * (1 - a2)
    d1 = (w2.T @ d2) * (1 - a1**2)
    rate = doc["training"]["learning_rate"]
    return {
        "z1": z1,
        "a1": a1,
        "z2": z2,
        "a2": a2,
        "d2": d2,
        "back": w2.T @ d2,
        "d1": d1,
        "g2": np.outer(d2, a1),
        "g1": np.outer(d1, x),
        "w2+": w2 - rate * np.outer(d2, a1),
        "b1+": b1 - rate * d1,
    }


def _matrices(md: str, lhs: str) -> list[list[str]]:
    """Every bmatrix of the page's last equation `lhs &= … &= …` (its rows up to the next row
    with a left side), as lists of its cells, in order."""
    equations: dict[str, list[str]] = {}
    for block in re.findall(r"\\begin\{aligned\}\n(.*?)\n\\end\{aligned\}", md, re.S):
        # rows end in " \\" then a newline; a matrix's rows end in " \\" too, so a row of
        # the display is known by its "&=" after a left side or at the line's start
        current = ""
        for line in block.split("\n"):
            left, sep, _ = line.partition(" &=")
            if sep and not left.startswith(("&", r"\end")) and "bmatrix" not in left:
                current = left.strip()
                equations[current] = []
            equations.setdefault(current, []).append(line)
    text = "\n".join(equations[lhs])
    return [
        [c.strip() for row in m.split(r"\\") for c in row.split("&")]
        for m in re.findall(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", text, re.S)
    ]


def _shown(xs: np.ndarray, digits: int) -> list[str]:
    return [show(float(x), digits).latex for x in np.ravel(xs)]


def test_every_matrix_on_the_page_is_numpy_backpropagation() -> None:
    doc = _doc()
    md = explainer.load(str(SHIPPED)).markdown()
    want, digits = _numpy(doc), DIGITS
    assert _matrices(md, "z^{(1)}")[-1] == _shown(want["z1"], digits)
    assert _matrices(md, "a^{(2)}")[-1] == _shown(want["a2"], digits)
    delta2 = _matrices(md, r"\delta^{(2)}")
    assert delta2[-1] == _shown(want["d2"], digits)
    delta1 = _matrices(md, r"\delta^{(1)}")
    # (W²)ᵀ as printed, δ², the product Wᵀδ², then δ¹
    assert delta1[0] == _shown(np.array(doc["network"]["layers"][1]["weights"]).T, digits)
    assert _shown(want["back"], digits) in delta1 and delta1[-1] == _shown(want["d1"], digits)
    grad2 = _matrices(md, r"\frac{\partial E_{\mathrm{total}}}{\partial W^{(2)}}")
    assert grad2[-1] == _shown(want["g2"], digits)
    assert _matrices(md, "W^{(2)+}")[-1] == _shown(want["w2+"], digits)
    assert _matrices(md, "b^{(1)+}")[-1] == _shown(want["b1+"], digits)


def test_the_json_is_the_same_backpropagation_at_full_precision() -> None:
    doc = _doc()
    v, want = explainer.load(str(SHIPPED)).values, _numpy(doc)
    assert [float(v[f"delta_{n}"]) for n in ("h1", "h2", "h3")] == pytest.approx(
        want["d1"].tolist(), rel=1e-13
    )
    assert [float(v[f"delta_{n}"]) for n in ("o1", "o2")] == pytest.approx(
        want["d2"].tolist(), rel=1e-13
    )
    # the default names of a layer's weights run row by row: w1 … w6 into h1, h2, h3
    got = [float(v[f"dE_total/dw{k}"]) for k in range(1, 7)]
    assert got == pytest.approx(want["g1"].ravel().tolist(), rel=1e-13)


def test_the_matrix_page_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    doc, f64 = _doc(), torch.float64
    (l1, l2), ex = doc["network"]["layers"], doc["example"]
    w1 = torch.tensor(l1["weights"], dtype=f64, requires_grad=True)
    b1 = torch.tensor(l1["biases"], dtype=f64, requires_grad=True)
    w2 = torch.tensor(l2["weights"], dtype=f64, requires_grad=True)
    b2 = torch.tensor(l2["biases"], dtype=f64, requires_grad=True)
    x, t = (torch.tensor(ex[k], dtype=f64) for k in ("inputs", "targets"))
    out = torch.sigmoid(w2 @ torch.tanh(w1 @ x + b1) + b2)
    (0.5 * ((t - out) ** 2).sum()).backward()
    v = explainer.load(str(SHIPPED)).values
    assert w1.grad is not None and w2.grad is not None and b1.grad is not None
    assert b2.grad is not None
    got = [float(v[f"dE_total/dw{k}"]) for k in range(1, 13)]
    assert got == pytest.approx([*w1.grad.ravel().tolist(), *w2.grad.ravel().tolist()], rel=1e-12)
    biases = [float(v[f"dE_total/db_{n}"]) for n in ("h1", "h2", "h3", "o1", "o2")]
    assert biases == pytest.approx([*b1.grad.tolist(), *b2.grad.tolist()], rel=1e-12)


def test_the_other_sign_turns_delta_and_the_gradient_row() -> None:
    doc = _doc()
    doc["notation"]["delta_sign"] = "minus"
    w = explainer.from_dict(doc, name="minus")
    want = _numpy(_doc())
    assert float(w.values["delta_o1"]) == pytest.approx(-want["d2"][0], rel=1e-13)
    md = w.markdown()
    assert r"\delta^{(2)} &= -\nabla_{a^{(2)}} E_{\mathrm{total}}" in md
    assert r"&= -\delta^{(2)} (a^{(1)})^{\mathsf{T}}" in md
    # the gradient itself does not turn: the same numbers as with δ = +∂E/∂z
    grad = _matrices(md, r"\frac{\partial E_{\mathrm{total}}}{\partial W^{(2)}}")
    assert grad[-1] == _shown(want["g2"], DIGITS)


def test_a_softmax_output_collapses_to_probabilities_minus_targets() -> None:
    doc = _doc()
    doc["network"]["layers"][1]["activation"] = "softmax"
    doc["loss"]["function"] = "categorical_cross_entropy"
    w = explainer.from_dict(doc, name="soft")
    (l1, l2), ex = doc["network"]["layers"], doc["example"]
    a1 = np.tanh(np.array(l1["weights"]) @ np.array(ex["inputs"]) + np.array(l1["biases"]))
    z2 = np.array(l2["weights"]) @ a1 + np.array(l2["biases"])
    p = np.exp(z2 - z2.max()) / np.exp(z2 - z2.max()).sum()
    d2 = p - np.array(ex["targets"])
    assert [float(w.values[f"delta_o{k}"]) for k in (1, 2)] == pytest.approx(d2.tolist(), rel=1e-13)
    md = w.markdown()
    assert r"\delta^{(2)} &= a^{(2)} - t" in md
    assert _matrices(md, r"\delta^{(2)}")[-1] == _shown(d2, DIGITS)


def test_mazur_in_matrix_form_checks_the_same_published_numbers() -> None:
    path = Path(__file__).resolve().parents[1] / "scenarios" / "mazur-2-2-2.toml"
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    matrix = copy.deepcopy(doc)
    matrix.setdefault("notation", {})["profile"] = "matrix"
    chain, mat = (explainer.from_dict(d, name="m") for d in (doc, matrix))
    assert mat.values == chain.values | {k: v for k, v in mat.values.items() if "delta" in k}
    assert mat.verify() == chain.verify() and any(f.reproduced for f in chain.verify())
    assert r"W^{(2)+} &= W^{(2)} - \eta" in mat.markdown()


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        (
            lambda d: (
                d["network"]["layers"][0].update(
                    neurons=[f"h{k}" for k in range(1, 6)],
                    weights=[[0.1, 0.2]] * 5,
                    biases=[0.0] * 5,
                )
                or d["network"]["layers"][1].update(weights=[[0.1] * 5] * 2)
            ),
            "notation.profile",
            "more than 4 neurons",
        ),
        (
            lambda d: d["training"].update(update="sequential"),
            "training.update",
            "simultaneous updates",
        ),
        (
            lambda d: d["training"].update(optimizer="adam"),
            "notation.profile",
            "optimizer",
        ),
    ],
)
def test_what_the_matrix_profile_cannot_write_is_refused(
    change: Any, where: str, says: str
) -> None:
    doc = _doc()
    change(doc)
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="bad")
    assert where in str(e.value) and says in str(e.value)


def _layers(md: str) -> list[int]:
    return sorted({int(n) for n in re.findall(r"\n\\delta\^\{\((\d+)\)\} &=", md)})


@pytest.mark.parametrize("seed", range(40))
def test_random_networks_in_matrix_form_print_the_engines_error_signals(seed: int) -> None:
    """Random small networks (tests/networks.py) in the matrix profile: where the profile takes
    the network, each δ⁽ˡ⁾ printed is the engine's δ of that layer's neurons (checked against
    central differences in test_derivation.py), and the page converts to MathML."""
    doc = networks.raw(seed)
    doc.setdefault("notation", {})["profile"] = "matrix"
    try:
        w = explainer.from_dict(doc, name=f"random-{seed}")
        md = w.markdown()
    except ScenarioError as e:  # refused where it stands, naming the key
        assert "notation.profile" in str(e) or "training.update" in str(e)
        return
    layers = [layer["neurons"] for layer in doc["network"]["layers"]]
    digits = w.scenario.digits
    for n in _layers(md):
        want = [show(float(w.values[f"delta_{name}"]), digits).latex for name in layers[n - 1]]
        assert _matrices(md, rf"\delta^{{({n})}}")[-1] == want
    assert "<math" in w.html()
