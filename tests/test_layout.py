"""Figures laid out: no label touches another, sits on a node, is struck by a line or leaves
its drawing; text is printed large enough; and the boxes these checks use are TeX's own."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from explainer.draw.drawing import MIN_PT, PT, Circle, Drawing, Label, box, extent, printed_pt
from explainer.draw.drawing import Path as Line
from explainer.draw.layout import Placer, clashes
from explainer.foundation.limits import DEFAULT
from explainer.page.model import Figure
from explainer.pipeline import explain
from explainer.read import scenario
from explainer.read.scenario import Scenario, _network
from tests.conftest import SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.toml"))


def figures_of(s: Scenario | Any) -> dict[str, Drawing]:
    page = explain(s)
    return {i.key: i.drawing for sec in page.sections for i in sec.items if isinstance(i, Figure)}


def shipped_figures() -> list[tuple[str, Drawing]]:
    return [
        (f"{p.stem}:{key}", d) for p in SHIPPED for key, d in figures_of(scenario.load(p)).items()
    ]


FIGURES = shipped_figures()


def _described(d: Drawing) -> list[str]:
    return [
        f"{c.label.latex!r} {c.why} {getattr(c.other, 'latex', '') or getattr(c.other, 'style', '')}"
        for c in clashes(d)
    ]


@pytest.mark.parametrize(("name", "drawing"), FIGURES, ids=[n for n, _ in FIGURES])
def test_no_label_touches_what_it_may_not(name: str, drawing: Drawing) -> None:
    assert _described(drawing) == []


@pytest.mark.parametrize(("name", "drawing"), FIGURES, ids=[n for n, _ in FIGURES])
def test_every_label_is_printed_at_least_at_the_smallest_size(name: str, drawing: Drawing) -> None:
    small = [
        x.latex for x in drawing.shapes if isinstance(x, Label) and printed_pt(drawing, x) < MIN_PT
    ]
    assert small == []


def random_network(seed: int) -> Scenario:
    """A sigmoid network of 1–3 layers, up to 6 inputs and 6 neurons a layer, with no, shared
    or per-neuron biases and two-decimal values: the crowded layers the figure must survive."""
    rng = np.random.default_rng(seed)
    n_inputs = int(rng.integers(1, 7))
    layers: list[dict[str, Any]] = []
    fan_in = n_inputs
    count = int(rng.integers(1, 4))
    for li in range(count):
        n = int(rng.integers(1, 7))
        bias = ("none", "shared", "per-neuron")[int(rng.integers(3))]
        layer: dict[str, Any] = {
            "neurons": [f"{'o' if li == count - 1 else 'ghk'[li]}{j + 1}" for j in range(n)],
            "activation": "sigmoid",
            "weights": np.round(rng.uniform(-1, 1, (n, fan_in)), 2).tolist(),
            "bias": bias,
        }
        if bias != "none":
            layer["biases"] = np.round(rng.uniform(-1, 1, 1 if bias == "shared" else n), 2).tolist()
        layers.append(layer)
        fan_in = n
    raw = {
        "title": "random",
        "network": {"inputs": [f"i{k + 1}" for k in range(n_inputs)], "layers": layers},
        "example": {
            "inputs": np.round(rng.uniform(0, 1, n_inputs), 2).tolist(),
            "targets": np.round(rng.uniform(0, 1, fan_in), 2).tolist(),
        },
        "loss": {"function": "half_sse"},
        "training": {"learning_rate": 0.5, "steps": 2},
        "display": {"digits": 4},
    }
    s = _network(f"<random {seed}>", f"random-{seed}", raw, DEFAULT)
    assert isinstance(s, Scenario)
    return s


@pytest.mark.parametrize("seed", range(12))
def test_random_networks_up_to_six_a_layer_are_laid_out(seed: int) -> None:
    drawn = figures_of(random_network(seed))
    assert "network" in drawn
    d = drawn["network"]
    assert _described(d) == []
    assert all(printed_pt(d, x) >= MIN_PT for x in d.shapes if isinstance(x, Label))


def test_the_checks_see_a_collision() -> None:
    """The checks themselves: two labels on one spot, a label on a node, a line through a label."""
    a = Label((2.0, 2.0), "w_{1} = 0.15")
    line = Line(((0.0, 2.0), (4.0, 2.0)), "edge")
    node = Circle((2.2, 2.0), 0.4, "neuron")
    assert [c.why for c in clashes(Drawing(4, 4, (a, a), ""))] == ["overlaps a label"]
    assert [c.why for c in clashes(Drawing(4, 4, (node, a), ""))] == ["sits on a node"]
    assert [c.why for c in clashes(Drawing(4, 4, (line, a), ""))] == ["is struck by a line"]
    assert clashes(Drawing(4, 4, (line, Label((2.0, 2.0), "w", over=line)), "")) == ()
    assert [c.why for c in clashes(Drawing(1, 1, (a,), ""))] == ["leaves the drawing"]
    assert Placer((line,), 4, 4).first([a, Label((2.0, 3.0), "w")]) == Label((2.0, 3.0), "w")


def _tex_widths(labels: list[Label], where: Path) -> list[float]:
    """TeX's own width of each label's text, in cm, at the label's size."""
    size = {"small": r"\scriptsize", "tiny": r"\tiny"}
    lines = [
        rf"\setbox0\hbox{{{size[x.size]}${x.latex}$}}\typeout{{W{i}=\the\wd0}}"
        for i, x in enumerate(labels)
    ]
    doc = "\n".join(
        [
            r"\documentclass[11pt]{article}\usepackage[T1]{fontenc}\usepackage{lmodern}",
            r"\usepackage{amsmath,amssymb}\begin{document}",
            *lines,
            "x",
            r"\end{document}",
        ]
    )
    (where / "w.tex").write_text(doc, encoding="utf-8")
    log = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "w.tex"], cwd=where, capture_output=True, text=True
    ).stdout
    found = dict(re.findall(r"W(\d+)=([\d.]+)pt", log))
    return [float(found[str(i)]) * PT for i in range(len(labels))]


def test_label_boxes_hold_texs_own_text(tex: None, tmp_path: Path) -> None:
    """Every shipped label's estimated width is at least TeX's and not much more: the boxes the
    layout and these tests use are the boxes TikZ prints."""
    labels = list(
        {x.latex + x.size: x for _, d in FIGURES for x in d.shapes if isinstance(x, Label)}.values()
    )
    widths = _tex_widths(labels, tmp_path)
    for x, real in zip(labels, widths, strict=True):
        guess = extent(x.latex, x.size)[0]
        assert real - 0.02 <= guess <= real * 1.35 + 0.05, (x.latex, real, guess)
        assert box(x).x1 - box(x).x0 > guess


def test_a_gate_is_not_drawn_on_a_wire_that_runs_through_its_column() -> None:
    # × wants the middle row of w and x, where b runs on to the + gate a column later
    s = scenario.from_mapping(
        {
            "title": "t",
            "graph": {
                "leaves": {"w": 0.5, "b": 0.0, "x": 1.0, "t": 2.0},
                "nodes": {"y": "w * x + b", "L": "(y - t)**2"},
            },
        },
        "through",
    )
    (drawing,) = figures_of(s).values()
    assert _described(drawing) == []
