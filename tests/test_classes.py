"""A classifier's predicted classes and accuracy (evaluate/classes.py): one rule per kind of
label, none for a regression; on the page, in the JSON, and checkable as a claim."""

from __future__ import annotations

import pytest

import explainer
from explainer.evaluate.classes import classes


@pytest.mark.parametrize(
    ("targets", "outputs", "predicted", "right"),
    [
        ([[0], [1], [1], [0]], [[0.2], [0.5], [0.49], [0.51]], (0, 1, 0, 1), 2),
        ([[1, 0, 0], [0, 0, 1]], [[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]], (1, 2), 1),
        ([[0, 1], [1, 0]], [[0.5, 0.5], [0.9, 0.1]], (0, 0), 1),  # a tie: the first
    ],
)
def test_each_kind_of_label_has_its_rule(
    targets: list[list[float]], outputs: list[list[float]], predicted: tuple[int, ...], right: int
) -> None:
    found = classes(targets, outputs)
    assert found is not None and found.predicted == predicted and found.right == right
    assert found.accuracy == right / len(targets)


@pytest.mark.parametrize("targets", [[[0.25], [1.0]], [[0.5, 0.5]], [[1, 1]], []])
def test_targets_that_are_no_labels_have_no_classes(targets: list[list[float]]) -> None:
    assert classes(targets, [[0.5] * len(t) for t in targets]) is None


XOR_ONE_HOT = {
    "title": "XOR, one output per class",
    "network": {
        "inputs": ["x1", "x2"],
        "layers": [
            {"neurons": ["h1", "h2", "h3"], "activation": "tanh", "bias": "per-neuron"},
            {"neurons": ["no", "yes"], "activation": "sigmoid", "bias": "per-neuron"},
        ],
    },
    "init": {"generator": "numpy-rng", "seed": 3, "draw": "standard_normal"},
    "data": {
        "inputs": [[0, 0], [0, 1], [1, 0], [1, 1]],
        "targets": [[1, 0], [0, 1], [0, 1], [1, 0]],
    },
    "loss": {"function": "half_sse"},
    "training": {"learning_rate": 0.5, "steps": 3, "mode": "batch"},
}


def test_a_one_hot_network_shows_and_keys_its_classes() -> None:
    page = explainer.from_dict(XOR_ONE_HOT, name="one-hot")
    v = page.values
    outs = [[float(v[f"out_{n}"]) for n in ("no", "yes")]]  # example 1 before training
    assert len(outs[0]) == 2
    predicted = [v[f"class_{r}@3"] for r in range(1, 5)]
    assert set(predicted) <= {0, 1}
    right = sum(p == w for p, w in zip(predicted, [0, 1, 1, 0], strict=True))
    assert v["accuracy@3"] == right / 4
    assert f"{right} of 4 right" in page.markdown()


def test_accuracy_is_a_claim_like_any_quantity() -> None:
    doc = {**XOR_ONE_HOT, "claims": {"accuracy@3": "0.9"}}
    (f,) = explainer.from_dict(doc, name="claimed").verify()
    v = explainer.from_dict(XOR_ONE_HOT, name="one-hot").values
    assert f.reproduced is (round(float(v["accuracy@3"]), 1) == 0.9)


def test_a_regression_has_no_classes() -> None:
    v = explainer.load("serengil-sine", steps=2).values
    assert not any(k.startswith(("class_", "accuracy@")) for k in v)


@pytest.mark.parametrize(
    ("right", "count", "said"), [(199, 200, "99.5%"), (4, 4, "100%"), (1, 3, "33.3%"), (0, 2, "0%")]
)
def test_an_accuracy_is_cut_not_rounded_up_to_all_right(right: int, count: int, said: str) -> None:
    from explainer.page.training import _percent

    assert _percent(right, count) == said
