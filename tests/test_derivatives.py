"""[derivatives] of a graph: forward-mode tangents and the Hessian of the output. Checked
against central differences of a plain-Python evaluation written here, the backward pass's own
gradients (forward and reverse mode must meet), and PyTorch's autograd where it is installed."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import explainer
from explainer.foundation.errors import ScenarioError

SCENARIOS = Path(__file__).parent.parent / "scenarios"
NEURON = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}


def _neuron(v: dict[str, float]) -> dict[str, float]:
    """Every named wire of the forward-mode scenario, by hand."""
    s = v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"]
    return {"s": s, "f": 1 / (1 + math.exp(-s))}


def _central(f: Any, at: dict[str, float], leaf: str, h: float = 1e-6) -> dict[str, float]:
    up, down = dict(at), dict(at)
    up[leaf] += h
    down[leaf] -= h
    hi, lo = f(up), f(down)
    return {k: (hi[k] - lo[k]) / (2 * h) for k in hi}


def _doc(tangent: str = "w0", **more: Any) -> dict[str, Any]:
    return {
        "title": "neuron",
        "graph": {
            "leaves": dict(NEURON),
            "nodes": {"s": "w0*x0 + w1*x1 + w2", "f": "1 / (1 + exp(-s))"},
        },
        "derivatives": {"tangent": tangent, **more},
    }


def test_every_named_wires_tangent_is_its_derivative_by_the_seed() -> None:
    v = explainer.load(SCENARIOS / "forward-mode.toml").values
    want = _central(_neuron, NEURON, "w0")
    for wire in ("s", "f"):
        assert float(v[f"dot_{wire}"]) == pytest.approx(want[wire], rel=1e-8)
    assert float(v["dot_w0"]) == 1 and float(v["dot_x0"]) == 0


@pytest.mark.parametrize("seed", sorted(NEURON))
def test_forward_mode_meets_reverse_mode_at_every_leaf(seed: str) -> None:
    v = explainer.from_dict(_doc(seed), name="fm").values
    assert float(v["dot_f"]) == pytest.approx(float(v[f"df/d{seed}"]), rel=1e-15)


HESSIAN = {"w": 0.8, "b": -0.3, "x": 1.5, "t": 1.0}


def _loss(v: dict[str, float]) -> float:
    return (v["t"] - 1 / (1 + math.exp(-(v["w"] * v["x"] + v["b"])))) ** 2


def _second(a: str, b: str, h: float = 1e-4) -> float:
    """∂²L/∂a∂b by central differences of central differences."""

    def shifted(da: float, db: float) -> float:
        v = dict(HESSIAN)
        v[a] += da
        v[b] += db
        return _loss(v)

    return (shifted(h, h) - shifted(h, -h) - shifted(-h, h) + shifted(-h, -h)) / (4 * h * h)


def test_the_hessian_is_second_central_differences_and_symmetric() -> None:
    v = explainer.load(SCENARIOS / "hessian.toml").values
    for a in ("w", "b"):
        for b in ("w", "b"):
            assert float(v[f"d2L/d{a}/d{b}"]) == pytest.approx(_second(a, b), rel=1e-6)
    assert v["d2L/dw/db"] == v["d2L/db/dw"]


def test_the_hessian_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")

    def loss(p: Any) -> Any:
        z = p[0] * HESSIAN["x"] + p[1]
        return (HESSIAN["t"] - torch.sigmoid(z)) ** 2

    h = torch.autograd.functional.hessian(
        loss, torch.tensor([HESSIAN["w"], HESSIAN["b"]], dtype=torch.float64)
    )
    v = explainer.load(SCENARIOS / "hessian.toml").values
    got = [float(v[f"d2L/d{a}/d{b}"]) for a in ("w", "b") for b in ("w", "b")]
    assert got == pytest.approx(h.ravel().tolist(), rel=1e-13)


def test_the_pages_write_both_modes_and_the_matrix() -> None:
    md = explainer.load(SCENARIOS / "forward-mode.toml").markdown()
    assert r"\dot{w_{0}} = 1" in md and "Forward mode takes the chain rule" in md
    assert "the same number the backward pass gives" in md
    md = explainer.load(SCENARIOS / "hessian.toml").markdown()
    assert r"\frac{\partial^2 L}{\partial w\thinspace \partial b}" in md
    assert "The Hessian, a row and a column per leaf" in md


def test_claims_on_tangents_and_second_derivatives() -> None:
    """Printed to 4 digits from the plain computations here: reproduced; 0.1 off: no cause."""
    doc = _doc("w0", hessian=["w0", "w2"])
    f_w0 = _central(_neuron, NEURON, "w0")["f"]
    doc["claims"] = {
        "dot_f": {"value": f"{f_w0:.4f}"},
        "dot_s": {"value": f"{NEURON['x0']:.4f}"},
        "d2f/dw0/dw2": {"value": "0.5"},
    }
    found = {f.claim.key: f for f in explainer.from_dict(doc, name="c").verify()}
    assert found["dot_f"].reproduced and found["dot_s"].reproduced
    assert not found["d2f/dw0/dw2"].reproduced and not found["d2f/dw0/dw2"].explained_by


@pytest.mark.parametrize(
    ("derivatives", "key", "expected"),
    [
        ({"tangent": "s"}, "derivatives.tangent", "one of"),
        ({"hessian": ["w0", "w0"]}, "derivatives.hessian", "each leaf once"),
        ({"hessian": ["q"]}, "derivatives.hessian", "one of"),
        ({"jacobian": ["w0"]}, "derivatives.jacobian", "one of"),  # a leaf, not a node
    ],
)
def test_bad_derivatives_are_refused_where_they_stand(
    derivatives: dict[str, Any], key: str, expected: str
) -> None:
    doc = _doc()
    doc["derivatives"] = derivatives
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="bad")
    assert key in str(e.value) and expected in str(e.value)


def test_a_name_like_a_tangents_key_is_refused_beside_a_tangent() -> None:
    doc = _doc()
    doc["graph"]["nodes"]["dot_f"] = "f * 2"
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="bad")
    assert "dot_" in str(e.value)
