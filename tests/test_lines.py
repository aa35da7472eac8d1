"""The backward pass as lines (derive/lines.py), settled one at a time (evaluate/settle.py):
the order both the page's pass and the compiled step read, checked on a circuit whose wire
feeds three gates, against a hand computation on paper and the order of a sequential move."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from explainer.derive import lines, local
from explainer.derive.lines import Move, Share, Total
from explainer.evaluate import arithmetic, backprop
from explainer.graph import circuit
from explainer.read.graph_scenario import GraphScenario
from explainer.read.scenario import from_mapping


def _circuit(nodes: dict[str, str], leaves: dict[str, float], **more: Any) -> circuit.Circuit:
    s = from_mapping({"title": "t", "graph": {"leaves": leaves, "nodes": nodes, **more}}, "g")
    assert isinstance(s, GraphScenario)
    return circuit.split(s)


# x feeds three gates; f = (x·y + x·z + x·w)·k
THREE = {"a": "x * y", "b": "x * z", "c": "x * w", "f": "(a + b + c) * k"}
AT = {"x": 1.37, "y": 0.45, "z": -2.01, "w": 0.33, "k": 0.37}


def test_a_wire_that_feeds_three_gates_adds_its_shares_one_line_at_a_time() -> None:
    c = _circuit(THREE, AT, gates="nodes")
    ls = lines.lines(c, local.derive(c))
    into_x = [
        x.key for x in ls.steps if isinstance(x, lines.Line) and getattr(x.key, "wire", "") == "x"
    ]
    kinds = [type(k).__name__ for k in into_x if isinstance(k, Share | Total)]
    assert kinds == ["Share", "Share", "Total", "Share", "Total"]
    assert ls.gradient["x"] == into_x[-1]


def test_on_paper_each_share_and_each_addition_is_rounded_where_the_page_prints_it() -> None:
    c = _circuit(THREE, AT, gates="nodes")
    run = backprop.run(c, local.derive(c), arithmetic.arithmetic("paper:2"))

    def r(x: Decimal) -> Decimal:
        return x.quantize(Decimal("0.01"), ROUND_HALF_UP)

    # ∂f/∂a = ∂f/∂b = ∂f/∂c = k; the shares into x are k·y, k·z, k·w, each rounded, added in
    # the backward pass's order (the last gate first); rounding only the sum gives another number
    y, z, w, k = (Decimal(repr(AT[n])) for n in "yzwk")
    shares = [r(k * w), r(k * z), r(k * y)]
    assert [f.downstream for f in run.flows if f.wire == "x"] == shares
    assert run.gradients["x"] == sum(shares) != r(k * (w + z + y))


def test_a_sequential_move_comes_after_the_leafs_last_share_and_before_the_gate_passes_on() -> None:
    # f = q·v, q = w·x, w and v trained: the gate f takes its derivative by the leaf v first,
    # v moves, and ∂f/∂q = v reads the moved v (as a network's layer below reads w5⁺); w moves
    # once its one share is back
    c = _circuit({"q": "w * x", "f": "q * v"}, {"w": 0.5, "x": 2.0, "v": -1.0})
    ls = lines.lines(c, local.derive(c), ("w", "v"))
    order: list[tuple[str, object]] = []
    for x in ls.steps:
        if isinstance(x, Move):
            order.append(("move", x.leaves))
        elif isinstance(x.key, Share):
            order.append(("Share", x.key.wire))
    assert order.index(("move", ("v",))) < order.index(("Share", "q"))
    assert order.index(("Share", "w")) < order.index(("move", ("w",)))
    assert order[-1] == ("move", ("w",))
