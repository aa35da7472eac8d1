"""Rendered pages as a reader gets them: deterministic, escaped, LaTeX that compiles, Markdown
math that common hosts render, and a network shape no shipped scenario has."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import cmarkgfm
import pytest

from explainer.page.model import Explanation, Paragraph
from explainer.pipeline import Options, explain, render_text
from explainer.read import scenario
from explainer.read.scenario import AnyScenario
from explainer.read.settings import Paper
from explainer.render.formats import escape_latex, escape_markdown, github_math
from tests.conftest import MINIMAL, OUTPUT, SCENARIOS, WriteScenario, tool

SHIPPED = sorted(SCENARIOS.glob("*.toml"))

# A shape the shipped scenarios do not have: three tanh layers, a bias per neuron, all trained.
TANH_3 = """\
title = "Three tanh layers"
[network]
inputs = ["x1", "x2"]
[[network.layers]]
neurons = ["a1", "a2"]
activation = "tanh"
weights = [[0.1, -0.2], [0.3, 0.4]]
bias = "per-neuron"
biases = [0.01, -0.02]
[[network.layers]]
neurons = ["b1", "b2", "b3"]
activation = "tanh"
weights = [[0.5, -0.6], [0.7, 0.8], [-0.9, 0.1]]
bias = "per-neuron"
biases = [0.03, 0.04, -0.05]
[[network.layers]]
neurons = ["y1"]
activation = "tanh"
weights = [[0.2, -0.3, 0.4]]
bias = "per-neuron"
biases = [0.06]
[example]
inputs = [0.5, -1.5]
targets = [0.3]
[loss]
function = "mse"
[training]
learning_rate = 0.2
steps = 50
"""

NASTY = "Costs & $ 100% of #1 {x}_y ~ ^ \\\\ <b>*bold*</b> [link](x) `code`"


def text_page(s: AnyScenario, fmt: str) -> str:
    """The page of a text format (`render_text` returns bytes only for a compiled format)."""
    page = render_text(s, fmt)
    assert isinstance(page, str)
    return page


def compile_latex(tex: str, tmp_path: Path, name: str = "page") -> str:
    (tmp_path / f"{name}.tex").write_text(tex, encoding="utf-8")
    result = subprocess.run(
        [
            "pdflatex",
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-no-shell-escape",
            f"{name}.tex",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    log = (tmp_path / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    assert result.returncode == 0, log[-3000:]
    assert (tmp_path / f"{name}.pdf").stat().st_size > 1000
    return log


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
@pytest.mark.parametrize("fmt", ["md", "tex", "json"])
def test_same_scenario_same_bytes(path: Path, fmt: str) -> None:
    s = scenario.load(path)
    assert render_text(s, fmt) == render_text(scenario.load(path), fmt)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_latex_compiles_without_overfull_boxes(path: Path, tmp_path: Path) -> None:
    if not tool("pdflatex"):
        pytest.skip("pdflatex is not installed (CI installs TeX Live)")
    s = scenario.load(path)
    log = compile_latex(text_page(s, "tex"), tmp_path)
    assert "Overfull \\hbox" not in log
    assert "Overfull \\vbox" not in log  # no display or figure taller than the page
    if tool("pdftotext"):
        ends = page_ends(tmp_path / "page.pdf")
        assert ends
        e = explain(s)
        heads, run_in = headings(e), run_in_headings(e)
        # a heading, a bold run-in heading or a sentence leading into a block (ending in ":")
        stranded = [
            end for end in ends if _first_words(end) in heads or end in run_in or end[-1:] == ":"
        ]
        assert stranded == []


def page_ends(pdf: Path) -> list[str]:
    """The last line of text on each page of a PDF, its page number left out."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    ends = []
    for page in text.split("\f")[:-1]:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        if lines and lines[-1].isdigit():
            lines.pop()
        ends.append(lines[-1] if lines else "")
    return ends


def _first_words(line: str) -> str:
    """A heading line's number and first word ("2.1 Output"), as pdftotext prints it."""
    return " ".join(line.split()[:2])


def headings(e: Explanation) -> set[str]:
    """Every section's number and first word, as LaTeX numbers them (2: n, 3: n.m)."""
    found, n, m = set(), 0, 0
    for section in e.sections:
        n, m = (n + 1, 0) if section.level == 2 else (n, m + 1)
        number = f"{n}" if section.level == 2 else f"{n}.{m}"
        found.add(_first_words(f"{number} {section.title}"))
    return found


def run_in_headings(e: Explanation) -> set[str]:
    """The text of every paragraph that is bold text alone."""
    return {
        "".join(seg.value for seg in item.prose)
        for section in e.sections
        for item in section.items
        if isinstance(item, Paragraph) and all(seg.kind == "strong" for seg in item.prose)
    }


def test_the_page_end_check_knows_the_headings_as_printed() -> None:
    e = explain(scenario.load(SCENARIOS / "mazur-2-2-2.toml"))
    assert _first_words(f"2 {e.sections[1].title}") in headings(e)
    assert "Neuron o2" in run_in_headings(e)  # as pdftotext printed Mazur's page 4 ending on it


def test_new_shape_renders_and_compiles(write_scenario: WriteScenario, tmp_path: Path) -> None:
    s = scenario.load_network(write_scenario(TANH_3))
    md = text_page(s, "md")
    for heading in ("### Hidden layer 1", "### Hidden layer 2", "### Output layer"):
        assert heading in md
    assert r"1 - {\mathrm{out}_{a1}}^{2}" in md  # tanh′ in textbook form
    if tool("pdflatex"):
        compile_latex(text_page(s, "tex"), tmp_path)


def test_scenario_strings_are_escaped(write_scenario: WriteScenario, tmp_path: Path) -> None:
    text = MINIMAL.replace('title = "Minimal"', f"title = '''{NASTY}'''\nsource = '''{NASTY}'''")
    s = scenario.load_network(write_scenario(text))
    md = text_page(s, "md")
    assert escape_markdown(NASTY) in md and "<b>" not in md
    tex = text_page(s, "tex")
    assert escape_latex(NASTY) in tex
    if tool("pdflatex"):
        compile_latex(tex, tmp_path)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_markdown_math_is_well_formed(path: Path) -> None:
    md = text_page(scenario.load(path), "md")
    assert md.count("$$") % 2 == 0
    blocks = re.findall(r"^\$\$\n(.*?)\n\$\$$", md, flags=re.S | re.M)
    assert blocks and all(b.startswith(r"\begin{aligned}") for b in blocks)
    assert md.count("$$") == 2 * len(blocks)  # every display block on its own lines
    for line in md.splitlines():
        if not line.startswith("$$") and "$" in line.replace(r"\$", ""):
            assert line.replace(r"\$", "").count("$") % 2 == 0, line
    assert "\\VAR{" not in md and "{{" not in md and "{%" not in md


MATH_BLOCK = re.compile(r"^\$\$\n(.*?)\n\$\$$|(?<!\\)\$(?!\$)(.+?)(?<!\\)\$", re.S | re.M)
# Stand-ins for what GitHub's math spans are spared, so that only what GitHub does apply to
# them (backslash escapes, entities, HTML, line breaks) acts: emphasis (_ and *) and a `\\`
# that ends a line, which GitHub keeps (github/markup#1547) where cmark-gfm alone unescapes it.
SPARED = {"_": "\ue000", "*": "\ue001", "\\\\\n": "\ue002\n"}


def through_github(tex: str) -> str:
    """`tex` as it leaves cmark-gfm, GitHub's Markdown parser, as the text of a paragraph."""
    for kept, stand_in in SPARED.items():
        tex = tex.replace(kept, stand_in)
    out = cmarkgfm.github_flavored_markdown_to_html(tex).strip()
    out = html.unescape(out.removeprefix("<p>").removesuffix("</p>"))
    for kept, stand_in in SPARED.items():
        out = out.replace(stand_in, kept)
    return out


@pytest.mark.parametrize("path", sorted(OUTPUT.glob("*.md")), ids=lambda p: p.stem)
def test_every_math_block_crosses_githubs_markdown_unaltered(path: Path) -> None:
    """GitHub parses Markdown before math: `\\,` in math arrives as `,`. Every math block of
    every shipped page must come out of cmark-gfm as it went in."""
    blocks = [a or b for a, b in MATH_BLOCK.findall(path.read_text(encoding="utf-8"))]
    assert blocks
    for tex in blocks:
        assert through_github(tex) == tex


def test_the_github_check_catches_an_unescaped_control_symbol() -> None:
    assert through_github(r"w_{kj}\,\delta_k \\ x") == r"w_{kj},\delta_k \ x"
    assert through_github(github_math(r"w_{kj}\,\delta_k \\ x")) == github_math(
        r"w_{kj}\,\delta_k \\ x"
    )


def test_numeric_columns_align_on_the_decimal_point() -> None:
    from explainer.page.model import Table, math, text
    from explainer.render.formats import tex_cell, tex_columns

    rows = tuple(
        (text("k"), text(math(n)), text("ok")) for n in ("0.5", "-12.25", r"3.51 \times 10^{-5}")
    )
    table = Table((text("a"), text("b"), text("c")), rows, (False, True, False))
    assert tex_columns(table) == "lD{.}{.}{3.10}l"  # "-12" and "51" plus the × 10⁻⁵
    assert tex_cell(rows[1][1], True) == "-12.25"  # bare: a D column is already math
    assert tex_cell(text("n/a"), True) == r"\multicolumn{1}{r}{n/a}"
    assert tex_cell(text("b"), True, header=True) == r"\multicolumn{1}{c}{b}"


def wide(sizes: tuple[int, ...]) -> dict[str, object]:
    """A sigmoid network [n, n, n] with per-neuron biases, as a scenario mapping."""
    layers, previous = [], sizes[0]
    for li, n in enumerate(sizes[1:]):
        layers.append(
            {
                "neurons": [f"n{li}x{j}" for j in range(n)],
                "activation": "sigmoid",
                "bias": "per-neuron",
                "biases": [0.1] * n,
                "weights": [
                    [((i * 7 + j * 3) % 11 - 5) / 20 for i in range(previous)] for j in range(n)
                ],
            }
        )
        previous = n
    return {
        "title": "A wide network",
        "network": {"inputs": [f"i{i}" for i in range(sizes[0])], "layers": layers},
        "example": {"inputs": [0.1] * sizes[0], "targets": [0.5] * previous},
        "training": {"learning_rate": 0.5, "steps": 20},
    }


@pytest.mark.parametrize("sizes", [(8, 8, 8), (32, 32, 32)], ids=["8-8-8", "32-32-32"])
def test_a_wide_network_is_summarised_and_nothing_overruns_the_margin(
    sizes: tuple[int, ...], tmp_path: Path
) -> None:
    """One neuron of each layer written out, the rest in tables, every long sum wrapped: no
    line of the PDF overruns the text width (pdflatex's overfull boxes)."""
    s = scenario.from_mapping(wide(sizes), "wide")
    md = text_page(s, "md")
    assert "The other neurons, in matrix form" in md
    first, second = "n1x0", "n1x1"
    assert rf"\mathrm{{net}}_{{{first}}} &=" in md  # written out …
    assert rf"\mathrm{{net}}_{{{second}}} &=" not in md  # … the rest in the tables
    if not tool("pdflatex"):
        pytest.skip("pdflatex is not installed (CI installs TeX Live)")
    log = compile_latex(text_page(s, "tex"), tmp_path)
    assert "Overfull \\hbox" not in log


def dense(n: int) -> dict[str, object]:
    """benchmarks/peers.py's [n, n, n] network: no biases, weight (i, j) = ((7i + 3j) mod 11 −
    5)/20, inputs 0.1, targets 0.5, one step."""

    def weights(first: int) -> list[list[float]]:
        return [
            [((i * 7 + j * 3) % 11 - 5) / 20 for j in range(n)] for i in range(first, first + n)
        ]

    def names(letter: str) -> list[str]:
        return [f"{letter}{k + 1}" for k in range(n)]

    return {
        "title": f"A [{n}, {n}, {n}] sigmoid network",
        "network": {
            "inputs": names("i"),
            "layers": [
                {"neurons": names("h"), "activation": "sigmoid", "weights": weights(0)},
                {"neurons": names("o"), "activation": "sigmoid", "weights": weights(n)},
            ],
        },
        "example": {"inputs": [0.1] * n, "targets": [0.5] * n},
        "loss": {"function": "half_sse"},
        "training": {"learning_rate": 0.5},
    }


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_dense_8_8_8_page_has_no_overfull_line(tmp_path: Path, paper: Paper) -> None:
    """Its summary's sentence "gives E = 0.0007305, down from 0.0008313" ran 0.2 to 4.6 pt
    into the margin (issue 24): a line TeX cannot break well is spaced out instead."""
    if not tool("pdflatex"):
        pytest.skip("pdflatex is not installed (CI installs TeX Live)")
    s = scenario.from_mapping(dense(8), "dense-8")
    tex = render_text(s, "tex", Options(paper=paper))
    assert isinstance(tex, str)
    assert "Overfull \\hbox" not in compile_latex(tex, tmp_path)
