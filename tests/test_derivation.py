"""The chain rule as derived, the numbers as evaluated and the numpy training loop all agree with
independent computations, for the shipped scenarios and random networks (tests/networks.py).

(1) The gradient equation for each trained parameter, expanded factor by factor into the textbook
    forms and with every node substituted, equals sympy.diff of the whole loss.
(2) The evaluated gradients equal central finite differences of the forward pass (with sequential
    updates, only the output layer's: lower layers are differentiated through updated weights).
(3) `train` agrees with `Evaluation.updates` after one step and with three hand-made steps of
    build → derive → evaluate on scenarios carrying the updated parameters.
"""

from __future__ import annotations

import dataclasses
import zlib
from functools import cache
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

from explainer.derive.derivation import Derivation, Partial, derive
from explainer.evaluate.trainer import train
from explainer.evaluate.worked import ARITHMETIC, Evaluation, evaluate, forward
from explainer.graph.network import Network, build, full_loss, sym
from explainer.read.scenario import BIAS_MODES, UPDATE_ORDERS, Scenario
from explainer.read.scenario import load_network as load
from explainer.read.settings import schedule
from explainer.rules.activations import ACTIVATIONS, LOSSES, RESIDUALS
from tests import networks

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SHIPPED = ("mazur-2-2-2", "single-weight")
CASES = [f"shipped:{name}" for name in SHIPPED] + [f"random:{seed}" for seed in networks.SEEDS]
IDS = list(SHIPPED) + [networks.describe(seed) for seed in networks.SEEDS]
FLOAT64 = ARITHMETIC["float64"]
DIGITS = 30


@cache
def _scenario(case: str) -> Scenario:
    kind, name = case.split(":")
    return load(SCENARIOS / f"{name}.toml") if kind == "shipped" else networks.scenario(int(name))


@cache
def _net(case: str) -> tuple[Network, Derivation, Evaluation]:
    net = build(_scenario(case))
    d = derive(net)
    return net, d, evaluate(net, d, schedule(_scenario(case)))


cases = pytest.mark.parametrize("case", CASES, ids=IDS)


def test_random_networks_cover_every_rule() -> None:
    """Every differentiable activation, loss, residual order, bias mode and update order the
    package offers appears in some random network (a new rule must be added to
    tests/networks.py). A step-like activation's gradient is 0 everywhere: nothing to check."""
    scenarios = [_scenario(f"random:{seed}") for seed in networks.SEEDS]
    layers = [layer for s in scenarios for layer in s.layers]
    assert {layer.activation for layer in layers} == {
        name for name, a in ACTIVATIONS.items() if a.differentiable
    }
    assert {layer.bias for layer in layers} == set(BIAS_MODES)
    assert {layer.bias_input for layer in layers if layer.biases} == {1.0, -1.0}
    assert {(layer.train_weights, layer.train_biases) for layer in layers} == {
        (True, True),
        (True, False),
        (False, True),
        (False, False),
    }
    assert {s.loss for s in scenarios} == set(LOSSES)
    assert {s.residual for s in scenarios} == set(RESIDUALS)
    assert {s.update for s in scenarios} == set(UPDATE_ORDERS)
    assert {len(s.layers) for s in scenarios} == {1, 2, 3}
    assert any(s.names.loss_term == "" and len(s.targets) > 1 for s in scenarios)


# (1) the chain rule against sympy.diff of the whole loss ----------------------------------------


def _expand(d: Derivation, p: Partial) -> sp.Expr:
    """A partial as the derivation defines it: an equation's Σ of products, recursively, down to
    the local factors' textbook forms."""
    equation, local = d.equation(p), d.local(p)
    assert (equation is None) != (local is None), f"{p.key} must be exactly one of local/equation"
    if local is not None:
        return sp.sympify(local.textbook).doit()
    assert equation is not None and equation.terms, f"{p.key} has no terms"
    return sp.Add(*(sp.Mul(*(_expand(d, f) for f in term)) for term in equation.terms))


def _leaves(net: Network) -> set[sp.Symbol]:
    return {sym(n.key) for n in net.nodes if n.expr is None}


# sympy re-folds nested Piecewise (relu of relu) whenever a tree is rebuilt, which makes
# substitution take seconds; a stand-in function keeps each Piecewise opaque, and the numeric
# evaluation below gives it the Piecewise meaning: the first piece whose condition holds.
_PIECEWISE = sp.Function("PIECEWISE", real=True)


def _hide(expr: sp.Expr) -> sp.Expr:
    return expr.replace(
        lambda e: isinstance(e, sp.Piecewise),
        lambda e: _PIECEWISE(*(x for pair in e.args for x in pair)),
    )


def _piecewise(*args: object) -> object:
    for piece, condition in zip(args[::2], args[1::2], strict=True):
        if condition:
            return piece
    raise ValueError("no piece applies")


def _substitute(net: Network, expr: sp.Expr) -> sp.Expr:
    """Replace every node symbol by its expression, recursively, down to the leaves."""
    expanded: dict[sp.Symbol, sp.Expr] = {}
    for node in net.nodes:  # topological: each expression only uses earlier nodes
        if node.expr is not None:
            expanded[sym(node.key)] = _hide(node.expr).xreplace(expanded)
    return _hide(expr).xreplace(expanded)


def _points(net: Network, case: str) -> list[dict[str, float]]:
    """Values of the leaves: the scenario's own, then two random points near them."""
    s = _scenario(case)
    own = {p.key: p.value for p in net.params}
    own |= dict(zip(s.inputs, s.input_values, strict=True))
    own |= {n.target or "": t for n, t in zip(net.outputs, s.targets, strict=True)}
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    return [own] + [{k: v + float(rng.normal(0, 0.5)) for k, v in own.items()} for _ in range(2)]


def _at(exprs: list[sp.Expr], points: list[dict[str, float]]) -> list[list[mpmath.mpf]]:
    """Functions of the leaves only, evaluated at each point with 30 significant digits:
    result[i][j] is exprs[i] at points[j]."""
    leaves = sorted(set().union(*(e.free_symbols for e in exprs)), key=str)
    f = sp.lambdify(
        leaves, [_hide(e) for e in exprs], modules=[{"PIECEWISE": _piecewise}, "mpmath"], cse=True
    )
    with mpmath.workdps(DIGITS):
        values = [f(*(mpmath.mpf(point[x.name]) for x in leaves)) for point in points]
    return [[mpmath.mpf(v[i]) for v in values] for i in range(len(exprs))]


def _disagree(names: list[str], a: list[list[mpmath.mpf]], b: list[list[mpmath.mpf]]) -> list[str]:
    """Names whose two lists of values differ anywhere by more than 1e-25 (relative, or absolute
    below 1), with the values."""
    tolerance = mpmath.mpf(10) ** (5 - DIGITS)
    return [
        f"{name}: {[str(x) for x in xs]} vs {[str(y) for y in ys]}"
        for name, xs, ys in zip(names, a, b, strict=True)
        if any(abs(x - y) > tolerance * max(1, abs(y)) for x, y in zip(xs, ys, strict=True))
    ]


@cases
def test_chain_rule_equals_sympy_diff_of_the_whole_loss(case: str) -> None:
    net, d, _ = _net(case)
    whole = full_loss(net)
    leaves = _leaves(net)
    assert whole.free_symbols <= leaves
    assert [k for k, _ in d.gradients] == [p.key for p in net.trained]
    chains = [_substitute(net, _expand(d, partial)) for _, partial in d.gradients]
    for (_, partial), chain in zip(d.gradients, chains, strict=True):
        assert chain.free_symbols <= leaves, f"{partial.key} still uses {chain.free_symbols}"
    direct = [sp.diff(whole, sym(key)) for key, _ in d.gradients]
    points = _points(net, case)
    names = [partial.key for _, partial in d.gradients]
    values = _at(chains + direct, points)  # one lambdify: sympy's cse shares the subexpressions
    assert not _disagree(names, values[: len(names)], values[len(names) :])


@cases
def test_every_local_textbook_form_equals_its_derivative(case: str) -> None:
    net, d, _ = _net(case)
    textbook = [_substitute(net, sp.sympify(x.textbook).doit()) for x in d.locals]
    # sympy.diff of each node's own expression, here: independent of the rule tables
    derived = [
        _substitute(net, sp.diff(net.node(x.partial.of).expr, sym(x.partial.by)))
        if net.node(x.partial.of).kind == "net"
        else _substitute(net, x.derived)
        for x in d.locals
    ]
    points = _points(net, case)
    names = [x.partial.key for x in d.locals]
    values = _at(textbook + derived, points)
    assert not _disagree(names, values[: len(names)], values[len(names) :])


# (2) evaluated gradients against finite differences ---------------------------------------------

H = 1e-6


def _loss_at(net: Network, params: dict[str, float]) -> float:
    env = forward(net, {k: np.float64(v) for k, v in params.items()}, FLOAT64)
    return float(env[net.loss])


@cases
def test_gradients_equal_central_finite_differences(case: str) -> None:
    """Sequential updates differentiate the lower layers through already updated weights, so
    there only the output layer's gradients are the loss's own."""
    net, _, ev = _net(case)
    base = {p.key: p.value for p in net.params}
    loss = _loss_at(net, base)
    assert loss == pytest.approx(float(ev.node(net.loss)), rel=1e-14, abs=1e-300)
    sequential = _scenario(case).update == "sequential"
    checked = [p for p in net.trained if not sequential or p.layer == len(net.layers) - 1]
    for p in checked:
        up, down = dict(base), dict(base)
        up[p.key] += H
        down[p.key] -= H
        fd = (_loss_at(net, up) - _loss_at(net, down)) / (2 * H)
        g = float(ev.partial(Partial(net.loss, p.key)))
        assert abs(fd - g) <= 1e-6 * abs(g) + 1e-8 * (1 + abs(loss)), f"∂L/∂{p.key}: {g}, fd {fd}"


def _loss_with_input(net: Network, key: str, x: float) -> float:
    example = tuple((k, x if k == key else v) for k, v in net.example)
    shifted = dataclasses.replace(net, example=example)
    return _loss_at(shifted, {p.key: p.value for p in net.params})


@cases
def test_input_gradients_equal_sympy_diff_and_central_differences(case: str) -> None:
    """∂L/∂x_k for every input, at the starting weights (with sequential updates too, whose
    page takes the layers below through updated weights): sympy.diff of the whole loss by the
    input, to 30 digits, and central differences of the forward pass."""
    net, _, ev = _net(case)
    assert [p.key for p, _ in ev.input_gradients] == [f"d{net.loss}/d{x}" for x in net.inputs]
    got = [float(g) for _, g in ev.input_gradients]
    whole = full_loss(net)
    exact = _at([sp.diff(whole, sym(x)) for x in net.inputs], _points(net, case)[:1])
    own_point = dict(net.example)
    loss = float(ev.node(net.loss))
    for x, g, (at_own,) in zip(net.inputs, got, exact, strict=True):
        assert g == pytest.approx(float(at_own), rel=1e-12, abs=1e-15), f"∂L/∂{x}"
        up = _loss_with_input(net, x, own_point[x] + H)
        down = _loss_with_input(net, x, own_point[x] - H)
        fd = (up - down) / (2 * H)
        assert abs(fd - g) <= 1e-6 * abs(g) + 1e-8 * (1 + abs(loss)), f"∂L/∂{x}: {g}, fd {fd}"


# (3) the numpy training loop against the walkthrough's own updates -----------------------------


def _with_params(s: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with its parameters replaced (by key); everything else unchanged."""
    layers = tuple(
        dataclasses.replace(
            layer,
            weights=tuple(tuple(values[k] for k in row) for row in layer.weight_names),
            biases=tuple(values[k] for k in layer.bias_names),
        )
        for layer in s.layers
    )
    return dataclasses.replace(s, layers=layers)


def _step_by_hand(s: Scenario) -> tuple[Scenario, float]:
    """One update via build → derive → evaluate; returns the new scenario and the old loss."""
    net = build(s)
    ev = evaluate(net, derive(net), schedule(s))
    values = {p.key: p.value for p in net.params}
    values |= {u.key: float(u.new) for u in ev.updates}
    return _with_params(s, values), float(ev.node(net.loss))


@cases
def test_one_training_step_equals_the_evaluated_updates(case: str) -> None:
    net, _, ev = _net(case)
    new = {u.key: float(u.new) for u in ev.updates}
    assert set(new) == {p.key for p in net.trained}
    expected = [new.get(p.key, p.value) for p in net.params]  # frozen ones stay
    run = schedule(_scenario(case))
    step = train(net, run, 1).at(1)
    np.testing.assert_allclose(step.params, expected, rtol=1e-12, atol=1e-15)
    before = train(net, run, 0).at(0)
    assert before.loss == pytest.approx(float(ev.node(net.loss)), rel=1e-12, abs=1e-300)
    np.testing.assert_allclose(
        before.outputs, [float(ev.node(n.out)) for n in net.outputs], rtol=1e-12, atol=1e-15
    )


@cases
def test_three_training_steps_equal_three_evaluations_by_hand(case: str) -> None:
    net, _, _ = _net(case)
    training = train(net, schedule(_scenario(case)), 3, range(4))
    assert [s.k for s in training.steps] == [0, 1, 2, 3]
    s = _scenario(case)
    for k in range(3):
        s, loss = _step_by_hand(s)
        assert training.at(k).loss == pytest.approx(loss, rel=1e-11, abs=1e-14), f"loss at {k}"
    by_hand = [p.value for p in build(s).params]
    np.testing.assert_allclose(training.at(3).params, by_hand, rtol=1e-11, atol=1e-14)
