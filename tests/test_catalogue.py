"""The lecture catalogue's activations (leaky ReLU with its slope, ELU with its α, softplus, GELU
in its tanh form), in both forms of a scenario: a network's page and a graph's gates, each
checked against a computation that shares nothing with the engine (plain numpy with the
functions written here, central differences, and PyTorch where it is installed)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import explainer
from explainer.foundation.errors import ExplainerError, ScenarioError

# Each activation as numpy computes it here, independently of the rule tables: (f, f′).
K, C = math.sqrt(2 / math.pi), 0.044715


def _gelu(z: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * z * (1 + np.tanh(K * (z + C * z**3))))


def _gelu_prime(z: np.ndarray) -> np.ndarray:
    u = K * (z + C * z**3)
    return np.asarray(
        0.5 * (1 + np.tanh(u)) + 0.5 * z * (1 - np.tanh(u) ** 2) * K * (1 + 3 * C * z**2)
    )


NUMPY: dict[tuple[str, float | None], tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]]
NUMPY = {
    ("leaky_relu", None): (
        lambda z: np.where(z > 0, z, 0.01 * z),
        lambda z: np.where(z > 0, 1.0, 0.01),
    ),
    ("leaky_relu", 0.1): (lambda z: np.where(z > 0, z, 0.1 * z), lambda z: np.where(z > 0, 1, 0.1)),
    ("elu", 0.5): (
        lambda z: np.where(z > 0, z, 0.5 * (np.exp(z) - 1)),
        lambda z: np.where(z > 0, 1.0, 0.5 * np.exp(z)),
    ),
    ("softplus", None): (lambda z: np.log1p(np.exp(z)), lambda z: 1 / (1 + np.exp(-z))),
    ("gelu", None): (_gelu, _gelu_prime),
}
KEY = {"leaky_relu": "slope", "elu": "alpha"}

W1 = [[0.5, -0.3], [-0.8, 0.2]]  # h2's weighted sum is negative: the slope's side
B1, W2, B2 = [0.1, -0.1], [[0.7, -0.6]], [0.2]
X, T, ETA, STEPS = [1.0, 0.5], [1.0], 0.1, 3


def _scenario(activation: str, setting: float | None) -> dict[str, object]:
    hidden: dict[str, object] = {
        "neurons": ["h1", "h2"],
        "activation": activation,
        "weights": W1,
        "bias": "per-neuron",
        "biases": B1,
    }
    if setting is not None:
        hidden[KEY[activation]] = setting
    return {
        "title": f"A {activation} network",
        "network": {
            "inputs": ["x1", "x2"],
            "layers": [
                hidden,
                {
                    "neurons": ["o1"],
                    "activation": "identity",
                    "weights": W2,
                    "bias": "per-neuron",
                    "biases": B2,
                },
            ],
        },
        "example": {"inputs": X, "targets": T},
        "loss": {"function": "half_sse"},
        "training": {"learning_rate": ETA, "steps": STEPS},
    }


def _numpy_steps(f: Callable[..., np.ndarray], df: Callable[..., np.ndarray]) -> list[np.ndarray]:
    """Plain gradient descent on ½(t − o)²: the gradient at the start, then each step's
    parameters in the page's order (w1…w4, b_h1, b_h2, w5, w6, b_o1)."""
    w1, b1, w2, b2 = (np.array(a, dtype=float) for a in (W1, B1, W2, B2))
    x, t = np.array(X), np.array(T)
    out = []
    for _ in range(STEPS + 1):
        z1 = w1 @ x + b1
        h = f(z1)
        o = w2 @ h + b2
        d2 = o - t  # ∂E/∂net_o1, identity output
        d1 = (w2.T @ d2) * df(z1)
        grads = (np.outer(d1, x), d1, np.outer(d2, h), d2)
        out.append(np.concatenate([g.ravel() for g in grads]))
        w1, b1, w2, b2 = (p - ETA * g for p, g in zip((w1, b1, w2, b2), grads, strict=True))
        out.append(np.concatenate([w1.ravel(), b1, w2.ravel(), b2]))
    return out


PARAMS = ("w1", "w2", "w3", "w4", "b_h1", "b_h2", "w5", "w6", "b_o1")


@pytest.mark.parametrize(("activation", "setting"), sorted(NUMPY, key=str))
def test_a_network_of_each_activation_trains_as_plain_numpy_does(
    activation: str, setting: float | None
) -> None:
    page = explainer.from_dict(_scenario(activation, setting), name=activation)
    v = page.values
    f, df = NUMPY[activation, setting]
    runs = _numpy_steps(f, df)
    gradient = [float(v[f"dE_total/d{p}"]) for p in PARAMS]
    assert gradient == pytest.approx(list(runs[0]), rel=1e-12, abs=1e-15)
    for k in range(1, STEPS + 1):
        params = [float(v[f"{p}@{k}"]) for p in PARAMS]
        assert params == pytest.approx(list(runs[2 * k - 1]), rel=1e-12), f"step {k}"
    assert float(v["out_h2"]) < 0 or activation in ("softplus",)  # the negative side is worked


@pytest.mark.parametrize(("activation", "setting"), sorted(NUMPY, key=str))
def test_a_network_of_each_activation_matches_pytorch(
    activation: str, setting: float | None
) -> None:
    torch = pytest.importorskip("torch")
    functions = {
        "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, setting or 0.01),
        "elu": lambda z: torch.nn.functional.elu(z, setting or 1.0),
        "softplus": torch.nn.functional.softplus,
        "gelu": lambda z: torch.nn.functional.gelu(z, approximate="tanh"),
    }
    w1, b1, w2, b2 = (
        torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (W1, B1, W2, B2)
    )
    o = w2 @ functions[activation](w1 @ torch.tensor(X, dtype=torch.float64) + b1) + b2
    (0.5 * ((torch.tensor(T, dtype=torch.float64) - o) ** 2).sum()).backward()
    autograd = [g.grad.ravel().tolist() for g in (w1, b1, w2, b2)]
    v = explainer.from_dict(_scenario(activation, setting), name=activation).values
    assert [float(v[f"dE_total/d{p}"]) for p in PARAMS] == pytest.approx(
        [x for g in autograd for x in g], rel=1e-12, abs=1e-15
    )


PRELU = {
    "title": "A PReLU neuron: the slope learns too",
    "graph": {
        "leaves": {"x": -1.5, "w": 0.8, "a": 0.25, "t": 0.5},
        "nodes": {
            "z": "w * x",
            "h": "leaky_relu(z, a)",
            "g": "elu(z, 1.0) + softplus(h) + gelu(z)",
            "L": "(g - t) ** 2",
        },
        "output": "L",
    },
    "training": {"train": ["w", "a"], "learning_rate": 0.1, "steps": 3},
}


def _prelu_loss(x: float, w: float, a: float, t: float) -> float:
    z = w * x
    h = z if z > 0 else a * z
    g = (z if z > 0 else math.exp(z) - 1) + math.log1p(math.exp(h)) + float(_gelu(np.array(z)))
    return (g - t) ** 2


def test_a_graph_of_the_new_gates_trains_as_central_differences_say() -> None:
    v = explainer.from_dict(PRELU, name="prelu").values
    leaves = {"x": -1.5, "w": 0.8, "a": 0.25, "t": 0.5}
    h = 1e-6
    for k in range(STEPS + 1):
        at = leaves if k == 0 else {**leaves, "w": float(v[f"w@{k}"]), "a": float(v[f"a@{k}"])}
        grads = {}
        for leaf in ("w", "a"):
            up, down = dict(at), dict(at)
            up[leaf] = float(at[leaf]) + h
            down[leaf] = float(at[leaf]) - h
            grads[leaf] = (_prelu_loss(**up) - _prelu_loss(**down)) / (2 * h)
        if k == 0:
            for leaf in ("w", "a"):
                assert float(v[f"dL/d{leaf}"]) == pytest.approx(grads[leaf], rel=1e-7)
        if k < STEPS:  # the next step is this one's gradient times η, subtracted
            for leaf in ("w", "a"):
                assert float(v[f"{leaf}@{k + 1}"]) == pytest.approx(
                    float(at[leaf]) - 0.1 * grads[leaf], rel=1e-7
                )


def test_the_graph_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    w = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    a = torch.tensor(0.25, dtype=torch.float64, requires_grad=True)
    z = w * torch.tensor(-1.5, dtype=torch.float64)
    h = F.prelu(z.reshape(1), a.reshape(1))[0]
    g = F.elu(z, 1.0) + F.softplus(h) + F.gelu(z, approximate="tanh")
    ((g - 0.5) ** 2).backward()
    v = explainer.from_dict(PRELU, name="prelu").values
    assert float(v["dL/dw"]) == pytest.approx(float(w.grad), rel=1e-12)
    assert float(v["dL/da"]) == pytest.approx(float(a.grad), rel=1e-12)


@pytest.mark.parametrize(
    ("layer", "key", "expected"),
    [
        ({"activation": "sigmoid", "slope": 0.1}, "slope", "only with activation leaky_relu"),
        ({"activation": "leaky_relu", "alpha": 0.1}, "alpha", "only with activation elu"),
        ({"activation": "elu", "alpha": 0}, "alpha", "a number above 0"),
        ({"activation": "leaky_relu", "slope": "steep"}, "slope", "a number"),
    ],
)
def test_a_parameter_out_of_place_is_refused_where_it_stands(
    layer: dict[str, object], key: str, expected: str
) -> None:
    s = _scenario("sigmoid", None)
    hidden = s["network"]["layers"][0]  # type: ignore[index]
    hidden.update(layer)
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(s, name="bad")
    assert f"network.layers[0].{key}" in str(e.value) and expected in str(e.value)


def test_a_gate_with_its_parameter_left_out_is_refused() -> None:
    bad = {**PRELU, "graph": {**PRELU["graph"], "nodes": {"z": "w * x", "L": "leaky_relu(z)"}}}  # type: ignore[dict-item]
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(bad, name="bad")
    assert "leaky_relu" in str(e.value) and "graph.nodes.L" in str(e.value)


def test_a_slope_past_float_range_is_a_located_numeric_error_not_a_crash() -> None:
    """10³⁰⁸ as a slope is exact in the derivation; numpy's rule then takes it as a float."""
    s = _scenario("leaky_relu", 1e308)
    with pytest.raises(ExplainerError) as e:
        _ = explainer.from_dict(s, name="steep").values
    assert "overflow" in str(e.value) and "out_h2" in str(e.value)
