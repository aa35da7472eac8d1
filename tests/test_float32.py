"""float32, the arithmetic of PyTorch's and JAX's defaults: as a page's arithmetic (every value a
float32, every operation rounded to it) and as a verification alternative ("computed in
float32"), for a network and for a graph; refused for a handout's key, which a student works
with a calculator."""

from __future__ import annotations

import math

import numpy as np
import pytest

import explainer
from explainer.check.verify import FLOAT32
from explainer.cli import main
from explainer.foundation.errors import ScenarioError, UsageError
from tests.conftest import SCENARIOS, WriteScenario

F = np.float32
MAZUR = SCENARIOS / "mazur-2-2-2.toml"
# Mazur's network trained 2 steps, without the article's own claims
MAZUR_2 = (
    MAZUR.read_text(encoding="utf-8").split("\n[claims]")[0].replace("steps = 10000", "steps = 2")
)


def _mazur_float32() -> dict[str, np.float32]:
    """Mazur's forward pass and w5's gradient in plain numpy float32, by hand."""
    i1, i2, b1, b2 = F(0.05), F(0.10), F(0.35), F(0.60)
    w = [F(x) for x in (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)]

    def sigmoid(x: np.float32) -> np.float32:
        return F(F(1) / (F(1) + np.exp(-x)))

    h1 = sigmoid(w[0] * i1 + w[1] * i2 + b1)
    h2 = sigmoid(w[2] * i1 + w[3] * i2 + b1)
    o1 = sigmoid(w[4] * h1 + w[5] * h2 + b2)
    o2 = sigmoid(w[6] * h1 + w[7] * h2 + b2)
    e = F(0.5) * (F(0.01) - o1) ** 2 + F(0.5) * (F(0.99) - o2) ** 2
    dw5 = -(F(0.01) - o1) * o1 * (F(1) - o1) * h1
    return {"out_h1": h1, "out_o1": o1, "E_total": e, "dE_total/dw5": dw5}


def test_a_float32_page_computes_every_value_in_float32() -> None:
    page = explainer.load(MAZUR, steps=3, arithmetic="float32")
    v = page.values
    for key, want in _mazur_float32().items():
        got = float(v[key])
        assert float(F(got)) == got, f"{key} = {got!r} is no float32"
        # the same operations in another order: within a few float32 units in the last place
        assert got == pytest.approx(float(want), rel=4 * 2**-23), key
    double = explainer.load(MAZUR, steps=3).values
    assert float(v["E_total@3"]) != float(double["E_total@3"])
    assert float(v["E_total@3"]) == pytest.approx(float(double["E_total@3"]), rel=1e-5)
    assert "single precision" in page.markdown()


def test_a_float32_page_matches_pytorch_in_float32() -> None:
    torch = pytest.importorskip("torch")
    t = torch.float32
    w1 = torch.tensor([[0.15, 0.20], [0.25, 0.30]], dtype=t, requires_grad=True)
    w2 = torch.tensor([[0.40, 0.45], [0.50, 0.55]], dtype=t, requires_grad=True)
    h = torch.sigmoid(w1 @ torch.tensor([0.05, 0.10], dtype=t) + 0.35)
    o = torch.sigmoid(w2 @ h + 0.60)
    loss = (0.5 * (torch.tensor([0.01, 0.99], dtype=t) - o) ** 2).sum()
    loss.backward()
    assert w1.grad is not None and w2.grad is not None
    v = explainer.load(MAZUR, steps=1, arithmetic="float32").values
    assert float(v["E_total"]) == pytest.approx(loss.item(), rel=4 * 2**-23)
    grads = [*w1.grad.ravel().tolist(), *w2.grad.ravel().tolist()]
    ours = [float(v[f"dE_total/dw{k}"]) for k in range(1, 9)]
    assert ours == pytest.approx(grads, rel=16 * 2**-23)


def _claimed(write_scenario: WriteScenario, text: str, claims: dict[str, str]) -> str:
    lines = "".join(f'"{k}" = "{v}"\n' for k, v in claims.items())
    return str(write_scenario(text + "\n[claims]\n" + lines))


def _printed_by_float32(source: str, key: str, steps: int, digits: int) -> str:
    """`key` as a source that ran in float32 prints it: a number float64 does not give."""
    ours = explainer.load(source, steps=steps, arithmetic="float32").values[key]
    double = explainer.load(source, steps=steps).values[key]
    printed = f"{float(ours):.{digits}f}"
    assert printed != f"{float(double):.{digits}f}", "float32 and float64 agree here"
    return printed


def test_a_network_number_printed_from_float32_is_diagnosed(write_scenario: WriteScenario) -> None:
    text = MAZUR_2
    base = str(write_scenario(text))
    printed = _printed_by_float32(base, "E_total@2", 2, 9)
    (f,) = explainer.load(_claimed(write_scenario, text, {"E_total@2": printed})).verify()
    assert not f.reproduced and FLOAT32 in f.explained_by, f.diagnosis


def test_a_graph_number_printed_from_float32_is_diagnosed(write_scenario: WriteScenario) -> None:
    source = SCENARIOS / "circuit-neuron-training.toml"
    text = source.read_text(encoding="utf-8")
    printed = _printed_by_float32(str(source), "L@3", 3, 10)
    (f,) = explainer.load(_claimed(write_scenario, text, {"L@3": printed})).verify()
    assert not f.reproduced and FLOAT32 in f.explained_by, f.diagnosis
    off = f"{float(printed) * (1 + 7e-6):.10f}"  # off in the sixth digit: no convention gives it
    (g,) = explainer.load(_claimed(write_scenario, text, {"L@3": off})).verify()
    assert not g.reproduced and not g.explained_by, g.diagnosis


def test_a_number_float32_does_not_give_is_not_blamed_on_it(
    write_scenario: WriteScenario,
) -> None:
    text = MAZUR_2
    exact = float(explainer.load(str(write_scenario(text)), steps=2).values["E_total@2"])
    printed = f"{exact * (1 + 7e-6):.9f}"  # off in the sixth digit: no convention gives it
    (f,) = explainer.load(_claimed(write_scenario, text, {"E_total@2": printed})).verify()
    assert not f.reproduced and not f.explained_by
    assert f.diagnosis.startswith("not reproduced by any alternative tried")
    assert not math.isclose(exact, float(printed), rel_tol=1e-6)


def test_a_handout_key_is_not_worked_in_float32(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["handout", "mazur-2-2-2", "--variants", "1", "--arithmetic", "float32"])
    assert code == 2
    assert "calculator" in capsys.readouterr().err
    with pytest.raises(UsageError):
        explainer.handout("mazur-2-2-2", variants=1, arithmetic="float32")


def test_a_scenario_states_its_arithmetic_and_the_page_sets_float64_beside_it() -> None:
    """scenarios/float32.toml: [display] arithmetic = "float32" makes the page float32 (the
    same numbers as --arithmetic float32 on Mazur's network), --arithmetic overrides it, and
    its table's float64 column is the float64 page's own numbers."""
    page = explainer.load("float32")
    f32 = explainer.load("mazur-2-2-2", steps=200, arithmetic="float32").values
    f64 = explainer.load("mazur-2-2-2", steps=200).values
    for key in ("E_total", "dE_total/dw1", "w5@1", "E_total@200"):
        assert page.values[key] == f32[key] != f64[key]
    assert explainer.load("float32", arithmetic="float64").values["w5@1"] == f64["w5@1"]
    md = page.markdown()
    row = next(line for line in md.splitlines() if line.startswith("| $w_{5}^{+}$"))
    apart = abs(float(f32["w5@1"]) - float(f64["w5@1"])) / float(
        np.spacing(np.float32(f64["w5@1"]))
    )
    assert f"| ${apart:.1f}$ |" in row
    assert "## float32 beside float64" in md
    assert "float32 beside float64" not in explainer.load("mazur-2-2-2", steps=3).markdown()


def test_a_scenarios_arithmetic_is_checked_where_it_stands() -> None:
    import tomllib

    doc = tomllib.loads((SCENARIOS / "float32.toml").read_text(encoding="utf-8"))
    doc["display"]["arithmetic"] = "float16"
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="f16")
    assert "display.arithmetic" in str(e.value) and "float32" in str(e.value)
