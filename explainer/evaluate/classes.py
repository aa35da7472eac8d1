"""Stage 4, evaluate (classes): what a trained classifier predicts for each example of its
training set, and how many it gets right. A network is a classifier where its targets are class
labels, one rule per kind of label (no classes otherwise: a regression has none):

    one output, every target 0 or 1   → class [out ≥ 0.5]          (a sigmoid's yes or no)
    several outputs, each target one-hot → class argmax_j out_j    (the first on a tie)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

Row = Sequence[float]


def _binary(targets: Sequence[Row]) -> bool:
    return all(len(t) == 1 and t[0] in (0, 1) for t in targets)


def _one_hot(targets: Sequence[Row]) -> bool:
    return all(len(t) > 1 and sorted(t) == [0] * (len(t) - 1) + [1] for t in targets)


def _threshold(row: Row) -> int:
    return int(row[0] >= 0.5)


def _argmax(row: Row) -> int:
    return max(range(len(row)), key=lambda j: (row[j], -j))  # the first of equal ones


@dataclass(frozen=True)
class Rule:
    applies: Callable[[Sequence[Row]], bool]
    classify: Callable[[Row], int]
    says: str  # the rule in words, for the page


RULES = (
    Rule(_binary, _threshold, "class 1 where the output is at least 0.5, else class 0"),
    Rule(_one_hot, _argmax, "the class of the largest output (argmax)"),
)


@dataclass(frozen=True)
class Classes:
    rule: Rule
    predicted: tuple[int, ...]  # per example, in the training set's order
    wanted: tuple[int, ...]  # the targets' classes

    @property
    def right(self) -> int:
        return sum(p == w for p, w in zip(self.predicted, self.wanted, strict=True))

    @property
    def accuracy(self) -> float:
        return self.right / len(self.wanted)


def classes(targets: Sequence[Row], outputs: Sequence[Row]) -> Classes | None:
    """Each example's predicted and wanted class, or None where the targets are no labels."""
    rule = next((r for r in RULES if targets and r.applies(targets)), None)
    if rule is None:
        return None
    return Classes(
        rule,
        tuple(rule.classify(o) for o in outputs),
        tuple(rule.classify(t) for t in targets),
    )
