"""Stage 2, build: Scenario → Network, the computation graph as sympy symbols and expressions.

Every quantity is a node with a key (its JSON key and sympy symbol name) and, unless it is a
leaf, an expression in the symbols of the nodes that feed it directly, in declared order:
    net_j = Σ_k w_jk · x_k + b_j,    out_j = f(net_j),    E_j = c·(target_j − out_j)²,
    E_total = Σ_j E_j.
No derivatives and no numbers here beyond the scenario's initial values.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from explainer.read.scenario import Scenario, neuron_key
from explainer.rules.activations import (
    LOSSES,
    SCORE,
    Activation,
    activation,
    output_terms,
    true_score,
)


@functools.lru_cache(maxsize=65_536)
def sym(key: str) -> sp.Symbol:
    """The sympy symbol of a node: the same object for a key (sympy caches symbols too, but
    through its assumptions machinery, slowly)."""
    return sp.Symbol(key, real=True)


@dataclass(frozen=True)
class Param:
    key: str
    value: float
    trained: bool
    kind: str  # "weight" or "bias"
    layer: int


@dataclass(frozen=True)
class Neuron:
    name: str
    layer: int
    activation: str
    net: str  # key of the weighted sum; equals `out` when the activation is "none"
    out: str
    sources: tuple[str, ...]  # keys feeding the neuron, parallel to `weights`
    weights: tuple[str, ...]
    bias: str | None
    bias_input: int  # the constant the bias multiplies: 1, or −1 for a threshold
    bias_shared: bool  # one bias for the whole layer (drawn below it, not under each neuron)
    target: str | None  # output neurons only
    term: str | None  # this output's named share of the loss, if the loss has named terms
    setting: str | None = None  # the activation's parameter as written, None for its default

    @property
    def rule(self) -> Activation:
        return activation(self.activation, self.setting)

    @property
    def has_net(self) -> bool:
        return self.net != self.out


@dataclass(frozen=True)
class Node:
    key: str
    kind: str  # input | param | target | net | out | term | loss
    expr: sp.Expr | None  # evaluated sympy, for differentiation and evaluation
    display: sp.Expr | None  # the same, unevaluated, in the order a textbook writes it
    neuron: str | None = None


@dataclass(frozen=True)
class Network:
    """The computation graph of one scenario, with the values of its leaves; nothing about how
    it is trained (that is the Schedule)."""

    inputs: tuple[str, ...]
    params: tuple[Param, ...]
    neurons: tuple[Neuron, ...]
    layers: tuple[tuple[str, ...], ...]  # neuron names per layer, input side first
    nodes: tuple[Node, ...]  # topological order
    loss: str
    loss_rule: str  # the loss's row in LOSSES
    residual: str  # out − target or target − out, as the source writes the loss
    example: tuple[tuple[str, float], ...]  # the worked example's inputs and targets by key

    @cached_property
    def _index(self) -> tuple[dict[str, Node], dict[str, Neuron], dict[str, Param]]:
        return (
            {n.key: n for n in self.nodes},
            {n.name: n for n in self.neurons},
            {p.key: p for p in self.params},
        )

    def node(self, key: str) -> Node:
        return self._index[0][key]

    def neuron(self, name: str) -> Neuron:
        return self._index[1][name]

    def param(self, key: str) -> Param:
        return self._index[2][key]

    @property
    def outputs(self) -> tuple[Neuron, ...]:
        return tuple(self.neuron(n) for n in self.layers[-1])

    @property
    def trained(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.trained)

    def given(self, values: tuple[float, ...]) -> Network:
        """The same graph on another worked example: `values` of the inputs, then the targets
        (a derivation, symbolic, holds for both)."""
        keys = (k for k, _ in self.example)
        return dataclasses.replace(self, example=tuple(zip(keys, values, strict=True)))

    def consumers(self, key: str) -> tuple[Neuron, ...]:
        """Neurons whose weighted sum uses `key` (a source, a weight or a bias)."""
        return self._uses.get(key, ())

    @cached_property
    def _uses(self) -> dict[str, tuple[Neuron, ...]]:
        """Each key's consumers, in neuron order: one pass, not one scan per question."""
        uses: dict[str, list[Neuron]] = {}
        for n in self.neurons:
            for key in dict.fromkeys((*n.sources, *n.weights, *((n.bias,) if n.bias else ()))):
                uses.setdefault(key, []).append(n)
        return {k: tuple(v) for k, v in uses.items()}


_X = sp.Symbol("x", real=True)


@functools.cache
def _forward(rule: Activation) -> sp.Expr:
    """An activation of x, built once per activation (each neuron's is this with its net put in)."""
    return rule.forward(_X)


def build(s: Scenario) -> Network:
    params: list[Param] = []
    neurons: list[Neuron] = []
    nodes = [Node(k, "input", None, None) for k in s.inputs]
    sources = s.inputs
    last = len(s.layers) - 1
    for li, layer in enumerate(s.layers):
        act = layer.rule
        params += [
            Param(k, v, layer.train_weights, "weight", li)
            for names, values in zip(layer.weight_names, layer.weights, strict=True)
            for k, v in zip(names, values, strict=True)
        ]
        params += [
            Param(k, v, layer.train_biases, "bias", li)
            for k, v in zip(layer.bias_names, layer.biases, strict=True)
        ]
        outs = []
        for j, name in enumerate(layer.neurons):
            bias = layer.bias_names[0 if layer.bias == "shared" else j] if layer.biases else None
            out = neuron_key(s.names.out, name)
            net = neuron_key(s.names.net, name) if act.has_net else out
            is_out = li == last
            n = Neuron(
                name=name,
                layer=li,
                activation=layer.activation,
                setting=layer.setting,
                net=net,
                out=out,
                sources=sources,
                weights=layer.weight_names[j],
                bias=bias,
                bias_input=int(layer.bias_input),
                bias_shared=layer.bias == "shared",
                target=neuron_key(s.names.target, name) if is_out else None,
                term=neuron_key(s.names.loss_term, name) if is_out and s.names.loss_term else None,
            )
            neurons.append(n)
            products = [
                sp.Mul(sym(w), sym(x), evaluate=False)
                for w, x in zip(n.weights, n.sources, strict=True)
            ]
            if bias:
                # b·1, or θ·(−1) for a threshold modelled as a weight on a constant −1 input
                constant = sp.Integer(int(layer.bias_input))
                products.append(sp.Mul(sym(bias), constant, evaluate=False))
            weighted_sum = sp.Add(*products, evaluate=False)
            # the same canonical sum as weighted_sum.doit(), built directly (doit re-walks it)
            evaluated = sp.Add(*(sp.Mul(*p.args) for p in products))
            nodes.append(Node(net, "net", evaluated, weighted_sum, name))
            if act.has_net and not act.over_layer:
                f = _forward(act).xreplace({_X: sym(net)})
                nodes.append(Node(out, "out", f, f, name))
            outs.append(out)
        if act.layer is not None:  # softmax: every output a function of the layer's nets
            nets = tuple(sym(n.net) for n in neurons[-len(layer.neurons) :])
            for j, (n, out) in enumerate(zip(neurons[-len(layer.neurons) :], outs, strict=True)):
                f = act.layer(nets, j)
                nodes.append(Node(out, "out", f.doit(), f, n.name))
        sources = tuple(outs)
    nodes += _loss_nodes(s, [n for n in neurons if n.target])
    targets = [n.target or "" for n in neurons if n.target]
    return Network(
        inputs=s.inputs,
        params=tuple(params),
        neurons=tuple(neurons),
        layers=tuple(layer.neurons for layer in s.layers),
        nodes=tuple(_with_params(nodes, params, neurons)),
        loss=s.names.loss,
        loss_rule=s.loss,
        residual=s.residual,
        example=(
            *zip(s.inputs, s.input_values, strict=True),
            *zip(targets, s.targets, strict=True),
        ),
    )


def _loss_nodes(s: Scenario, outputs: list[Neuron]) -> list[Node]:
    loss = LOSSES[s.loss]
    nodes = [Node(n.target, "target", None, None, n.name) for n in outputs if n.target]
    targets, outs = tuple(sym(n.target or "") for n in outputs), tuple(sym(n.out) for n in outputs)
    if loss.layer_term:  # the true class's score s_y = Σ t_k·out_k, a node the terms share
        score = true_score(targets, outs)
        nodes.append(Node(SCORE, "score", score.doit(), score))
    each = output_terms(loss, s.residual, targets, outs)
    shown = output_terms(loss, s.residual, targets, outs, shown=True)
    terms = {n.name: term for n, term in zip(outputs, each, strict=True)}
    displays = {n.name: term for n, term in zip(outputs, shown, strict=True)}
    if outputs[0].term:
        nodes += [
            Node(n.term or "", "term", terms[n.name].doit(), displays[n.name], n.name)
            for n in outputs
        ]
        total = sp.Add(*(sym(n.term or "") for n in outputs), evaluate=False)
        shown_total = total
    else:
        total = sp.Add(*terms.values(), evaluate=False)
        shown_total = sp.Add(*displays.values(), evaluate=False)
    nodes.append(Node(s.names.loss, "loss", total.doit(), shown_total))
    return nodes


def _with_params(nodes: list[Node], params: list[Param], neurons: list[Neuron]) -> list[Node]:
    """Parameters as leaf nodes, placed just before the first node that uses them."""
    placed: list[Node] = []
    pending = [p.key for p in params]
    for node in nodes:
        if node.kind == "net":
            n = next(x for x in neurons if x.name == node.neuron)
            for k in (*n.weights, *((n.bias,) if n.bias else ())):
                if k in pending:
                    pending.remove(k)
                    placed.append(Node(k, "param", None, None))
        placed.append(node)
    return placed


def full_loss(net: Network) -> sp.Expr:
    """The loss with every intermediate node substituted: a function of inputs, parameters and
    targets only. Used by tests to check the chain rule against `sympy.diff` of the whole."""
    expr = sym(net.loss)
    for node in reversed(net.nodes):
        if node.expr is not None:
            expr = expr.subs(sym(node.key), node.expr)
    return expr
