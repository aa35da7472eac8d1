"""Stage 4, evaluate: lines of the backward pass, each computed on first use and settled once.

One evaluator for both forms' derivations. A line is a local factor (a form evaluated at the
values in `seen`) or a sum of products of other lines; in on-paper arithmetic each is rounded
once, where the page prints it: a network's chain equation is the product of its printed
factors rounded once (as Mazur computes ∂E/∂w5), a circuit's share upstream × local is rounded,
and each addition of a wire's shares. `seen` is the caller's to change between lines (a
sequential update moves a parameter there, and every form evaluated after reads it).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar

from explainer.evaluate.arithmetic import Arithmetic, value

Number = Any
K = TypeVar("K", bound=Hashable)
Fault = Callable[[Any, ArithmeticError], Exception]  # a line's fault → the error that names it
Check = Callable[[Any, Number], Number]  # a line's settled value, refused (raised) or passed on


def _as_it_is(_: Any, x: Number) -> Number:
    return x


class Settled(Generic[K]):
    """The lines' values by key, in the order they were first computed (`values`)."""

    def __init__(
        self,
        ar: Arithmetic,
        seen: dict[str, Number],
        forms: Mapping[K, Any],
        terms: Mapping[K, tuple[tuple[K, ...], ...]],
        fault: Fault,
        check: Check = _as_it_is,
        carried: Mapping[K, Number] | None = None,
        raw: frozenset[K] = frozenset(),
    ) -> None:
        self.seen = seen
        self.values: dict[K, Number] = {}
        self._ar, self._forms, self._terms = ar, forms, terms
        self._fault, self._check = fault, check
        self._carried = carried or {}
        self._raw = raw  # forms held as the arithmetic makes them, not settled (the seed 1)

    def get(self, k: K) -> Number:
        try:
            return self.values[k]
        except KeyError:
            pass
        try:
            v = self._computed(k)
        except ArithmeticError as e:  # a line's own fault (one in a line it reads is named there)
            raise self._fault(k, e) from None
        self.values[k] = v
        return v

    def _computed(self, k: K) -> Number:
        if k in self._carried:
            return self._carried[k]
        ar = self._ar
        if k in self._forms:
            v = value(self._forms[k], self.seen, ar)
            return v if k in self._raw else self._check(k, ar.settle(v))
        terms = self._terms[k]
        if len(terms) == 1 and len(terms[0]) == 1:  # another line's value by name
            return self.get(terms[0][0])
        return self._check(k, ar.settle(sum_of_products(terms, self.get)))


def sum_of_products(terms: tuple[tuple[K, ...], ...], get: Callable[[K], Number]) -> Number:
    """Σ over terms of the product of each term's factors, folded left to right."""
    total = None
    for term in terms:
        product = get(term[0])
        for factor in term[1:]:
            product = product * get(factor)
        total = product if total is None else total + product
    return total
