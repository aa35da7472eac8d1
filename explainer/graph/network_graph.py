"""Stage 2, build (a network as a graph): a layered network's nodes as one circuit, from which
its training step is generated (graph_step.py) as for any graph.

Every quantity of the network is a wire: its inputs, parameters and targets are the leaves (in
the order the network computes with them), each weighted sum, activation, loss term and the
loss a gate whose value is the node's own sympy expression. A neuron's activation with a row in
the operations table (sigmoid, tanh, ReLU) is a gate of that operation, so that its local
derivative is the textbook one in its own output, σ′ = σ(1 − σ); every other node is one gate
differentiated by sympy; a loss with a row there (the binary cross-entropy) is a gate of it too,
its derivative the textbook (o − t)/(o(1 − o)). The gate of a node keeps the node's key, so the circuit's JSON keys
(`out_h1`, `dE_total/dw5`, `dnet_o1/dout_h1`) are the network's own. The objective is the
loss; a source that climbs its objective (gradient ascent on P) is descended on −P by the
caller.
"""

from __future__ import annotations

import sympy as sp

from explainer.graph.circuit import Circuit, Gate
from explainer.graph.network import Network, Node
from explainer.rules.operations import OPERATIONS


def circuit(net: Network) -> Circuit:
    example = dict(net.example)
    values = {p.key: p.value for p in net.params} | example
    leaves = tuple((n.key, float(values[n.key])) for n in net.nodes if n.expr is None)
    gates = tuple(_gate(net, n.key) for n in net.nodes if n.expr is not None)
    return Circuit(leaves, gates, net.loss, ())


def _gate(net: Network, key: str) -> Gate:
    node = net.node(key)
    assert node.expr is not None
    if node.kind == "out":
        neuron = net.neuron(node.neuron or "")
        if _own_gate(neuron.activation):  # the operation's own gate: its textbook rule
            arg = sp.Symbol(neuron.net)
            return Gate(key, neuron.activation, (arg,), node.expr, True, key)
        if neuron.rule.over_layer:  # a softmax: a node of the layer's nets, its Jacobian's rows
            return _over_layer(net, key)
    term = _term_of(net, node)
    if term is not None and net.loss_rule in OPERATIONS:  # a loss with a row: its own rule
        target, out = term
        return Gate(key, net.loss_rule, (sp.Symbol(target), sp.Symbol(out)), node.expr, True, key)
    # the node's inputs in the order the network lists its nodes, each once
    order = {n.key: i for i, n in enumerate(net.nodes)}
    inputs = sorted((s.name for s in node.expr.free_symbols), key=order.__getitem__)
    return Gate(key, "node", tuple(sp.Symbol(n) for n in inputs), node.expr, True, key)


def _over_layer(net: Network, key: str) -> Gate:
    """out_i of an activation over its layer, a gate fed by every net of the layer, with the
    textbook entries ∂out_i/∂net_j: out_i(1 − out_i) for j = i, −out_i·out_j else."""
    node = net.node(key)
    neuron = net.neuron(node.neuron or "")
    act, layer = neuron.rule, [net.neuron(n) for n in net.layers[neuron.layer]]
    assert node.expr is not None and act.cross is not None
    out = sp.Symbol(key)
    forms = tuple(
        act.derivative(sp.Symbol(k.net), out) if k is neuron else act.cross(out, sp.Symbol(k.out))
        for k in layer
    )
    nets = tuple(sp.Symbol(k.net) for k in layer)
    return Gate(key, "node", nets, node.expr, True, key, forms)


def _own_gate(activation: str) -> bool:
    """An activation with a row of one operand in the operations table (sigmoid, tanh, ReLU,
    softplus, GELU); leaky ReLU's and ELU's rows there take their parameter as an operand."""
    op = OPERATIONS.get(activation)
    return op is not None and op.arity == 1


def _term_of(net: Network, node: Node) -> tuple[str, str] | None:
    """(target, output) where the node is one output's term of the loss: a named term, or the
    loss itself when there is one output and no named terms."""
    if node.kind == "term":
        n = net.neuron(node.neuron or "")
    elif node.kind == "loss" and not any(x.kind == "term" for x in net.nodes):
        outputs = [x for x in net.neurons if x.target]
        if len(outputs) != 1:
            return None
        n = outputs[0]
    else:
        return None
    return (n.target, n.out) if n.target else None
