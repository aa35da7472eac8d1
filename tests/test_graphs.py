"""Computational graphs: the safe expression parser, the gate rules, gradients against sympy.diff
of the whole expression and against finite differences (on random graphs), the pages, and the
published numbers checked on a circuit."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import explainer
from explainer.check import gates
from explainer.cli import main
from explainer.derive import local
from explainer.evaluate import backprop
from explainer.foundation.errors import ScenarioError
from explainer.graph import circuit
from explainer.pipeline import explain, explain_values
from explainer.read.expressions import BINARY as OPERATORS
from explainer.read.expressions import UNARY as SIGNS
from explainer.read.expressions import ExpressionError, names, parse
from explainer.read.graph_scenario import GraphScenario
from explainer.read.scenario import from_mapping, load
from explainer.read.settings import Options, resolve_graph
from explainer.rules.operations import FUNCTIONS, OPERATIONS
from tests.conftest import SCENARIOS

GRAPHS = ("circuit-add-multiply", "circuit-sigmoid-neuron", "scalar-expression")


def graph(nodes: dict[str, str], leaves: dict[str, float], **more: Any) -> GraphScenario:
    s = from_mapping({"title": "t", "graph": {"leaves": leaves, "nodes": nodes, **more}}, "g")
    assert isinstance(s, GraphScenario)
    return s


def computed(s: GraphScenario, options: Options = Options()) -> gates.GateResults:
    return gates.results(resolve_graph(s, options))


# ---------------------------------------------------------------- the parser


@pytest.mark.parametrize(
    ("text", "column", "token"),
    [
        ("x ^ 2", 3, "^"),
        ("x.real", 1, "x"),
        ("foo(x)", 1, "foo"),
        ('__import__("os").system("touch PWNED")', 1, "__import__"),
        ("x +", 4, "end of text"),
        ("lambda: 1", 1, "lambda"),
        ("x if y else z", 1, "x"),
        ("0x10", 1, "0x10"),
        ("x < y", 1, "x"),
        ('"text"', 1, '"'),
        ("x[0]", 1, "x"),
        ("sigmoid(x, y=1)", 14, "1"),
        ("max(x)", 1, "max"),
        ("exp", 1, "exp"),
        ("x % 2", 3, "%"),
        ("2x", 1, "2x"),
        ("", 1, "end of text"),
        ("x + (y", 5, "("),
        ("ｘ * y", 1, "ｘ"),  # NFKC would read it as x
        ("x + ﬁ", 5, "ﬁ"),
        ("x) * (y", 2, ")"),
    ],
)
def test_the_parser_refuses_what_is_outside_the_grammar(text: str, column: int, token: str) -> None:
    with pytest.raises(ExpressionError) as e:
        parse(text)
    assert (e.value.column, e.value.token) == (column, token)


def test_a_bad_expression_is_bad_input_naming_file_node_column_and_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "PWNED"
    path = tmp_path / "g.toml"
    path.write_text(
        'title = "t"\n[graph]\nleaves = { x = 1 }\n'
        f"nodes = {{ f = \"__import__('os').system('touch {marker}')\" }}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["render", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: graph.nodes.f" in err and "column 1" in err and "'__import__'" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not marker.exists() and not out.exists()


@pytest.mark.parametrize(
    ("nodes", "key", "words"),
    [
        ({"f": "x + w"}, "graph.nodes.f", "'w'"),  # an unknown name
        ({"f": "g + x", "g": "x * 2"}, "graph.nodes.f", "'g'"),  # a later node
        ({"f": "x + 1", "g": "x * 2"}, "graph.nodes.f", "depends on"),  # f feeds nothing
        ({"f": "2 * 3"}, "graph.nodes.f", "constants only"),
        ({"exp": "x + 1"}, "graph.nodes.exp", "not a function's name"),
        ({"f": "x / 0 + 1 / 0"}, "graph.nodes.f", "finite"),
    ],
)
def test_bad_graphs_name_the_node(nodes: dict[str, str], key: str, words: str) -> None:
    with pytest.raises(ScenarioError) as e:
        circuit.split(graph(nodes, {"x": 1.0}))
    assert e.value.key == key and words in str(e.value)


def test_the_gates_limit_bounds_the_work_before_parsing() -> None:
    with pytest.raises(ScenarioError) as e:
        graph({"f": "-" * 100_000 + "x"}, {"x": 1.0})
    assert "gates" in str(e.value) and "--limit gates=N" in str(e.value)


# ---------------------------------------------------------------- the gate rules

OPS = {
    "add": "x + y",
    "sub": "x - y",
    "mul": "x * y",
    "div": "x / y",
    "pow": "x ** y",
    "neg": "-x + y",
    "exp": "exp(x) + y",
    "log": "log(x) + y",
    "sqrt": "sqrt(x) + y",
    "abs": "abs(x) + y",
    "sigmoid": "sigmoid(x) + y",
    "tanh": "tanh(x) + y",
    "relu": "relu(x) + y",
    "max": "max(x, y)",
    "min": "min(x, y)",
    "step": "step(x) + y",
    "leaky_relu": "leaky_relu(y, x)",  # y takes both signs below, x is the slope
    "elu": "elu(y, x)",
    "softplus": "softplus(x) + y",
    "gelu": "gelu(y) + x",
    "cross_entropy": "cross_entropy(x, y)",  # outside 0 < y < 1 both sides are complex alike
}


@pytest.mark.parametrize("op", sorted(OPERATIONS))
@pytest.mark.parametrize(("x", "y"), [(0.7, 1.3), (2.5, -0.4), (1.9, 0.6)])
def test_every_rule_is_the_derivative_of_its_gate(op: str, x: float, y: float) -> None:
    """The textbook form of each local derivative, with the gate's output put in, equals
    sympy.diff of the gate's value."""
    c = circuit.split(graph({"f": OPS[op]}, {"x": x, "y": y}))
    g = next(g for g in c.gates if g.op == op)
    at = {sp.Symbol("x"): sp.Rational(repr(x)), sp.Symbol("y"): sp.Rational(repr(y))}
    real = {sp.Symbol(n): sp.Symbol(n, real=True) for n in ("x", "y")}  # d|x|/dx = sign(x)
    for item in local.local(g):
        form = item.form.xreplace({sp.Symbol(g.out): g.expr}).xreplace(at)
        by = real[sp.Symbol(item.wire)]
        want = sp.diff(g.expr.xreplace(real), by).xreplace({real[k]: v for k, v in at.items()})
        assert complex(form.doit()) == pytest.approx(complex(want.doit()), rel=1e-12), item


def test_every_operation_of_the_grammar_has_a_rule() -> None:
    """One table: what the parser reads (its functions by name, its operators by type), what
    the splitter builds and the derivation differentiates are the rows of OPERATIONS."""
    assert set(OPS) == set(OPERATIONS) == set(local.RULES) == set(circuit.VALUE)
    written = set(FUNCTIONS) | set(OPERATORS.values()) | (set(SIGNS.values()) - {"pos"})
    assert written == set(OPERATIONS)


# ---------------------------------------------------------------- random graphs

UNARY = ("neg", "exp", "log", "sqrt", "abs", "sigmoid", "tanh", "relu", "square")
BINARY = ("+", "-", "*", "/", "max", "min")


def _expression(names: list[str]) -> st.SearchStrategy[str]:
    """Expressions of the grammar over `names`, kept inside every function's domain and away
    from overflow: log and sqrt of 1 + a², division by 1 + a², exp of a bounded tanh."""
    leaf = st.sampled_from(names) | st.sampled_from(["0.5", "2", "3", "1.25"])

    def unary(a: str, op: str) -> str:
        return {
            "neg": f"-({a})",
            "exp": f"exp(tanh({a}))",
            "log": f"log(1 + ({a})**2)",
            "sqrt": f"sqrt(1 + ({a})**2)",
            "square": f"({a})**2",
        }.get(op, f"{op}({a})")

    def binary(a: str, b: str, op: str) -> str:
        if op == "/":
            return f"({a}) / (1 + ({b})**2)"
        if op in ("max", "min"):
            return f"{op}({a}, {b})"
        return f"({a}) {op} ({b})"

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.builds(unary, inner, st.sampled_from(UNARY)) | st.builds(
            binary, inner, inner, st.sampled_from(BINARY)
        )

    return st.recursive(leaf, extend, max_leaves=6)


@st.composite
def random_graphs(draw: st.DrawFn) -> GraphScenario:
    values = draw(
        st.lists(
            st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 2)), min_size=3, max_size=3
        )
    )
    leaves = dict(zip(("a", "b", "c"), values, strict=True))
    first = draw(_expression(["a", "b", "c"]))
    second = draw(_expression(["a", "b", "c", "u"]))
    # every leaf must feed the output: add each once, scaled by a small constant
    return graph(
        {"u": f"({first}) + a", "v": f"({second}) + 0.5*u + 0.25*a + 0.125*b + 0.0625*c"}, leaves
    )


def _kinked(r: gates.GateResults) -> bool:
    """A max, min, abs or ReLU gate within 10⁻³ of its kink: finite differences straddle it."""
    v = r.view.run.values
    for g in r.view.circuit.gates:
        args = [float(v[a.name]) if isinstance(a, sp.Symbol) else float(a) for a in g.args]
        if g.op in ("max", "min") and abs(args[0] - args[1]) < 1e-3:
            return True
        if g.op in ("abs", "relu") and abs(args[0]) < 1e-3:
            return True
    return False


@given(random_graphs())
def test_gradients_equal_sympy_diff_and_finite_differences(s: GraphScenario) -> None:
    r = computed(s, Options(check_gradients=True))
    if _kinked(r):  # no derivative at a kink: each method takes its own convention there
        return
    for check in r.checks:
        assert check.symbolic is not None and check.estimate is not None
        scale = max(1.0, abs(check.symbolic))
        assert abs(check.chain - check.symbolic) <= 1e-9 * scale, check
        assert abs(check.chain - check.estimate) <= 1e-5 * scale, check


@given(st.text(max_size=40))
def test_the_parser_never_evaluates_and_errors_are_located(text: str) -> None:
    try:
        tree = parse(text)
    except ExpressionError as e:
        assert 1 <= e.column <= max(1, len(text) + 1)
        return
    # inside the grammar: a tree, never a value; its names are names written in the text
    assert set(names(tree)) <= set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", text))


# ---------------------------------------------------------------- pages


@pytest.mark.parametrize("name", GRAPHS)
def test_shipped_graphs_render_in_every_text_format(name: str) -> None:
    w = explainer.load(name)
    md, tex, page = w.markdown(), w.latex(), w.html()
    values = json.loads(w.json())["values"]
    assert "Backward pass, gate by gate" in md and r"\begin{tikzpicture}" in tex
    assert "<svg" in page
    s = load(SCENARIOS / f"{name}.toml")
    assert isinstance(s, GraphScenario)
    symbolic = backprop.symbolic(circuit.split(s))
    assert symbolic.left_out == "" and len(symbolic.values) == len(s.leaves)
    for leaf, want in symbolic.values.items():  # every leaf's gradient, against sympy.diff
        assert want is not None
        assert values[f"d{s.output}/d{leaf}"] == pytest.approx(want, rel=1e-12)


def test_a_wire_feeding_several_gates_sums_their_gradients() -> None:
    r = computed(graph({"f": "x * x + 3 * x"}, {"x": 2.0}))
    assert float(r.view.run.gradients["x"]) == 2 * 2.0 + 3  # d/dx (x² + 3x) = 2x + 3
    md = explainer.from_dict(
        {"title": "t", "graph": {"leaves": {"x": 2}, "nodes": {"f": "x * x + 3 * x"}}}
    ).markdown()
    assert "feeds 2 gates" in md


def test_gates_as_nodes_keep_the_author_grouping() -> None:
    s = graph(
        {"s": "w0*x0 + w1*x1", "f": "sigmoid(s)"},
        {"w0": 0.5, "x0": 1.0, "w1": -1.0, "x1": 2.0},
        gates="nodes",
    )
    r = computed(s)
    assert [g.out for g in r.view.circuit.gates] == ["s", "f"]
    sigma = 1 / (1 + math.exp(1.5))
    assert float(r.view.run.gradients["s"]) == pytest.approx(sigma * (1 - sigma), rel=1e-12)


def test_exact_and_paper_arithmetic_work_on_circuits() -> None:
    s = load(SCENARIOS / "circuit-add-multiply.toml")
    assert isinstance(s, GraphScenario)
    exact = computed(s, Options(arithmetic="exact"))
    assert exact.view.run.gradients["z"] == Fraction(3) and isinstance(
        exact.view.run.gradients["z"], Fraction
    )
    rounded = computed(graph({"f": "x / 3"}, {"x": 1.0}), Options(arithmetic="paper:2"))
    assert dict(rounded.values)["f"] == 0.33


def test_steps_are_refused_for_a_graph(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "circuit-add-multiply", "--steps", "3"]) == 2
    assert "not trained" in capsys.readouterr().err


def test_json_of_a_graph_has_every_key_and_builds_no_page(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert not explain_values(load_graph("circuit-sigmoid-neuron")).sections
    assert main(["render", "circuit-sigmoid-neuron", "--format", "json"]) == 0
    values = json.loads(capsys.readouterr().out)["values"]
    assert {"f", "s", "g6", "df/dg6", "dg6/dg5", "df/ds", "df/dw0"} <= set(values)


# ---------------------------------------------------------------- checking printed numbers


def _printed(x: float, decimals: int) -> str:
    return str(Decimal(repr(x)).quantize(Decimal(1).scaleb(-decimals)))


def _findings(claims: dict[str, str]) -> dict[str, Any]:
    s = load(SCENARIOS / "circuit-sigmoid-neuron.toml")
    assert isinstance(s, GraphScenario)
    from explainer.read.claims import Claim

    with_claims = GraphScenario(
        **{**s.__dict__, "claims": tuple(Claim(k, v, "") for k, v in claims.items())}
    )
    return {f.claim.key: f for f in computed(with_claims).findings}


def test_a_carried_rounded_value_is_diagnosed_as_such_not_as_truncation() -> None:
    """A source prints g6 = 1 + e^(−s) to two decimals and computes df/dg6 = −1/g6² from the
    printed value."""
    g6 = dict(computed(load_graph("circuit-sigmoid-neuron")).values)["g6"]
    shown = _printed(float(g6), 2)
    carried = _printed(-1 / float(shown) ** 2, 4)
    found = _findings({"g6": shown, "df/dg6": carried})["df/dg6"]
    assert not found.reproduced
    assert found.explained_by[0].startswith(f"the source's printed g6 = {shown} carried forward")


def test_a_dropped_digit_is_diagnosed() -> None:
    exact = float(dict(computed(load_graph("circuit-sigmoid-neuron")).values)["df/dw1"])
    text = _printed(exact, 5)
    dropped = text[:5] + text[6:]  # one digit left out
    found = _findings({"df/dw1": dropped})["df/dw1"]
    assert not found.reproduced
    assert any(w.endswith(f": digit {text[5]} dropped") for w in found.explained_by)


def test_an_unknown_key_on_a_graph_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "g.toml"
    text = (SCENARIOS / "circuit-add-multiply.toml").read_text(encoding="utf-8")
    path.write_text(text + '"df/dw" = "1"\n', encoding="utf-8")
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert "claims.df/dw" in err and "nearest: df/dz" in err


def load_graph(name: str) -> GraphScenario:
    s = load(SCENARIOS / f"{name}.toml")
    assert isinstance(s, GraphScenario)
    return s


def test_shipped_claims_are_reproduced(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", *GRAPHS[:2]]) == 0
    assert "5 of 5 reproduced" in capsys.readouterr().out


def test_readme_graph_example_renders(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", readme, flags=re.S) if "[graph]" in b)
    path = tmp_path / "readme-graph.toml"
    path.write_text(block, encoding="utf-8")
    s = load(path)
    assert isinstance(s, GraphScenario)
    found = computed(s).findings
    assert [f.reproduced for f in found] == [True]


NO_LOSS = """
title = "A 2-2-1 network's output, differentiated directly"
[network]
inputs = ["i1", "i2"]
[[network.layers]]
neurons = ["h1", "h2"]
activation = "sigmoid"
weights = [[0.15, 0.2], [0.25, 0.3]]
bias = "shared"
biases = [0.35]
[[network.layers]]
neurons = ["o1"]
activation = "tanh"
weights = [[0.4, 0.45]]
bias = "per-neuron"
biases = [0.6]
bias_input = -1
[example]
inputs = [0.05, 0.1]
[loss]
function = "none"
"""


def test_a_network_without_a_loss_differentiates_its_output(tmp_path: Path) -> None:
    """The same core as a circuit: the output's gradient with respect to every weight, bias
    and input, against sympy.diff of the whole expression and finite differences."""
    path = tmp_path / "no-loss.toml"
    path.write_text(NO_LOSS, encoding="utf-8")
    s = load(path)
    assert isinstance(s, GraphScenario) and s.output == "out_o1"
    r = computed(s, Options(check_gradients=True))
    assert {c.key for c in r.checks} == {
        "i1",
        "i2",
        "w1",
        "w2",
        "w3",
        "w4",
        "b1",
        "w5",
        "w6",
        "b_o1",
    }
    for check in r.checks:
        assert check.chain == pytest.approx(check.symbolic, rel=1e-12)
        assert check.chain == pytest.approx(check.estimate, rel=1e-6, abs=1e-9)
    md = explainer.load(str(path)).markdown()
    assert r"\frac{\partial \mathrm{out}_{o1}}{\partial w_{1}}" in md


def test_a_network_without_a_loss_has_one_output_and_no_training(tmp_path: Path) -> None:
    two = (
        NO_LOSS.replace('neurons = ["o1"]', 'neurons = ["o1", "o2"]')
        .replace("weights = [[0.4, 0.45]]", "weights = [[0.4, 0.45], [0.5, 0.55]]")
        .replace("biases = [0.6]", "biases = [0.6, 0.6]")
    )
    path = tmp_path / "two.toml"
    path.write_text(two, encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        load(path)
    assert e.value.key == "loss.function" and "one output neuron" in str(e.value)
    trained = NO_LOSS + "[training]\nlearning_rate = 0.5\n"
    path.write_text(trained, encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        load(path)
    assert e.value.key == "training"


def test_a_deep_graph_is_checked_without_writing_it_out() -> None:
    """Each value used three times: written out as one expression, 3¹² operations; the backward
    pass and finite differences stay linear, and sympy.diff of the whole is left out."""
    nodes = {"a1": "tanh(x) * x + x / 3"}
    nodes |= {f"a{i}": f"tanh(a{i - 1}) * a{i - 1} + a{i - 1} / 3" for i in range(2, 13)}
    r = computed(graph(nodes, {"x": 0.5}), Options(check_gradients=True))
    (check,) = r.checks
    size = backprop.written_out(r.view.circuit)
    assert check.symbolic is None and size.operations > backprop.WHOLE_LIMIT
    assert check.estimate is not None
    assert check.chain == pytest.approx(check.estimate, rel=1e-6)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (
            "weights = [[0.15, 0.2], [0.25, 0.3]]",
            'weights = [[0.15, 0.2], [0.25, 0.3]]\nweight_names = [["i1", "w2"], ["w3", "w4"]]',
            "network.layers[0].weight_names[0][0]",
        ),
        (
            "weights = [[0.15, 0.2], [0.25, 0.3]]",
            'weights = [[0.15, 0.2], [0.25, 0.3]]\nweight_names = [["w1", "w1"], ["w3", "w4"]]',
            "network.layers[0].weight_names[0][1]",
        ),
        (
            "weights = [[0.15, 0.2], [0.25, 0.3]]",
            'weights = [[0.15, 0.2], [0.25, 0.3]]\nweight_names = [["net_h1", "w2"], ["w3", "w4"]]',
            "network.layers[0].neurons[0] (h1)",
        ),
    ],
)
def test_a_network_without_a_loss_defines_each_name_once(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    path = tmp_path / "clash.toml"
    path.write_text(NO_LOSS.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        load(path)
    assert e.value.key == key and "a name used once" in str(e.value)


def test_prose_for_a_section_the_graph_has_not_goes_to_the_one_before() -> None:
    # no [training]: no updates section; the author's words stay, in the backward pass
    s = from_mapping(
        {
            "title": "t",
            "graph": {"leaves": {"x": 1.0, "y": 2.0}, "nodes": {"f": "x*y"}},
            "narrative": {"updates": "Nothing learns here."},
        },
        "n",
    )
    page = explain(s)
    (home,) = [x for x in page.sections if "Nothing learns here." in repr(x.items)]
    assert home.anchor == "backward"


def test_a_cross_entropy_gate_is_the_binary_cross_entropy_by_hand() -> None:
    s = from_mapping(
        {
            "title": "t",
            "graph": {
                "leaves": {"w": 0.5, "x": 1.5, "t": 1.0},
                "nodes": {"o": "sigmoid(w*x)", "L": "cross_entropy(t, o)"},
            },
        },
        "ce",
    )
    v = dict(explain_values(s).values)
    o = 1 / (1 + math.exp(-0.75))
    assert v["L"] == pytest.approx(-math.log(o), rel=1e-12)
    assert v["dL/do"] == pytest.approx(-1 / o, rel=1e-12)  # (o − t)/(o(1 − o)) at t = 1
    assert v["dL/dw"] == pytest.approx((o - 1) * 1.5, rel=1e-12)  # σ′ cancels: (o − t)·x
