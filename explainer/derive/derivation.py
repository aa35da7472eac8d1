"""Stage 3, derive: Network → Derivation, the chain rule for every trained parameter.

Backpropagation, layer by layer from the loss (L below; E_total in Mazur's notation):
    ∂L/∂out_j = ∂L/∂out_j                           (output neuron: a local derivative of L)
    ∂L/∂out_j = Σ_k ∂L/∂net_k · ∂net_k/∂out_j        (hidden neuron: sum over every path, k in
                                                      the next layer)
    ∂L/∂net_j = ∂L/∂out_j · ∂out_j/∂net_j            (the neuron's error signal, δ_j)
    ∂L/∂p     = Σ_j ∂L/∂out_j · ∂out_j/∂net_j · ∂net_j/∂p   (j: the neurons that use p; one for
                                                      a weight, several for a shared bias)
Where the loss has named per-output terms (E_total = E_o1 + E_o2), the share of a hidden path
through output k is named ∂E_k/∂out_j, as Mazur writes it; it equals the E_total form because
only E_k depends on out_k. Each local factor is `sympy.diff` of one node's own expression, shown
in the textbook form of the rule tables. No numbers here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from explainer.graph.network import Network, Neuron, sym
from explainer.rules.activations import (
    LOSSES,
    SCORE,
    Activation,
    loss_derivative,
    loss_derivative_steps,
    loss_term,
    output_derivative,
)


@dataclass(frozen=True)
class Partial:
    """∂of/∂by, named by node keys."""

    of: str
    by: str

    @property
    def key(self) -> str:
        return f"d{self.of}/d{self.by}"


@dataclass(frozen=True)
class Local:
    """A derivative of one node's own expression with respect to one of its direct inputs."""

    partial: Partial
    expression: sp.Expr  # the node's expression being differentiated (unevaluated, for display)
    derived: sp.Expr  # sympy.diff of that expression
    textbook: sp.Expr  # the form shown; equal to `derived` (proved in tests)
    steps: tuple[sp.Expr, ...]  # intermediate forms between the expression and the textbook form
    rule: str  # the activation or loss name, or "linear"


@dataclass(frozen=True)
class Equation:
    """partial = Σ over terms of the product of a term's factors.

    kind: "chain" (one term), "sum" (several paths), "alias" (the same quantity named by the
    per-output loss term, one term of one factor).
    """

    partial: Partial
    terms: tuple[tuple[Partial, ...], ...]
    kind: str


@dataclass(frozen=True)
class NeuronBlock:
    neuron: str
    defines: tuple[Partial, ...]  # in the order a reader meets them
    gradients: tuple[Partial, ...]  # ∂L/∂p for the parameters only this neuron uses


@dataclass(frozen=True)
class LayerBlock:
    layer: int
    neurons: tuple[NeuronBlock, ...]
    shared: tuple[Partial, ...]  # ∂L/∂p for parameters several neurons use (a shared bias)


@dataclass(frozen=True)
class Derivation:
    locals: tuple[Local, ...]
    equations: tuple[Equation, ...]  # each defined after everything it uses
    layers: tuple[LayerBlock, ...]  # output layer first
    gradients: tuple[tuple[str, Partial], ...]  # parameter key → ∂L/∂p, in declared order

    @cached_property
    def _locals(self) -> dict[Partial, Local]:
        return {x.partial: x for x in self.locals}

    @cached_property
    def _equations(self) -> dict[Partial, Equation]:
        return {x.partial: x for x in self.equations}

    def local(self, p: Partial) -> Local | None:
        return self._locals.get(p)

    def equation(self, p: Partial) -> Equation | None:
        return self._equations.get(p)


X = sp.Symbol("x")


@functools.cache
def _slope(rule: Activation) -> sp.Expr:
    """sympy.diff of an activation, once per activation (not once per neuron)."""
    return sp.diff(rule.forward(X), X)


T = sp.Symbol("t")


@functools.cache
def _loss_slope(rule: str, outputs: int, residual: str) -> sp.Expr:
    """sympy.diff of one output's term of the loss by that output, once per loss (every output's
    term has the same form; the other terms do not hold it)."""
    term = loss_term(LOSSES[rule], outputs, residual, T, X)
    return sp.diff(term.doit(), X)


def _linear(n: Neuron, by: str) -> sp.Expr:
    """∂net/∂by of net = Σ_k w_k·s_k + β·b, by the rule for a sum of products (a test proves it
    equals sympy.diff): a weight gives its source, a source its weight, the bias its constant."""
    if by in n.weights:
        return sym(n.sources[n.weights.index(by)])
    if by in n.sources:
        return sym(n.weights[n.sources.index(by)])
    if by == n.bias:
        return sp.Integer(n.bias_input)
    return sp.S.Zero


class _Builder:
    def __init__(self, net: Network):
        self.net = net
        self.locals: dict[Partial, Local] = {}
        self.equations: dict[Partial, Equation] = {}

    def local(self, of: str, by: str) -> Partial:
        p = Partial(of, by)
        if p not in self.locals:
            self.locals[p] = self._derive(p)
        return p

    def equation(self, p: Partial, terms: list[tuple[Partial, ...]], kind: str) -> Partial:
        self.equations.setdefault(p, Equation(p, tuple(terms), kind))
        return p

    def _derive(self, p: Partial) -> Local:
        net = self.net
        node = net.node(p.of)
        if node.kind == "out":
            neuron = net.neuron(node.neuron or "")
            act = neuron.rule
            if act.over_layer:
                return self._over_layer(p, neuron)
            x, y = sym(neuron.net), sym(neuron.out)
            return Local(
                p,
                node.display,
                _slope(act).xreplace({X: x}),
                act.derivative(x, y),
                act.steps(x),
                act.name,
            )
        if node.kind == "loss":
            return self._loss_local(p)
        if node.kind == "net":
            derived = _linear(net.neuron(node.neuron or ""), p.by)
            return Local(p, node.display, derived, derived, (), "linear")
        raise ValueError(f"no local derivative of {node.kind} node {p.of}")

    def _over_layer(self, p: Partial, neuron: Neuron) -> Local:
        """∂out_i/∂net_j of a softmax: out_i(1 − out_i) for j = i, −out_i·out_j for j ≠ i (the
        Jacobian's entries, each a function of the outputs)."""
        act = neuron.rule
        layer = [self.net.neuron(n) for n in self.net.layers[neuron.layer]]
        i = next(k for k, n in enumerate(layer) if n.out == p.of)
        j = next(k for k, n in enumerate(layer) if n.net == p.by)
        node = self.net.node(p.of)
        assert node.expr is not None and act.cross is not None
        out_i, out_j = sym(layer[i].out), sym(layer[j].out)
        textbook = act.derivative(sym(p.by), out_i) if i == j else act.cross(out_i, out_j)
        nets = tuple(sym(n.net) for n in layer)
        return Local(
            p,
            node.display,
            sp.diff(node.expr, sym(p.by)),
            textbook,
            act.layer_steps(nets, i, j) if act.layer_steps else (),
            act.name,
        )

    def _loss_local(self, p: Partial) -> Local:
        """∂L/∂out_k: the loss with its named terms written out, differentiated by out_k."""
        net = self.net
        outputs = net.outputs
        neuron = next(n for n in outputs if n.out == p.by)
        expression = self._written_loss()
        loss = LOSSES[net.loss_rule]
        t, o = sym(neuron.target or ""), sym(neuron.out)
        if loss.layer_derivative:  # every output's term holds out_k: the whole loss differentiated
            ts, os = (tuple(sym(getattr(n, a) or "") for n in outputs) for a in ("target", "out"))
            k = outputs.index(neuron)
            # through the true class's score too: s_y written out before differentiating
            whole = net.node(net.loss).expr
            score = net.node(SCORE).expr
            assert whole is not None and score is not None
            return Local(
                p,
                expression,
                sp.diff(whole.xreplace({sym(SCORE): score}), o),
                output_derivative(loss, net.residual, ts, os, k),
                (),
                loss.name,
            )
        return Local(
            p,
            expression,
            _loss_slope(net.loss_rule, len(outputs), net.residual).xreplace({T: t, X: o}),
            loss_derivative(loss, len(outputs), net.residual, t, o),
            loss_derivative_steps(loss, len(outputs), net.residual, t, o, outputs.index(neuron)),
            loss.name,
        )

    @functools.cache  # noqa: B019  (one builder per derivation: freed with it)
    def _written_loss(self) -> sp.Expr:
        """The loss with its named terms (E_o1, …) written out, once for every output."""
        net = self.net
        expression = net.node(net.loss).display
        assert expression is not None  # the loss node always has an expression
        terms = {sym(n.term): net.node(n.term).display for n in net.outputs if n.term}
        return expression.xreplace(terms) if terms else expression

    def neuron_block(self, n: Neuron, next_layer: tuple[Neuron, ...]) -> NeuronBlock:
        loss = self.net.loss
        defines: list[Partial] = []
        upstream = Partial(loss, n.out)
        if n.target:
            defines.append(self.local(loss, n.out))
        else:
            terms: list[tuple[Partial, ...]] = []
            for k in next_layer:
                via = self.local(k.net, n.out)
                # the share through output k is E_k's alone unless k's output depends on
                # every net of its layer (a softmax: every E_i depends on net_k)
                if k.term and not k.rule.over_layer:
                    alias = self.equation(
                        Partial(k.term, k.net), [(Partial(loss, k.net),)], "alias"
                    )
                    named = self.equation(Partial(k.term, n.out), [(alias, via)], "chain")
                    defines += [alias, named]
                    terms.append((named,))
                else:
                    terms.append((Partial(loss, k.net), via))
            defines.append(self.equation(upstream, terms, "sum" if len(terms) > 1 else "chain"))
        chain_head = [upstream]
        if n.rule.over_layer:  # ∂L/∂net_j = Σ_i ∂L/∂out_i · ∂out_i/∂net_j, over the layer
            layer = [self.net.neuron(k) for k in self.net.layers[n.layer]]
            defines += [self.local(loss, k.out) for k in layer if k is not n]
            terms_ = [(Partial(loss, k.out), self.local(k.out, n.net)) for k in layer]
            defines += [f for _, f in terms_]
            defines.append(self.equation(Partial(loss, n.net), list(terms_), "sum"))
            chain_head = [Partial(loss, n.net)]
        elif n.has_net:
            act = self.local(n.out, n.net)
            defines.append(act)
            defines.append(self.equation(Partial(loss, n.net), [(upstream, act)], "chain"))
            chain_head.append(act)
        mine = [
            k
            for k in (*n.weights, *((n.bias,) if n.bias else ()))
            if self.net.param(k).trained and len(self.net.consumers(k)) == 1
        ]
        return NeuronBlock(
            n.name,
            tuple(dict.fromkeys(defines)),
            tuple(self.gradient(k, chain_head_of=[n]) for k in mine),
        )

    def gradient(self, key: str, chain_head_of: list[Neuron]) -> Partial:
        """∂L/∂p = Σ_j ∂L/∂out_j · ∂out_j/∂net_j · ∂net_j/∂p over the neurons j that use p."""
        loss = self.net.loss
        terms = []
        for j in chain_head_of:
            head = (
                [Partial(loss, j.net)]
                if j.rule.over_layer
                else [Partial(loss, j.out)] + ([Partial(j.out, j.net)] if j.has_net else [])
            )
            terms.append((*head, self.local(j.net, key)))
        return self.equation(Partial(loss, key), terms, "sum" if len(terms) > 1 else "chain")


def derive(net: Network) -> Derivation:
    b = _Builder(net)
    trained_layers = [p.layer for p in net.trained]
    lowest = min(trained_layers, default=len(net.layers))
    blocks: list[LayerBlock] = []
    next_layer: tuple[Neuron, ...] = ()
    for li in range(len(net.layers) - 1, lowest - 1, -1):
        layer = tuple(net.neuron(n) for n in net.layers[li])
        neuron_blocks = tuple(b.neuron_block(n, next_layer) for n in layer)
        shared = tuple(
            b.gradient(p.key, list(net.consumers(p.key)))
            for p in net.params
            if p.layer == li and p.trained and len(net.consumers(p.key)) > 1
        )
        blocks.append(LayerBlock(li, neuron_blocks, shared))
        next_layer = layer
    gradients = tuple((p.key, Partial(net.loss, p.key)) for p in net.trained)
    return Derivation(
        tuple(b.locals.values()), tuple(b.equations.values()), tuple(blocks), gradients
    )


def cancellations(d: Derivation, distribution: tuple[str, ...] = ()) -> dict[Partial, sp.Expr]:
    """Chains whose product of textbook factors cancels to something much simpler, and what it
    cancels to: cross-entropy after a sigmoid, (o − t)/(o(1 − o)) · o(1 − o) = o − t. Much
    simpler: at most half the operations, and not a bare number. `distribution`: targets that
    sum to 1 (a softmax's classes), under which a sum over the layer may collapse too:
    Σ_i (−t_i/out_i)·∂out_i/∂net_j = out_j·Σ_i t_i − t_j = out_j − t_j."""
    found = {}
    for eq in d.equations:
        if any(d.local(f) is None for term in eq.terms for f in term):
            continue
        if len(eq.terms) > 1:
            if distribution and (collapsed := _collapsed(d, eq, distribution)) is not None:
                found[eq.partial] = collapsed
            continue
        factors = [d._locals[f].textbook for f in eq.terms[0]]
        if not any(_divides(x) for x in factors):  # nothing to cancel against: skip sympy
            continue
        product = sp.Mul(*factors, evaluate=False)
        simplified = sp.factor(sp.cancel(product.doit()))
        if not simplified.is_Number and 2 * sp.count_ops(simplified) <= sp.count_ops(product):
            found[eq.partial] = simplified
    return found


def _collapsed(d: Derivation, eq: Equation, targets: tuple[str, ...]) -> sp.Expr | None:
    """A sum of chains, with one target written as 1 minus the others (they sum to 1): the
    simplest of these forms, where it is much simpler than the sum."""
    total = sp.Add(*(sp.Mul(*(d._locals[f].textbook for f in term)) for term in eq.terms))
    total = sp.cancel(total.doit())
    ts = [sym(t) for t in targets]
    forms = [
        sp.factor(sp.cancel(total.subs(t, 1 - sp.Add(*(u for u in ts if u is not t))))) for t in ts
    ]
    best = min(forms, key=sp.count_ops)
    if best.is_Number or 2 * sp.count_ops(best) > sp.count_ops(total):
        return None
    return best


def _divides(expr: sp.Basic) -> bool:
    """A factor with a denominator, the only kind a product can cancel against (a power with
    a negative exponent somewhere in it)."""
    return any(isinstance(x, sp.Pow) and x.exp.is_negative for x in sp.preorder_traversal(expr))
