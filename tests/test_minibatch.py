"""Mini-batches of a chosen size, shuffled each epoch from a stated seed, and an update's
gradient the mean or the sum of its examples'. Checked against a plain-numpy training loop
written here (its own backpropagation, each generator called as a source's code calls it)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

import explainer
from explainer.foundation.errors import ScenarioError

W1, B1 = np.array([[0.15, 0.2], [0.25, 0.3]]), np.array([0.35, 0.35])
W2, B2 = np.array([[0.4, 0.45]]), np.array([0.6])
XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.5, 0.5]]
XOR_T = [[0.0], [1.0], [1.0], [0.0], [0.5]]
PARAMS = ("w1", "w2", "w3", "w4", "b_h1", "b_h2", "w5", "w6", "b_o")


def _doc(n: int = 4, **training: Any) -> dict[str, Any]:
    return {
        "title": "mini-batches",
        "network": {
            "inputs": ["x1", "x2"],
            "layers": [
                {
                    "neurons": ["h1", "h2"],
                    "activation": "sigmoid",
                    "weights": W1.tolist(),
                    "bias": "per-neuron",
                    "biases": B1.tolist(),
                },
                {
                    "neurons": ["o"],
                    "activation": "sigmoid",
                    "weights": W2.tolist(),
                    "bias": "per-neuron",
                    "biases": B2.tolist(),
                },
            ],
        },
        "data": {"inputs": XOR_X[:n], "targets": XOR_T[:n]},
        "training": {"learning_rate": 0.5, "steps": 3, **training},
    }


def sig(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1 / (1 + np.exp(-z))
    return out


def _orders(shuffle: str, seed: int, n: int, epochs: int) -> list[list[int]]:
    """Each epoch's order, as the source's code draws it."""
    if shuffle == "numpy-rng":
        rng = np.random.default_rng(seed)
        return [list(rng.permutation(n)) for _ in range(epochs)]
    if shuffle == "numpy":
        np.random.seed(seed)
        return [list(np.random.permutation(n)) for _ in range(epochs)]
    if shuffle == "python":
        random.seed(seed)
        out = []
        for _ in range(epochs):
            order = list(range(n))
            random.shuffle(order)
            out.append(order)
        return out
    return [list(range(n)) for _ in range(epochs)]


def _loop(n: int, k: int, shuffle: str, seed: int, epochs: int, sum_: bool = False) -> list[float]:
    """Mini-batch descent on ½Σ(t − o)², written out: forward, δ, the batch's mean (or sum)."""
    w1, b1, w2, b2 = W1.copy(), B1.copy(), W2.copy(), B2.copy()
    x_all, t_all = np.array(XOR_X[:n]), np.array(XOR_T[:n])
    for order in _orders(shuffle, seed, n, epochs):
        for start in range(0, n, k):
            rows = order[start : start + k]
            g = [np.zeros_like(w1), np.zeros_like(b1), np.zeros_like(w2), np.zeros_like(b2)]
            for r in rows:
                h = sig(w1 @ x_all[r] + b1)
                o = sig(w2 @ h + b2)
                d2 = (o - t_all[r]) * o * (1 - o)
                d1 = (w2.T @ d2) * h * (1 - h)
                for acc, step in zip(
                    g, (np.outer(d1, x_all[r]), d1, np.outer(d2, h), d2), strict=True
                ):
                    acc += step
            scale = 0.5 if sum_ else 0.5 / len(rows)
            w1, b1, w2, b2 = (p - scale * dp for p, dp in zip((w1, b1, w2, b2), g, strict=True))
    return [*w1.ravel(), *b1, *w2.ravel(), *b2]


@pytest.mark.parametrize("shuffle", ["", "numpy-rng", "numpy", "python"])
@pytest.mark.parametrize(("n", "k"), [(4, 2), (5, 2), (5, 3)])
def test_mini_batches_train_as_a_plain_loop(shuffle: str, n: int, k: int) -> None:
    training: dict[str, Any] = {"batch_size": k}
    if shuffle:
        training |= {"shuffle": shuffle, "shuffle_seed": 7}
    v = explainer.from_dict(_doc(n, **training), name="mb").values
    got = [float(v[f"{p}@3"]) for p in PARAMS]
    assert got == pytest.approx(_loop(n, k, shuffle, 7, 3), rel=1e-12, abs=1e-15)


def _first_batch(n: int, k: int, shuffle: str, seed: int) -> tuple[list[int], list[list[float]]]:
    """The first batch's rows, and each one's gradient of its own ½Σ(t − o)² (PARAMS order),
    at the starting parameters."""
    x_all, t_all = np.array(XOR_X[:n]), np.array(XOR_T[:n])
    rows, out = [int(r) for r in _orders(shuffle, seed, n, 1)[0][:k]], []
    for r in rows:
        h = sig(W1 @ x_all[r] + B1)
        o = sig(W2 @ h + B2)
        d2 = (o - t_all[r]) * o * (1 - o)
        d1 = (W2.T @ d2) * h * (1 - h)
        out.append([*np.outer(d1, x_all[r]).ravel(), *d1, *np.outer(d2, h).ravel(), *d2])
    return rows, out


def test_the_worked_batchs_gradients_and_results_have_keys() -> None:
    """Each example's gradient in the worked batch, dE_total/dw5@1#r; the batch's mean,
    dE_total_batch/dw5; and the updated parameters, keyed w5@1#r with r the row epoch 1's
    second batch starts with (w5@1 is after the whole epoch)."""
    n, k, seed = 5, 2, 7
    v = explainer.from_dict(
        _doc(n, batch_size=k, shuffle="numpy-rng", shuffle_seed=seed), name="mb"
    ).values
    rows, grads = _first_batch(n, k, "numpy-rng", seed)
    mean = np.mean(grads, axis=0)
    nxt = int(_orders("numpy-rng", seed, n, 1)[0][k]) + 1
    for i, p in enumerate(PARAMS):
        for r, g in zip(rows, grads, strict=True):
            assert v[f"dE_total/d{p}@1#{r + 1}"] == pytest.approx(g[i], rel=1e-13, abs=1e-16)
        assert v[f"dE_total_batch/d{p}"] == pytest.approx(mean[i], rel=1e-13, abs=1e-16)
        start = [W1, B1, W2, B2]
        flat = [*start[0].ravel(), *start[1], *start[2].ravel(), *start[3]]
        assert v[f"{p}@1#{nxt}"] == pytest.approx(flat[i] - 0.5 * mean[i], rel=1e-13)
    assert {key for key in v if key.startswith("w5@1#")} == {f"w5@1#{nxt}"}


def test_a_shuffled_stochastic_epoch_and_a_summed_batch() -> None:
    v = explainer.from_dict(
        _doc(5, mode="stochastic", shuffle="numpy-rng", shuffle_seed=3), name="s"
    ).values
    got = [float(v[f"{p}@3"]) for p in PARAMS]
    assert got == pytest.approx(_loop(5, 1, "numpy-rng", 3, 3), rel=1e-12)
    v = explainer.from_dict(_doc(5, mode="batch", reduction="sum"), name="sum").values
    got = [float(v[f"{p}@3"]) for p in PARAMS]
    assert got == pytest.approx(_loop(5, 5, "", 0, 3, sum_=True), rel=1e-12)


def test_the_sum_at_rate_1_is_the_mean_at_rate_n_bit_for_bit() -> None:
    """Trask's 'rate 1 on the sum' is rate 4 on the mean of 4 examples, exactly: Σg/4 is exact."""
    summed = explainer.from_dict(
        _doc(4, mode="batch", reduction="sum", learning_rate=1.0), name="sum"
    ).values
    mean = explainer.from_dict(_doc(4, mode="batch", learning_rate=4.0), name="mean").values
    assert [summed[f"{p}@3"] for p in PARAMS] == [mean[f"{p}@3"] for p in PARAMS]
    # the epoch's loss is the sum of the examples' losses, four times the mean
    assert float(summed["E_total@1"]) == pytest.approx(4 * float(mean["E_total@1"]), rel=1e-15)


def test_the_page_works_the_first_batch_from_its_first_example() -> None:
    order = _orders("numpy-rng", 7, 4, 1)[0]
    page = explainer.from_dict(_doc(4, batch_size=2, shuffle="numpy-rng", shuffle_seed=7), name="p")
    v = page.values
    assert [float(v["x1"]), float(v["x2"])] == XOR_X[order[0]]
    md = page.markdown()
    assert f"examples {order[0] + 1} and {order[1] + 1} of the training set" in md
    assert "rng.permutation(N) each epoch" in md and "mini-batch gradient descent" in md
    a, b, c, d = (r + 1 for r in order)
    assert f"Epoch 1 takes examples {a} and {b}, then {c} and {d}." in md
    # the worked update's gradient is the mean of the two examples' (central differences)
    row = next(line for line in md.splitlines() if line.startswith("| $w_{5}$ |"))
    assert row.endswith(f"| ${_mean_gradient_w5(order[:2]):.4g}$ | ")


def _mean_gradient_w5(rows: list[int], h: float = 1e-6) -> float:
    def loss(w5: float) -> float:
        total = 0.0
        for r in rows:
            hid = sig(W1 @ np.array(XOR_X[r]) + B1)
            o = sig(np.array([w5, 0.45]) @ hid + B2[0])
            total += 0.5 * float(((np.array(XOR_T[r]) - o) ** 2).sum())
        return total / len(rows)

    return (loss(0.4 + h) - loss(0.4 - h)) / (2 * h)


@pytest.mark.parametrize(
    ("training", "key", "expected"),
    [
        ({"batch_size": 9}, "training.batch_size", "from 1 to 4"),
        ({"batch_size": 2, "mode": "batch"}, "training.batch_size", "minibatch"),
        ({"mode": "minibatch"}, "training.batch_size", "a batch size"),
        ({"batch_size": 2, "shuffle": "numpy"}, "training.shuffle_seed", "seed"),
        (
            {"mode": "batch", "shuffle": "numpy", "shuffle_seed": 1},
            "training.shuffle",
            "no shuffle",
        ),
        ({"shuffle_seed": 1}, "training.shuffle", "generator"),
        ({"reduction": "max"}, "training.reduction", "one of"),
    ],
)
def test_bad_batching_is_refused_where_it_stands(
    training: dict[str, Any], key: str, expected: str
) -> None:
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(_doc(4, **training), name="bad")
    assert key in str(e.value) and expected in str(e.value)


def test_batching_needs_a_training_set() -> None:
    doc = _doc(4, batch_size=2)
    del doc["data"]
    doc["example"] = {"inputs": [1.0, 0.0], "targets": [1.0]}
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="one")
    assert "training.batch_size" in str(e.value) and "[data]" in str(e.value)


@pytest.mark.parametrize(
    ("published", "cause"),
    [
        ({"reduction": "sum"}, "sum of its examples' gradients, not their mean"),
        ({"shuffle": ""}, "taken in order, not shuffled"),
    ],
)
def test_a_number_from_another_batching_gets_that_cause(
    published: dict[str, Any], cause: str
) -> None:
    """A 'published' w5 after 2 epochs made with the sum (or in order) by the plain loop here;
    the scenario says mean and shuffled: verify names the convention. A number no alternative
    explains (0.3 off) gets no cause."""
    shuffle = published.get("shuffle", "numpy-rng")
    printed = _loop(4, 2, shuffle, 7, 2, sum_=published.get("reduction") == "sum")[6]
    doc = _doc(4, batch_size=2, shuffle="numpy-rng", shuffle_seed=7)
    doc["claims"] = {"w5@2": {"value": f"{printed:.6f}"}, "w6@2": {"value": "0.123456"}}
    found = {f.claim.key: f for f in explainer.from_dict(doc, name="v").verify()}
    assert not found["w5@2"].reproduced
    assert any(cause in x for x in found["w5@2"].explained_by), found["w5@2"].explained_by
    assert not found["w6@2"].explained_by and not found["w6@2"].reproduced
