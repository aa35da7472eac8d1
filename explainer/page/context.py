"""Stage 5, explain (context): what every section of the page reads, immutable.

The symbols of every node, the numbers ready to substitute, the digits shown, the notation, and
the equation numbers, computed up front from the derivation's order: the backward pass shows
each partial once, the local factors of a chain before the chain, so the numbering is a walk of
the derivation, not a counter bumped while the page is written. A sequential update shows the
layers below the output with the weights already updated; that is a new context per layer
(`after`), not a change to this one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from explainer.check.layered import Layered, LayeredResults
from explainer.derive.derivation import Derivation, Partial
from explainer.evaluate.worked import Evaluation
from explainer.foundation.precision import show
from explainer.graph.network import Network, sym
from explainer.page import notation
from explainer.read.scenario import SUMMARY_WIDTH, Scenario
from explainer.read.settings import Plan

# Where a partial is shown first: (layer, neuron or "" for a shared parameter, the partial the
# derivation lists there) → the partials newly shown at that place, in order.
Place = tuple[int, str, Partial]


@dataclass(frozen=True)
class Numbering:
    shows: Mapping[Place, tuple[Partial, ...]]
    tags: Mapping[Partial, str]  # equation number of each displayed partial
    first_rule: frozenset[Partial]  # activation derivatives derived step by step (once a rule)


def chain_numbering(d: Derivation, net: Network) -> Numbering:
    """The chain-rule profile: every partial of every layer block, locals before their chain."""
    shows: dict[Place, tuple[Partial, ...]] = {}
    order: dict[Partial, None] = {}
    for block in d.layers:
        for nb in block.neurons:
            for p in (*nb.defines, *nb.gradients):
                shows[(block.layer, nb.neuron, p)] = _visit(d, p, order)
        for p in block.shared:
            shows[(block.layer, "", p)] = _visit(d, p, order)
    return Numbering(shows, _tags(order), _first_rules(d, net, list(order)))


def _visit(d: Derivation, p: Partial, order: dict[Partial, None]) -> tuple[Partial, ...]:
    """The partials shown where p is listed: none if p is shown already; else the local
    factors of its equation not shown yet, then p. `order` (insertion-ordered) grows."""
    if p in order:
        return ()
    eq = d.equation(p)
    new = [p] if eq is None else [*(f for t in eq.terms for f in t if d.local(f)), p]
    shown = tuple(dict.fromkeys(q for q in new if q not in order))
    order.update(dict.fromkeys(shown))
    return shown


def delta_numbering(d: Derivation, net: Network) -> Numbering:
    """The delta profile: an activation's derivative, derived step by step the first time its
    rule is met, and the loss's derivative by the first output are the numbered displays."""
    order: list[Partial] = []
    rules: set[str] = set()
    for block in d.layers:
        for nb in block.neurons:
            n = net.neuron(nb.neuron)
            act = d.local(Partial(n.out, n.net)) if n.has_net else None
            if act is not None and act.rule not in rules and act.steps:
                order.append(act.partial)
            if act is not None:
                rules.add(act.rule)
            if n.out == net.outputs[0].out:  # the loss's derivative, derived once
                order.append(Partial(net.loss, n.out))
    return Numbering({}, _tags(order), frozenset(order))


def _tags(order: Iterable[Partial]) -> dict[Partial, str]:
    return {p: str(i) for i, p in enumerate(order, start=1)}


def _first_rules(d: Derivation, net: Network, order: list[Partial]) -> frozenset[Partial]:
    """The first activation derivative ∂out/∂net of each rule met in reading order: the one
    whose derivation is shown step by step."""
    first: dict[tuple[str, bool], Partial] = {}
    for p in order:
        x = d.local(p)
        if x is not None and net.node(p.of).kind == "out":
            # a softmax's entries by another output's net are derived once too
            own = net.neuron(net.node(p.of).neuron or "").net == p.by
            first.setdefault((x.rule, own), p)
    return frozenset(first.values())


@dataclass(frozen=True)
class Context:
    """One page's fixed facts, read by every section builder."""

    plan: Plan
    results: LayeredResults
    names: Mapping[sp.Symbol, str]  # node symbol → LaTeX
    numbers: Mapping[sp.Symbol, str]  # node symbol → its value at the worked step, as LaTeX
    numbering: Numbering
    chain: Derivation  # the derivation the page writes out: all of it, or the summary's part
    updated: Mapping[str, Any] = field(default_factory=dict)  # sequential: new values so far

    @property
    def summary(self) -> bool:
        """A network wider than SUMMARY_WIDTH: one neuron of each layer written out, the rest in
        tables."""
        return summarised(self.net)

    @property
    def highlight(self) -> str:
        """The parameter whose chain-rule paths the page shows: the scenario's choice, else
        the first trained weight ("" when no weight is trained)."""
        chosen = self.plan.scenario.highlight
        return chosen or next((p.key for p in self.net.trained if p.kind == "weight"), "")

    @property
    def hand_set(self) -> frozenset[str]:
        """The keys the page sets by hand ([example.fixed]) rather than computes."""
        s = self.plan.scenario
        return frozenset(k for k, _ in s.fixed) if s.fixed_on_page else frozenset()

    @property
    def scenario(self) -> Scenario:
        return self.plan.scenario

    @property
    def view(self) -> Layered:
        """The numbers of the layered view (the network's run, its training, its asides)."""
        return self.results.view

    @property
    def net(self) -> Network:
        return self.view.run.net

    @property
    def d(self) -> Derivation:
        return self.chain

    @property
    def ev(self) -> Evaluation:
        return self.view.run.evaluation

    @property
    def ordinary(self) -> bool:
        """Seed 001 writes d, not ∂: one weight, ordinary derivatives."""
        return self.plan.profile == "single-weight"

    def after(self, updates: Iterable[tuple[str, Any]]) -> Context:
        """This context with parameters shown as updated (w⁺ and its new value)."""
        return dataclasses.replace(self, updated={**self.updated, **dict(updates)})

    def sym(self, key: str) -> str:
        return self.names[sym(key)]

    def num(self, x: Any) -> str:
        return show(x, self.plan.digits).latex

    def factor_num(self, x: Any) -> str:
        return as_factor(self.num(x))

    def maps(self) -> tuple[dict[sp.Symbol, str], dict[sp.Symbol, str]]:
        """Symbol names and numbers, with parameters already updated shown as w⁺ and new values."""
        names, numbers = dict(self.names), dict(self.numbers)
        for key, new in self.updated.items():
            name = self.names[sym(key)]
            # w_{5}^{+} stacks the + over the index, as the update rows set w^{+}; a name with
            # its own superscript is braced first (no double superscript)
            names[sym(key)] = f"{{{name}}}^{{+}}" if "^" in name else f"{name}^{{+}}"
            numbers[sym(key)] = self.factor_num(new)
        return names, numbers

    def partial(self, p: Partial) -> str:
        return notation.partial(self.sym(p.of), self.sym(p.by), self.ordinary)

    def step_gradient(self, by: str) -> str:
        """The gradient an update takes, by the parameter `by` (LaTeX): ∂L/∂p, or in batch
        mode the mean over the examples, written with a bar."""
        g = notation.partial(self.sym(self.net.loss), by, self.ordinary)
        return rf"\overline{{{g}}}" if self.ev.batch else g

    def batch_mean(self) -> str:
        """Batch mode's mean gradient defined, in LaTeX: the bar is (1/N)·Σ_n over the examples'
        own losses, written L^{(n)}."""
        n, loss = len(self.ev.batch), self.sym(self.net.loss)
        each = notation.partial(f"{{{loss}}}^{{(n)}}", "w", self.ordinary)
        mean = "" if self.scenario.batching.summed else rf"\frac{{1}}{{{n}}} "
        return rf"{self.step_gradient('w')} = {mean}\sum_{{n=1}}^{{{n}}} {each}"

    def tag(self, p: Partial) -> str:
        return self.numbering.tags[p]

    def ref(self, p: Partial) -> str:
        """An equation's number, or (a summary's neurons not written out) the table of δ."""
        tag = self.numbering.tags.get(p)
        return f"({tag})" if tag else "the table of error signals"

    def value(self, p: Partial) -> Any:
        return self.ev.partial(p)


# A profile whose equations are a layer's at once numbers only what it derives once
NUMBERING = {"delta": delta_numbering, "matrix": delta_numbering}


def context(results: LayeredResults) -> Context:
    plan, run = results.plan, results.view.run
    assert isinstance(plan, Plan)  # a layered view is read from a network's plan
    net = run.net
    overrides = dict(plan.scenario.symbols)
    names = {sym(n.key): overrides.get(n.key, notation.default_symbol(n.key)) for n in net.nodes}
    d = written_out(run.chain, net)
    numbering = NUMBERING.get(plan.profile, chain_numbering)(d, net)
    numbers = {sym(k): as_factor(show(v, plan.digits).latex) for k, v in run.evaluation.nodes}
    return Context(plan, results, names, numbers, numbering, d)


def summarised(net: Network) -> bool:
    return max(len(net.inputs), *(len(layer) for layer in net.layers)) > SUMMARY_WIDTH


def written_out(d: Derivation, net: Network) -> Derivation:
    """The derivation a page writes out: all of it, or for a wide network the first neuron of
    each layer (its error signal and its parameters' gradients); every other value is still
    computed, and the page gives it in tables."""
    if not summarised(net):
        return d
    layers = tuple(
        dataclasses.replace(block, neurons=block.neurons[:1], shared=block.shared)
        for block in d.layers
    )
    return dataclasses.replace(d, layers=layers)


def as_factor(s: str) -> str:
    """A number as a factor of a product: a negative one in parentheses."""
    return rf"\left({s}\right)" if s.startswith("-") else s
