"""The Python API: the same pages, values and errors as the command line, from a name, a path
or a mapping; Jupyter's rich display of a walkthrough."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

import explainer
from explainer import api
from explainer.cli import main

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output"
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="module")
def mazur() -> explainer.Walkthrough:
    return explainer.load("mazur-2-2-2")


@pytest.mark.parametrize(
    ("method", "extension"),
    [("markdown", "md"), ("latex", "tex"), ("html", "html"), ("json", "json")],
)
def test_every_format_is_the_shipped_page(
    mazur: explainer.Walkthrough, method: str, extension: str
) -> None:
    assert getattr(mazur, method)() == (OUTPUT / f"mazur-2-2-2.{extension}").read_text("utf-8")


def test_figures_are_the_shipped_svgs(mazur: explainer.Walkthrough) -> None:
    figures = mazur.figures()
    assert sorted(figures) == [
        "mazur-2-2-2-backward.svg",
        "mazur-2-2-2-loss.svg",
        "mazur-2-2-2-network.svg",
    ]
    for name, svg in figures.items():
        assert svg == (OUTPUT / name).read_text("utf-8")


def test_values_are_the_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    w = explainer.load(SCENARIOS / "single-weight.toml", steps=5, digits=4)
    assert main(["render", "single-weight", "--steps", "5", "--digits", "4", "-f", "json"]) == 0
    assert w.values == json.loads(capsys.readouterr().out)["values"]


def test_values_follow_the_update_rule(mazur: explainer.Walkthrough) -> None:
    """w⁺ = w − η·∂E/∂w, from the values alone (η = 0.5 in Mazur's scenario)."""
    v = mazur.values
    rate = tomllib.loads((SCENARIOS / "mazur-2-2-2.toml").read_text("utf-8"))["training"][
        "learning_rate"
    ]
    for key in ("w1", "w5", "w8"):
        assert v[f"{key}@1"] == pytest.approx(float(v[key]) - rate * float(v[f"dE_total/d{key}"]))


def test_a_mapping_gives_the_same_page_as_its_file() -> None:
    data = tomllib.loads((SCENARIOS / "single-weight.toml").read_text("utf-8"))
    from_file = explainer.load("single-weight")
    from_mapping = explainer.from_dict(data, name="single-weight")
    assert from_mapping.markdown() == from_file.markdown()
    assert from_mapping.values == from_file.values


def test_exact_arithmetic_gives_fractions() -> None:
    w = explainer.load("single-weight", arithmetic="exact", steps=3)
    assert (w.values["a"], w.values["C"], w.values["w@1"]) == ("6/5", "49/100", "59/100")


def test_verify_returns_findings(mazur: explainer.Walkthrough) -> None:
    found = mazur.verify()
    assert all(isinstance(f, explainer.Finding) for f in found)
    by_key = {f.claim.key: f for f in found}
    assert by_key["E_total"].reproduced
    assert not by_key["E_total@1"].reproduced
    assert "sequential updates" in by_key["E_total@1"].explained_by


def test_save_writes_the_page_and_its_figures(tmp_path: Path) -> None:
    w = explainer.load("mazur-2-2-2", steps=3)
    written = w.save(tmp_path, ("md", "json"))
    assert [p.name for p in written] == [
        "mazur-2-2-2-backward.svg",
        "mazur-2-2-2-loss.svg",
        "mazur-2-2-2-network.svg",
        "mazur-2-2-2.json",
        "mazur-2-2-2.md",
    ]
    assert (tmp_path / "mazur-2-2-2.md").read_text("utf-8") == w.markdown()
    assert json.loads((tmp_path / "mazur-2-2-2.json").read_text("utf-8"))["values"] == w.values


def test_pdf(tex: None, tmp_path: Path) -> None:
    w = explainer.load("single-weight", steps=2)
    data = w.pdf(tmp_path / "page.pdf")
    assert data.startswith(b"%PDF") and (tmp_path / "page.pdf").read_bytes() == data


def test_jupyter_display_embeds_figures_and_math(mazur: explainer.Walkthrough) -> None:
    md = mazur._repr_markdown_()
    assert "](data:image/svg+xml;base64," in md and ".svg)" not in md
    assert md.replace("data:image", "") != mazur.markdown()
    page_html = mazur._repr_html_()
    assert "<math" in page_html and "<svg" in page_html and "<html" not in page_html
    assert mazur._repr_latex_() == mazur.latex(body_only=True)


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("inputs as a string", {"network": {"inputs": "x"}}, "<bad>: network.inputs: expected a list"),
    (
        "a value TOML cannot hold",
        {"network": {"inputs": ["x"], "layers": [{"neurons": [object()]}]}},
        "<bad>: network.layers[0].neurons[0]: expected a string, number, boolean, list or table",
    ),
    ("no network", {}, "<bad>: network"),
]


@pytest.mark.parametrize(("what", "data", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_mapping_is_a_located_error(what: str, data: dict[str, Any], message: str) -> None:
    with pytest.raises(explainer.ScenarioError) as e:
        explainer.from_dict(data, name="bad")
    assert str(e.value).startswith(message)


def test_a_mapping_that_contains_itself_stops_at_the_nesting_limit() -> None:
    data: dict[str, Any] = {"title": "loop"}
    data["network"] = data
    with pytest.raises(explainer.ScenarioError, match="nesting"):
        explainer.from_dict(data, name="loop")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"steps": -1}, "steps = -1: expected a whole number"),
        ({"steps": 2.5}, "steps = 2.5: expected a whole number"),
        ({"digits": 0}, "digits = 0: expected a whole number from 1 to 15"),
        ({"arithmetic": "paper:99"}, "--arithmetic paper:99: expected float64, float32, exact"),
        ({"paper": "a3"}, "paper = 'a3': expected one of a4, letter"),
        ({"arithmetic": None}, "arithmetic = None: expected a string"),
        ({"check_gradients": "no"}, "check_gradients = 'no': expected True or False"),
        ({"limits": {"steps": 5}}, "limits = {'steps': 5}: expected an explainer.Limits"),
    ],
)
def test_bad_options_are_usage_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(explainer.UsageError) as e:
        explainer.load("single-weight", **options)
    assert str(e.value).startswith(message)


def test_an_unknown_name_lists_the_shipped_ones() -> None:
    with pytest.raises(explainer.UsageError, match="mazur-2-2-2"):
        explainer.load("no-such-scenario")
    assert "mazur-2-2-2" in explainer.shipped()


def test_the_public_names_are_documented_and_nothing_else_is_exported() -> None:
    public = [n for n in dir(explainer) if not n.startswith("_")]
    modules = {n for n in public if type(getattr(explainer, n)).__name__ == "module"}
    assert sorted(set(public) - modules) == sorted(explainer.__all__)
    for name in explainer.__all__:
        assert getattr(explainer, name).__doc__, name
    for name in dir(api.Walkthrough):
        if not name.startswith("_"):
            assert getattr(api.Walkthrough, name).__doc__, name


def test_readme_python_lines_run() -> None:
    """README's three lines for a notebook user, run as written."""
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(block, namespace)  # the README's own code, not a scenario's
    assert isinstance(namespace["w"], explainer.Walkthrough)
    assert (
        namespace["w"].values["E_total@100"]
        == explainer.load("mazur-2-2-2", steps=100).values["E_total@100"]
    )


def test_bad_arguments_of_a_walkthrough_are_usage_errors(tmp_path: Path) -> None:
    w = explainer.load("single-weight", steps=2)
    with pytest.raises(explainer.UsageError, match="paper = 'a5'"):
        w.latex(paper="a5")  # type: ignore[arg-type]  # what an untyped caller may pass
    with pytest.raises(explainer.UsageError, match="formats = \\('docx',\\)"):
        w.save(tmp_path, ("docx",))
    with pytest.raises(explainer.UsageError, match="name = 5"):
        explainer.from_dict({}, name=5)  # type: ignore[arg-type]  # what an untyped caller may pass
    assert not list(tmp_path.iterdir())
    assert [p.name for p in w.save(tmp_path, "json")] == ["single-weight.json"]


def test_a_mapping_may_hold_numpy_and_exact_numbers() -> None:
    """What a notebook has at hand: numpy arrays and scalars, Fractions, Decimals."""
    from decimal import Decimal
    from fractions import Fraction

    import numpy as np

    data = tomllib.loads((SCENARIOS / "single-weight.toml").read_text("utf-8"))
    data["network"]["layers"][0]["weights"] = np.array([[0.8]])
    data["example"] = {"inputs": [np.float32(1.5)], "targets": [Fraction(1, 2)]}
    data["training"]["learning_rate"] = Decimal("0.1")
    data["training"]["steps"] = np.int64(20)
    assert (
        explainer.from_dict(data, name="single-weight").values
        == explainer.load("single-weight").values
    )
