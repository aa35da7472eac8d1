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

from explainer.draw.drawing import (
    MAX_WIDTH,
    Circle,
    Drawing,
    Label,
    Path,
    Point,
    Shape,
    beside,
    box,
    shift,
)
from explainer.draw.layout import Placer
from explainer.evaluate.samples import OneWeight
from explainer.graph.network import Network, Neuron

Names = Callable[[str], str]  # node or parameter key → LaTeX symbol
Num = Callable[[float], str]  # number → LaTeX, at the page's digits

DX, DY, RADIUS = 4.0, 2.0, 0.42  # cm: widest column spacing, row spacing, neuron radius
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


def path_count(net: Network, key: str, drawn: bool = False) -> int:
    """How many chain-rule paths lead from the loss to `key`: the terms of its gradient's sum.
    Through a softmax an output neuron's path branches into one per output of its layer (each
    out_i depends on net_j); `drawn`: the routes the figure draws, one per output neuron."""
    counts = {
        n.name: len(net.outputs) if n.rule.over_layer and not drawn else 1 for n in net.outputs
    }
    for n in reversed(net.neurons):
        if n.name not in counts:
            counts[n.name] = sum(counts[m.name] for m in net.consumers(n.out))
    return sum(counts[n.name] for n in net.neurons if key in n.weights or n.bias == key)


@dataclass(frozen=True)
class Marks:
    """What a network figure writes: by neuron output or input key, by edge (source, neuron),
    by bias key, by output (its target); `loss` under the loss node. Absent keys stay bare."""

    nodes: dict[str, str]
    # (the name alone, what the edge shows, what the table of a crowded layer shows)
    edges: dict[tuple[str, str], tuple[str, str, str]]
    biases: dict[str, str]
    targets: dict[str, str]
    loss: str
    edge_style: str = "label"  # "label-gradient" for the backward figure's values


def forward_marks(net: Network, values: dict[str, float], names: Names, num: Num) -> Marks:
    """The forward pass: every value, every weight's name and value, the targets."""
    edges = {
        (src, n.name): (
            names(w),
            f"{names(w)} = {num(values[w])}",
            f"{names(w)} = {num(values[w])}",
        )
        for n in net.neurons
        for src, w in zip(n.sources, n.weights, strict=True)
    }
    biases = {n.bias: f"{names(n.bias)} = {num(values[n.bias])}" for n in net.neurons if n.bias}
    return Marks(
        {k: num(values[k]) for k in (*net.inputs, *(n.out for n in net.neurons))},
        edges,
        biases,
        {n.out: f"{names(n.target or '')} = {num(values[n.target or ''])}" for n in net.outputs},
        num(values[net.loss]),
    )


def backward_marks(net: Network, gradients: dict[str, float], names: Names, num: Num) -> Marks:
    """The backward pass: each edge ∂L/∂w of its weight, each neuron ∂L/∂net (its δ), each
    bias ∂L/∂b; `gradients` is keyed by parameter and by net-input node."""
    edges = {
        (src, n.name): (names(w), num(gradients[w]), rf"{names(w)}\colon {{{num(gradients[w])}}}")
        for n in net.neurons
        for src, w in zip(n.sources, n.weights, strict=True)
        if w in gradients
    }
    biases = {
        n.bias: rf"{names(n.bias)}\colon {{{num(gradients[n.bias])}}}"
        for n in net.neurons
        if n.bias and n.bias in gradients
    }
    nodes = {n.out: num(gradients[n.net]) for n in net.neurons if n.net in gradients}
    return Marks(nodes, edges, biases, {}, "", "label-gradient")


def network(net: Network, marks: Marks, names: Names, key: str, title: str = "") -> Drawing:
    """The network left to right: inputs, each layer, the loss; bias inputs below each layer.
    Every label is laid out (see layout.py): a value beside its node where nothing crosses it, a
    weight along its edge where no other edge strikes it; a layer whose weights find no room on
    its edges has them in a table under the drawing, and its edges named only if that fits."""
    columns: list[tuple[str, ...]] = [net.inputs, *net.layers]
    dx = min(DX, (MAX_WIDTH - 2.4) / len(columns))
    tallest = max(len(c) for c in columns)
    shared = any(n.bias and n.bias_shared for n in net.neurons)
    bottom = 2.3 if shared else 1.3  # room for bias labels, or the loss value, below
    height = bottom + (tallest - 1) * DY + 1.3
    width = 0.9 + dx * len(columns) + 1.5

    where: dict[str, Point] = {}
    for c, column in enumerate(columns):
        top = bottom + (tallest - 1) * DY / 2 + (len(column) - 1) * DY / 2
        for r, name in enumerate(column):
            out = name if c == 0 else net.neuron(name).out
            where[out] = (0.9 + c * dx, top - r * DY)
    loss_at = (0.9 + len(columns) * dx, bottom + (tallest - 1) * DY / 2)
    where[net.loss] = loss_at
    edges, lit = highlighted(net, key)
    drawn = _lines(net, where, edges, lit, dx, names)
    placer = Placer(drawn.shapes, width, height)
    _node_labels(net, marks, where, drawn, placer)
    tables = [
        li for li in range(len(net.layers)) if not _edge_labels(net, li, marks, drawn, placer)
    ]
    table = _weight_table(net, marks, tables, width)
    return Drawing(
        width,
        height + table.height,
        (*_raised(placer.shapes, table.height), *table.shapes),
        title
        or "The network with the worked example's values"
        + (f"; the paths to {key} highlighted" if key else ""),
    )


@dataclass(frozen=True)
class _Drawn:
    """The network's lines and nodes, with the shapes each label belongs to."""

    shapes: tuple[Shape, ...]
    edge: dict[tuple[str, str], Path]
    node: dict[str, Circle]
    lit: frozenset[tuple[str, str]]


def _lines(
    net: Network,
    where: dict[str, Point],
    edges: frozenset[tuple[str, str]],
    lit: frozenset[str],
    dx: float,
    names: Names,
) -> _Drawn:
    """Edges (weights, shared biases, outputs to the loss) from rim to rim, then the nodes with
    their symbols, the symbols written in their nodes."""
    node = _nodes(net, where, lit, dx)
    pairs = [
        *((src, n.name, n.out) for n in net.neurons for src in n.sources),
        *((n.bias, n.name, n.out) for n in net.neurons if n.bias and n.bias_shared),
        *((n.out, net.loss, net.loss) for n in net.outputs),
    ]
    edge = {
        (a, name): Path(_rim(node[a], node[b]), "edge-path" if (a, name) in edges else "edge")
        for a, name, b in pairs
    }
    shapes: list[Shape] = [*edge.values(), *node.values()]
    for k, c in node.items():
        if c.style == "bias":
            n = next(m for m in net.neurons if m.bias == k)
            shapes.append(Label(c.at, _constant(n.bias_input), "center", "tiny", "label-plain", c))
        else:
            symbol = names(k) if k in (*net.inputs, net.loss) else _neuron_symbol(_owner(net, k))
            shapes.append(Label(c.at, symbol, style="label-plain", over=c))
    return _Drawn(tuple(shapes), edge, node, edges)


def _nodes(
    net: Network, where: dict[str, Point], lit: frozenset[str], dx: float
) -> dict[str, Circle]:
    """Inputs, neurons (lit on the highlighted paths), the loss, and each shared bias's constant
    input below the column before its layer (Mazur's picture)."""
    node = {k: Circle(where[k], RADIUS, "neuron") for k in net.inputs}
    for n in net.neurons:
        node[n.out] = Circle(where[n.out], RADIUS, "neuron-path" if n.name in lit else "neuron")
    node[net.loss] = Circle(where[net.loss], RADIUS * 1.35, "neuron")
    low = min(p[1] for p in where.values()) - 1.35
    for layer in net.layers:
        first = net.neuron(layer[0])
        if first.bias and first.bias_shared:
            at = (where[first.out][0] - dx * 0.55, low)
            node[first.bias] = Circle(at, RADIUS * 0.55, "bias")
    return node


def _rim(a: Circle, b: Circle) -> tuple[Point, Point]:
    """The line between two circles' centres, from rim to rim."""
    length = math.dist(a.at, b.at)
    return _along(a.at, b.at, a.radius / length), _along(a.at, b.at, 1 - b.radius / length)


def _on(edges: frozenset[tuple[str, str]], source: str, n: Neuron) -> str:
    return "edge-path" if (source, n.name) in edges else "edge"


def _owner(net: Network, out: str) -> str:
    return next(n.name for n in net.neurons if n.out == out)


# Around a node of radius r: (dx, dy) in radii and the anchor, in order of preference
Around = tuple[tuple[Point, str], ...]
AROUND: Around = (
    ((0.0, 1.05), "south"),
    ((0.75, 0.8), "south west"),
    ((-0.75, 0.8), "south east"),
    ((0.0, -1.1), "north"),
    ((0.8, -0.8), "north west"),
    ((-0.8, -0.8), "north east"),
    ((1.1, 0.0), "west"),
    ((-1.1, 0.0), "east"),
    ((1.5, 1.3), "south west"),
    ((-1.5, 1.3), "south east"),
    ((1.5, -1.3), "north west"),
    ((-1.5, -1.3), "north east"),
    ((0.0, 1.9), "south"),
    ((0.0, -1.9), "north"),
)
BELOW_FIRST: Around = (*AROUND[3:6], *AROUND[:3], *AROUND[6:])


def _around(c: Circle, latex: str, style: str, order: Around = AROUND) -> list[Label]:
    return [
        Label((c.at[0] + fx * c.radius, c.at[1] + fy * c.radius), latex, anchor, style=style)
        for (fx, fy), anchor in order
    ]


def _node_labels(
    net: Network, marks: Marks, where: dict[str, Point], drawn: _Drawn, placer: Placer
) -> None:
    """Values beside nodes; biases under theirs; targets along the edges to the loss."""
    for k, latex in marks.nodes.items():
        placer.first(_around(drawn.node[k], latex, "label-plain"))
    if marks.loss:
        placer.first(_around(drawn.node[net.loss], marks.loss, "label-plain", BELOW_FIRST))
    for n in net.neurons:
        if not (n.bias and n.bias in marks.biases):
            continue
        style = "label-path" if any(e[0] == n.bias for e in drawn.lit) else marks.edge_style
        at = drawn.node[n.bias] if n.bias_shared else drawn.node[n.out]
        if n.bias_shared and n.name != net.layers[_layer(net, n)][0]:
            continue
        placer.first(_around(at, marks.biases[n.bias], style, BELOW_FIRST))
    for n in net.outputs:
        if n.out in marks.targets:
            line = drawn.edge[(n.out, net.loss)]
            a, b = line.points[0], line.points[-1]
            latex = marks.targets[n.out]
            # beside the edge to the loss, clear of it; on it, under a halo, only as a last resort
            beside = (
                Label(_along(a, b, t), latex, anchor, style="label-plain")
                for t in ALONG_TARGET
                for anchor in BESIDE_EDGE
            )
            on = (
                Label(_along(a, b, t), latex, over=line, style="label-plain") for t in ALONG_TARGET
            )
            placer.first(itertools.chain(beside, on))


def _layer(net: Network, n: Neuron) -> int:
    return next(i for i, layer in enumerate(net.layers) if n.name in layer)


# Where along its edge a weight may be labelled, nearest the neuron it feeds (t = 0.66) first
ALONG = tuple(sorted((i / 50 for i in range(7, 44)), key=lambda t: (abs(t - 0.66), t)))
ALONG_TARGET = (0.5, 0.36, 0.64, 0.26, 0.74)
BESIDE_EDGE = ("south", "north", "south east", "north east", "south west", "north west")


def _edge_labels(net: Network, li: int, marks: Marks, drawn: _Drawn, placer: Placer) -> bool:
    """The layer's weights along their edges, all or none: True when they fit. Otherwise the
    edges get only the weights' names when those fit, and the table has the values."""

    def choices(full: bool) -> list[list[Label]]:
        out = []
        for name in net.layers[li]:
            n = net.neuron(name)
            for source in n.sources:
                if (source, name) not in marks.edges:
                    continue
                short, long, _ = marks.edges[(source, name)]
                line = drawn.edge[(source, name)]
                style = "label-path" if (source, name) in drawn.lit else marks.edge_style
                latex = long if full else short
                out.append(
                    [
                        Label(
                            _along(line.points[0], line.points[-1], t),
                            latex,
                            style=style,
                            over=line,
                        )
                        for t in ALONG
                    ]
                )
        return out

    if placer.all_or_none(choices(True)) is not None:
        return True
    placer.all_or_none(choices(False))
    return False


@dataclass(frozen=True)
class _Table:
    shapes: tuple[Shape, ...]
    height: float


ROW = 0.5  # cm: a row of the weight table


def _weight_table(net: Network, marks: Marks, layers: list[int], width: float) -> _Table:
    """The weights of crowded layers under the drawing, a row per neuron (what its edges carry),
    wrapped onto further lines where a row is wider than the drawing."""
    rows = [
        (
            name,
            [
                marks.edges[(s, name)][2]
                for s in net.neuron(name).sources
                if (s, name) in marks.edges
            ],
        )
        for li in layers
        for name in net.layers[li]
    ]
    if not rows:
        return _Table((), 0.0)
    heads = [rf"\text{{into }} {_neuron_symbol(name)}\colon" for name, _ in rows]
    left = 0.4 + max(box(Label((0.3, 0.0), h, "west")).x1 for h in heads)
    cell = max(box(Label((0.0, 0.0), x, "west")).x1 for _, row in rows for x in row) + 0.3
    across = max(1, int((width - 0.3 - left) // cell))
    lines: list[list[Label]] = []
    for head, (_, row) in zip(heads, rows, strict=True):
        for start in range(0, len(row), across):
            line = [Label((0.3, 0.0), head, "west", style="label-plain")] if start == 0 else []
            line += [
                Label((left + j * cell, 0.0), latex, "west", style="label-plain")
                for j, latex in enumerate(row[start : start + across])
            ]
            lines.append(line)
    shapes = [shift(x, 0.0, (len(lines) - i) * ROW) for i, line in enumerate(lines) for x in line]
    return _Table(tuple(shapes), (len(lines) + 0.6) * ROW)


def _raised(shapes: list[Shape], dy: float) -> tuple[Shape, ...]:
    """Shapes moved up by dy, labels' `over` with them."""
    if not dy:
        return tuple(shapes)
    return tuple(shift(s, 0.0, dy) for s in shapes)


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
            Label((x, bottom - 0.22), num(v), "north", "tiny", "label-plain"),
        ]
    shapes += [
        Path(((left, top), (left, bottom), (right, bottom)), "axis"),
        Label((right, bottom - 0.62), xlabel, "north east", "small", "label-plain"),
        Label((left, top + 0.25), ylabel, "south", "small", "label-plain"),
    ]
    return shapes


def log_scale(curve: tuple[tuple[int, float], ...]) -> bool:
    """Whether a loss curve gets a log axis: positive, and spanning more than LOG_SPAN."""
    losses = [v for _, v in curve]
    return bool(losses) and min(losses) > 0 and max(losses) / min(losses) > LOG_SPAN


def loss_curve(
    curve: tuple[tuple[int, float], ...], loss: str, unit: str, num: Num, noun: str = "loss"
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
    placer = Placer(shapes, 14.0, 6.9)
    right, top = ax.left + ax.width, ax.bottom + ax.height
    last = rf"\text{{after {ks[-1]} {unit}s: }} {loss} = {num(ls[-1])}"
    placer.first(
        Label(at, last, anchor)
        for at, anchor in (
            ((right, top), "north east"),
            ((right, ax.bottom + 0.15), "south east"),
            ((ax.left + ax.width / 2, top), "north"),
            ((ax.left + ax.width / 2, ax.bottom + 0.15), "south"),
            ((right, top + 0.05), "south east"),  # above the plot: nothing is there
        )
    )
    scale = "log scale" if log else "linear scale"
    return Drawing(14.0, 6.9, tuple(placer.shapes), f"The {noun} over {ks[-1]} {unit}s ({scale})")


def fit(
    targets: tuple[float, ...], forecasts: tuple[float, ...], target: str, output: str, num: Num
) -> Drawing:
    """Seed 000's plot of the fit: each unseen example's target (dashed) and the trained
    network's forecast (a dot on a line), in the order of the file."""
    n = len(targets)
    xs = range(1, n + 1)
    lo, hi = min(*targets, *forecasts), max(*targets, *forecasts)
    pad = 0.06 * (hi - lo or 1.0)  # no point on the frame: a dashed line there is lost
    ticks = nice_ticks(lo - pad, hi + pad)
    y = (min(ticks[0], lo - pad), max(ticks[-1], hi + pad))
    ax = Axes(1.9, 1.2, 10.5, 5.0, (1.0, float(max(n, 2))), y)
    shapes = _frame(ax, r"\text{unseen example}", "", num)
    shapes += [
        Path(tuple(ax.at(x, v) for x, v in zip(xs, targets, strict=True)), "target"),
        Path(tuple(ax.at(x, v) for x, v in zip(xs, forecasts, strict=True)), "curve"),
        *(Circle(ax.at(x, v), 0.06, "dot") for x, v in zip(xs, forecasts, strict=True)),
    ]
    placer = Placer(shapes, 14.0, 6.9)
    right, top = ax.left + ax.width, ax.bottom + ax.height
    places = (  # above the plot, where nothing is, right then left; then inside its corners
        ((right, top + 0.1), "south east"),
        ((ax.left + 0.2, top + 0.1), "south west"),
        ((right, ax.bottom + 0.15), "south east"),
        ((ax.left + 0.2, ax.bottom + 0.15), "south west"),
    )
    for latex in (
        rf"\text{{dashed: target }} {target}",
        rf"\text{{dots, joined: forecast }} {output}",
    ):
        placer.first(Label(at, latex, anchor) for at, anchor in places)
    return Drawing(14.0, 6.9, tuple(placer.shapes), "Targets and forecasts of the unseen examples")


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
        Path((ax_a.at(best, best_a), ax_a.at(best, ax_a.y[0])), "target"),
    ]
    a_shapes = _beside_dot(a_shapes, ax_a.at(w0, a0), f"{wsym} = {num(w0)}")
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
    c_shapes = _beside_dot(c_shapes, ax_c.at(w0, c0), f"\\text{{slope }} {num(g)}")
    title = (
        f"Left: the output against {data.key}, with the target. Right: the cost against {data.key}, "
        "its tangent at the start and the descent steps of the training table"
    )
    return beside(
        Drawing(*PANEL, tuple(a_shapes), ""), Drawing(*PANEL, tuple(c_shapes), ""), 0.2, title
    )


PANEL = (7.6, 6.4)  # cm: one of the two plots of a single weight


def _beside_dot(shapes: list[Shape], at: Point, latex: str) -> list[Shape]:
    """The shapes with a label at the first place around a marked point that nothing strikes."""
    placer = Placer(shapes, *PANEL)
    placer.first(_around(Circle(at, 0.12, "dot"), latex, "label"))
    return list(placer.shapes)


def _clip(ax: Axes, w0: float, c0: float, g: float, w: float, c: float) -> Point:
    """A point of the tangent line, pulled back along it to stay inside the plot's y range."""
    lo, hi = ax.y
    if lo <= c <= hi or g == 0:
        return (w, c)
    edge = lo if c < lo else hi
    return (w0 + (edge - c0) / g, edge)
