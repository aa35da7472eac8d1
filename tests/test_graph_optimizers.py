"""An optimizer on a graph: momentum, Nesterov, RMSProp, Adam, AdamW and the penalties train a
graph's leaves as the update rules written out here (plain Python, from torch.optim's
documented pseudo-code, with the neuron's gradient by hand), and as torch.optim itself where
PyTorch is installed; the state has keys and claims, the page writes each rule, and a published
number made with the other convention gets that convention back."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from explainer.check.verify import COUPLED
from explainer.cli import main
from explainer.foundation.errors import ScenarioError
from explainer.page.model import Display
from explainer.pipeline import explain, explain_values, findings
from explainer.read.graph_scenario import GraphScenario
from explainer.read.scenario import from_mapping, load
from explainer.read.settings import Options
from tests.conftest import SCENARIOS

NEURON = {"s": "w0*x0 + w1*x1 + w2", "f": "sigmoid(s)", "L": "(t - f)**2"}
LEAVES = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0, "t": 1.0}
START = [2.0, -3.0, -3.0]
LINE = {"y": "w*x + b", "L": "(y - t)**2"}
POINTS = [(1.0, 2.0), (2.0, 3.0), (3.0, 4.5), (-1.0, 0.25)]
SHIPPED = SCENARIOS / "circuit-neuron-adam.toml"


def scenario(
    training: dict[str, Any],
    claims: dict[str, str] | None = None,
    nodes: dict[str, str] = NEURON,
    leaves: dict[str, float] = LEAVES,
    data: dict[str, Any] | None = None,
) -> GraphScenario:
    raw: dict[str, Any] = {
        "title": "t",
        "graph": {"leaves": leaves, "nodes": nodes, "output": "L"},
        "training": training,
    }
    if claims:
        raw["claims"] = claims
    if data:
        raw["data"] = data
    s = from_mapping(raw, "g")
    assert isinstance(s, GraphScenario)
    return s


def values(s: GraphScenario) -> dict[str, Any]:
    return dict(explain_values(s, Options()).values)


def neuron_gradient(p: list[float]) -> list[float]:
    """∂L/∂(w0, w1, w2) of L = (t − σ(w0·x0 + w1·x1 + w2))², by hand."""
    x0, x1, t = -1.0, -2.0, 1.0
    f = 1.0 / (1.0 + math.exp(-(p[0] * x0 + p[1] * x1 + p[2])))
    back = -2.0 * (t - f) * f * (1.0 - f)
    return [back * x0, back * x1, back]


def line_gradient(p: list[float], x: float, t: float) -> list[float]:
    """∂L/∂(w, b) of L = (w·x + b − t)², by hand."""
    r = 2.0 * (p[0] * x + p[1] - t)
    return [r * x, r]


class Reference:
    """torch.optim's documented updates, one parameter list at a time, state from zero."""

    def __init__(self, optimizer: str, rate: float, **h: Any) -> None:
        self.name, self.rate, self.t = optimizer, rate, 0
        self.mu, self.wd, self.l1 = (
            h.get("momentum", 0.9),
            h.get("weight_decay", 0.0),
            h.get("l1", 0.0),
        )
        self.b1, self.b2, self.eps = h.get("beta1", 0.9), h.get("beta2", 0.999), 1e-8
        self.alpha, self.correct = h.get("alpha", 0.99), h.get("bias_correction", True)
        self.v: list[float] = []
        self.m: list[float] = []
        self.s: list[float] = []

    def step(self, p: list[float], g: list[float]) -> list[float]:
        self.t += 1
        n = len(p)
        self.v, self.m, self.s = self.v or [0.0] * n, self.m or [0.0] * n, self.s or [0.0] * n
        out = []
        for i in range(n):
            w, gi = p[i], g[i]
            if self.name == "adamw":
                w = w - self.rate * self.wd * w
            else:
                gi = gi + self.wd * w
            sign = (w > 0) - (w < 0)
            gi = gi + self.l1 * sign
            if self.name == "sgd":
                w = w - self.rate * gi
            elif self.name in ("momentum", "nesterov"):
                self.v[i] = self.mu * self.v[i] + gi
                look = gi + self.mu * self.v[i] if self.name == "nesterov" else self.v[i]
                w = w - self.rate * look
            elif self.name == "rmsprop":
                self.s[i] = self.alpha * self.s[i] + (1 - self.alpha) * gi * gi
                w = w - self.rate * gi / (math.sqrt(self.s[i]) + self.eps)
            else:
                self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * gi
                self.s[i] = self.b2 * self.s[i] + (1 - self.b2) * gi * gi
                m_hat = self.m[i] / (1 - self.b1**self.t) if self.correct else self.m[i]
                s_hat = self.s[i] / (1 - self.b2**self.t) if self.correct else self.s[i]
                w = w - self.rate * m_hat / (math.sqrt(s_hat) + self.eps)
            out.append(w)
        return out


CASES = [
    ("momentum", {}),
    ("nesterov", {"momentum": 0.5}),
    ("rmsprop", {}),
    ("adam", {}),
    ("adam", {"bias_correction": False}),
    ("adamw", {"weight_decay": 0.1}),
    ("sgd", {"weight_decay": 0.1}),
    ("momentum", {"l1": 0.05}),
]


@pytest.mark.parametrize(("optimizer", "settings"), CASES)
def test_a_neuron_graph_trains_as_the_rules_written_out(
    optimizer: str, settings: dict[str, Any]
) -> None:
    steps, rate = 5, 0.1
    s = scenario(
        {"train": ["w0", "w1", "w2"], "learning_rate": rate, "steps": steps}
        | {"optimizer": optimizer, **settings}
    )
    v = values(s)
    ref, p = Reference(optimizer, rate, **settings), list(START)
    for k in range(1, steps + 1):
        p = ref.step(p, neuron_gradient(p))
        for i, leaf in enumerate(("w0", "w1", "w2")):
            assert v[f"{leaf}@{k}"] == pytest.approx(p[i], rel=1e-12, abs=1e-14)
    state = {"momentum": "v", "nesterov": "v", "rmsprop": "s"}.get(optimizer, "m")
    if optimizer != "sgd":  # the state after the last step, each leaf's
        kept = {"v": ref.v, "s": ref.s, "m": ref.m}[state]
        assert [v[f"{state}_{w}@{steps}"] for w in ("w0", "w1", "w2")] == pytest.approx(kept)


@pytest.mark.parametrize("mode", ["stochastic", "batch"])
def test_a_training_set_on_a_graph_steps_adam_once_per_example_or_epoch(mode: str) -> None:
    epochs, rate = 3, 0.05
    s = scenario(
        {"train": ["w", "b"], "learning_rate": rate, "steps": epochs, "optimizer": "adam"}
        | {"mode": mode},
        nodes=LINE,
        leaves={"w": 0.5, "x": 1.0, "b": 0.0, "t": 2.0},
        data={"leaves": ["x", "t"], "rows": [list(r) for r in POINTS]},
    )
    v = values(s)
    ref, p = Reference("adam", rate), [0.5, 0.0]
    first: list[float] = []
    for _ in range(epochs):
        if mode == "batch":
            each = [line_gradient(p, x, t) for x, t in POINTS]
            p = ref.step(p, [sum(g[i] for g in each) / len(each) for i in range(2)])
        else:
            for x, t in POINTS:
                p = ref.step(p, line_gradient(p, x, t))
                first = first or list(p)
    assert [v[f"w@{epochs}"], v[f"b@{epochs}"]] == pytest.approx(p, rel=1e-12)
    if mode == "stochastic":  # the worked step: example 1's update, what example 2's meets
        assert [v["w@1#2"], v["b@1#2"]] == pytest.approx(first, rel=1e-12)
        assert "mhat_w@1#2" not in v  # only the state it carries has a key after a first update
        assert v["m_w@1#2"] == pytest.approx((1 - 0.9) * line_gradient([0.5, 0.0], 1.0, 2.0)[0])


def test_the_graph_matches_torch_optim_adamw() -> None:
    torch = pytest.importorskip("torch")
    steps, rate = 4, 0.1
    s = scenario(
        {"train": ["w0", "w1", "w2"], "learning_rate": rate, "steps": steps}
        | {"optimizer": "adamw", "weight_decay": 0.2}
    )
    v = values(s)
    w = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.AdamW([w], lr=rate, weight_decay=0.2)
    for _ in range(steps):
        opt.zero_grad()
        f = torch.sigmoid(w[0] * -1.0 + w[1] * -2.0 + w[2])
        ((1.0 - f) ** 2).backward()
        opt.step()
    assert [v[f"{x}@{steps}"] for x in ("w0", "w1", "w2")] == pytest.approx(w.tolist(), rel=1e-12)
    state = opt.state[w]
    assert [v[f"m_{x}@{steps}"] for x in ("w0", "w1", "w2")] == pytest.approx(
        state["exp_avg"].tolist(), rel=1e-12
    )
    assert [v[f"s_{x}@{steps}"] for x in ("w0", "w1", "w2")] == pytest.approx(
        state["exp_avg_sq"].tolist(), rel=1e-12
    )


def _page_rows(s: GraphScenario) -> list[tuple[str, str]]:
    page = explain(s, Options())
    section = next(x for x in page.sections if x.anchor == "updates")
    return [
        (row, end)
        for item in section.items
        if isinstance(item, Display)
        for row, end in zip(item.rows, item.ends, strict=True)
    ]


def test_the_page_writes_adams_first_step_with_its_keys() -> None:
    s = scenario(
        {"train": ["w0", "w1", "w2"], "learning_rate": 0.1, "steps": 2, "optimizer": "adam"}
    )
    v, rows = values(s), _page_rows(s)
    ends = [e for _, e in rows if e]
    for leaf in ("w0", "w1", "w2"):
        for key in (f"m_{leaf}@1", f"s_{leaf}@1", f"mhat_{leaf}@1", f"shat_{leaf}@1", f"{leaf}@1"):
            assert key in ends and key in v
    # each row's printed result is its key's value at the page's digits
    g = v["dL/dw0"]
    m = next(r for r, e in rows if e == "m_w0@1")
    assert float(m.rpartition("= ")[2]) == pytest.approx(v["m_w0@1"], rel=1e-5)
    assert v["m_w0@1"] == pytest.approx(0.1 * g)


def _claimed(optimizer: str, settings: dict[str, Any], claims: dict[str, str]) -> dict[str, Any]:
    s = scenario(
        {"train": ["w0", "w1", "w2"], "learning_rate": 0.1, "steps": 3}
        | {"optimizer": optimizer, **settings},
        claims,
    )
    return {f.claim.key: f for f in findings(s)}


Alternative = tuple[str, dict[str, Any], dict[str, Any], str]
ALTERNATIVES: list[Alternative] = [
    ("adam", {}, {"bias_correction": False}, "Adam without its bias correction"),
    (
        "adam",
        {"bias_correction": False},
        {"bias_correction": True},
        "Adam with its bias correction",
    ),
    ("adamw", {"weight_decay": 0.3}, {"weight_decay": 0.0}, "without weight decay"),
    ("momentum", {"l1": 0.2}, {"l1": 0.0}, "without an L1 penalty"),
]


@pytest.mark.parametrize(("optimizer", "scenario_has", "source_had", "cause"), ALTERNATIVES)
def test_a_published_step_made_with_the_other_convention_gets_that_cause(
    optimizer: str, scenario_has: dict[str, Any], source_had: dict[str, Any], cause: str
) -> None:
    source = values(
        scenario(
            {"train": ["w0", "w1", "w2"], "learning_rate": 0.1, "steps": 3}
            | {"optimizer": optimizer, **scenario_has, **source_had}
        )
    )
    checked = _claimed(optimizer, scenario_has, {"w1@3": f"{source['w1@3']:.6f}"})
    assert not checked["w1@3"].reproduced
    assert cause in checked["w1@3"].diagnosis


def test_a_number_no_convention_explains_has_no_cause() -> None:
    own = values(
        scenario(
            {"train": ["w0", "w1", "w2"], "learning_rate": 0.1, "steps": 3, "optimizer": "adam"}
        )
    )
    checked = _claimed(
        "adam", {}, {"w1@3": f"{own['w1@3'] + 0.0371:.6f}", "m_w1@2": f"{own['m_w1@2']:.6f}"}
    )
    assert checked["m_w1@2"].reproduced
    assert not checked["w1@3"].reproduced and not checked["w1@3"].explained_by
    assert checked["w1@3"].diagnosis.startswith("not reproduced by any alternative tried")


Bad = tuple[dict[str, Any], str, str]
BAD: list[Bad] = [
    ({"optimizer": "adam", "update": "sequential"}, "training.update", "simultaneous"),
    ({"optimizer": "momentum", "beta1": 0.9}, "training.beta1", "only with optimizer adam"),
    ({"optimizer": "lion"}, "training.optimizer", "adam"),
    ({"optimizer": "adam", "beta2": 1.0}, "training.beta2", "up to (not including) 1"),
]


@pytest.mark.parametrize(("more", "key", "expected"), BAD)
def test_a_bad_optimizer_on_a_graph_is_located(
    more: dict[str, Any], key: str, expected: str
) -> None:
    with pytest.raises(ScenarioError) as e:
        scenario({"train": ["w0"], "learning_rate": 0.1} | more)
    assert e.value.key == key
    assert expected in str(e.value)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["render", "--arithmetic", "paper:4"], "computes in float64"),
        (["render", "--arithmetic", "float32"], "computes in float64"),
        (["handout"], "a handout for a graph trained by an optimizer"),
    ],
)
def test_what_an_optimizer_on_a_graph_cannot_do_yet_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], expected: str
) -> None:
    out = tmp_path / "o"
    assert main([command[0], str(SHIPPED), *command[1:], "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not out.exists()


def test_the_shipped_adam_neuron_is_torch_optim_adam() -> None:
    torch = pytest.importorskip("torch")
    s = load(SHIPPED)
    assert isinstance(s, GraphScenario) and s.training is not None
    v = values(s)
    w = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=s.training.learning_rate)
    for k in range(1, s.training.steps + 1):
        opt.zero_grad()
        f = torch.sigmoid(w[0] * -1.0 + w[1] * -2.0 + w[2])
        ((1.0 - f) ** 2).backward()
        opt.step()
        if f"w0@{k}" in v:
            got = [v[f"{x}@{k}"] for x in ("w0", "w1", "w2")]
            assert got == pytest.approx(w.tolist(), rel=1e-12)
    assert f"w0@{s.training.steps}" in v


def test_a_graphs_step_with_the_weight_decay_coupled_where_adamw_decouples_it() -> None:
    training = {"train": ["w0", "w1", "w2"], "learning_rate": 0.1, "steps": 3, "weight_decay": 0.3}
    source = values(scenario({**training, "optimizer": "adam"}))
    checked = _claimed("adamw", {"weight_decay": 0.3}, {"w1@3": f"{source['w1@3']:.6f}"})
    assert not checked["w1@3"].reproduced
    assert checked["w1@3"].explained_by == (COUPLED,)
