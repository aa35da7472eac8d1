"""Rules (the batches of an epoch): which examples each update of an epoch takes.

An epoch of N examples in batches of k is ⌈N/k⌉ updates, the last one smaller when k does not
divide N (PyTorch's DataLoader with drop_last=False): stochastic descent is k = 1, batch
descent k = N. The examples are taken in order, or in a new order each epoch drawn from the
seeded generator a source's code used, one generator for the whole run:

    numpy-rng   rng = np.random.default_rng(seed); each epoch rng.permutation(N)
    numpy       np.random.seed(seed) once; each epoch np.random.permutation(N)
    python      random.seed(seed) once; each epoch random.shuffle(order), order = [0, …, N − 1]

Each is the generator's own call, so the orders are the ones the source's code made (a test
calls each library as the source would).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

Permute = Callable[[int], list[int]]  # the next epoch's order of N examples


def _numpy_rng(seed: int) -> Permute:
    rng = np.random.default_rng(seed)
    return lambda n: [int(i) for i in rng.permutation(n)]


def _numpy(seed: int) -> Permute:
    rs = np.random.RandomState(seed)  # what np.random.seed(seed) seeds
    return lambda n: [int(i) for i in rs.permutation(n)]


def _python(seed: int) -> Permute:
    r = random.Random(seed)

    def permute(n: int) -> list[int]:
        order = list(range(n))
        r.shuffle(order)
        return order

    return permute


@dataclass(frozen=True)
class Shuffle:
    make: Callable[[int], Permute]
    said: str  # how the source's code draws an epoch's order, for the page: {seed}


SHUFFLES: dict[str, Shuffle] = {
    "numpy-rng": Shuffle(
        _numpy_rng, "rng = np.random.default_rng({seed}), then rng.permutation(N) each epoch"
    ),
    "numpy": Shuffle(_numpy, "np.random.seed({seed}), then np.random.permutation(N) each epoch"),
    "python": Shuffle(_python, "random.seed({seed}), then random.shuffle(order) each epoch"),
}


@dataclass(frozen=True)
class Batching:
    """How an epoch is cut: `size` examples an update (0: all of them), in order or shuffled
    by `shuffle` (a row of SHUFFLES, "" in order) from `seed`; `reduction`, how an update
    combines its examples' gradients and an epoch its losses, mean or sum."""

    size: int = 1
    shuffle: str = ""
    seed: int = 0
    reduction: str = "mean"

    def epochs(self, n: int) -> Iterator[tuple[int, ...]]:
        """Each epoch's order of the n examples, from epoch 1 on, one at a time."""
        permute = SHUFFLES[self.shuffle].make(self.seed) if self.shuffle else None
        while True:
            yield tuple(permute(n)) if permute else tuple(range(n))

    def batches(self, order: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
        """An epoch's order cut into its updates' batches."""
        k = self.size or len(order)
        return tuple(order[i : i + k] for i in range(0, len(order), k))

    def first(self, n: int) -> tuple[int, ...]:
        """The examples of the first update, the batch a page works in full."""
        return self.batches(next(self.epochs(n)))[0]

    def second(self, n: int) -> int | None:
        """The row (from 0) the second update of epoch 1 meets first: its parameters are the
        first update's results. None: the first update ends the epoch."""
        batches = self.batches(next(self.epochs(n)))
        return batches[1][0] if len(batches) > 1 else None

    @property
    def summed(self) -> bool:
        return self.reduction == "sum"


IN_ORDER = Batching()
