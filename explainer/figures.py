"""Stage 5, explain (figures): the pictures of a page as Drawings, built from computed numbers.

Three pictures, each from the scenario and its evaluation, never from typed-in values:
- the network: neurons with their outputs, edges with weight names and values, bias inputs, and
  the chain-rule paths of one parameter highlighted (seed 002 circled them in colour);
- the loss over the training steps, on a log scale when it spans two decades or more;
- for a network with one trained parameter (seed 001), the output a(w) and the cost C(w) against
  that parameter, with the tangent at the starting value and the descent steps down to the minimum.
No format is written here (see drawing.py); labels are LaTeX math.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

from explainer.drawing import Circle, Drawing, Label, Path, Point, Shape, beside
from explainer.network import Network
from explainer.samples import OneWeight

Names = Callable[[str], str]  # node or parameter key → LaTeX symbol
Num = Callable[[float], str]  # number → LaTeX, at the page's digits

DX, DY, RADIUS = 4.0, 2.0, 0.42  # cm: column and row spacing, neuron radius
WEIGHT_AT = 0.66  # where along its edge a weight is labelled: near the neuron it feeds
LOG_SPAN = 100.0  # a loss curve whose largest/smallest value exceeds this gets a log axis


def highlighted(net: Network, key: str) -> tuple[frozenset[tuple[str, str]], frozenset[str]]:
    """The edges (source, neuron) and neurons on every path from parameter `key` to the loss:
    the parameter's own edge(s), then everything downstream. A bias's edge has source `key`."""
    first = [n for n in net.neurons if key in n.weights or n.bias == key]
    edges = {(n.sources[n.weights.index(key)] if key in n.weights else key, n.name) for n in first}
    todo, seen = [n.name for n in first], {n.name for n in first}
    while todo:
        here = net.neuron(todo.pop())
        for m in net.consumers(here.out):
            edges.add((here.out, m.name))
            if m.name not in seen:
                seen.add(m.name)
                todo.append(m.name)
    edges |= {(n.out, net.loss) for n in net.outputs if n.name in seen}
    return frozenset(edges), frozenset(seen)


def path_count(net: Network, key: str) -> int:
    """How many chain-rule paths lead from the loss to `key`: the terms of its gradient's sum."""
    counts = {n.name: 1 for n in net.outputs}
    for n in reversed(net.neurons):
        if n.name not in counts:
            counts[n.name] = sum(counts[m.name] for m in net.consumers(n.out))
    return sum(counts[n.name] for n in net.neurons if key in n.weights or n.bias == key)


def network(net: Network, values: dict[str, float], names: Names, num: Num, key: str) -> Drawing:
    """The network left to right: inputs, each layer, the loss; bias inputs below each layer."""
    columns: list[tuple[str, ...]] = [net.inputs, *net.layers]
    tallest = max(len(c) for c in columns)
    shared = any(n.bias and n.bias_shared for n in net.neurons)
    bottom = 2.3 if shared else 1.2  # room for bias labels, or the loss value, below
    height = bottom + (tallest - 1) * DY + 1.3
    width = 0.8 + DX * len(columns) + 1.4

    where: dict[str, Point] = {}
    for c, column in enumerate(columns):
        top = bottom + (tallest - 1) * DY / 2 + (len(column) - 1) * DY / 2
        for r, name in enumerate(column):
            out = name if c == 0 else net.neuron(name).out
            where[out] = (0.8 + c * DX, top - r * DY)
    loss_at = (0.8 + len(columns) * DX, bottom + (tallest - 1) * DY / 2)
    where[net.loss] = loss_at
    edges, lit = highlighted(net, key)

    shapes, labels = _weights(net, where, edges, names, num, values)
    for n in net.outputs:
        on = (n.out, net.loss) in edges
        shapes.append(Path((where[n.out], loss_at), "edge-path" if on else "edge"))
        labels.append(
            Label(
                _along(where[n.out], loss_at, 0.5),
                f"{names(n.target or '')} = {num(values[n.target or ''])}",
                "south",
                style="label-plain",
            )
        )
    for k in net.inputs:
        shapes.append(Circle(where[k], RADIUS, "neuron"))
        shapes.append(Label(where[k], names(k), style="label-plain"))
        labels.append(Label(_above(where[k]), num(values[k]), "south", style="label-plain"))
    for n in net.neurons:
        shapes.append(Circle(where[n.out], RADIUS, "neuron-path" if n.name in lit else "neuron"))
        shapes.append(Label(where[n.out], _neuron_symbol(n.name), style="label-plain"))
        labels.append(Label(_above(where[n.out]), num(values[n.out]), "south", style="label-plain"))
        if n.bias and not n.bias_shared:
            on = any(e[0] == n.bias for e in edges)
            labels.append(
                Label(
                    _below(where[n.out]),
                    f"{names(n.bias)} = {num(values[n.bias])}",
                    "north",
                    style="label-path" if on else "label-plain",
                )
            )
    shapes.append(Circle(loss_at, RADIUS * 1.35, "neuron"))
    shapes.append(Label(loss_at, names(net.loss), style="label-plain"))
    labels.append(Label(_below(loss_at, 1.35), num(values[net.loss]), "north", style="label-plain"))
    title = f"The network with the worked example's values; the paths to {key} highlighted"
    return Drawing(width, height, (*shapes, *labels), title)


def _weights(
    net: Network,
    where: dict[str, Point],
    edges: frozenset[tuple[str, str]],
    names: Names,
    num: Num,
    values: dict[str, float],
) -> tuple[list[Shape], list[Shape]]:
    """Every weighted edge with its label, and each layer's shared bias: (lines, labels)."""
    shapes: list[Shape] = []
    labels: list[Shape] = []
    for li, layer in enumerate(net.layers):
        for j, name in enumerate(layer):
            n = net.neuron(name)
            end = where[n.out]
            for source, w in zip(n.sources, n.weights, strict=True):
                on = (source, name) in edges
                start = where[source]
                shapes.append(Path((start, end), "edge-path" if on else "edge"))
                labels.append(
                    Label(
                        _along(start, end, _weight_at(j, len(n.sources))),
                        f"{names(w)} = {num(values[w])}",
                        style="label-path" if on else "label",
                    )
                )
        first = net.neuron(layer[0])
        if first.bias and first.bias_shared:
            lines, texts = _bias(net, li, where, edges, names, num, values)
            shapes += lines
            labels += texts
    return shapes, labels


def _bias(
    net: Network,
    li: int,
    where: dict[str, Point],
    edges: frozenset[tuple[str, str]],
    names: Names,
    num: Num,
    values: dict[str, float],
) -> tuple[list[Shape], list[Shape]]:
    """A layer's shared bias: its constant input (1, or −1 for a threshold) drawn as a node below
    the column before it, with an edge to every neuron of the layer (Mazur's picture). Returns
    the lines and the labels, which are drawn last, over every line."""
    neurons = [net.neuron(name) for name in net.layers[li]]
    x = where[neurons[0].out][0] - DX * 0.55
    y = min(p[1] for p in where.values()) - 1.35
    at = (x, y)
    shapes: list[Shape] = []
    for n in neurons:
        on = (n.bias or "", n.name) in edges
        shapes.append(Path((at, where[n.out]), "edge-path" if on else "edge"))
    bias = neurons[0].bias or ""
    shapes.append(Circle(at, RADIUS * 0.55, "bias"))
    labels: list[Shape] = [
        Label(
            _below(at, 0.55),
            f"{names(bias)} = {num(values[bias])}",
            "north",
            style="label-path" if any(e[0] == bias for e in edges) else "label",
        ),
        Label(at, _constant(neurons[0].bias_input), "center", "tiny", "label-plain"),
    ]
    return shapes, labels


def _weight_at(j: int, fan_in: int) -> float:
    """Near the neuron; with three or more inputs every other neuron's labels sit further back,
    so that labels of neighbouring neurons, which meet at the same height, do not overlap."""
    return WEIGHT_AT - 0.16 * (j % 2) if fan_in > 2 else WEIGHT_AT


def _constant(x: float) -> str:
    return "1" if x == 1 else "-1" if x == -1 else f"{x:g}"


def _neuron_symbol(name: str) -> str:
    """h1 → h_{1}; a name with its own underscore (h_1) keeps it as the subscript."""
    if "_" in name:
        head, _, tail = name.partition("_")
        return f"{head}_{{{tail}}}"
    head = name.rstrip("0123456789")
    tail = name[len(head) :]
    return f"{head}_{{{tail}}}" if tail and head else name


def _along(a: Point, b: Point, t: float) -> Point:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _above(p: Point) -> Point:
    return (p[0], p[1] + RADIUS + 0.02)


def _below(p: Point, scale: float = 1.0) -> Point:
    return (p[0], p[1] - RADIUS * scale - 0.05)


# ---------------------------------------------------------------- plots


@dataclass(frozen=True)
class Axes:
    """A plot area: data (x, y) → centimetres; `log` puts y on a log₁₀ scale."""

    left: float
    bottom: float
    width: float
    height: float
    x: tuple[float, float]
    y: tuple[float, float]
    log: bool = False

    def at(self, x: float, y: float) -> Point:
        fy = (
            (math.log10(y) - math.log10(self.y[0]))
            / (math.log10(self.y[1]) - math.log10(self.y[0]))
            if self.log
            else (y - self.y[0]) / (self.y[1] - self.y[0])
        )
        fx = (x - self.x[0]) / (self.x[1] - self.x[0])
        return (self.left + fx * self.width, self.bottom + fy * self.height)

    def inside(self, y: float) -> bool:
        return self.y[0] <= y <= self.y[1] and (y > 0 or not self.log)


def nice_ticks(lo: float, hi: float, count: int = 5) -> tuple[float, ...]:
    """Round tick values (1, 2 or 5 × 10ᵏ apart) covering [lo, hi] (widened when empty)."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = hi / count - lo / count  # not (hi − lo) / count, which overflows near 1e308
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9)
    return tuple(round(i * step, 12) for i in range(first, math.floor(hi / step + 1e-9) + 1))


def _frame(ax: Axes, xlabel: str, ylabel: str, num: Num) -> list[Shape]:
    shapes: list[Shape] = []
    left, bottom = ax.left, ax.bottom
    right, top = left + ax.width, bottom + ax.height
    if ax.log:
        lo, hi = round(math.log10(ax.y[0])), round(math.log10(ax.y[1]))
        stride = max(1, math.ceil((hi - lo) / 6))
        yticks = [(10.0**e, f"10^{{{e}}}") for e in range(lo, hi + 1, stride)]
    else:
        yticks = [(v, num(v)) for v in nice_ticks(*ax.y)]
    for v, text in yticks:
        y = ax.at(ax.x[0], v)[1]
        shapes += [
            Path(((left, y), (right, y)), "grid"),
            Label((left - 0.08, y), text, "east", "tiny", "label-plain"),
        ]
    for v in nice_ticks(*ax.x):
        x = ax.at(v, ax.y[0])[0]
        shapes += [
            Path(((x, bottom), (x, bottom - 0.1)), "axis"),
            Label((x, bottom - 0.12), num(v), "north", "tiny", "label-plain"),
        ]
    shapes += [
        Path(((left, top), (left, bottom), (right, bottom)), "axis"),
        Label((right, bottom - 0.55), xlabel, "north east", "small", "label-plain"),
        Label((left, top + 0.1), ylabel, "south", "small", "label-plain"),
    ]
    return shapes


def log_scale(curve: tuple[tuple[int, float], ...]) -> bool:
    """Whether a loss curve gets a log axis: positive, and spanning more than LOG_SPAN."""
    losses = [v for _, v in curve]
    return bool(losses) and min(losses) > 0 and max(losses) / min(losses) > LOG_SPAN


def loss_curve(
    curve: tuple[tuple[int, float], ...], loss: str, unit: str, num: Num
) -> Drawing | None:
    """The loss at each recorded step; log y when it spans more than LOG_SPAN."""
    if len(curve) < 3:
        return None
    ks = [k for k, _ in curve]
    ls = [v for _, v in curve]
    low, high = min(ls), max(ls)
    log = log_scale(curve)
    if log:
        y = (10.0 ** math.floor(math.log10(low)), 10.0 ** math.ceil(math.log10(high)))
    else:
        ticks = nice_ticks(min(0.0, low), high)
        y = (min(ticks[0], low), max(ticks[-1], high))
    ax = Axes(1.9, 1.2, 10.5, 5.0, (0.0, float(ks[-1])), y, log)
    shapes = _frame(ax, rf"\text{{{unit}}}", loss, num)
    shapes.append(Path(tuple(ax.at(k, v) for k, v in curve), "curve"))
    shapes.append(Circle(ax.at(ks[-1], ls[-1]), 0.06, "dot"))
    shapes.append(
        Label(
            (ax.left + ax.width, ax.bottom + ax.height),
            rf"\text{{after {ks[-1]} {unit}s: }} {loss} = {num(ls[-1])}",
            "north east",
            style="label",
        )
    )
    scale = "log scale" if log else "linear scale"
    return Drawing(14.0, 6.9, tuple(shapes), f"The loss over {ks[-1]} {unit}s ({scale})")


def one_weight(
    data: OneWeight, names: Names, num: Num, output: str, loss: str, target_key: str
) -> Drawing:
    """Seed 001's two plots, for a network with one trained parameter and one output:
    the output a(w) with the target, and the cost C(w) with its tangent and the descent steps."""
    grid, outs, costs = data.grid, data.outputs, data.costs
    w0, a0, c0 = data.start
    g, target = data.slope, data.target
    best, best_a = data.best
    x = (grid[0], grid[-1])
    wsym, asym = names(data.key), names(output)

    a_ticks = nice_ticks(min(*outs, target), max(*outs, target))
    ax_a = Axes(1.7, 1.2, 5.6, 4.4, x, (min(a_ticks[0], *outs), max(a_ticks[-1], *outs)))
    a_shapes = _frame(ax_a, wsym, asym, num)
    a_shapes += [
        Path((ax_a.at(x[0], target), ax_a.at(x[1], target)), "target"),
        Label(ax_a.at(x[1], target), f"{names(target_key)}", "south east"),
        Path(tuple(ax_a.at(w, a) for w, a in zip(grid, outs, strict=True)), "curve"),
        Circle(ax_a.at(w0, a0), 0.07, "dot"),
        Label(ax_a.at(w0, a0), f"{wsym} = {num(w0)}", "south east", style="label"),
        Path((ax_a.at(best, best_a), ax_a.at(best, ax_a.y[0])), "target"),
    ]
    c_ticks = nice_ticks(0.0, max(costs))
    ax_c = Axes(1.7, 1.2, 5.6, 4.4, x, (min(0.0, min(costs)), max(c_ticks[-1], max(costs))))
    c_shapes = _frame(ax_c, wsym, names(loss), num)
    c_shapes.append(Path(tuple(ax_c.at(w, c) for w, c in zip(grid, costs, strict=True)), "curve"))
    span = 0.22 * (x[1] - x[0])
    tangent = [(w, c0 + g * (w - w0)) for w in (w0 - span, w0 + span)]
    c_shapes.append(
        Path(tuple(ax_c.at(*_clip(ax_c, w0, c0, g, w, c)) for w, c in tangent), "tangent")
    )
    points = list(data.walk)
    c_shapes += [Path((ax_c.at(*a), ax_c.at(*b)), "step") for a, b in itertools.pairwise(points)]
    c_shapes += [Circle(ax_c.at(*pt), 0.055, "dot") for pt in points]
    c_shapes.append(
        Label(ax_c.at(w0, c0), f"\\text{{slope }} {num(g)}", "south east", style="label")
    )
    title = (
        f"Left: the output against {data.key}, with the target. Right: the cost against {data.key}, "
        "its tangent at the start and the descent steps of the training table"
    )
    return beside(
        Drawing(7.6, 6.2, tuple(a_shapes), ""), Drawing(7.6, 6.2, tuple(c_shapes), ""), 0.2, title
    )


def _clip(ax: Axes, w0: float, c0: float, g: float, w: float, c: float) -> Point:
    """A point of the tangent line, pulled back along it to stay inside the plot's y range."""
    lo, hi = ax.y
    if lo <= c <= hi or g == 0:
        return (w, c)
    edge = lo if c < lo else hi
    return (w0 + (edge - c0) / g, edge)
