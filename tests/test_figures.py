"""Figures: what they draw is what the page computes, checked against independent numbers."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from explainer.derive import derivation
from explainer.derive.derivation import Partial
from explainer.draw import figures
from explainer.draw.drawing import Circle, Label, runs, svg, tikz
from explainer.draw.drawing import Path as Line
from explainer.evaluate import worked as evaluate
from explainer.evaluate.compute import run
from explainer.foundation.precision import show
from explainer.graph import network
from explainer.page.model import Figure
from explainer.pipeline import explain
from explainer.read import scenario
from tests.conftest import SCENARIOS, WriteScenario
from tests.test_output import TANH_3

SHIPPED = sorted(SCENARIOS.glob("*.toml"))
NETWORKS = [p for p in SHIPPED if "[graph]" not in p.read_text(encoding="utf-8")]
MAZUR = SCENARIOS / "mazur-2-2-2.toml"
SINGLE = SCENARIOS / "single-weight.toml"


def pictures(path: Path) -> dict[str, Figure]:
    page = explain(scenario.load(path))
    return {i.key: i for s in page.sections for i in s.items if isinstance(i, Figure)}


def paths_in_derivation(d: derivation.Derivation, p: Partial) -> int:
    """The number of products in ∂L/∂p once every sum in the derivation is expanded."""
    eqs = {e.partial: e for e in d.equations}
    if p not in eqs:
        return 1
    return sum(math.prod(paths_in_derivation(d, f) for f in term) for term in eqs[p].terms)


@pytest.mark.parametrize("path", NETWORKS, ids=lambda p: p.stem)
def test_highlighted_paths_are_the_chain_rules_terms(path: Path) -> None:
    net = network.build(scenario.load_network(path))
    d = derivation.derive(net)
    for p in net.trained:
        assert figures.path_count(net, p.key) == paths_in_derivation(d, Partial(net.loss, p.key))


def test_mazur_highlights_both_outputs_for_w1() -> None:
    net = network.build(scenario.load_network(MAZUR))
    edges, lit = figures.highlighted(net, "w1")
    assert edges == {
        ("i1", "h1"),
        ("out_h1", "o1"),
        ("out_h1", "o2"),
        ("out_o1", "E_total"),
        ("out_o2", "E_total"),
    }
    assert lit == {"h1", "o1", "o2"}
    edges5, _ = figures.highlighted(net, "w5")
    assert edges5 == {("out_h1", "o1"), ("out_o1", "E_total")}


@pytest.mark.parametrize("path", [MAZUR, SCENARIOS / "serengil-sine.toml"], ids=lambda p: p.stem)
def test_network_labels_are_the_computed_values(path: Path) -> None:
    s = scenario.load_network(path)
    r = run(s)
    net, ev = r.net, r.evaluation
    values = dict(ev.nodes)
    labels = {x.latex for x in pictures(path)["network"].drawing.shapes if isinstance(x, Label)}
    digits = s.digits
    for p in net.params:
        assert any(lab.endswith(f" = {show(p.value, digits).latex}") for lab in labels), p.key
    for n in net.neurons:
        assert show(values[n.out], digits).latex in labels
    assert show(values[net.loss], digits).latex in labels


def test_loss_curve_is_the_training_loss_on_a_log_axis_when_it_spans_decades() -> None:
    s = scenario.load_network(MAZUR)
    training = run(s).training
    recorded = {st.k: st.loss for st in training.steps}
    curve = dict(training.curve)
    assert len(curve) > 300 and curve[0] == recorded[0] and curve[s.steps] == recorded[s.steps]
    for k in set(curve) & set(recorded):
        assert curve[k] == recorded[k]
    figure = pictures(MAZUR)["loss"]
    assert figure.drawing.title.endswith("(log scale)")
    line = next(x for x in figure.drawing.shapes if isinstance(x, Line) and x.style == "curve")
    xs = [p[0] for p in line.points]
    assert xs == sorted(xs) and len(xs) == len(curve)
    # on a log axis equal loss ratios are equal heights: check against log10 of the losses
    ys = np.array([p[1] for p in line.points])
    logs = np.log10([v for _, v in sorted(curve.items())])
    slope = (ys[-1] - ys[0]) / (logs[-1] - logs[0])
    assert np.allclose(ys - ys[0], slope * (logs - logs[0]), atol=1e-9)


def test_linear_axis_when_the_loss_spans_less_than_two_decades() -> None:
    drawing = figures.loss_curve(((0, 1.0), (1, 0.5), (2, 0.2)), "E", "step", str)
    assert drawing is not None and drawing.title.endswith("(linear scale)")


def _curve(drawing_shapes: tuple[object, ...], style: str) -> list[tuple[float, float]]:
    lines = [x for x in drawing_shapes if isinstance(x, Line) and x.style == style]
    return [p for line in lines for p in line.points]


def test_single_weight_tangent_and_steps_lie_on_the_cost_curve() -> None:
    """Seed 001: C(w) = (1.5w − 0.5)²; the tangent at w = 0.8 has slope dC/dw = 2.1 (the
    backpropagated gradient), and each descent step lands on the curve."""
    figure = pictures(SINGLE)["descent"]
    shapes = figure.drawing.shapes
    curves = [x for x in shapes if isinstance(x, Line) and x.style == "curve"]
    assert len(curves) == 2  # a(w) on the left, C(w) on the right
    cost = sorted(curves[1].points)
    tangent = _curve(shapes, "tangent")
    (x0, y0), (x1, y1) = tangent
    dots = [x.at for x in shapes if isinstance(x, Circle) and x.style == "dot"]
    steps = dots[1:]  # the first dot is a(w0) on the left panel

    def on_curve(x: float) -> float:
        return float(np.interp(x, [p[0] for p in cost], [p[1] for p in cost]))

    start = steps[0]
    h = 1e-3
    curve_slope = (on_curve(start[0] + h) - on_curve(start[0] - h)) / (2 * h)
    assert (y1 - y0) / (x1 - x0) == pytest.approx(curve_slope, rel=2e-2)
    assert y0 + (start[0] - x0) * (y1 - y0) / (x1 - x0) == pytest.approx(start[1], abs=1e-6)
    for x, y in steps:
        assert y == pytest.approx(on_curve(x), abs=0.02)
    assert len(steps) == scenario.load_network(SINGLE).steps + 1
    assert [x for x, _ in steps] == sorted((x for x, _ in steps), reverse=True)


def test_one_weight_plots_only_for_one_trained_parameter() -> None:
    assert "descent" not in pictures(MAZUR)
    assert "descent" in pictures(SINGLE)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_svg_is_well_formed_and_deterministic(path: Path) -> None:
    for figure in pictures(path).values():
        text = svg(figure.drawing, figure.key)
        root = ET.fromstring(text)
        assert root.tag.endswith("svg")
        shown = "".join(root.itertext())
        assert "\\" not in shown and "{" not in shown
        assert text == svg(pictures(path)[figure.key].drawing, figure.key)
        assert tikz(figure.drawing).startswith(r"\begin{tikzpicture}")


def test_label_latex_to_text_runs() -> None:
    assert [(r.text, r.italic, r.shift) for r in runs(r"\mathrm{net}_{h1} = -0.5")] == [
        ("net", False, 0),
        ("h", True, -1),
        ("1", False, -1),
        (" = −0.5", False, 0),
    ]
    assert "".join(r.text for r in runs(r"3.5 \times 10^{-5}")) == "3.5 × 10−5"
    assert "".join(r.text for r in runs(r"\frac{6}{5}")) == "6/5"
    assert "".join(r.text for r in runs(r"\hat{y}_{\delta}")) == "y\u0302\u03b4"


def test_a_shape_no_scenario_has(write_scenario: WriteScenario) -> None:
    page = explain(scenario.load_network(write_scenario(TANH_3)))
    keys = [i.key for s in page.sections for i in s.items if isinstance(i, Figure)]
    assert keys == ["network", "backward", "loss"]


def test_highlight_setting_and_its_error(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    from explainer.cli import main

    text = TANH_3.replace("[training]", '[display]\nhighlight = "b_a1"\n[training]')
    drawing = pictures(write_scenario(text))["network"].drawing
    lit = [x.latex for x in drawing.shapes if isinstance(x, Label) and x.style == "label-path"]
    assert [x for x in lit if x.startswith("b_")] == ["b_{a1} = 0.01"]
    assert not any(x.startswith(("w_{1} ", "w_{2} ")) for x in lit)  # into a1, not from it
    bad = write_scenario(text.replace("b_a1", "w99"), "bad")
    assert main(["render", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "display.highlight" in err and "'w99'" in err


def test_figures_in_other_arithmetic_and_at_a_zero_loss(write_scenario: WriteScenario) -> None:
    from explainer.pipeline import Options

    for mode in ("paper:3", "paper:2:truncate", "exact"):
        page = explain(scenario.load_network(SINGLE), Options(arithmetic=mode))
        assert any(
            isinstance(i, Figure) and i.key == "descent" for s in page.sections for i in s.items
        )
    flat = SINGLE.read_text(encoding="utf-8").replace("inputs = [1.5]", "inputs = [0.0]")
    flat = flat.replace("targets = [0.5]", "targets = [0.0]").replace("[claims]", "[unused]")
    flat = flat.split("[unused]")[0]
    keys = pictures(write_scenario(flat, "flat")).keys()
    assert set(keys) == {"network", "backward", "loss", "descent"}


def test_svg_ids_from_any_file_name(tmp_path: Path) -> None:
    from explainer.cli import main

    odd = tmp_path / 'r&d "x" <y>.toml'
    odd.write_text(MAZUR.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["render", str(odd), "-o", str(out)]) == 0
    svgs = sorted(out.glob("*.svg"))
    assert len(svgs) == 3
    for f in svgs:
        root = ET.fromstring(f.read_text(encoding="utf-8"))
        ids = [e.get("id") for e in root.iter() if e.get("id")]
        assert all(re.fullmatch(r"[A-Za-z0-9_-]+", i or "") for i in ids)


def test_neuron_names_with_their_own_underscore() -> None:
    assert figures._neuron_symbol("h_1") == "h_{1}"
    assert figures._neuron_symbol("h12") == "h_{12}"
    assert figures._neuron_symbol("o") == "o"


def test_until_loss_curve_runs_to_the_stop() -> None:
    s = scenario.load_network(SCENARIOS / "serengil-sine.toml")
    training = run(s).training
    last = training.steps[-1].k
    assert last < s.steps  # it stopped early
    assert training.curve[-1] == (last, training.steps[-1].loss)
    assert len(training.curve) == min(last + 1, 401)


def test_large_drawings_are_scaled_to_the_text_block() -> None:
    from explainer.draw.drawing import Drawing

    assert "scale=0.500," in tikz(Drawing(31.0, 5.0, (), ""))
    assert "scale=0.633," in tikz(Drawing(10.0, 30.0, (), ""))
    assert "scale" not in tikz(Drawing(10.0, 10.0, (), ""))
    assert runs(r"\hat{}x") == runs("x")


def test_backward_figure_shows_each_weights_gradient_and_each_neurons_delta() -> None:
    """The backward figure's numbers are the chain rule's, and those agree with central finite
    differences of the loss (evaluate.central_differences, h = 1e-6), which use no derivation."""
    s = scenario.load_network(MAZUR)
    r = run(s)
    d = pictures(MAZUR)["backward"].drawing
    shown = " ".join(x.latex for x in d.shapes if isinstance(x, Label))
    net, ev = r.net, r.evaluation
    estimates = evaluate.central_differences(net)
    for p in net.trained:
        g = float(ev.partial(Partial(net.loss, p.key)))
        assert g == pytest.approx(float(estimates[p.key]), rel=1e-6, abs=1e-10)
        assert show(g, s.digits).latex in shown, p.key
    for n in net.neurons:
        assert show(float(ev.partial(Partial(net.loss, n.net))), s.digits).latex in shown
