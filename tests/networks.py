"""Random small networks for the property tests, reproducible from a seed (no tests here).

`raw(seed)` is the dict a scenario TOML file would parse to; `scenario(seed)` builds it with
`scenario._build`, so the random cases go through the same validation as a file. Every draw comes
from `numpy.random.default_rng(seed)`: the same seed always gives the same network.

Covered: 1–3 layers of 1–3 neurons, 1–3 inputs, every activation (relu, sigmoid, tanh, identity,
leaky ReLU and ELU with their parameter now and then set, softplus, GELU, and sometimes "none"), no / shared / per-neuron biases, on a constant input of 1 or −1 (a
threshold), trained or frozen biases (and now and then frozen weights), every loss (a softmax output
layer with the categorical cross-entropy) and both residual orders, with and without named loss terms, simultaneous and sequential updates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from explainer.foundation.limits import DEFAULT
from explainer.read.scenario import Scenario, _network

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "leaky_relu", "elu", "softplus", "gelu")
KINKED = ("relu", "leaky_relu", "elu")  # a piece changes at 0
SETTING = {"leaky_relu": ("slope", 0.01, 0.3), "elu": ("alpha", 0.5, 1.5)}  # key, drawn from
BIAS_MODES = ("none", "shared", "per-neuron")
# cross-entropy: sigmoid out; categorical: a softmax over the output layer, targets summing to 1
# hinge: targets ±1
LOSSES = (
    "half_sse",
    "sse",
    "mse",
    "performance",
    "cross_entropy",
    "categorical_cross_entropy",
    "nll",
    "hinge",
    "multiclass_hinge",
    "multi_margin",
)
ONE_HOT = ("multiclass_hinge", "multi_margin")  # losses over classes marked one-hot
UPDATES = ("simultaneous", "sequential")
RESIDUALS = ("target-out", "out-target")
SEEDS = tuple(range(30))  # enough that every rule and loss is drawn (test_derivation)

# A relu pre-activation this close to 0 would make a finite difference straddle the kink.
RELU_MARGIN = 1e-3


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def _values(rng: np.random.Generator, n: int) -> list[float]:
    return [float(x) for x in rng.uniform(-1.0, 1.0, n)]


# The output layer's activation a loss needs: outputs in (0, 1), or a distribution
OUTPUT_OF = {
    "cross_entropy": "sigmoid",
    "categorical_cross_entropy": "softmax",
    "nll": "log_softmax",
}


def _targets(rng: np.random.Generator, loss: str, last: dict[str, Any], n_out: int) -> list[float]:
    """Targets the loss takes (in [0, 1]; a distribution, summing to 1 in float64 too), with
    the output activation it needs set on the last layer."""
    if loss == "hinge":
        return [float(rng.choice([-1.0, 1.0])) for _ in range(n_out)]
    if loss in ONE_HOT:  # the multiclass hinge: one class marked
        marked = int(rng.integers(n_out))
        return [float(j == marked) for j in range(n_out)]
    if loss not in OUTPUT_OF:
        return _values(rng, n_out)
    last["activation"] = OUTPUT_OF[loss]
    for key, _, _ in SETTING.values():
        last.pop(key, None)
    drawn = rng.uniform(0.0 if loss == "cross_entropy" else 0.1, 1.0, n_out)
    if loss == "cross_entropy":
        return [float(x) for x in drawn]
    targets = [float(x) for x in drawn / drawn.sum()]
    targets[-1] = 1.0 - sum(targets[:-1])
    return targets


def _draw(rng: np.random.Generator) -> dict[str, Any]:
    n_inputs = int(rng.integers(1, 4))
    n_layers = int(rng.integers(1, 4))
    letters = (*("g", "h")[3 - n_layers :], "o")  # hidden layers g, h; output layer o
    layers: list[dict[str, Any]] = []
    fan_in = n_inputs
    for li in range(n_layers):
        n = int(rng.integers(1, 4))
        activation = "none" if rng.random() < 0.15 else _pick(rng, ACTIVATIONS)
        bias = _pick(rng, BIAS_MODES)
        layer: dict[str, Any] = {
            "neurons": [f"{letters[li]}{j + 1}" for j in range(n)],
            "activation": activation,
            "weights": [_values(rng, fan_in) for _ in range(n)],
            "bias": bias,
            "train_weights": bool(rng.random() < 0.85),
            "train_biases": bool(rng.random() < 0.6),
        }
        if activation in SETTING and rng.random() < 0.5:
            key, low, high = SETTING[activation]
            layer[key] = round(float(rng.uniform(low, high)), 3)
        if bias != "none":
            layer["biases"] = _values(rng, 1 if bias == "shared" else n)
            if rng.random() < 0.25:
                layer["bias_input"] = -1.0  # a threshold: θ·(−1)
        layers.append(layer)
        fan_in = n
    if not any(layer["train_weights"] for layer in layers):
        layers[-1]["train_weights"] = True
    n_out = len(layers[-1]["neurons"])
    loss = _pick(rng, LOSSES)
    if loss in ("categorical_cross_entropy", "nll") and n_out == 1:  # a softmax of one is 1
        loss = "cross_entropy"
    if loss in ONE_HOT and n_out == 1:  # one class: no other to compare with
        loss = "hinge"
    targets = _targets(rng, loss, layers[-1], n_out)
    raw: dict[str, Any] = {
        "title": "random network",
        "network": {"inputs": [f"i{k + 1}" for k in range(n_inputs)], "layers": layers},
        "example": {"inputs": _values(rng, n_inputs), "targets": targets},
        "loss": {"function": loss, "residual": _pick(rng, RESIDUALS)},
        "training": {
            "learning_rate": float(rng.uniform(0.05, 0.5)),
            "steps": 3,
            "update": UPDATES[int(rng.random() < 0.3)],
        },
    }
    if n_out > 1 and rng.random() < 0.3 and loss not in ONE_HOT:
        raw["names"] = {"loss_term": ""}  # a multi-output loss without named terms
    return raw


FORWARD: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "sigmoid": lambda v, a: 1 / (1 + np.exp(-v)),
    "tanh": lambda v, a: np.tanh(v),
    "relu": lambda v, a: np.maximum(v, 0.0),
    "leaky_relu": lambda v, a: np.where(v > 0, v, a * v),
    "elu": lambda v, a: np.where(v > 0, v, a * (np.exp(v) - 1)),
    "softplus": lambda v, a: np.log1p(np.exp(v)),
    "gelu": lambda v, a: 0.5 * v * (1 + np.tanh(np.sqrt(2 / np.pi) * (v + 0.044715 * v**3))),
}  # identity and "none" pass the weighted sum on
DEFAULT_SETTING = {"leaky_relu": 0.01, "elu": 1.0}


def _relu_fits(raw: dict[str, Any]) -> bool:
    """At the scenario's values, no relu pre-activation is within RELU_MARGIN of 0, and every relu
    layer passes something on (a layer of dead neurons would make every gradient below it 0)."""
    x = np.array(raw["example"]["inputs"])
    for layer in raw["network"]["layers"]:
        z = np.array(layer["weights"]) @ x
        if layer["bias"] != "none":  # one shared bias broadcasts to every neuron
            z = z + layer.get("bias_input", 1.0) * np.array(layer["biases"])
        activation = layer["activation"]
        if activation in KINKED and np.min(np.abs(z)) <= RELU_MARGIN:
            return False
        if activation == "relu" and np.max(z) <= 0:
            return False
        key = SETTING.get(activation, ("",))[0]
        a = layer.get(key, DEFAULT_SETTING.get(activation, 0.0))
        x = FORWARD[activation](z, a) if activation in FORWARD else z
    return True


def raw(seed: int) -> dict[str, Any]:
    """The scenario dict for `seed`; redrawn (from the same generator) until the relus fit."""
    rng = np.random.default_rng(seed)
    while True:
        candidate = _draw(rng)
        if _relu_fits(candidate):
            return candidate


def scenario(seed: int) -> Scenario:
    s = _network(f"<random network {seed}>", f"random-{seed}", raw(seed), DEFAULT)
    assert isinstance(s, Scenario)
    return s


def describe(seed: int) -> str:
    """A readable test id: seed, inputs and layer sizes, activations, biases, loss, update."""
    r = raw(seed)
    layers = r["network"]["layers"]
    sizes = "x".join(
        str(n) for n in [len(r["network"]["inputs"])] + [len(layer["neurons"]) for layer in layers]
    )
    acts = ",".join(layer["activation"] for layer in layers)
    biases = ",".join(layer["bias"] for layer in layers)
    loss, update = r["loss"], r["training"]["update"]
    return f"seed{seed}-{sizes}-{acts}-{biases}-{loss['function']}-{loss['residual']}-{update}"
