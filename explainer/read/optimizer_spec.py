"""Stage 1, load (an optimizer): `optimizer` and its settings in a scenario's [training], for a
network and a graph alike.

    [training]
    optimizer = "adam"        # a row of rules/optimizers.OPTIMIZERS (default "sgd")
    beta1 = 0.9               # a setting the optimizer reads (see Settings), or a penalty:
    weight_decay = 0.01       # weight_decay and l1 go with every optimizer
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from explainer.foundation.errors import ScenarioError
from explainer.read.reader import Reader
from explainer.rules.optimizers import OPTIMIZERS, PENALTIES, Settings

KEYS = ("optimizer", *(f.name for f in dataclasses.fields(Settings)))
SETTINGS = KEYS[1:]
PENALIZING = frozenset(x.setting for x in PENALTIES)  # settings every optimizer takes
_FRACTION = (lambda x: 0 <= x < 1, "a number from 0 up to (not including) 1")  # a decay
# Each numeric setting's range, as (holds, what it expects in words); the others are booleans.
RANGES: dict[str, tuple[Callable[[float], bool], str]] = {
    "momentum": _FRACTION,
    "beta1": _FRACTION,
    "beta2": _FRACTION,
    "alpha": _FRACTION,
    "epsilon": (lambda x: x > 0, "a number above 0"),
    "weight_decay": (lambda x: x >= 0, "a number of 0 or more"),
    "l1": (lambda x: x >= 0, "a number of 0 or more"),
}


def read(training: Reader, ascent: bool = False) -> tuple[str, Settings]:
    """The optimizer's name and settings: a setting the optimizer does not read is refused (a
    penalty, weight_decay or l1, goes with every one), as is an optimizer or a penalty on an
    objective climbed (`ascent`)."""
    name = training.get("optimizer", training.choice(tuple(OPTIMIZERS)), "sgd")
    opt = OPTIMIZERS[name]
    values: dict[str, Any] = {}  # float, or bool (bias_correction)
    for key in SETTINGS:
        if key not in training.table:
            continue
        if key not in PENALIZING and key not in opt.settings:
            users = [o.name for o in OPTIMIZERS.values() if key in o.settings]
            raise ScenarioError(
                training.file,
                training.key(key),
                f"only with optimizer {' or '.join(users)}",
                f"optimizer {name}",
            )
        if key not in RANGES:
            values[key] = training.get(key, training.boolean)
            continue
        x = training.get(key, training.number)
        holds, expected = RANGES[key]
        if not holds(x):
            raise ScenarioError(training.file, training.key(key), expected, repr(x))
        values[key] = x
    penalties = [k for k in PENALIZING if values.get(k)]
    if ascent and (name != "sgd" or penalties):
        raise ScenarioError(
            training.file,
            training.key("optimizer" if name != "sgd" else sorted(penalties)[0]),
            "plain gradient ascent (sgd, no weight_decay or l1) on an objective climbed",
            name if name != "sgd" else "sgd with a penalty",
        )
    return name, Settings(**values)


def plain(name: str, h: Settings) -> bool:
    """Plain gradient descent: p ← p − η·g, no state and no penalty."""
    return name == "sgd" and not h.penalized
