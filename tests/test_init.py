"""`[init]`: starting weights drawn from the seeded generator a source's code used, in its order.
Each generator's first draws are the values its documentation and well-known tutorials print;
each order is checked against the generator called as the source's code calls it."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

import explainer
from explainer.foundation.errors import ScenarioError
from explainer.read.scenario import Scenario

# First draws as published: Python's docs-era classic random.seed(1) (the weights Brownlee's
# "How to Code a Neural Network with Backpropagation In Python" prints for its 2-1-2 network),
# np.random.seed(0) then rand() and randn(), and numpy's Generator docs, default_rng(12345).
BROWNLEE_2_1_2 = [
    0.13436424411240122,
    0.8474337369372327,
    0.763774618976614,
    0.2550690257394217,
    0.49543508709194095,
    0.4494910647887381,
    0.651592972722763,
]


def _network(
    init: dict[str, Any], sizes: tuple[int, ...], bias: str = "per-neuron"
) -> dict[str, Any]:
    """A network of `sizes` (inputs first) whose weights [init] draws."""
    layers = [
        {"neurons": [f"n{li}{j}" for j in range(n)], "activation": "sigmoid", "bias": bias}
        for li, n in enumerate(sizes[1:])
    ]
    return {
        "title": "drawn",
        "network": {"inputs": [f"x{k}" for k in range(sizes[0])], "layers": layers},
        "example": {"inputs": [0.5] * sizes[0], "targets": [0.5] * sizes[-1]},
        "training": {"learning_rate": 0.5, "steps": 1},
        "init": init,
    }


def _params(doc: dict[str, Any]) -> list[float]:
    """The starting weights and biases in the page's order: per layer its weights (neuron by
    neuron), then its biases."""
    s = explainer.from_dict(doc, name="drawn").scenario
    assert isinstance(s, Scenario)
    out: list[float] = []
    for layer in s.layers:
        out += [w for row in layer.weights for w in row]
        out += list(layer.biases)
    return out


def test_pythons_random_gives_brownlees_printed_weights() -> None:
    """Brownlee's initialize_network(2, 1, 2) after seed(1): per neuron [random() for i in
    range(n_inputs + 1)], its bias the last value."""
    doc = _network({"generator": "python", "seed": 1, "order": "neuron"}, (2, 1, 2))
    s = explainer.from_dict(doc, name="brownlee").scenario
    assert isinstance(s, Scenario)
    neurons = [
        (*row, b) for layer in s.layers for row, b in zip(layer.weights, layer.biases, strict=True)
    ]
    assert [x for n in neurons for x in n] == BROWNLEE_2_1_2


@pytest.mark.parametrize(
    ("generator", "draw", "first"),
    [
        ("numpy", "rand", 0.5488135039273248),  # np.random.seed(0); np.random.rand()
        ("numpy", "randn", 1.764052345967664),  # np.random.seed(0); np.random.randn()
    ],
)
def test_numpys_legacy_generator_gives_its_published_first_draw(
    generator: str, draw: str, first: float
) -> None:
    doc = _network({"generator": generator, "seed": 0, "draw": draw}, (1, 1))
    assert _params(doc)[0] == first


def test_numpys_default_rng_gives_its_documented_first_draw() -> None:
    doc = _network({"generator": "numpy-rng", "seed": 12345, "draw": "random"}, (1, 1))
    assert _params(doc)[0] == 0.22733602246716966  # numpy's Generator.random docs


def test_the_matrix_orders_are_the_sources_calls() -> None:
    """Ng's W1 = np.random.randn(n_h, n_x) * 0.01 with zero biases, and Trask's
    syn0 = 2 * np.random.random((n_in, n_out)) - 1 (a row per input: a neuron is a column)."""
    ng = _network(
        {"generator": "numpy", "seed": 1, "draw": "randn", "scale": 0.01, "biases": "zero"},
        (3, 4, 1),
    )
    np.random.seed(1)
    w1, w2 = np.random.randn(4, 3) * 0.01, np.random.randn(1, 4) * 0.01
    assert _params(ng) == [*w1.ravel(), 0, 0, 0, 0, *w2.ravel(), 0]
    trask = _network(
        {
            "generator": "numpy",
            "seed": 1,
            "draw": "random",
            "order": "matrix-in-out",
            "scale": 2,
            "shift": -1,
        },
        (3, 4, 1),
        bias="none",
    )
    np.random.seed(1)
    syn0, syn1 = 2 * np.random.random((3, 4)) - 1, 2 * np.random.random((4, 1)) - 1
    assert _params(trask) == [*syn0.T.ravel(), *syn1.T.ravel()]


def test_uniform_and_a_shared_bias_follow_the_stream() -> None:
    doc = _network(
        {"generator": "numpy-rng", "seed": 7, "draw": "uniform", "low": -0.5, "high": 0.5},
        (2, 2, 1),
        bias="shared",
    )
    rng = np.random.default_rng(7)
    w1, b1 = rng.uniform(-0.5, 0.5, 4), rng.uniform(-0.5, 0.5, 1)
    w2, b2 = rng.uniform(-0.5, 0.5, 2), rng.uniform(-0.5, 0.5, 1)
    assert _params(doc) == [*w1, *b1, *w2, *b2]
    r = random.Random(3)
    python = _network(
        {"generator": "python", "seed": 3, "draw": "gauss", "order": "neuron"}, (1, 1)
    )
    assert _params(python) == [r.gauss(0.0, 1.0), r.gauss(0.0, 1.0)]


def test_the_page_says_where_its_weights_come_from() -> None:
    doc = _network({"generator": "numpy", "seed": 1, "draw": "randn", "scale": 0.01}, (2, 2, 1))
    page = explainer.from_dict(doc, name="drawn").markdown()
    assert "drawn, not given: np.random.seed(1), then np.random.randn" in page
    assert "0.01·draw" in page


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        ({"init": {"generator": "matlab", "seed": 1}}, "init.generator", "one of"),
        ({"init": {"generator": "numpy", "seed": -1}}, "init.seed", ""),
        ({"init": {"generator": "numpy", "seed": 1, "draw": "gauss"}}, "init.draw", "one of"),
        (
            {"init": {"generator": "numpy", "seed": 1, "draw": "rand", "low": 0}},
            "init.low",
            "only with draw",
        ),
        (
            {"init": {"generator": "numpy", "seed": 1, "draw": "uniform", "low": 1, "high": 0}},
            "init.high",
            "above low",
        ),
    ],
)
def test_a_bad_init_is_refused_where_it_stands(
    change: dict[str, Any], key: str, expected: str
) -> None:
    doc = {**_network({}, (1, 1)), **change}
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="bad")
    assert key in str(e.value) and expected in str(e.value)


def test_weights_beside_init_are_refused() -> None:
    doc = _network({"generator": "numpy", "seed": 1}, (1, 1))
    doc["network"]["layers"][0]["weights"] = [[0.5]]
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="bad")
    assert "network.layers[0].weights" in str(e.value) and "[init]" in str(e.value)


def test_xor_epochs_is_trasks_loop() -> None:
    """The shipped xor-epochs against Trask's own 11 lines, run here in plain numpy: his
    seed, his draws, his sum of the examples' gradients at rate 1 (ours: their mean at 4)."""
    v = explainer.load("xor-epochs").values
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    np.random.seed(1)
    syn0, syn1 = 2 * np.random.random((3, 4)) - 1, 2 * np.random.random((4, 1)) - 1

    def sigmoid(z: np.ndarray) -> np.ndarray:
        return np.asarray(1 / (1 + np.exp(-z)))

    for _ in range(60000):
        l1 = sigmoid(x @ syn0)
        l2 = sigmoid(l1 @ syn1)
        d2 = (y - l2) * l2 * (1 - l2)
        d1 = d2 @ syn1.T * l1 * (1 - l1)
        syn1 += l1.T @ d2
        syn0 += x.T @ d1
    ours0 = [[float(v[f"w{3 * j + k + 1}@60000"]) for j in range(4)] for k in range(3)]
    assert np.allclose(ours0, syn0, rtol=1e-12, atol=0)
    assert np.allclose([float(v[f"w{13 + j}@60000"]) for j in range(4)], syn1[:, 0], rtol=1e-12)
    classes = (sigmoid(sigmoid(x @ syn0) @ syn1)[:, 0] >= 0.5).astype(int)
    assert [v[f"class_{r}@60000"] for r in range(1, 5)] == list(classes) == [0, 1, 1, 0]
    assert v["accuracy@60000"] == 1.0


@pytest.mark.parametrize(
    ("init", "key"),
    [
        (
            {"generator": "numpy", "seed": 1, "draw": "uniform", "low": -1e308, "high": 1e308},
            "init.high",
        ),
        ({"generator": "numpy", "seed": 1, "scale": 1e308, "shift": 1.7e308}, "init.scale"),
    ],
)
def test_draws_past_float_range_are_refused_where_they_are_set(
    init: dict[str, Any], key: str
) -> None:
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(_network(init, (1, 1)), name="huge")
    assert key in str(e.value)
