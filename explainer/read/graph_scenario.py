"""Stage 1, load (graph scenarios): a computational graph as lecture notes draw it.

    [graph]
    leaves = { x = -2, y = 5, z = -4 }     # named inputs with their values, in order
    nodes = { q = "x + y", f = "q * z" }    # each an expression of leaves and earlier nodes
    output = "f"                            # differentiated (default: the last node)
    gates = "operations"                    # one gate per operation written, or "nodes"

There is no loss, no target and no layer: the output's gradient is 1 and the gradients flow back
gate by gate. Expressions are read by `expressions.parse` (a whitelist over Python's parser);
nothing in the file is evaluated.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, cast

from explainer.foundation.errors import ScenarioError
from explainer.foundation.limits import DEFAULT, Limits
from explainer.read import batching_spec, files, handout_spec, optimizer_spec
from explainer.read.claims import Claim, read_claims
from explainer.read.expressions import Node, Op, operations, parse_at, refs
from explainer.read.handout_spec import NO_HANDOUT, HandoutSpec
from explainer.read.reader import NAME, Reader, kind
from explainer.rules.batching import IN_ORDER, Batching
from explainer.rules.operations import FUNCTIONS
from explainer.rules.optimizers import DEFAULT_SETTINGS, Settings

Grouping = Literal["operations", "nodes"]
GROUPINGS = ("operations", "nodes")
UPDATE_ORDERS = ("simultaneous", "sequential")
MODES = batching_spec.MODES
TOP_KEYS = (
    "title",
    "source",
    "description",
    "graph",
    "training",
    "data",
    "handout",
    "display",
    "symbols",
    "narrative",
    "claims",
    "derivatives",
)
TANGENT = "dot_"  # the JSON key of a wire's tangent in forward mode: dot_q = dq/d(seed)
JACOBIAN = "J_"  # a Jacobian entry's key: J_q/x = dq/dx through the whole graph
SECTIONS = ("setup", "forward", "backward", "updates", "training")


@dataclass(frozen=True)
class GraphTraining:
    """Gradient descent on chosen leaves: each step every trained leaf p becomes
    p − η·∂f/∂p, where f is the output (a loss, or any quantity to make smaller), all of them
    from the same forward and backward pass (simultaneous), or each as soon as its gradient is
    complete (sequential)."""

    train: tuple[str, ...]  # the leaves that learn, in the order the leaves are written
    learning_rate: float
    steps: int
    until_loss: float | None = None  # stop once the output is below this
    # sequential: each trained leaf moves as soon as its gradient is complete, and the
    # backward pass goes on through the moved value (a network's layer-by-layer update)
    update: str = "simultaneous"
    # with a [data] set, a step is an epoch: stochastic, one update per example in order;
    # batch, one update from the mean of the examples' gradients; minibatch, one per batch of
    # `batching.size`; `batching` also says the order (shuffled or not) and mean or sum
    mode: str = "stochastic"
    batching: Batching = IN_ORDER
    # the update rule (rules/optimizers.OPTIMIZERS) and its settings, penalties included;
    # anything but plain descent moves the leaves simultaneously, in float64
    optimizer: str = "sgd"
    settings: Settings = DEFAULT_SETTINGS

    @property
    def plain(self) -> bool:
        """Plain gradient descent, p ← p − η·∂f/∂p: no optimizer state, no penalty."""
        return optimizer_spec.plain(self.optimizer, self.settings)


@dataclass(frozen=True)
class GraphData:
    """A training set: each row gives the named leaves their values for one example. The first
    row is the example the page works in full, so it is the leaves' written values."""

    leaves: tuple[str, ...]  # in the order the rows give them
    rows: tuple[tuple[float, ...], ...]  # one value per leaf of `leaves`, per example

    def example(self, n: int) -> dict[str, float]:
        return dict(zip(self.leaves, self.rows[n], strict=True))


@dataclass(frozen=True)
class GraphScenario:
    path: str
    name: str
    title: str
    source: str
    description: str
    leaves: tuple[tuple[str, float], ...]  # name, value; in the order written
    nodes: tuple[tuple[str, Node], ...]  # name, parsed expression; each refers to earlier names
    output: str
    grouping: Grouping  # a gate per operation written, or a gate per named node
    digits: int
    symbols: tuple[tuple[str, str], ...]  # name → LaTeX, the author's overrides
    narrative: tuple[tuple[str, str], ...]
    claims: tuple[Claim, ...] = ()
    limits: Limits = DEFAULT
    training: GraphTraining | None = None  # None: the gradients only, nothing learns
    handout: HandoutSpec = NO_HANDOUT  # [handout.vary] names leaves
    table_steps: int = 10  # a training table's first steps in full, then 10, 100, 1000, …
    data: GraphData | None = None  # a training set binding some leaves per example
    # [derivatives]: forward mode seeded at one leaf (every wire's d(wire)/d(leaf) pushed
    # forward, beside the backward pass), and the output's second derivatives by some leaves
    tangent: str = ""
    hessian: tuple[str, ...] = ()
    jacobian: tuple[str, ...] = ()  # wires whose derivatives by every leaf are the rows of J


def build(file: str, stem: str, raw: dict[str, Any], limits: Limits = DEFAULT) -> GraphScenario:
    top = Reader(file, raw, "", TOP_KEYS)
    graph = top.sub("graph", ("leaves", "nodes", "output", "gates"), required=True)
    leaves = _leaves(graph)
    nodes = _nodes(graph, [n for n, _ in leaves], limits)
    names = [n for n, _ in leaves] + [n for n, _ in nodes]
    output = graph.get("output", graph.choice(tuple(n for n, _ in nodes)), nodes[-1][0])
    _check_used(graph, leaves, nodes, output)
    display = top.sub("display", ("digits", "table_steps"))
    narrative = top.sub("narrative", SECTIONS)
    raw_symbols = top.table.get("symbols", {})
    symbols_t = top.sub("symbols", tuple(raw_symbols) if isinstance(raw_symbols, dict) else ())
    symbols = tuple((k, symbols_t.latex(symbols_t.key(k), v)) for k, v in symbols_t.table.items())
    for k, _ in symbols:
        if k not in names:
            raise ScenarioError(
                file, symbols_t.key(k), "a name the graph defines", "an unknown name"
            )
    training = _training(top, leaves, limits)
    data = _data(top, leaves, training, limits)
    training = _batched(top, leaves, training, data)
    tangent, hessian = _derivatives(top, leaves, names)
    jacobian = _jacobian(top, nodes)
    return GraphScenario(
        tangent=tangent,
        hessian=hessian,
        jacobian=jacobian,
        **heading(file, stem, top),
        leaves=leaves,
        nodes=nodes,
        output=output,
        grouping=cast(Grouping, graph.get("gates", graph.choice(GROUPINGS), "operations")),
        digits=display.get("digits", display.count(1, 15), 6),
        table_steps=display.get("table_steps", display.count(1, 1000), 10),
        symbols=symbols,
        narrative=tuple(
            (k, narrative.get(k, narrative.prose)) for k in SECTIONS if k in narrative.table
        ),
        claims=read_claims(top, limits),
        limits=limits,
        training=training,
        data=data,
        handout=handout_spec.read(top, tuple(n for n, _ in leaves)),
    )


def _derivatives(
    top: Reader, leaves: tuple[tuple[str, float], ...], names: list[str]
) -> tuple[str, tuple[str, ...]]:
    """[derivatives]: `tangent`, the leaf forward mode is seeded at; `hessian`, the leaves the
    output's second derivatives are taken by (each once, in the order the leaves are written)."""
    r = top.sub("derivatives", ("tangent", "hessian", "jacobian"))
    if not r.table:
        return "", ()
    mine = tuple(n for n, _ in leaves)
    tangent = r.get("tangent", r.choice(mine), "")
    if tangent:
        taken = [n for n in names if n.startswith(TANGENT)]
        if taken:
            raise ScenarioError(
                r.file,
                "graph",
                f"no name starting {TANGENT} beside a tangent (dot_q is q's tangent's key)",
                taken[0],
            )
    chosen = r.get("hessian", r.list_of(r.choice(mine)), ())
    if len(set(chosen)) < len(chosen):
        raise ScenarioError(r.file, r.key("hessian"), "each leaf once", "a leaf named twice")
    return tangent, tuple(n for n in mine if n in chosen)


def _jacobian(top: Reader, nodes: tuple[tuple[str, Any], ...]) -> tuple[str, ...]:
    """[derivatives] jacobian: the nodes (a vector output) whose derivatives by every leaf,
    through the whole graph, are the rows of the Jacobian, in the order written."""
    r = top.sub("derivatives", ("tangent", "hessian", "jacobian"))
    if "jacobian" not in r.table:
        return ()
    mine = tuple(n for n, _ in nodes)
    chosen = r.get("jacobian", r.list_of(r.choice(mine)))
    if len(set(chosen)) < len(chosen):
        raise ScenarioError(r.file, r.key("jacobian"), "each node once", "a node named twice")
    return tuple(chosen)


def _training(
    top: Reader, leaves: tuple[tuple[str, float], ...], limits: Limits
) -> GraphTraining | None:
    if "training" not in top.table:
        return None
    t = top.sub(
        "training",
        (
            "train",
            "learning_rate",
            "steps",
            "until_loss",
            "update",
            "mode",
            *batching_spec.KEYS,
            *optimizer_spec.KEYS,
        ),
    )
    names = [n for n, _ in leaves]
    where = t.key("train")
    raw = t.table.get("train")
    if not isinstance(raw, list) or not raw:
        raise t.fail(where, 'a list of the leaves that learn, e.g. ["w0", "w1"]', raw)
    for i, name in enumerate(raw):
        if name not in names:
            raise ScenarioError(
                t.file, f"{where}[{i}]", f"a leaf of the graph ({', '.join(names)})", kind(name)
            )
    if len(set(raw)) < len(raw):
        raise ScenarioError(t.file, where, "each leaf once", "a leaf named twice")
    update = t.get("update", t.choice(UPDATE_ORDERS), "simultaneous")
    optimizer, settings = optimizer_spec.read(t)
    if update == "sequential" and not optimizer_spec.plain(optimizer, settings):
        expected = (
            '"simultaneous" with an optimizer or a penalty (its state moves every leaf at once)'
        )
        raise t.fail(t.key("update"), expected, update)
    return GraphTraining(
        train=tuple(n for n in names if n in raw),
        learning_rate=t.get("learning_rate", t.positive),
        steps=t.get("steps", t.count(1, limits.steps), 1),
        until_loss=t.get("until_loss", t.positive, None),
        update=update,
        optimizer=optimizer,
        settings=settings,
    )


def _data(
    top: Reader,
    leaves: tuple[tuple[str, float], ...],
    training: GraphTraining | None,
    limits: Limits,
) -> GraphData | None:
    """`[data]`: `leaves` and `rows` (one list of numbers per example), or a `csv` file beside
    the scenario whose header names the leaves."""
    r = top.sub("data", ("leaves", "rows", "csv"))
    t = top.sub("training", tuple(top.table.get("training", {})))
    if not r.table:
        for key in ("mode", *batching_spec.KEYS):
            if key in t.table:
                raise t.fail(t.key(key), f"a {key} only beside a [data] set", t.table[key])
        return None
    if training is None:
        raise ScenarioError(r.file, "data", "a [training] table beside [data]", "none")
    names = [n for n, _ in leaves]
    if "csv" in r.table:
        if set(r.table) != {"csv"}:
            raise ScenarioError(r.file, "data", "either csv or leaves and rows", "both")
        name = r.get("csv", r.line)
        header, rows = files.csv_table(r.file, name, limits, "data", None, "")
        bound = _bound(r, f"data.csv ({name}), header", header, names, training)
    else:
        bound = _bound(r, r.key("leaves"), r.table.get("leaves"), names, training)
        rows = _rows(r, len(bound), limits)
    return GraphData(bound, rows)


def _batched(
    top: Reader,
    leaves: tuple[tuple[str, float], ...],
    training: GraphTraining | None,
    data: GraphData | None,
) -> GraphTraining | None:
    """The training with its epochs' mode and batches (batching_spec), and the leaves checked
    against the example the page works in full: the first row of the first batch."""
    if training is None or data is None:
        return training
    t = top.sub("training", tuple(top.table["training"]))
    mode, batching = batching_spec.read(t, len(data.rows))
    if training.update == "sequential" and mode != "stochastic":
        expected = f'"simultaneous" with mode = "{mode}" (one update from several examples)'
        raise t.fail(t.key("update"), expected, training.update)
    row = batching.first(len(data.rows))[0]
    which = "the data set's first row" if row == 0 else f"row {row + 1} of the data set"
    written = dict(leaves)
    for leaf, v in data.example(row).items():
        if written[leaf] != v:
            raise ScenarioError(
                top.file,
                f"graph.leaves.{leaf}",
                f"{which}, {v!r} (the example the page works in full: the first of the first "
                "batch)",
                repr(written[leaf]),
            )
    return dataclasses.replace(training, mode=mode, batching=batching)


def _rows(r: Reader, width: int, limits: Limits) -> tuple[tuple[float, ...], ...]:
    raw = r.table.get("rows")
    if isinstance(raw, list) and len(raw) > limits.examples:
        raise limits.exceeded(r.file, r.key("rows"), "examples", "a training set", len(raw))
    rows = r.get("rows", r.list_of(r.list_of(r.number, width)))
    return tuple(tuple(row) for row in rows)


def _bound(
    r: Reader, where: str, raw: Any, names: list[str], training: GraphTraining
) -> tuple[str, ...]:
    """The leaves a data set binds: each a leaf of the graph, once, none of them trained."""
    if not isinstance(raw, list | tuple) or not raw:
        raise r.fail(where, 'a list of the leaves each row gives, e.g. ["x", "t"]', raw)
    for i, name in enumerate(raw):
        if name not in names:
            raise ScenarioError(
                r.file, f"{where}[{i}]", f"a leaf of the graph ({', '.join(names)})", kind(name)
            )
        if name in training.train:
            raise ScenarioError(
                r.file, f"{where}[{i}]", "a leaf that is given, not trained", f"{name}, trained"
            )
    if len(set(raw)) < len(raw):
        raise ScenarioError(r.file, where, "each leaf once", "a leaf named twice")
    return tuple(raw)


class Heading(TypedDict):
    path: str
    name: str
    title: str
    source: str
    description: str


def heading(file: str, stem: str, top: Reader) -> Heading:
    """What every scenario has: where it came from, its name, title, source and description."""
    return Heading(
        path=file,
        name=stem,
        title=top.get("title", top.line),
        source=top.get("source", top.line, ""),
        description=top.get("description", top.prose, ""),
    )


def _name(r: Reader, key: str, name: str) -> str:
    if not NAME.fullmatch(name) or name in FUNCTIONS:
        raise ScenarioError(
            r.file,
            key,
            "a name of letters and digits, at most one '_', not a function's name "
            f"({', '.join(FUNCTIONS)})",
            kind(name),
        )
    return name


def _table(graph: Reader, key: str, example: str) -> dict[str, Any]:
    raw = graph.table.get(key)
    if not isinstance(raw, dict) or not raw:
        raise graph.fail(graph.key(key), f"a table of names and {example}", raw)
    return raw


def _leaves(graph: Reader) -> tuple[tuple[str, float], ...]:
    leaves = graph.sub("leaves", tuple(_table(graph, "leaves", "values, e.g. { x = -2 }")))
    return tuple(
        (_name(graph, leaves.key(k), k), leaves.number(leaves.key(k), v))
        for k, v in leaves.table.items()
    )


def _nodes(graph: Reader, known: list[str], limits: Limits) -> tuple[tuple[str, Node], ...]:
    table = graph.sub("nodes", tuple(_table(graph, "nodes", 'expressions, e.g. { q = "x + y" }')))
    seen = list(known)
    total = 0
    out = []
    for name, text in table.table.items():
        where = table.key(name)
        _name(graph, where, name)
        if name in seen:
            raise ScenarioError(graph.file, where, "a name not used before", f"{name} again")
        written = graph.line(where, text)
        total += operations(written)
        if total > limits.gates:
            raise limits.exceeded(graph.file, where, "gates", "a graph", total)
        node = parse_at(graph.file, where, written, limits)
        if not isinstance(node, Op) or node.op == "pos" or not refs(node):
            raise ScenarioError(
                graph.file,
                where,
                "an operation on leaves or earlier nodes",
                "a bare name" if refs(node) else "constants only",
            )
        for ref in refs(node):
            if ref.name == name:
                raise ScenarioError(
                    graph.file,
                    where,
                    f"an expression of leaves and earlier nodes (column {ref.column})",
                    f"{name} referring to itself",
                )
            if ref.name not in seen:
                raise ScenarioError(
                    graph.file,
                    where,
                    f"a leaf or an earlier node (column {ref.column}; defined so far: "
                    f"{', '.join(seen)})",
                    repr(ref.name),
                )
        seen.append(name)
        out.append((name, node))
    return tuple(out)


def _check_used(
    graph: Reader,
    leaves: tuple[tuple[str, float], ...],
    nodes: tuple[tuple[str, Node], ...],
    output: str,
) -> None:
    """Every leaf and node feeds the output: a value that does not is a mistake in the file."""
    feeds = dict(nodes)
    needed, todo = {output}, [output]
    while todo:
        for r in refs(feeds[todo.pop()]):
            if r.name not in needed:
                needed.add(r.name)
                if r.name in feeds:
                    todo.append(r.name)
    for name in [n for n, _ in leaves] + [n for n, _ in nodes]:
        if name not in needed:
            section = "leaves" if name not in feeds else "nodes"
            raise ScenarioError(
                graph.file,
                f"graph.{section}.{name}",
                f"a value the output {output} depends on",
                "one it does not depend on",
            )
