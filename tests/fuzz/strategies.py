"""What the fuzzer feeds explainer (issue 9, widened by issue 24): scenario files generated from
the whole format and mutated from the shipped ones (as values and as bytes), computational
graphs, claims tables, handout options with roster files, and calls of the Python API with
hostile arguments. Strategies only: tests/fuzz/targets.py runs them, test_fuzz.py holds each to
its promise, and run.py counts what 10,000 of them do."""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterator
from typing import Any, Literal

from hypothesis import strategies as st

from explainer.rules.activations import ACTIVATIONS, LOSSES
from explainer.rules.operations import FUNCTIONS
from tests.conftest import SCENARIOS

STEPS = 20  # the shipped scenarios are trained for at most this many steps here (speed)
FORMATS = ("md", "json", "html", "tex")
ARITHMETIC = ("float64", "float64", "float64", "exact", "paper:3", "paper:2:truncate")


def _fast(raw: dict[str, Any]) -> dict[str, Any]:
    """A shipped scenario trained for at most STEPS steps, its claims at those steps only."""
    raw = json.loads(json.dumps(raw))
    training = raw.setdefault("training", {})
    training["steps"] = min(training.get("steps", 1), STEPS)
    claims = raw.get("claims", {})
    for key in list(claims):
        step = key.partition("@")[2]
        if step.isdigit() and int(step) > STEPS:
            del claims[key]
    return raw


SHIPPED = {
    p.stem: _fast(tomllib.loads(p.read_text(encoding="utf-8"))) for p in SCENARIOS.glob("*.toml")
}
NAMES = sorted(SHIPPED)


# -- TOML out (tomllib only reads) ---------------------------------------------------------------


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def toml_key(k: str) -> str:
    bare = k and all(c.isascii() and (c.isalnum() or c in "_-") for c in k)
    return k if bare else json.dumps(k, ensure_ascii=False)


def toml(doc: dict[str, Any]) -> str:
    """Every top-level key as one line, tables inline (valid TOML for any nesting)."""
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in doc.items())


# -- Strategies ----------------------------------------------------------------------------------

# Annotated: mypy infers a bare ("Cs",) argument as tuple[str], not as the Literal category
# names st.characters asks for.
SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
texts = st.text(
    alphabet=st.characters(blacklist_categories=SURROGATES), max_size=30
) | st.sampled_from(
    ["", "sigmoid", "w1", "h1", "\\alpha", "^^5c", "x_{1}", "\n", "../x.csv", "/etc/passwd"]
)
numbers = (
    st.integers(min_value=-(10**30), max_value=10**30)
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-3, max_value=3)
    | st.sampled_from([0, 1, -1, 0.0, 1e-320, 1e308, 10**7])
)
leaves = st.booleans() | numbers | texts
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


PER_NEURON = [name for name, a in ACTIVATIONS.items() if not a.over_layer]
# A loss that needs its own output layer: drawn mostly where it has it, and now and then not
OWN_OUTPUT = {
    "cross_entropy": "sigmoid",
    "categorical_cross_entropy": "softmax",
    "nll": "log_softmax",
}


def _loss(draw: st.DrawFn, activation: str) -> str:
    """A loss that fits the output layer, four times in five; else any (a mismatch refused)."""
    if not draw(st.integers(0, 4)):
        return draw(st.sampled_from(sorted(LOSSES)))
    fitting = [k for k in LOSSES if OWN_OUTPUT.get(k, activation) == activation]
    if activation in ("softmax", "log_softmax"):  # a loss over the classes
        fitting = [k for k in fitting if k in OWN_OUTPUT]
    return draw(st.sampled_from(sorted(fitting)))


def _fit_targets(draw: st.DrawFn, doc: dict[str, Any]) -> None:
    """Targets the drawn loss takes, mostly: a distribution over the classes, or signs ±1."""
    loss, example = doc["loss"]["function"], doc["example"]
    n = len(example["targets"])
    if loss in ("categorical_cross_entropy", "nll") and draw(st.integers(0, 4)):
        hot = draw(st.integers(0, n - 1))
        example["targets"] = [1.0 if i == hot else 0.0 for i in range(n)]
    if loss == "hinge" and draw(st.integers(0, 4)):
        example["targets"] = [draw(st.sampled_from([-1.0, 1.0])) for _ in range(n)]
    if loss in ("multiclass_hinge", "multi_margin") and draw(st.integers(0, 4)):
        hot = draw(st.integers(0, n - 1))  # the class the one-hot target marks
        example["targets"] = [1.0 if i == hot else 0.0 for i in range(n)]


def _penalty_and_hand_set(draw: st.DrawFn, doc: dict[str, Any]) -> None:
    """Now and then an L1 penalty, and outputs set by hand (a name of the network's or not)."""
    if draw(st.integers(0, 5)) == 0:
        doc["training"]["l1"] = draw(st.sampled_from([0.01, 0.0, -0.1, 1e300]))
    if draw(st.integers(0, 5)) == 0:
        name = draw(st.sampled_from(["out_n00", "net_n00", "out_n10", "w1", "nope"]))
        doc["example"]["fixed"] = {name: draw(st.sampled_from([0.6, -1e300, 0.0]))}
        if draw(st.booleans()):
            doc["example"]["fixed_on_page"] = draw(st.sampled_from([False, True, "no"]))


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario drawn from the whole format: often valid, sometimes not (a constraint across
    keys), always of a sensible size."""
    n_in = draw(st.integers(1, 3))
    inputs = [f"x{i + 1}" for i in range(n_in)]
    layers: list[dict[str, Any]] = []
    fan_in = n_in
    count = draw(st.integers(1, 3))
    for li in range(count):
        n = draw(st.integers(1, 3))
        weight = st.floats(-2, 2, allow_nan=False) | st.sampled_from([0.0, 0.5, 1e6, -1e6])
        layer: dict[str, Any] = {
            "neurons": [f"n{len(layers)}{j}" for j in range(n)],
            # a softmax is an output layer's (elsewhere refused): drawn there, now and then
            "activation": draw(
                st.sampled_from(sorted(ACTIVATIONS if li == count - 1 else PER_NEURON))
            ),
            "weights": [[draw(weight) for _ in range(fan_in)] for _ in range(n)],
        }
        row = ACTIVATIONS[layer["activation"]]
        if row.parameter and draw(st.booleans()):  # leaky ReLU's slope, ELU's α: odd ones too
            layer[row.parameter.key] = draw(st.sampled_from([0.2, 0.0, -1.0, 1e6, 1e-300]))
        bias = draw(st.sampled_from(["none", "shared", "per-neuron"]))
        if bias != "none":
            layer["bias"] = bias
            layer["biases"] = [draw(weight) for _ in range(1 if bias == "shared" else n)]
            layer["train_biases"] = draw(st.booleans())
            layer["bias_input"] = draw(st.sampled_from([1, -1]))
        layers.append(layer)
        fan_in = n
    doc: dict[str, Any] = {
        "title": draw(texts.filter(lambda t: t.isprintable())) or "t",
        "network": {"inputs": inputs, "layers": layers},
        "example": {
            "inputs": [draw(st.floats(-3, 3)) for _ in inputs],
            "targets": [draw(st.floats(0, 1)) for _ in range(fan_in)],
        },
        "loss": {
            "function": _loss(draw, layers[-1]["activation"]),
            "residual": draw(st.sampled_from(["target-out", "out-target"])),
        },
        "training": {
            "learning_rate": draw(st.sampled_from([0.1, 0.5, 1.0, 1e-9, 1e9])),
            "steps": draw(st.integers(0, 30)),
            "update": draw(st.sampled_from(["simultaneous", "sequential"])),
        },
        "notation": {
            "profile": draw(
                st.sampled_from(["chain", "delta", "chain", "delta", "single-weight", "matrix"])
            )
        },
        "display": {"digits": draw(st.integers(1, 15)), "table_steps": draw(st.integers(1, 12))},
    }
    _fit_targets(draw, doc)
    if draw(st.booleans()):
        doc["training"]["until_loss"] = draw(st.sampled_from([1e-3, 1e-12, 0.5]))
    _penalty_and_hand_set(draw, doc)
    if draw(st.booleans()):
        claimed = ["w1", "out_n00", "E_total", "out_n00@1#1", "delta_n00@2#9", "m_w1@3"]
        doc["claims"] = {f"{draw(st.sampled_from(claimed))}": draw(texts)}
    if draw(st.integers(0, 4)) == 0:  # a training set, cut into (odd) batches, shuffled
        example = doc.pop("example")
        rows = draw(st.integers(1, 5))
        doc["data"] = {"inputs": [example["inputs"]] * rows, "targets": [example["targets"]] * rows}
        batching = {
            "mode": draw(st.sampled_from(["stochastic", "batch", "minibatch", "epoch"])),
            "batch_size": draw(st.sampled_from([1, 2, 5, 0, 2.5])),
            "shuffle": draw(st.sampled_from(["numpy-rng", "numpy", "python", "torch"])),
            "shuffle_seed": draw(st.sampled_from([0, 7, 2**32, -1])),
            "reduction": draw(st.sampled_from(["mean", "sum", "max"])),
        }
        doc["training"] |= {k: v for k, v in batching.items() if draw(st.booleans())}
    if draw(st.integers(0, 4)) == 0:  # weights drawn from a seed instead ([init])
        for layer in layers:
            layer.pop("weights", None)
            layer.pop("biases", None)
        doc["init"] = {
            "generator": draw(st.sampled_from(["numpy", "numpy-rng", "python", "matlab"])),
            "seed": draw(st.sampled_from([0, 1, 2**32 - 1, 2**32, -1])),
            "order": draw(st.sampled_from(["matrix", "matrix-in-out", "neuron"])),
            "scale": draw(st.sampled_from([1.0, 0.01, 1e300, 0.0])),
        }
    return doc


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


def _parent(doc: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    for k in path[:-1]:
        doc = doc[k]
    return doc, path[-1]


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A shipped scenario with one to three changes: a number replaced by another (huge, tiny,
    zero, NaN, infinite), a value replaced by anything, a key removed, a key added, or a value
    buried in deep nesting."""
    name = draw(st.sampled_from(NAMES))
    doc = json.loads(json.dumps(SHIPPED[name]))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["replace", "remove", "add", "nest", *["number"] * 4]))
        numeric = [p for p in _paths(doc) if p and _is_number(_get(doc, p))]
        paths = numeric if kind == "number" and numeric else [p for p in _paths(doc) if p]
        parent, key = _parent(doc, draw(st.sampled_from(paths)))
        if kind == "number":  # near-valid: another number where a number was
            parent[key] = draw(numbers)
        elif kind == "replace":
            parent[key] = draw(values)
        elif kind == "remove":
            parent.pop(key)
        elif kind == "add" and isinstance(parent, dict):
            parent[draw(texts)] = draw(values)
        elif kind == "nest":
            parent[key] = _nested(parent[key], draw(st.integers(2, 60)))
    return name, doc


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    parent, key = _parent(doc, path)
    return parent[key]


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _nested(v: Any, depth: int) -> Any:
    for _ in range(depth):
        v = [v]
    return v


HOSTILE_LINES = [
    b"x" + b".a" * 2000 + b" = 1",  # dotted keys: nesting without brackets
    b"z = " + b"QQQxQQQQ".replace(b"Q", b"'") + b"\ny = " + b"[" * 200 + b"]" * 200,
    b'"w1@4000000" = "0.1"',
    b'"E_total@199" = "0.25"',
    b"table_steps = 1000",
    b'csv = "../../etc/passwd"',
    b'csv = "data/sine-window.csv"',
    b"rate_symbol = " + b"QQQ^^5cinputQQQ".replace(b"Q", b"'"),
    b'highlight = "w1"',
    b"[data]",
    b"[claims]",
    b"[symbols]",
    b"[display]",
]


@st.composite
def byte_mutations(draw: st.DrawFn) -> tuple[str, bytes]:
    """A shipped scenario's text with bytes inserted, deleted or repeated (often invalid TOML
    or invalid UTF-8)."""
    name = draw(st.sampled_from(NAMES))
    data = toml(SHIPPED[name]).encode("utf-8")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "repeat", "line"]))
        if kind == "line":  # a whole line from the hostile ones, at a line start
            at = data.rfind(b"\n", 0, at) + 1
            data = data[:at] + draw(st.sampled_from(HOSTILE_LINES)) + b"\n" + data[at:]
        elif kind == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 20)) :]
        else:
            piece = data[at : at + draw(st.integers(1, 40))]
            data = data[:at] + piece * draw(st.integers(2, 50)) + data[at:]
    return name, data


# -- Computational graphs -------------------------------------------------------------------------

HOSTILE_CONSTANTS = st.sampled_from(
    [
        "1e309",
        "9 ** 999",
        "(9 ** 999) ** 999",
        "10 ** -400",
        "123456789012345678901234567890123456789012345",
        "1e" + "9" * 400,
        "2 ** 0.5",
        "0",
    ]
)
PLAIN_CONSTANTS = st.sampled_from(["1", "2", "0.5", "-3", "1e-3", "3.25"]) | st.integers(
    -100, 100
).map(str)
# ordinary numbers six times as often as hostile ones, so that most graphs get computed
CONSTANTS: st.SearchStrategy[str] = st.one_of(*[PLAIN_CONSTANTS] * 6, HOSTILE_CONSTANTS)
GARBAGE = st.sampled_from(
    [
        "x ^ 2",
        "x.y",
        "x[0]",
        "lambda: 1",
        "x if y else z",
        "f(x=1)",
        "*x",
        "'s'",
        "x @ y",
        "__import__('os')",
        "exp()",
        "max(x)",
        "((x)",
        "x))",
        "\n",
        "x\x00",
        "ｘ + 1",
        "x; y",
        "log(",
        "",
        " ",
        "1_000",
        "True",
        "x < y",
    ]
)


@st.composite
def expressions(draw: st.DrawFn, names: list[str], hostile: bool = False, depth: int = 0) -> str:
    """An expression of the graph grammar over `names` (mostly names, not constants); if
    `hostile`, with constants too large to hold and pieces outside the grammar now and then."""
    if depth > 4 or (depth and draw(st.integers(0, 3)) == 0):  # a node itself: an operation
        use_name = draw(st.integers(0, 3)) > 0
        if use_name and len(names) > 0:
            return draw(st.sampled_from(names))
        return draw(CONSTANTS if hostile else PLAIN_CONSTANTS)
    kinds = [*["binary"] * 5, "unary", "call", "call", *(["garbage"] if hostile else [])]
    kind = draw(st.sampled_from(kinds))
    if kind == "garbage":
        return draw(GARBAGE)

    def inner() -> str:
        return draw(expressions(names, hostile, depth + 1))

    if kind == "unary":
        return f"-({inner()})"
    if kind == "call":
        f = draw(st.sampled_from(sorted(FUNCTIONS)))
        return f"{f}({', '.join(inner() for _ in range(FUNCTIONS[f]))})"
    op = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
    return f"({inner()} {op} {inner()})"


@st.composite
def derivatives(draw: st.DrawFn, leaves: list[str], hostile: bool) -> dict[str, Any]:
    """A [derivatives] table: a tangent's seed, a Hessian's leaves (or names that are not)."""
    pool = [*leaves, *(["nope"] * hostile)]
    table = {
        "tangent": draw(st.sampled_from(pool)),
        "hessian": draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3)),
        # the Jacobian's rows are nodes; a leaf among them is refused
        "jacobian": draw(st.lists(st.sampled_from([*pool, "g1", "f"]), min_size=0, max_size=3)),
    }
    return {k: v for k, v in table.items() if draw(st.booleans())}


def _with_derivatives(
    draw: st.DrawFn, doc: dict[str, Any], leaves: list[str], output: str, hostile: bool
) -> list[str]:
    """One graph in four gets a [derivatives] table; the keys it adds for claims."""
    if draw(st.integers(0, 3)):
        return []
    doc["derivatives"] = draw(derivatives(leaves, hostile))
    return [f"dot_{output}", f"d2{output}/d{leaves[0]}/d{leaves[0]}", f"J_{output}/{leaves[0]}"]


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, Any]:
    """A [graph] scenario: leaves, nodes each an expression of the names before it, every value
    feeding the output, and digits and claims; one graph in three hostile (names after it or
    itself, constants too large, text outside the grammar, a wrong output or grouping)."""
    hostile = draw(st.integers(0, 2)) == 0
    leaf = st.floats(0.1, 3) | st.floats(-5, 5)
    if hostile:
        leaf = leaf | st.sampled_from([0.0, -1.0, 1e300, float("nan")])
    leaves = {f"x{i}": draw(leaf) for i in range(draw(st.integers(1, 4)))}
    names = list(leaves)
    nodes: dict[str, str] = {}
    count = draw(st.integers(1, 5))
    for i in range(count):
        ahead = [*names, f"n{i}", f"n{i + 1}"] if hostile and draw(st.booleans()) else names
        nodes[f"n{i}"] = draw(expressions(ahead, hostile))
        if i == count - 1 and not (hostile and draw(st.booleans())):  # every value feeds it
            nodes[f"n{i}"] += " * (" + " + ".join(names) + ")"
        names.append(f"n{i}")
    graph: dict[str, Any] = {"leaves": leaves, "nodes": nodes}
    if draw(st.booleans()):
        graph["output"] = draw(st.sampled_from([*names, "nope"])) if hostile else names[-1]
    if draw(st.booleans()):
        graph["gates"] = draw(st.sampled_from(["operations", "nodes", *(["other"] * hostile)]))
    doc: dict[str, Any] = {"title": "g", "graph": graph}
    if draw(st.booleans()):
        doc["display"] = {"digits": draw(st.integers(0 if hostile else 1, 16 if hostile else 9))}
    keys = [*names, *(f"d{names[-1]}/d{n}" for n in names), *(["nope"] * hostile)]
    if draw(st.booleans()):  # the graph learns: some leaves trained, claims at steps
        doc["training"] = draw(graph_training(list(leaves), hostile))
        steps = doc["training"].get("steps", 1)
        keys += [f"{n}@{k}" for n in names[-1:] for k in (1, steps) if isinstance(k, int)]
    keys += _with_derivatives(draw, doc, list(leaves), names[-1], hostile)
    if draw(st.booleans()):
        doc["claims"] = draw(claim_tables(keys))
    if draw(st.integers(0, 3)) == 0:  # a handout table naming leaves (or not)
        doc["handout"] = draw(graph_handout(list(leaves), hostile))
    return doc


@st.composite
def graph_handout(draw: st.DrawFn, leaves: list[str], hostile: bool) -> dict[str, Any]:
    """A [handout] table whose [handout.vary] names some leaves (hostile: a network's kind)."""
    grid = st.lists(st.sampled_from([-2.0, -1.0, 0.5, 1.0, 2.0]), min_size=1, max_size=4)
    vary = {n: draw(grid) for n in leaves if draw(st.booleans())}
    if hostile and draw(st.booleans()):
        vary["weights"] = [0.1]
    return {"vary": vary, "constraints": {"decimals": 1, "draws": 5}}


@st.composite
def graph_training(draw: st.DrawFn, leaves: list[str], hostile: bool) -> dict[str, Any]:
    """A [training] table: some leaves, a rate, a few steps, sometimes a stopping value or the
    sequential order; hostile: an unknown leaf, a leaf twice, a rate of 0, steps past the limit."""
    train = draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=len(leaves), unique=True))
    table: dict[str, Any] = {
        "train": train,
        "learning_rate": draw(st.sampled_from([0.01, 0.1, 0.5, 2.0])),
    }
    if draw(st.booleans()):
        table["steps"] = draw(st.integers(1, 60))
    if draw(st.booleans()):
        table["until_loss"] = draw(st.sampled_from([1e-3, 0.5]))
    if draw(st.booleans()):
        table["update"] = draw(st.sampled_from(["simultaneous", "sequential"]))
    if draw(st.booleans()):  # an optimizer, its settings, a penalty
        table["optimizer"] = draw(
            st.sampled_from(["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
        )
        table.update(
            draw(
                st.sampled_from(
                    [{}, {"weight_decay": 0.01}, {"l1": 0.05}, {"bias_correction": False}]
                )
            )
        )
    if hostile:
        table.update(
            draw(
                st.sampled_from(
                    [
                        {"train": ["nope"]},
                        {"train": train * 2},
                        {"learning_rate": 0},
                        {"steps": 10**9},
                        {"update": "sideways"},
                        {"train": "x0"},
                        {"optimizer": "lion"},
                        {"optimizer": "adam", "beta1": 1.0},
                        {"optimizer": "adam", "momentum": 0.9},
                        {"batch_size": 2},
                        {"shuffle": "numpy-rng"},
                    ]
                )
            )
        )
    return table


# -- Claims -------------------------------------------------------------------------------------

HOSTILE_PRINTED = st.sampled_from(
    [
        "1e400",
        "1e" + "9" * 5000,
        "0." + "1" * 60,
        "NaN",
        "inf",
        "",
        " 0.5",
        "0,5",
        "½",
        "0x10",
    ]
)
VALID_PRINTED = st.sampled_from(["0.5", "-0.25", "1e-5", "0.29837", ".5", "5.", "-0", "00.50"]) | (
    st.floats(-2, 2, allow_nan=False).map(lambda x: f"{x:.6f}")
)
PRINTED = VALID_PRINTED | VALID_PRINTED | VALID_PRINTED | HOSTILE_PRINTED


@st.composite
def claim_tables(draw: st.DrawFn, keys: list[str]) -> dict[str, Any]:
    """A [claims] table: keys of quantities the scenario computes (at any step, huge ones too)
    and others, each a printed value, a list of them, or a table with a note, a source and
    the source's working."""
    table: dict[str, Any] = {}
    for _ in range(draw(st.integers(1, 6))):
        key = draw(st.sampled_from(keys))
        if "@" not in key and draw(st.integers(0, 3)) == 0:
            key += "@" + draw(
                st.sampled_from(["0", "1", "2", "10", "4999", "10000001", "9" * 5000, "x"])
            )
        value: Any = draw(PRINTED)
        shape = draw(st.integers(0, 9))  # 0, 5-9: one printed number
        if shape == 1:
            value = [draw(PRINTED) for _ in range(draw(st.integers(0, 4)))]
        elif shape == 2:
            value = {"value": value, "note": draw(texts), "source": draw(texts)}
        elif shape == 3:
            operand = draw(st.sampled_from(keys))
            value = {
                "value": value,
                "work": draw(expressions(["a", "b"], draw(st.booleans()))),
                "operands": {"a": {"key": operand, "value": draw(PRINTED)}, "b": draw(PRINTED)},
            }
        elif shape == 4:
            value = draw(values)
        table[key] = value
    return table


NETWORK_KEYS = [
    "w1",
    "w5@1",
    "Δw1@1",
    "E_total",
    "E_total@3",
    "out_n00",
    "net_n00@2",
    "dE_total/dw1",
    "dE_total/dx1",
    "delta_n00",
    "target_n00",
    "x1",
    "b1",
    "nope",
]


def _computed_keys(name: str) -> list[str]:
    """The keys a shipped scenario computes, as its committed JSON page lists them."""
    page = SCENARIOS.parent / "output" / f"{name}.json"
    return [*json.loads(page.read_text(encoding="utf-8"))["values"], "nope"]


@st.composite
def claimed(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A shipped network scenario with a claims table of its own keys (and a wrong one now and
    then), or a generated network with one of the keys such a network has."""
    if draw(st.booleans()):
        name = draw(st.sampled_from([n for n in NAMES if "network" in SHIPPED[n]]))
        doc = json.loads(json.dumps(SHIPPED[name]))
        doc["claims"] = draw(claim_tables(_computed_keys(name)))
        return name, doc
    doc = draw(networks())
    doc["claims"] = draw(claim_tables(NETWORK_KEYS))
    return "case", doc


# -- Handouts and rosters -------------------------------------------------------------------------

ROSTER_LINES = st.sampled_from(
    [
        b"S1,Ada",
        b"S2,Alan Turing",
        b"S1,again",
        b"bad id,Name",
        b"",
        b",",
        b"S3",
        b'"S4","Q, R"',
        b"S5,\xd0\x91\xd0\xbe\xd1\x80\xd0\xb8\xd1\x81",
        b"S6," + b"x" * 5000,
        b"../x,Evil",
        b"S7,\x00",
        b"-rf,Dash",
        b"S8,=cmd|' /C calc'!A0",
        "S9,李".encode(),
    ]
)


@st.composite
def rosters(draw: st.DrawFn) -> bytes:
    """A roster CSV as spreadsheets save it (a byte-order mark, CRLF) and as strangers could:
    bad headers, repeated or unsafe IDs, binary, thousands of rows."""
    header = draw(st.sampled_from([b"id,name", b"ID, Name", b"name,id", b"", b"id", b"\xff\xfe"]))
    rows = [draw(ROSTER_LINES) for _ in range(draw(st.integers(0, 8)))]
    if draw(st.integers(0, 9)) == 0:
        # a class of 25, or one more student than the limit `students` allows
        rows += [f"T{i},Student {i}".encode() for i in range(draw(st.sampled_from([25, 1001])))]
    eol = draw(st.sampled_from([b"\n", b"\r\n"]))
    data = eol.join([header, *rows]) + eol
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 9)) == 0:
        data = draw(st.binary(max_size=200))
    return data


@st.composite
def handout_runs(draw: st.DrawFn) -> tuple[str, str | bytes, list[str], bytes | None]:
    """A scenario (shipped, mutated or generated), `explainer handout` options in text formats
    (PDFs are the LaTeX tests' work), and sometimes a roster's bytes."""
    pick = draw(st.integers(0, 2))
    if pick == 0:
        name = draw(st.sampled_from(NAMES))
        content: str | bytes = toml(SHIPPED[name])
    elif pick == 1:
        name, doc = draw(mutations())
        content = toml(doc)
    else:
        name, content = "case", toml(draw(networks()))
    options = ["-f", draw(st.sampled_from(["md", "tex", "html"]))]
    if draw(st.booleans()):
        options += ["--variants", str(draw(st.integers(1, 3)))]
    if draw(st.booleans()):
        options += ["--seed", str(draw(st.integers(0, 2**32 - 1)))]
    if draw(st.booleans()):
        options += [
            "--blank",
            draw(
                st.sampled_from(
                    [
                        "forward",
                        "backward",
                        "local,updates",
                        "out_h1",
                        "nope",
                        ",,",
                        "w5@1",
                        "E_total",
                    ]
                )
            ),
        ]
    if draw(st.booleans()):
        options += [
            "--arithmetic",
            draw(
                st.sampled_from(
                    ["paper:4", "paper:1:truncate", "float64", "exact", "paper:0", "bogus"]
                )
            ),
        ]
    roster = draw(rosters()) if draw(st.integers(0, 2)) == 0 else None
    return name, content, options, roster


# -- The Python API -------------------------------------------------------------------------------

HOSTILE_VALUES: list[Any] = [
    None,
    -1,
    0,
    1,
    3,
    2**32,
    10**100,
    1.5,
    float("nan"),
    float("inf"),
    True,
    "",
    "x",
    "a4",
    "letter",
    "md",
    "pdf",
    "exact",
    "paper:4",
    "float64",
    b"x",
    (),
    [],
    {},
    ("forward",),
    ["forward", "gradients"],
    ((((0.5,),),),),
    object(),
    "/dev/zero",
    "/etc/passwd",
    "../x",
]


@st.composite
def api_calls(draw: st.DrawFn) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    """One public call with arguments drawn from valid and hostile values: (name, args,
    keyword arguments). A path is always below the sandbox the call is run in."""
    anything = st.sampled_from(HOSTILE_VALUES) | values
    name = draw(
        st.sampled_from(
            [
                "load",
                "from_dict",
                "handout",
                "markdown",
                "latex",
                "html",
                "json",
                "save",
                "verify",
                "figures",
                "values",
            ]
        )
    )
    source = (
        draw(st.sampled_from([*NAMES, "nope", "", "out"]))
        if draw(st.booleans())
        else draw(anything)
    )
    keywords = {
        "load": ["steps", "digits", "arithmetic", "check_gradients", "paper", "limits"],
        "from_dict": ["name", "steps", "digits", "arithmetic", "paper"],
        "handout": ["variants", "seed", "roster", "blank", "arithmetic", "fmt", "paper", "output"],
        "markdown": ["inline_figures"],
        "latex": ["body_only", "paper"],
        "save": ["formats"],
    }.get(name, [])
    chosen = draw(st.lists(st.sampled_from(keywords), unique=True, max_size=3)) if keywords else []
    kwargs = {k: draw(anything) for k in chosen}
    if name == "handout":
        kwargs.setdefault("fmt", draw(st.sampled_from(["md", "html", "tex", "pdf", 3])))
        if kwargs["fmt"] == "pdf":
            kwargs["fmt"] = "md"  # the LaTeX tests compile PDFs; the fuzzer keeps to text
        kwargs["output"] = "out"
    if name == "from_dict":
        doc = draw(st.sampled_from([n for n in NAMES]))
        source = json.loads(json.dumps(SHIPPED[doc])) if draw(st.booleans()) else draw(anything)
    if name == "save":
        source = draw(st.sampled_from(["out", "out/page.pdf", "", None, 3, "out/sub/dir"]))
    return name, (source,), kwargs


# -- Articles and a class's answers -------------------------------------------------------------

ARTICLE_PIECES = st.sampled_from(
    [
        "w5 = ",
        "T2=",
        "∂E/∂w5 = ",
        "(o1) is ",
        "E_total: ",
        "x1=0.05,x2=0.10",
        "0.3595",
        "-0.0822",
        "1e-5",
        "1e99999",
        "0." + "1" * 60,
        "[" * 50,
        "![f](https://x.org/0.5.png)",
        "[a](b",
        "<p>w<sub>5</sub> = <b>0.3589</b></p>",
        "<script>0.298371109</script>",
        "\f",
        "\x00",
        "\u2028",
        "\n",
        " ",
        "李",
        "{1:NUMERICAL:=0.5:0.1}",
    ]
)


@st.composite
def articles(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """An article for `explainer claims`: pieces of the ways articles print numbers and names,
    and of hostile text (long runs, control characters, broken links and tags, bad bytes), as
    Markdown, text or HTML; and a shipped scenario to place them on."""
    text = "".join(draw(st.lists(ARTICLE_PIECES, max_size=40)))
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:
        data += b"\xff\xfe"
    suffix = draw(st.sampled_from([".md", ".txt", ".html"]))
    return suffix, data, draw(st.sampled_from(["single-weight", "circuit-add-multiply"]))


GRADE_KEY = (
    b"variant,student,blank,key,answer,tolerance,points\n"
    b"v01,,1,q,3.0000,0.0001,1\nv01,,2,f,-12.0000,0.0001,2\n"
    b"v02,,1,q,4.0000,0.0001,1\nv02,,2,f,-8.0000,0.0001,2\n"
)
CELLS = st.sampled_from(
    [
        "3.0000",
        "-12",
        "4,0",
        "",
        " ",
        "x",
        "1e9999999",
        "0." + "1" * 80,
        "−8",
        "=1+1",
        "\x00",
        "v03",
    ]
)


@st.composite
def class_answers(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """A class's answers CSV for `explainer grade` against a small fixed key: headers missing,
    doubled or reordered, rows short or long, cells of every kind, semicolons, a BOM."""
    header = draw(
        st.sampled_from(
            [
                ["student", "variant", "1", "2"],
                ["variant", "student", "2", "1"],
                ["student", "variant", "1"],
                ["student", "variant", "1", "1"],
                ["name", "variant", "1", "2"],
            ]
        )
    )
    rows = [
        [
            draw(st.sampled_from(["ada", "bo", "ada", ""])),
            draw(st.sampled_from(["v01", "v02", "v9"])),
            *draw(st.lists(CELLS, max_size=4)),
        ]
        for _ in range(draw(st.integers(0, 4)))
    ]
    sep = draw(st.sampled_from([",", ";"]))
    text = "\r\n".join(sep.join(r) for r in [header, *rows])
    data = (("\ufeff" if draw(st.booleans()) else "") + text).encode("utf-8")
    return data, draw(st.sampled_from([[], ["--decimal-comma"]]))


# a handout's manifest (handout.json) as a stranger may leave it: keys missing, of another
# type, paths that lead elsewhere, a scenario file whose hash matches but whose text is not
# one, or not JSON at all
SCENARIO_TEXTS = [
    b"",
    b"[network]\n",
    b"not toml ]]",
    (SCENARIOS / "single-weight.toml").read_bytes(),
    (SCENARIOS / "mazur-2-2-2.toml").read_bytes(),  # one that varies: its numbers drawn again
]
JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["../../etc/passwd", "/dev/zero", "s.toml", "paper:99", "forward", "0" * 64]),
    st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=5)), max_size=4),
    st.lists(st.lists(st.one_of(st.text(max_size=4), st.integers(0, 3)), max_size=4), max_size=3),
)


@st.composite
def manifests(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """(handout.json, s.toml) for `explainer grade` of a small fixed key."""
    import hashlib

    scenario = draw(st.sampled_from(SCENARIO_TEXTS))
    m: dict[str, Any] = {
        "format": 1,
        "scenario": "s.toml",
        "sha256": hashlib.sha256(scenario).hexdigest(),
        "seed": 0,
        "variants": 2,
        "students": [],
        "blank": ["forward"],
        "where": "handout.blank",
        "arithmetic": "paper:4",
    }
    for key in draw(st.lists(st.sampled_from(sorted(m)), max_size=3)):
        if draw(st.booleans()):
            m.pop(key, None)
        else:
            m[key] = draw(JSON_VALUES)
    text = json.dumps(m).encode("utf-8")
    return draw(st.sampled_from([text, text[: len(text) // 2], b"\xff\xfe", b"[]"])), scenario
