"""Stage 1, load: read a scenario TOML file, validate every key, build a frozen `Scenario`.

The only module that sees raw dicts. It never evaluates a string from the file: names are checked
against a pattern, LaTeX symbols against an allow-list, and numbers come from TOML's own types.
Every error names the file, the key path, what was expected and what was found.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explainer.foundation.errors import ScenarioError, UsageError
from explainer.foundation.limits import DEFAULT, Limits
from explainer.foundation.resources import resource_dir
from explainer.read import (
    batching_spec,
    graph_scenario,
    handout_spec,
    init_spec,
    optimizer_spec,
    toml_shape,
)
from explainer.read.arithmetic_spec import EXPECTED, parse_arithmetic
from explainer.read.claims import Claim, read_claims
from explainer.read.expressions import Node, Op, Ref
from explainer.read.files import csv_table, read_regular
from explainer.read.handout_spec import NO_HANDOUT, HandoutSpec
from explainer.read.init_spec import Init
from explainer.read.reader import Reader, kind
from explainer.rules.activations import (
    ACTIVATIONS,
    LOSSES,
    RESIDUALS,
    SCORE,
    Activation,
    activation,
)
from explainer.rules.batching import IN_ORDER, Batching
from explainer.rules.operations import FUNCTIONS
from explainer.rules.optimizers import DEFAULT_SETTINGS, Settings

BIAS_MODES = ("none", "shared", "per-neuron")
UPDATE_ORDERS = ("simultaneous", "sequential")
MODES, REDUCTIONS, BATCHING = batching_spec.MODES, batching_spec.REDUCTIONS, batching_spec.KEYS
PROFILES = ("chain", "delta", "single-weight", "matrix")
# δ's sign where a profile has its own: the matrix profile's δ is ∂E/∂z, as Nielsen writes it
DEFAULT_DELTA_SIGN = {"matrix": "plus"}
DELTA_SIGNS = ("minus", "plus")
SECTIONS = ("setup", "forward", "backward", "updates", "training")
# Activations a page may say it replaces: those with a differentiable stand-in.
REPLACEABLE = tuple(a.name for a in ACTIVATIONS.values() if a.surrogate)
# Significant digits shown when [display] digits is unset: enough for invented numbers, and few
# enough that a table's column stays narrow. A scenario reproducing a published article sets the
# article's own digits (mazur-2-2-2: 9); a claim is checked at its printed digits either way.
DEFAULT_DIGITS = 4


@dataclass(frozen=True)
class Layer:
    neurons: tuple[str, ...]
    activation: str
    weights: tuple[tuple[float, ...], ...]  # weights[j][k]: from source k into neuron j
    weight_names: tuple[tuple[str, ...], ...]
    bias: str  # one of BIAS_MODES
    biases: tuple[float, ...]  # one per neuron (per-neuron), one (shared) or none
    bias_names: tuple[str, ...]
    train_weights: bool
    train_biases: bool
    bias_input: float  # the constant the bias multiplies: 1, or −1 for a threshold (seed 003)
    setting: str | None = None  # the activation's parameter as written (slope = 0.2), if set

    @property
    def rule(self) -> Activation:
        return activation(self.activation, self.setting)


@dataclass(frozen=True)
class Names:
    """Key patterns; `{neuron}` stands for a neuron's name (net_{neuron} → net_h1)."""

    net: str
    out: str
    target: str
    loss: str
    loss_term: str  # "" when the loss has no named per-output terms


@dataclass(frozen=True)
class Scenario:
    path: str
    name: str
    title: str
    source: str
    description: str
    inputs: tuple[str, ...]
    layers: tuple[Layer, ...]
    input_values: tuple[float, ...]  # the example worked in full (the data set's first row)
    targets: tuple[float, ...]
    # A training set: (inputs, targets) per example; empty for a single example. With data,
    # `steps` counts epochs, and `mode` says how an epoch updates: stochastic, once per example
    # in order; batch, once per epoch with the mean of the examples' gradients.
    data: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]
    mode: str
    loss: str
    residual: str
    names: Names
    symbols: tuple[tuple[str, str], ...]  # key → LaTeX, the author's overrides
    learning_rate: float
    steps: int
    until_loss: float | None  # stop early once the loss is below this; `steps` is then a cap
    update: str  # simultaneous: all gradients from one forward pass; sequential: output layer
    # first, hidden-layer derivatives using the already updated weights
    digits: int
    table_steps: int
    error_split: bool  # seed 004: the output error split in proportion to the weights
    highlight: str  # the parameter whose chain-rule paths the network figure marks ("": default)
    profile: str  # notation: chain (Mazur), delta (seeds 003, 004), single-weight (seed 001),
    # matrix (a layer at once: W, z, a, δ)
    delta_sign: str  # delta, matrix profiles: "minus", δ = −∂E/∂net; "plus", δ = +∂E/∂net
    rate_symbol: str  # LaTeX for the learning rate: \eta (Mazur) or r (seed 001)
    narrative: tuple[tuple[str, str], ...]  # section → the author's own prose for it
    claims: tuple[Claim, ...] = ()
    limits: Limits = DEFAULT  # the limits it was loaded under, which the later stages keep too
    # seed 003: the activation the source started from (a step), which this page's layers
    # replace by its differentiable stand-in; the page compares the two ("": none)
    replaced: str = ""
    # seed 000: examples the network never trains on, forecast after training (inputs, targets)
    forecast: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...] = ()
    handout: HandoutSpec = NO_HANDOUT  # what a teacher's sheet leaves blank, how it varies
    init: Init | None = None  # the seeded generator the starting weights were drawn from
    optimizer: str = "sgd"  # a row of evaluate/optimizers.OPTIMIZERS
    optimizer_settings: Settings = DEFAULT_SETTINGS
    # with a training set: an update's examples (a mode's size: stochastic 1, batch all, or a
    # mini-batch's), their order each epoch, mean or sum
    batching: Batching = IN_ORDER
    arithmetic: str = "float64"  # the page's arithmetic unless --arithmetic gives another
    # [example.fixed]: node values a source sets by hand (out_h1 = 0.6) rather than computes;
    # on the page (the worked step computes on from them), or the source's only (verify's)
    fixed: tuple[tuple[str, float], ...] = ()
    fixed_on_page: bool = True

    @property
    def epoch(self) -> Batching:
        """How an epoch is cut, with the mode's size (stochastic 1, batch every example)."""
        size = {"stochastic": 1, "batch": 0}.get(self.mode, self.batching.size)
        return dataclasses.replace(self.batching, size=size)


TOP_KEYS = (
    "title",
    "source",
    "description",
    "network",
    "example",
    "loss",
    "training",
    "display",
    "names",
    "symbols",
    "narrative",
    "notation",
    "data",
    "claims",
    "forecast",
    "handout",
    "init",
)
LAYER_KEYS = (
    "neurons",
    "activation",
    "weights",
    "weight_names",
    "bias",
    "biases",
    "bias_names",
    "bias_input",
    "train_weights",
    "train_biases",
    *sorted({a.parameter.key for a in ACTIVATIONS.values() if a.parameter}),
)


AnyScenario = Scenario | graph_scenario.GraphScenario


def shipped() -> list[Path]:
    """The scenario files that come with explainer."""
    return sorted(resource_dir("scenarios").glob("*.toml"))


def locate(name: str | Path) -> Path:
    """A scenario argument: a path to a .toml file, or the name of a shipped scenario."""
    path = Path(name)
    if path.suffix == ".toml" or path.exists():
        return path
    candidate = resource_dir("scenarios") / f"{name}.toml"
    if candidate.exists():
        return candidate
    known = ", ".join(p.stem for p in shipped())
    raise UsageError(
        f"{name}: no such file and no shipped scenario of that name (shipped: {known})"
    )


def load(path: str | Path, limits: Limits = DEFAULT) -> AnyScenario:
    """Read and validate one scenario file (untrusted: every limit applies before the work)."""
    p = Path(path)
    file = str(path)
    try:
        text = read_regular(file, "", p, limits, "file_bytes").decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError(file, "", "a UTF-8 text file", str(e)) from None
    depth = toml_shape.nesting(text)
    if depth > limits.nesting:
        raise limits.exceeded(file, "", "nesting", "arrays and tables nested", depth)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(file, "", "valid TOML", str(e)) from None
    except ValueError:  # tomllib's int() of an integer longer than Python converts (4,300 digits)
        raise ScenarioError(
            file, "", "valid TOML with integers of a sensible size", "an integer too long to read"
        ) from None
    except RecursionError:  # a nesting our count missed; tomllib recurses per level
        raise ScenarioError(file, "", "arrays and tables nested less deeply", "deeper") from None
    depth = toml_shape.depth(raw)  # dotted keys (a.b.c = 1) nest too, without brackets
    if depth > limits.nesting:
        raise limits.exceeded(file, "", "nesting", "keys and tables nested", depth)
    return _build(file, toml_shape.safe_name(p.stem), raw, limits)


def load_network(path: str | Path, limits: Limits = DEFAULT) -> Scenario:
    """A network scenario's file (a graph's is refused: it has no network)."""
    s = load(path, limits)
    if not isinstance(s, Scenario):
        raise ScenarioError(str(path), "graph", "a [network] scenario", "a computational graph")
    return s


def from_mapping(
    data: Mapping[str, Any], name: str = "scenario", limits: Limits = DEFAULT
) -> AnyScenario:
    """A scenario from a mapping with the file format's keys (the Python API's
    `explainer.scenario`): validated exactly as a file is, errors naming `<name>` and the key.
    Values must be what TOML gives: str, int, float, bool, lists (tuples too) and mappings. A
    `[data] csv` path is read relative to the current folder."""
    origin = f"<{name}>"
    raw = toml_shape.plain(data, origin, "", limits)
    if not isinstance(raw, dict):
        raise ScenarioError(origin, "", "a mapping of the scenario's tables", kind(raw))
    depth = toml_shape.depth(raw)
    if depth > limits.nesting:
        raise limits.exceeded(origin, "", "nesting", "keys and tables nested", depth)
    return _build(origin, toml_shape.safe_name(name), raw, limits)


def _build(file: str, stem: str, raw: dict[str, Any], limits: Limits = DEFAULT) -> AnyScenario:
    """A network scenario, or with a `[graph]` table and no `[network]`, a graph scenario."""
    if "graph" in raw and "network" not in raw:
        return graph_scenario.build(file, stem, raw, limits)
    return _network(file, stem, raw, limits)


def _network(file: str, stem: str, raw: dict[str, Any], limits: Limits) -> AnyScenario:
    top = Reader(file, raw, "", TOP_KEYS)
    net = top.sub("network", ("inputs", "layers"), required=True)
    inputs = net.get("inputs", net.list_of(net.name))
    layers_raw = net.get("layers", net.list_of(lambda k, v: v))
    if len(layers_raw) > limits.layers:  # before each is read
        raise limits.exceeded(file, "network.layers", "layers", "a network", len(layers_raw))
    init = init_spec.read(top)
    layers = _layers(file, layers_raw, len(inputs), init)
    _check_size(file, limits, len(inputs), layers)

    loss_raw = raw.get("loss")
    if isinstance(loss_raw, dict) and loss_raw.get("function") == "none":
        return _without_loss(file, stem, top, inputs, layers, limits)
    n_out = len(layers[-1].neurons)
    data = _data(file, top, inputs, layers, limits)
    forecast = _data(file, top, inputs, layers, limits, "forecast")
    example = top.sub("example", ("inputs", "targets", "fixed", "fixed_on_page"), required=not data)
    if data and example.table:
        raise ScenarioError(
            file, "example", "no [example] beside [data] (the first row is worked in full)", "both"
        )
    loss = top.sub("loss", ("function", "residual"))
    training = top.sub(
        "training",
        (
            "learning_rate",
            "steps",
            "update",
            "until_loss",
            "mode",
            *optimizer_spec.KEYS,
            *BATCHING,
        ),
        required=True,
    )
    mode, batching = batching_spec.read(training, len(data))
    # the example worked in full: the first of the first update's batch (the first row, unless
    # the epochs are shuffled)
    worked = data[batching.first(len(data))[0]] if data else None
    input_values = (
        worked[0] if worked else example.get("inputs", example.list_of(example.number, len(inputs)))
    )
    targets = (
        worked[1] if worked else example.get("targets", example.list_of(example.number, n_out))
    )

    narrative = top.sub("narrative", SECTIONS)
    display = top.sub(
        "display", ("digits", "table_steps", "error_split", "highlight", "replaced", "arithmetic")
    )
    if data and display.table.get("arithmetic", "float64") != "float64":
        raise ScenarioError(  # exact, float32 and paper repeat the worked step, one example
            file,
            display.key("arithmetic"),
            "float64 for a training set (the other arithmetics train by repeating the worked "
            "step, one example at a time)",
            repr(display.table["arithmetic"]),
        )
    notation = top.sub("notation", ("profile", "delta_sign", "rate_symbol"))
    names_t = top.sub("names", ("net", "out", "target", "loss", "loss_term"))
    # a loss over the layer (the multiclass hinge) has no per-output terms of their own: every
    # output's holds the true class's score
    joint = LOSSES.get(str(loss.table.get("function")), LOSSES["half_sse"]).over_layer
    if joint and names_t.table.get("loss_term"):
        raise ScenarioError(
            file,
            names_t.key("loss_term"),
            f"no named per-output terms with the {loss.table['function']} loss (every "
            "output's term holds the true class's score s_y)",
            repr(names_t.table["loss_term"]),
        )
    names = Names(
        net=names_t.get("net", names_t.pattern, "net_{neuron}"),
        out=names_t.get("out", names_t.pattern, "out_{neuron}"),
        target=names_t.get("target", names_t.pattern, "target_{neuron}"),
        loss=names_t.get("loss", names_t.name, "E_total"),
        loss_term=names_t.get(
            "loss_term", names_t.optional_pattern, "E_{neuron}" if n_out > 1 and not joint else ""
        ),
    )
    fixed, fixed_on_page = _fixed(file, example, layers, names)
    if fixed and fixed_on_page and training.table.get("steps", 0) != 0:
        raise ScenarioError(
            file,
            training.key("steps"),
            "0 with outputs set by hand on the page (they hold for the worked step only; "
            "training would compute every output)",
            repr(training.table["steps"]),
        )
    raw_symbols = top.table.get("symbols", {})
    symbols_t = top.sub("symbols", tuple(raw_symbols) if isinstance(raw_symbols, dict) else ())
    symbols = tuple((k, symbols_t.latex(symbols_t.key(k), v)) for k, v in symbols_t.table.items())

    scenario = Scenario(
        **graph_scenario.heading(file, stem, top),
        inputs=inputs,
        layers=layers,
        input_values=input_values,
        targets=targets,
        loss=loss.get("function", loss.choice(LOSSES), "half_sse"),
        residual=loss.get("residual", loss.choice(RESIDUALS), "target-out"),
        names=names,
        symbols=symbols,
        learning_rate=training.get("learning_rate", training.positive),
        steps=training.get(
            "steps", training.count(0, limits.steps), 0 if fixed_on_page and fixed else 1
        ),
        fixed=fixed,
        fixed_on_page=fixed_on_page,
        until_loss=training.get("until_loss", training.positive, None),
        data=data,
        forecast=forecast,
        handout=handout_spec.read(top),
        init=init,
        **_optimizer(training, loss.table.get("function", "half_sse")),
        mode=mode,
        batching=batching,
        update=training.get("update", training.choice(UPDATE_ORDERS), "simultaneous"),
        digits=display.get("digits", display.count(1, 15), DEFAULT_DIGITS),
        arithmetic=display.get("arithmetic", _arithmetic(display), "float64"),
        table_steps=display.get("table_steps", display.count(1, 1000), 10),
        error_split=display.get("error_split", display.boolean, False),
        highlight=display.get("highlight", display.name, ""),
        replaced=display.get("replaced", display.choice(REPLACEABLE), ""),
        profile=notation.get("profile", notation.choice(PROFILES), "chain"),
        # the matrix profile's δ is ∂E/∂z, as Nielsen and most slides write it; the delta
        # rule's (seeds 003, 004) is −∂E/∂net
        delta_sign=notation.get(
            "delta_sign",
            notation.choice(DELTA_SIGNS),
            DEFAULT_DELTA_SIGN.get(str(notation.table.get("profile")), "minus"),
        ),
        rate_symbol=notation.get("rate_symbol", notation.latex, r"\eta"),
        narrative=tuple(
            (k, narrative.get(k, narrative.prose)) for k in SECTIONS if k in narrative.table
        ),
    )
    _check_keys(scenario, symbols_t)
    return dataclasses.replace(scenario, claims=read_claims(top, limits), limits=limits)


# A network without a loss is differentiated as a computational graph: each neuron's weighted
# sum and output one gate each (gates = "nodes"), its output's gradient 1.
GRAPH_ACTIVATIONS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu"}
WITHOUT_LOSS = tuple(
    k
    for k in TOP_KEYS
    if k not in ("training", "data", "names", "notation", "symbols", "narrative")
)


def _without_loss(
    file: str,
    stem: str,
    top: Reader,
    inputs: tuple[str, ...],
    layers: tuple[Layer, ...],
    limits: Limits,
) -> graph_scenario.GraphScenario:
    """`[loss] function = "none"`: the network's one output differentiated directly, with
    respect to every weight, bias and input, on the same core as a computational graph."""
    Reader(file, top.table, "", WITHOUT_LOSS)  # nothing to train, no targets to name
    Reader(file, top.table["loss"], "loss", ("function",))
    if len(layers[-1].neurons) != 1:
        raise ScenarioError(
            file,
            "loss.function",
            "one output neuron to differentiate without a loss",
            f"{len(layers[-1].neurons)} output neurons",
        )
    example = top.sub("example", ("inputs",), required=True)
    values = example.get("inputs", example.list_of(example.number, len(inputs)))
    display = top.sub("display", ("digits",))
    g = _Graph(file)
    for i, (name, value) in enumerate(zip(inputs, values, strict=True)):
        g.leaf(name, value, f"network.inputs[{i}]")
    sources: tuple[str, ...] = inputs
    for li, layer in enumerate(layers):
        if layer.activation not in (*GRAPH_ACTIVATIONS, "identity", "none"):
            raise ScenarioError(
                file,
                f"network.layers[{li}].activation",
                "a differentiable activation (sigmoid, tanh, relu, identity, none) without a loss",
                repr(layer.activation),
            )
        sources = tuple(g.neuron(li, layer, j, sources) for j in range(len(layer.neurons)))
    leaves, nodes = tuple(g.leaves), tuple(g.nodes)
    return graph_scenario.GraphScenario(
        **graph_scenario.heading(file, stem, top),
        leaves=leaves,
        nodes=nodes,
        output=sources[0],
        grouping="nodes",
        digits=display.get("digits", display.count(1, 15), DEFAULT_DIGITS),
        symbols=(),
        narrative=(),
        claims=read_claims(top, limits),
        limits=limits,
    )


class _Graph:
    """A network's leaves and nodes as a graph scenario has them, each name defined once."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.leaves: list[tuple[str, float]] = []
        self.nodes: list[tuple[str, Node]] = []
        self.seen: dict[str, str] = {}  # name → the key that defines it

    def define(self, name: str, where: str) -> None:
        if name in FUNCTIONS or name in self.seen:
            first = f"defined at {self.seen[name]}" if name in self.seen else "a function's name"
            raise ScenarioError(self.file, where, "a name used once", f"{name} ({first})")
        self.seen[name] = where

    def leaf(self, name: str, value: float, where: str) -> None:
        self.define(name, where)
        self.leaves.append((name, value))

    def neuron(self, li: int, layer: Layer, j: int, sources: tuple[str, ...]) -> str:
        """Neuron j's weighted sum (a threshold subtracts) and output; the output's name."""
        at = f"network.layers[{li}]"
        terms: list[Node] = []
        for k, src in enumerate(sources):
            self.leaf(layer.weight_names[j][k], layer.weights[j][k], f"{at}.weight_names[{j}][{k}]")
            terms.append(Op("mul", (Ref(layer.weight_names[j][k], 0), Ref(src, 0)), 0))
        total = terms[0]
        for t in terms[1:]:
            total = Op("add", (total, t), 0)
        if layer.bias_names:
            shared = layer.bias == "shared"
            b = layer.bias_names[0 if shared else j]
            if not (shared and j):  # a shared bias is one leaf
                self.leaf(
                    b, layer.biases[0 if shared else j], f"{at}.bias_names[{0 if shared else j}]"
                )
            total = Op("sub" if layer.bias_input == -1 else "add", (total, Ref(b, 0)), 0)
        name, net, out = layer.neurons[j], f"net_{layer.neurons[j]}", f"out_{layer.neurons[j]}"
        if layer.activation not in GRAPH_ACTIVATIONS:  # identity, none: the output is the sum
            self.define(out, f"{at}.neurons[{j}]")
            self.nodes.append((out, total))
            return out
        for n in (net, out):
            self.define(n, f"{at}.neurons[{j}] ({name})")
        self.nodes += [
            (net, total),
            (out, Op(GRAPH_ACTIVATIONS[layer.activation], (Ref(net, 0),), 0)),
        ]
        return out


def _data(
    file: str,
    top: Reader,
    inputs: tuple[str, ...],
    layers: tuple[Layer, ...],
    limits: Limits,
    section: str = "data",
) -> tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]:
    """A set of examples, inline (lists of rows) or from a CSV file beside the scenario whose
    header names the inputs, then one column per output neuron: the training set ([data]) or
    the unseen examples to forecast ([forecast])."""
    r = top.sub(section, ("inputs", "targets", "csv"))
    if not r.table:
        return ()
    n_in, n_out = len(inputs), len(layers[-1].neurons)
    if "csv" in r.table:
        if set(r.table) != {"csv"}:
            raise ScenarioError(file, section, "either csv or inputs and targets", "both")
        return _csv(file, r.get("csv", r.line), n_in, n_out, limits, section)
    rows = r.table.get("inputs")
    if isinstance(rows, list) and len(rows) > limits.examples:
        what = "a training set" if section == "data" else "a set of unseen examples"
        raise limits.exceeded(file, f"{section}.inputs", "examples", what, len(rows))
    ins = r.get("inputs", r.list_of(r.list_of(r.number, n_in)))
    outs = r.get("targets", r.list_of(r.list_of(r.number, n_out), len(ins)))
    return tuple(zip(ins, outs, strict=True))


def _csv(
    file: str, name: str, n_in: int, n_out: int, limits: Limits, section: str = "data"
) -> tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]:
    columns = f"{n_in} inputs, {n_out} targets"
    _, rows = csv_table(file, name, limits, section, n_in + n_out, columns)
    return tuple((row[:n_in], row[n_in:]) for row in rows)


def _check_size(file: str, limits: Limits, n_inputs: int, layers: tuple[Layer, ...]) -> None:
    """Neurons and parameters within their limits."""
    if n_inputs > limits.neurons:
        raise limits.exceeded(file, "network.inputs", "neurons", "inputs", n_inputs)
    for i, layer in enumerate(layers):
        if len(layer.neurons) > limits.neurons:
            where = f"network.layers[{i}].neurons"
            raise limits.exceeded(file, where, "neurons", "a layer", len(layer.neurons))
    if parameters(layers) > limits.parameters:
        where = "network.layers"
        raise limits.exceeded(file, where, "parameters", "a network", parameters(layers))


def parameters(layers: tuple[Layer, ...]) -> int:
    """Weights and biases, trained or not."""
    weights = sum(len(layer.weight_names) * len(layer.weight_names[0]) for layer in layers)
    return weights + sum(len(layer.bias_names) for layer in layers)


def _arithmetic(r: Reader) -> Callable[[str, object], str]:
    """[display] arithmetic: a spec --arithmetic takes (checked by its parser)."""

    def check(key: str, v: object) -> str:
        try:
            parse_arithmetic(v)  # type: ignore[arg-type]  # a non-string is its error too
        except UsageError:
            raise r.fail(key, EXPECTED, v) from None
        return str(v)

    return check


def _optimizer(training: Reader, loss: object) -> dict[str, Any]:
    """`optimizer` and its settings (optimizer_spec.read), none on an objective climbed."""
    ascent = isinstance(loss, str) and LOSSES.get(loss, LOSSES["half_sse"]).ascent
    name, settings = optimizer_spec.read(training, ascent)
    return {"optimizer": name, "optimizer_settings": settings}


def _readers(file: str, raw: tuple[Any, ...]) -> list[Reader]:
    readers = []
    for i, table in enumerate(raw):
        key = f"network.layers[{i}]"
        if not isinstance(table, dict):
            raise ScenarioError(file, key, "a table ([[network.layers]])", kind(table))
        readers.append(Reader(file, table, key, LAYER_KEYS))
    return readers


def _drawn(
    file: str, readers: list[Reader], n_inputs: int, init: Init | None
) -> list[tuple[tuple[tuple[float, ...], ...], tuple[float, ...]]] | None:
    """With `[init]`, every layer's weights and biases drawn in the generator's order (a layer
    then gives none of its own: one stream, in the source's order)."""
    if init is None:
        return None
    shapes, fan_in = [], n_inputs
    for r in readers:
        for k in ("weights", "biases"):
            if k in r.table:
                raise ScenarioError(
                    file, r.key(k), "no values beside [init], which draws them", "values"
                )
        n = len(r.get("neurons", r.list_of(r.name)))
        bias = r.get("bias", r.choice(BIAS_MODES), "none")
        shapes.append((n, fan_in, {"none": 0, "shared": 1, "per-neuron": n}[bias]))
        fan_in = n
    drawn = init.layers(shapes)
    if not all(math.isfinite(x) for w, b in drawn for x in (*(v for row in w for v in row), *b)):
        raise ScenarioError(  # scale·draw + shift past float range
            file, "init.scale", "a scale and shift that keep every drawn value finite", "inf"
        )
    return drawn


def _layers(
    file: str, raw: tuple[Any, ...], n_inputs: int, init: Init | None = None
) -> tuple[Layer, ...]:
    layers: list[Layer] = []
    fan_in = n_inputs
    weight_no, bias_no = 1, 1
    readers = _readers(file, raw)
    drawn = _drawn(file, readers, n_inputs, init)
    for i, r in enumerate(readers):
        key = r.path
        neurons = r.get("neurons", r.list_of(r.name))
        activation = r.get("activation", r.choice(ACTIVATIONS))
        setting = _setting(file, r, key, activation)
        row = r.list_of(r.number, fan_in)
        weights = r.get("weights", r.list_of(row, len(neurons)), drawn[i][0] if drawn else ...)
        default_w = tuple(
            tuple(f"w{weight_no + j * fan_in + k}" for k in range(fan_in))
            for j in range(len(neurons))
        )
        weight_no += len(neurons) * fan_in
        weight_names = r.get(
            "weight_names", r.list_of(r.list_of(r.name, fan_in), len(neurons)), default_w
        )
        bias = r.get("bias", r.choice(BIAS_MODES), "none")
        n_bias = {"none": 0, "shared": 1, "per-neuron": len(neurons)}[bias]
        biases = r.get(
            "biases",
            r.list_of(r.number, n_bias, min_length=0),
            drawn[i][1] if drawn else () if n_bias == 0 else ...,
        )
        default_b = (f"b{bias_no}",) if bias == "shared" else tuple(f"b_{n}" for n in neurons)
        bias_no += bias == "shared"
        bias_names = r.get(
            "bias_names", r.list_of(r.name, n_bias, min_length=0), default_b[:n_bias]
        )
        layers.append(
            Layer(
                neurons=neurons,
                activation=activation,
                weights=weights,
                weight_names=weight_names,
                bias=bias,
                biases=biases,
                bias_names=bias_names,
                train_weights=r.get("train_weights", r.boolean, True),
                train_biases=r.get("train_biases", r.boolean, True),
                bias_input=r.get("bias_input", r.choice_number((1.0, -1.0)), 1.0),
                setting=setting,
            )
        )
        fan_in = len(neurons)
    if not layers:
        raise ScenarioError(file, "network.layers", "at least one layer", "none")
    return tuple(layers)


def _setting(file: str, r: Reader, key: str, name: str) -> str | None:
    """The activation's parameter (leaky ReLU's slope, ELU's alpha) as written, or None for its
    default; a parameter of another activation is refused."""
    own = ACTIVATIONS[name].parameter
    for other in {a.parameter.key for a in ACTIVATIONS.values() if a.parameter} - (
        {own.key} if own else set()
    ):
        if other in r.table:
            users = [
                a.name for a in ACTIVATIONS.values() if a.parameter and a.parameter.key == other
            ]
            raise ScenarioError(
                file,
                f"{key}.{other}",
                f"only with activation {' or '.join(users)}",
                f"activation {name}",
            )
    if own is None or own.key not in r.table:
        return None
    value = r.get(own.key, r.number)
    if own.key == "alpha" and not value > 0:
        raise ScenarioError(file, f"{key}.{own.key}", "a number above 0", repr(value))
    return repr(float(value))


def _fixed(
    file: str, example: Reader, layers: tuple[Layer, ...], names: Names
) -> tuple[tuple[tuple[str, float], ...], bool]:
    """[example.fixed]: each hand-set neuron output or net input, by its key, as written; and
    `fixed_on_page` (default true: the page's worked step computes on from them; false: only
    the source does, and verify names it)."""
    if "fixed" not in example.table:
        if "fixed_on_page" in example.table:
            raise ScenarioError(
                file, example.key("fixed_on_page"), "an [example.fixed] table beside it", "none"
            )
        return (), True
    keys = [
        neuron_key(pattern, n)
        for layer in layers
        for n in layer.neurons
        for pattern in ((names.net, names.out) if layer.rule.has_net else (names.out,))
    ]
    table = example.sub("fixed", tuple(keys))
    if not table.table:
        raise ScenarioError(file, example.key("fixed"), "at least one hand-set value", "none")
    values = tuple((k, float(table.get(k, table.number))) for k in table.table)
    for layer in layers:  # a net input set by hand has no effect where its output is set too
        for n in layer.neurons if layer.rule.has_net else ():
            both = [neuron_key(names.net, n), neuron_key(names.out, n)]
            if all(k in table.table for k in both):
                raise ScenarioError(
                    file,
                    table.key(both[0]),
                    f"one of {both[0]} and {both[1]} set by hand (the output set by hand makes "
                    "its net input unused)",
                    "both",
                )
    return values, example.get("fixed_on_page", example.boolean, True)


def neuron_key(pattern: str, neuron: str) -> str:
    return pattern.replace("{neuron}", neuron)


def all_keys(s: Scenario) -> list[tuple[str, str]]:
    """Every name the scenario defines, with the key path that defines it, in declared order."""
    keys = [(n, f"network.inputs[{i}]") for i, n in enumerate(s.inputs)]
    for i, layer in enumerate(s.layers):
        where = f"network.layers[{i}]"
        keys += [(n, f"{where}.weight_names") for row in layer.weight_names for n in row]
        keys += [(n, f"{where}.bias_names") for n in layer.bias_names]
        for n in layer.neurons:
            out, net = neuron_key(s.names.out, n), neuron_key(s.names.net, n)
            keys.append((out, f"{where}.neurons"))
            if ACTIVATIONS[layer.activation].has_net:
                keys.append((net, "names.net" if net == out else f"{where}.neurons"))
    out_layer = s.layers[-1]
    keys += [(neuron_key(s.names.target, n), "names.target") for n in out_layer.neurons]
    if s.names.loss_term:
        keys += [(neuron_key(s.names.loss_term, n), "names.loss_term") for n in out_layer.neurons]
    keys.append((s.names.loss, "names.loss"))
    return keys


def _check_keys(s: Scenario, symbols: Reader) -> None:
    _check_patterns(s)
    seen = _check_names(s)
    _check_profile(s)
    for key, _ in s.symbols:
        if key not in seen:
            raise ScenarioError(
                s.path, symbols.key(key), "a name the network defines", "an unknown name"
            )


def _check_patterns(s: Scenario) -> None:
    n_all = sum(len(layer.neurons) for layer in s.layers)
    n_out = len(s.layers[-1].neurons)
    for pattern, where, used_by in (
        (s.names.net, "names.net", n_all),
        (s.names.out, "names.out", n_all),
        (s.names.target, "names.target", n_out),
        (s.names.loss_term, "names.loss_term", n_out),
    ):
        if pattern and "{neuron}" not in pattern and used_by > 1:
            raise ScenarioError(s.path, where, "a pattern containing {neuron}", repr(pattern))
    last = len(s.layers) - 1
    for li, layer in enumerate(s.layers[:-1]):
        if ACTIVATIONS[layer.activation].over_layer:
            raise ScenarioError(
                s.path,
                f"network.layers[{li}].activation",
                f"an activation of one neuron ({layer.activation} is over a whole layer, and "
                "only the output layer may have it)",
                repr(layer.activation),
            )
    if ACTIVATIONS[s.layers[-1].activation].over_layer and len(s.layers[-1].neurons) < 2:
        raise ScenarioError(
            s.path,
            f"network.layers[{last}].neurons",
            f"two or more neurons for a {s.layers[-1].activation} (of one, its output is 1 "
            "whatever its net input, and nothing learns)",
            f"{len(s.layers[-1].neurons)} neuron",
        )
    if s.loss in DISTRIBUTION:
        _check_distribution(s, last)
    if s.loss == "hinge":
        _check_signs(s)
    if LOSSES[s.loss].over_layer:
        _check_one_hot(s)
    if s.loss == "cross_entropy" and s.layers[-1].activation != "sigmoid":
        raise ScenarioError(
            s.path,
            f"network.layers[{len(s.layers) - 1}].activation",
            '"sigmoid" for the cross-entropy loss (its outputs must lie in (0, 1))',
            repr(s.layers[-1].activation),
        )


def _target_rows(s: Scenario) -> list[tuple[str, tuple[float, ...]]]:
    """Every example's targets, with the key that gives them: the worked example's, then the
    training set's rows."""
    return [("example.targets", s.targets)] + [
        (f"data.targets[{r}]", t) for r, (_, t) in enumerate(s.data)
    ]


def _check_signs(s: Scenario) -> None:
    """The hinge loss max(0, 1 − t·out): every target a class's sign, +1 or −1."""
    for where, targets in _target_rows(s):
        if any(t not in (-1.0, 1.0) for t in targets):
            raise ScenarioError(
                s.path,
                where,
                "targets of +1 or −1 for the hinge loss (a class's sign)",
                str(list(targets)),
            )


def _check_one_hot(s: Scenario) -> None:
    """The multiclass hinge: each example's targets one-hot, the 1 marking its class y; and no
    name of the scenario's the key of the true class's score."""
    taken = [where for k, where in all_keys(s) if k == SCORE]
    if taken:
        raise ScenarioError(
            s.path, taken[0], f"a name other than {SCORE} (the true class's score)", SCORE
        )
    for where, targets in _target_rows(s):
        if sorted(targets) != [0.0] * (len(targets) - 1) + [1.0]:
            raise ScenarioError(
                s.path,
                where,
                f"one-hot targets (one 1 marking the class, 0 elsewhere) for the {s.loss} loss",
                str(list(targets)),
            )


# Losses over a distribution of classes: the output layer each needs, and why
DISTRIBUTION = {
    "categorical_cross_entropy": (
        "softmax",
        "categorical cross-entropy loss (its outputs must be a distribution over the classes)",
    ),
    "nll": ("log_softmax", "negative log-likelihood (its outputs must be log-probabilities)"),
}


def _check_distribution(s: Scenario, last: int) -> None:
    """The categorical cross-entropy −Σ t_i ln out_i: out a softmax (each in (0, 1), summing to
    1), every example's targets a distribution (≥ 0, summing to 1), as one-hot classes are, for
    the Jacobian's sum to leave out_j·Σ t_i − t_j = out_j − t_j."""
    wanted, what = DISTRIBUTION[s.loss]
    if s.layers[-1].activation != wanted:
        raise ScenarioError(
            s.path,
            f"network.layers[{last}].activation",
            f'"{wanted}" for the {what}',
            repr(s.layers[-1].activation),
        )
    for where, targets in _target_rows(s):
        if min(targets) < 0 or abs(math.fsum(targets) - 1) > 1e-12:
            raise ScenarioError(
                s.path,
                where,
                "targets that are a distribution over the classes (each ≥ 0, summing to 1, "
                f"as one-hot classes [0, 1, 0] are) for the {DISTRIBUTION[s.loss][1].split(' (')[0]}",
                f"{list(targets)} (summing to {math.fsum(targets):g})",
            )


# Prefixes of the keys of computed quantities that are not nodes of the network (δ terms and
# seed 004's error split, named in quantities.py): no name the scenario defines starts with one.
RESERVED = ("delta_", "error_", "share_", "split_", "scaled_")


def _check_names(s: Scenario) -> dict[str, str]:
    """Every name the network defines, each once and none starting with a RESERVED prefix:
    name → key."""
    seen: dict[str, str] = {}
    for key, where in all_keys(s):
        if key.startswith(RESERVED):
            raise ScenarioError(
                s.path,
                where,
                f"a name not starting with {', '.join(RESERVED[:-1])} or {RESERVED[-1]} "
                "(kept for δ and the error split)",
                repr(key),
            )
        if key in seen:
            raise ScenarioError(
                s.path, where, f"a name not used elsewhere ({seen[key]} has it)", repr(key)
            )
        seen[key] = where
    return seen


# Neurons in a layer (or inputs) above which a page summarises: one neuron of each layer
# written out, the rest in tables (page/context.summarised)
SUMMARY_WIDTH = 4


def _check_matrix(s: Scenario) -> None:
    """The matrix profile writes every entry of every matrix, and a layer's update at once."""
    widest = max(len(s.inputs), *(len(x.neurons) for x in s.layers))
    if widest > SUMMARY_WIDTH:
        raise ScenarioError(
            s.path,
            "notation.profile",
            f"the chain profile for a layer of more than {SUMMARY_WIDTH} neurons or inputs "
            "(the matrix profile writes every entry; a wider page is summarised in tables)",
            f"matrix, with a layer of {widest}",
        )
    if s.fixed and s.fixed_on_page:
        raise ScenarioError(
            s.path,
            "example.fixed",
            "computed outputs with the matrix profile (it writes a layer's a = f(z) at once); "
            "the chain profile shows hand-set ones",
            ", ".join(k for k, _ in s.fixed),
        )
    if s.update == "sequential":
        raise ScenarioError(
            s.path,
            "training.update",
            "simultaneous updates with the matrix profile (δ of a layer is taken through the "
            "weights above as they were)",
            repr(s.update),
        )


def _check_profile(s: Scenario) -> None:
    trained = [
        n for layer in s.layers for row in layer.weight_names for n in row if layer.train_weights
    ] + [n for layer in s.layers for n in layer.bias_names if layer.train_biases]
    if s.error_split and len(s.layers) < 2:
        raise ScenarioError(
            s.path,
            "display.error_split",
            "a network with a hidden layer to split the error back to",
            f"{len(s.layers)} layer",
        )
    layered = s.profile in {"delta", "matrix"}  # a layer's error signal δ, not each partial
    if layered and (s.optimizer != "sgd" or s.optimizer_settings.penalized):
        raise ScenarioError(  # the delta rule's update row is plain descent's, Δw = −η·δ·x
            s.path,
            "notation.profile",
            f"the chain profile for an optimizer or a penalty, weight_decay or l1 (the {s.profile} profile "
            "writes plain descent)",
            s.profile,
        )
    over = ACTIVATIONS[s.layers[-1].activation].over_layer
    if layered and over and s.loss not in DISTRIBUTION:
        raise ScenarioError(  # δ_j = −∂L/∂out_j · f′(net_j) needs an f of one net input
            s.path,
            "notation.profile",
            f"the chain profile for a {s.layers[-1].activation} output with this loss (the "
            f"{s.profile} profile's δ = error · f′(net) takes one net input; with the "
            "categorical cross-entropy it writes δ = out − t)",
            s.profile,
        )
    if s.profile == "matrix":
        _check_matrix(s)
    if s.profile == "single-weight" and len(trained) != 1:
        raise ScenarioError(
            s.path,
            "notation.profile",
            "a network with exactly one trained parameter for ordinary derivatives",
            f"{len(trained)} trained parameters",
        )
    stand_in = ACTIVATIONS[s.replaced].surrogate if s.replaced else ""
    if stand_in and stand_in not in {x.activation for x in s.layers}:
        raise ScenarioError(
            s.path,
            "display.replaced",
            f"a network with a {stand_in} layer to stand in for the {s.replaced}",
            "activations " + ", ".join(sorted({x.activation for x in s.layers})),
        )
    if s.highlight and s.highlight not in trained:
        raise ScenarioError(
            s.path,
            "display.highlight",
            f"a trained parameter ({', '.join(trained)})",
            repr(s.highlight),
        )
