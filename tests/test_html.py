"""The HTML page: self-contained, escaped, math as MathML; and, in a real headless Chromium, laid
out as math with no raw LaTeX showing (a screenshot of each shipped scenario is kept in
artifacts/html/, not in git)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from explainer import scenario
from explainer.pipeline import explain
from explainer.render import render
from tests import browser
from tests.conftest import MINIMAL, ROOT, SCENARIOS, WriteScenario, tool
from tests.test_output import NASTY

SHIPPED = sorted(SCENARIOS.glob("*.toml"))
ARTIFACTS = ROOT / "artifacts" / "html"
LATEX = re.compile(r"\\[A-Za-z]+|\$|\^\{|_\{")


class Text(HTMLParser):
    """The text a reader sees, and the tags and attributes used."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        self.skip += tag in ("style", "title")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("style", "title")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.text.append(data)


def page(path: Path) -> str:
    html = render(explain(scenario.load(path)), "html")
    assert isinstance(html, str)
    return html


def parsed(html: str) -> Text:
    p = Text()
    p.feed(html)
    return p


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_self_contained_mathml_and_no_raw_latex(path: Path) -> None:
    html = page(path)
    p = parsed(html)
    assert "math" in p.tags and "svg" in p.tags
    assert "script" not in p.tags
    fetched = [v for k, v in p.attrs if k in ("src", "href") and v]
    assert fetched == []
    assert "default-src 'none'" in html
    shown = "".join(p.text)
    assert not LATEX.findall(shown)


def test_every_scenario_string_is_escaped(write_scenario: WriteScenario) -> None:
    quoted = json.dumps(NASTY)  # a TOML basic string
    text = MINIMAL.replace('title = "Minimal"', f"title = {quoted}") + (
        f"\n[narrative]\nforward = {quoted}\n"
    )
    html = render(explain(scenario.load_network(write_scenario(text))), "html")
    assert isinstance(html, str)
    assert "<b>" not in html and "&lt;b&gt;*bold*&lt;/b&gt;" in html
    assert "".join(parsed(html).text).count(NASTY) == 2  # the heading and the narrative


def test_same_scenario_same_bytes() -> None:
    path = SCENARIOS / "mazur-2-2-2.toml"
    assert page(path) == page(path)


@pytest.fixture(scope="module")
def chromium() -> None:
    if not tool("chromium"):
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_chromium_lays_out_the_math(chromium: None, path: Path, tmp_path: Path) -> None:
    html = page(path)
    file = tmp_path / f"{path.stem}.html"
    file.write_text(html, encoding="utf-8")
    seen = browser.measure(file)
    assert seen["math"] == html.count("<math ") > 0
    assert seen["empty"] == 0, "some <math> element has no width: not rendered"
    assert isinstance(seen["fractions"], int) and seen["fractions"] > 0
    assert seen["flat_fractions"] == 0, "fractions laid out flat: MathML not rendered"
    assert seen["svg"] == html.count("<svg ")
    assert seen["scripts"] == 0 and seen["fetched"] == []
    text = str(seen["text"])
    assert not LATEX.findall(text), LATEX.findall(text)[:5]
    assert explain(scenario.load(path)).title in text

    log = browser.screenshot(file, ARTIFACTS / f"{path.stem}.png")
    errors = [line for line in log.splitlines() if "CONSOLE" in line or "Refused to" in line]
    assert errors == []
    assert (ARTIFACTS / f"{path.stem}.png").stat().st_size > 10_000


def test_a_formula_mathml_cannot_write_is_our_error() -> None:
    from explainer import mathml
    from explainer.errors import NotationError

    with pytest.raises(NotationError, match="MathML"):
        mathml.inline("w^{a}^{+}")
