"""A fuzzer for scenario files (issue 9): generated and mutated files run through the CLI's entry
point in process; every one must end in a rendered page or a clean exit 2: one line, no
traceback, nothing written, no hang.

CI runs the `ci` profile (a few hundred examples, derandomised); the `long` profile runs 10,000:

    python -m pytest tests/fuzz -p no:randomly --hypothesis-profile long
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import shutil
import signal
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from hypothesis import event, given
from hypothesis import strategies as st

from explainer.activations import ACTIVATIONS, LOSSES
from explainer.cli import main
from tests.conftest import SCENARIOS

HANG = 60  # seconds: an example that takes longer is a hang
STEPS = 20  # the shipped scenarios are trained for at most this many steps here (speed)
# Low enough that every example runs in about a second; a file over them is an exit 2 too.
LIMITS = ("--limit", "seconds=20", "--limit", "steps=5000")
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


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario drawn from the whole format: often valid, sometimes not (a constraint across
    keys), always of a sensible size."""
    n_in = draw(st.integers(1, 3))
    inputs = [f"x{i + 1}" for i in range(n_in)]
    layers: list[dict[str, Any]] = []
    fan_in = n_in
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(1, 3))
        weight = st.floats(-2, 2, allow_nan=False) | st.sampled_from([0.0, 0.5, 1e6, -1e6])
        layer: dict[str, Any] = {
            "neurons": [f"n{len(layers)}{j}" for j in range(n)],
            "activation": draw(st.sampled_from(sorted(ACTIVATIONS))),
            "weights": [[draw(weight) for _ in range(fan_in)] for _ in range(n)],
        }
        bias = draw(st.sampled_from(["none", "shared", "per-neuron"]))
        if bias != "none":
            layer["bias"] = bias
            layer["biases"] = [draw(weight) for _ in range(1 if bias == "shared" else n)]
            layer["train_biases"] = draw(st.booleans())
            layer["bias_input"] = draw(st.sampled_from([1, -1]))
        layers.append(layer)
        fan_in = n
    doc: dict[str, Any] = {
        "title": draw(texts.filter(lambda t: "\n" not in t)) or "t",
        "network": {"inputs": inputs, "layers": layers},
        "example": {
            "inputs": [draw(st.floats(-3, 3)) for _ in inputs],
            "targets": [draw(st.floats(0, 1)) for _ in range(fan_in)],
        },
        "loss": {
            "function": draw(st.sampled_from(sorted(LOSSES))),
            "residual": draw(st.sampled_from(["target-out", "out-target"])),
        },
        "training": {
            "learning_rate": draw(st.sampled_from([0.1, 0.5, 1.0, 1e-9, 1e9])),
            "steps": draw(st.integers(0, 30)),
            "update": draw(st.sampled_from(["simultaneous", "sequential"])),
        },
        "notation": {"profile": draw(st.sampled_from(["chain", "delta", "single-weight"]))},
        "display": {"digits": draw(st.integers(1, 15)), "table_steps": draw(st.integers(1, 12))},
    }
    if draw(st.booleans()):
        doc["training"]["until_loss"] = draw(st.sampled_from([1e-3, 1e-12, 0.5]))
    if draw(st.booleans()):
        doc["claims"] = {f"{draw(st.sampled_from(['w1', 'out_n00', 'E_total']))}": draw(texts)}
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


# -- The property --------------------------------------------------------------------------------


class Hang(BaseException):
    """An example that ran past HANG seconds (a BaseException: the CLI must not catch it)."""


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise Hang(f"no result after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def ends_cleanly(content: str | bytes, fmt: str, arithmetic: str, name: str = "case") -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "data").mkdir()
        shutil.copy(SCENARIOS / "data" / "sine-window.csv", work / "data")
        path = work / f"{name}.toml"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        out = work / "out"
        argv = ["render", str(path), "--format", fmt, "-o", str(out), *LIMITS]
        if arithmetic != "float64":
            argv += ["--arithmetic", arithmetic]
        err = io.StringIO()
        with (
            time_limit(HANG),
            contextlib.redirect_stderr(err),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            code = main(argv)
        message = err.getvalue()
        event(f"exit {code}")
        assert code in (0, 2), message
        assert "Traceback" not in message and "internal error" not in message, message
        if code == 0:
            assert (out / f"{name}.{fmt}").is_file()
        else:
            lines = [x for x in message.splitlines() if x.startswith("explainer: error:")]
            assert len(lines) == 1, message
            assert not out.exists()


@given(networks(), st.sampled_from(FORMATS), st.sampled_from(ARITHMETIC))
def test_generated_scenarios(doc: dict[str, Any], fmt: str, arithmetic: str) -> None:
    ends_cleanly(toml(doc), fmt, arithmetic)


@given(mutations(), st.sampled_from(FORMATS), st.sampled_from(ARITHMETIC))
def test_mutated_shipped_scenarios(
    mutated: tuple[str, dict[str, Any]], fmt: str, arithmetic: str
) -> None:
    name, doc = mutated
    ends_cleanly(toml(doc), fmt, arithmetic, name)


@given(byte_mutations(), st.sampled_from(FORMATS))
def test_mutated_bytes(mutated: tuple[str, bytes], fmt: str) -> None:
    name, data = mutated
    ends_cleanly(data, fmt, "float64", name)
