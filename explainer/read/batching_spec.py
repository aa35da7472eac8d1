"""Stage 1, load (how an epoch is cut): `mode`, `batch_size`, `shuffle`, `shuffle_seed` and
`reduction` in a scenario's [training], for a network's training set and a graph's alike
(rules/batching.py cuts the epochs).

    [training]
    batch_size = 2              # mini-batches of 2 (mode = "minibatch", which it implies)
    shuffle = "numpy-rng"       # a new order each epoch from this generator, seeded with
    shuffle_seed = 0
    reduction = "mean"          # an update's gradient the mean of its examples' (or "sum")
"""

from __future__ import annotations

from explainer.foundation.errors import ScenarioError
from explainer.read.reader import Reader
from explainer.rules.batching import SHUFFLES, Batching

MODES = ("stochastic", "batch", "minibatch")
REDUCTIONS = ("mean", "sum")
KEYS = ("batch_size", "shuffle", "shuffle_seed", "reduction")


def read(training: Reader, n: int) -> tuple[str, Batching]:
    """`mode` and how its epochs are cut: batch_size (a mini-batch's, mode = "minibatch", which
    a batch_size alone implies), shuffle and shuffle_seed (a new order each epoch), reduction
    (an update's gradient the mean or the sum of its examples'). Each needs a training set;
    a batch of every example takes no shuffle (its mean is the same in any order)."""
    given = [k for k in KEYS if k in training.table]
    implied = "minibatch" if "batch_size" in training.table else "stochastic"
    mode = training.get("mode", training.choice(MODES), implied)
    if given and not n:
        raise ScenarioError(
            training.file, training.key(given[0]), "a training set ([data])", "one example"
        )
    size = {"stochastic": 1, "batch": 0}.get(mode)
    if size is not None and "batch_size" in training.table:
        raise ScenarioError(
            training.file,
            training.key("batch_size"),
            'mode = "minibatch" (or no mode)',
            f"mode {mode}",
        )
    if size is None:
        if "batch_size" not in training.table:
            raise ScenarioError(
                training.file, training.key("batch_size"), "a batch size for mode minibatch", "none"
            )
        size = training.get("batch_size", training.count(1, n))
    shuffle = training.get("shuffle", training.choice(tuple(SHUFFLES)), "")
    if shuffle and mode == "batch":
        raise ScenarioError(
            training.file,
            training.key("shuffle"),
            "no shuffle with mode batch (one update from every example: any order gives it)",
            shuffle,
        )
    if shuffle and "shuffle_seed" not in training.table:
        raise ScenarioError(
            training.file,
            training.key("shuffle_seed"),
            f"the seed {shuffle} is seeded with",
            "none",
        )
    if "shuffle_seed" in training.table and not shuffle:
        raise ScenarioError(
            training.file, training.key("shuffle"), "the generator the seed seeds", "none"
        )
    seed = training.get("shuffle_seed", training.count(0, 2**32 - 1), 0)
    reduction = training.get("reduction", training.choice(REDUCTIONS), "mean")
    return mode, Batching(size, shuffle, seed, reduction)
