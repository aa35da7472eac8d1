"""Stage 1, load (starting weights drawn from a seed): `[init]`, for a source that prints only
the seed its code started from. The weights and biases a layer does not give are drawn from the
generator that code used, in the order it drew them, so the page works from the same numbers:

    generator = "numpy"       # np.random.seed(s), then np.random.rand / randn / uniform
              | "numpy-rng"   # rng = np.random.default_rng(s); rng.random / standard_normal / uniform
              | "python"      # random.seed(s), then random.random() / random.gauss(0, 1) / uniform
    order = "matrix"          # per layer one call for its weight matrix, a row per neuron
                              # (np.random.randn(n_out, n_in)), then one for its biases
          | "matrix-in-out"   # the matrix drawn a row per input (np.random.random((n_in, n_out)))
          | "neuron"          # per neuron its weights, then its bias ([random() for i in
                              # range(n_inputs + 1)]: the bias last)
    value = scale · draw + shift   (2·random() − 1: scale 2, shift −1; randn·0.01: scale 0.01)
    biases = "drawn" | "zero"

Each draw is the generator's own call, so a stream is the one the source's code made; a test
checks each generator's first draws against the values its documentation prints.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from explainer.foundation.errors import ScenarioError
from explainer.read.reader import Reader

Draw = Callable[[int], list[float]]  # the next n values of the stream


def _python(seed: int, draw: str, low: float, high: float) -> Draw:
    r = random.Random(seed)
    one: Callable[[], float] = {
        "random": r.random,
        "gauss": lambda: r.gauss(0.0, 1.0),
        "uniform": lambda: r.uniform(low, high),
    }[draw]
    return lambda n: [one() for _ in range(n)]


def _numpy(seed: int, draw: str, low: float, high: float) -> Draw:
    rs = np.random.RandomState(seed)  # np.random.seed(seed) seeds this same legacy generator
    calls: dict[str, Callable[[int], Any]] = {
        "rand": rs.random_sample,
        "random": rs.random_sample,  # np.random.random((3, 4)): the same call
        "randn": rs.standard_normal,
        "uniform": lambda n: rs.uniform(low, high, n),
    }
    return lambda n: [float(x) for x in calls[draw](n)]


def _numpy_rng(seed: int, draw: str, low: float, high: float) -> Draw:
    rng = np.random.default_rng(seed)
    calls: dict[str, Callable[[int], Any]] = {
        "random": rng.random,
        "standard_normal": rng.standard_normal,
        "uniform": lambda n: rng.uniform(low, high, n),
    }
    return lambda n: [float(x) for x in calls[draw](n)]


@dataclass(frozen=True)
class Generator:
    make: Callable[[int, str, float, float], Draw]
    draws: tuple[str, ...]  # its calls, the first the default
    seeded: str  # how the source's code seeds it, for the page
    call: str  # how it calls a draw: {draw} the call's name


GENERATORS: dict[str, Generator] = {
    "numpy": Generator(
        _numpy, ("rand", "random", "randn", "uniform"), "np.random.seed({seed})", "np.random.{draw}"
    ),
    "numpy-rng": Generator(
        _numpy_rng,
        ("random", "standard_normal", "uniform"),
        "rng = np.random.default_rng({seed})",
        "rng.{draw}",
    ),
    "python": Generator(
        _python, ("random", "gauss", "uniform"), "random.seed({seed})", "random.{draw}"
    ),
}
ORDERS = {
    "matrix": "each layer's weight matrix in one call, a row per neuron, then its biases",
    "matrix-in-out": "each layer's weight matrix in one call, a row per input, then its biases",
    "neuron": "neuron by neuron, its weights and then its bias",
}
BIASES = ("drawn", "zero")
KEYS = ("generator", "seed", "draw", "order", "scale", "shift", "low", "high", "biases")


@dataclass(frozen=True)
class Init:
    generator: str
    seed: int
    draw: str
    order: str
    scale: float
    shift: float
    low: float
    high: float
    biases: str

    def layers(
        self, shapes: list[tuple[int, int, int]]
    ) -> list[tuple[tuple[tuple[float, ...], ...], tuple[float, ...]]]:
        """Each layer's weights (a row per neuron) and biases, for layers of (neurons, inputs,
        biases) drawn in order from one stream."""
        g = GENERATORS[self.generator]
        stream = g.make(self.seed, self.draw, self.low, self.high)

        def values(n: int) -> list[float]:
            return [self.scale * x + self.shift for x in stream(n)]

        out = []
        for n, fan_in, n_bias in shapes:
            drawn_biases = n_bias if self.biases == "drawn" else 0
            if self.order == "neuron":
                rows, biases = [], []
                for _ in range(n):
                    row = values(fan_in + (1 if drawn_biases == n else 0))
                    rows.append(tuple(row[:fan_in]))
                    biases += row[fan_in:]
                if drawn_biases and drawn_biases != n:  # one shared bias: drawn after the layer
                    biases = values(drawn_biases)
            else:
                flat = values(n * fan_in)
                if self.order == "matrix":
                    rows = [tuple(flat[j * fan_in : (j + 1) * fan_in]) for j in range(n)]
                else:  # a row per input: neuron j's weights are column j
                    rows = [tuple(flat[k * n + j] for k in range(fan_in)) for j in range(n)]
                biases = values(drawn_biases) if drawn_biases else []
            out.append((tuple(rows), tuple(biases) if drawn_biases else (0.0,) * n_bias))
        return out

    def describe(self, biased: bool) -> str:
        """The source's code, in words, for the page (`biased`: some layer has a bias)."""
        g = GENERATORS[self.generator]
        call = g.call.format(draw=self.draw)
        if self.draw == "uniform":
            call += f"({_written(self.low)}, {_written(self.high)})"
        transform = (
            (f"{_written(self.scale)}·" if self.scale != 1 else "")
            + "draw"
            + (
                f" {'+' if self.shift > 0 else '−'} {_written(abs(self.shift))}"
                if self.shift
                else ""
            )
        )
        biases = {"drawn": "; the biases drawn with them", "zero": "; the biases 0"}[self.biases]
        order = ORDERS[self.order] if biased else ORDERS[self.order].split(", then")[0]
        return (
            f"The starting weights are drawn, not given: {g.seeded.format(seed=self.seed)}, then "
            f"{call}, {order}, each value {transform}{biases if biased else ''}."
        )


def _written(x: float) -> str:
    """A setting as the scenario wrote it, shortest: 2, 0.01, 0.123456789 (repr, not :g)."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def read(top: Reader) -> Init | None:
    """The `[init]` table, or None where a scenario gives every weight itself."""
    r = top.sub("init", KEYS)
    if not r.table:
        return None
    generator = r.get("generator", r.choice(tuple(GENERATORS)))
    g = GENERATORS[generator]
    seed = r.get("seed", r.count(0, 2**32 - 1))
    draw = r.get("draw", r.choice(g.draws), g.draws[0])
    if draw != "uniform":
        for k in ("low", "high"):
            if k in r.table:
                raise ScenarioError(
                    r.file, r.key(k), 'low and high only with draw = "uniform"', f"draw {draw}"
                )
    low, high = r.get("low", r.number, -1.0), r.get("high", r.number, 1.0)
    if not low < high or not math.isfinite(high - low):  # numpy draws from high − low
        raise ScenarioError(
            r.file, r.key("high"), f"a number above low = {low:g}, by a finite range", repr(high)
        )
    return Init(
        generator,
        seed,
        draw,
        r.get("order", r.choice(tuple(ORDERS)), "matrix"),
        r.get("scale", r.number, 1.0),
        r.get("shift", r.number, 0.0),
        low,
        high,
        r.get("biases", r.choice(BIASES), "drawn"),
    )
