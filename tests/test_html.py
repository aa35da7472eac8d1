"""The HTML page: self-contained, escaped, math as MathML; and, in a real headless Chromium, laid
out as math with no raw LaTeX showing (a screenshot of each shipped scenario is kept in
artifacts/html/, not in git). A page a teacher hands out: a sign tight to its number, numbers
aligned on the point, figures at a readable size, and a print that keeps derivations whole."""

from __future__ import annotations

import functools
import itertools
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import cast

import pytest

from explainer.page.model import Prose, Table
from explainer.pipeline import explain
from explainer.read import scenario
from explainer.render import mathml
from explainer.render.formats import DECIMAL, render
from tests import browser
from tests.conftest import MINIMAL, ROOT, SCENARIOS, WriteScenario, tool
from tests.test_output import NASTY, page_ends, run_in_headings

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


Measured = Callable[[Path], tuple[Path, dict[str, object]]]


@pytest.fixture(scope="module")
def laid_out(chromium: None, tmp_path_factory: pytest.TempPathFactory) -> Measured:
    """A shipped scenario's page, written once and measured once in Chromium for every test."""
    folder = tmp_path_factory.mktemp("html")

    @functools.cache
    def measured(path: Path) -> tuple[Path, dict[str, object]]:
        file = folder / f"{path.stem}.html"
        file.write_text(page(path), encoding="utf-8")
        return file, browser.measure(file)

    return measured


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_chromium_lays_out_the_math(laid_out: Measured, path: Path) -> None:
    file, seen = laid_out(path)
    html = file.read_text(encoding="utf-8")
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
    from explainer.foundation.errors import NotationError
    from explainer.render import mathml

    with pytest.raises(NotationError, match="MathML"):
        mathml.inline("w^{a}^{+}")


# ---------------------------------------------------------------- a sign is tight to its number

MINUS = "\u2212"
MATH = re.compile(r"<math xmlns=.*?</math>", re.S)
# After these (or first in its row) a minus has no operand before it: it is a sign, as TeX sets it.
SIGN_AFTER = {"=", "(", "[", "+", MINUS, "·", "×", "≈", ","}


def _tag(e: ET.Element) -> str:
    return e.tag.rpartition("}")[2]


def _tight(e: ET.Element) -> bool:
    return e.get("lspace") == "0" and e.get("rspace") == "0"


def tokens(math: str) -> list[str]:
    """The top row of one <math> element, a token a child: tag:text ("mo:−", "mn:0.2"), "sign:−"
    for an operator set with no space either side, the tag alone for a child with children."""
    row = ET.fromstring(math)
    while len(row) == 1 and _tag(row[0]) == "mrow":
        row = row[0]
    return [
        ("sign" if _tight(e) else _tag(e)) + f":{e.text}" if len(e) == 0 else _tag(e) for e in row
    ]


@pytest.mark.parametrize(
    ("latex", "row"),
    [
        ("= -0.217", ["mo:=", "mn:−0.217"]),
        (r"a \cdot -2", ["mi:a", "mo:·", "mn:−2"]),
        ("(-0.2)", ["mo:(", "mn:−0.2", "mo:)"]),
        ("|-1|", ["mo:|", "mn:−1", "mo:|"]),
        ("-3", ["mn:−3"]),
        ("= -(a + b)", ["mo:=", "sign:−", "mo:(", "mi:a", "mo:+", "mi:b", "mo:)"]),
        (r"-\frac{1}{2}", ["sign:−", "mfrac"]),
        # binary minus keeps its spacing: an operand before it
        ("a - 0.217", ["mi:a", "mo:−", "mn:0.217"]),
        ("0.01 - 0.75", ["mn:0.01", "mo:−", "mn:0.75"]),
        ("(a) - 2", ["mo:(", "mi:a", "mo:)", "mo:−", "mn:2"]),
        (r"\left(a\right) - 2", ["mrow", "mo:−", "mn:2"]),
        ("|x| - 1", ["mo:|", "mi:x", "mo:|", "mo:−", "mn:1"]),
        ("x^{2} - 1", ["msup", "mo:−", "mn:1"]),
        (r"\frac{1}{2} - 1", ["mfrac", "mo:−", "mn:1"]),
    ],
)
def test_a_sign_is_tight_and_a_binary_minus_spaced(latex: str, row: list[str]) -> None:
    assert tokens(mathml.inline(latex)) == row


def _before(row: list[ET.Element], i: int) -> str | None:
    """What precedes row[i]: "" at the row's start, an operator's text, None an operand."""
    if i == 0:
        return ""
    return row[i - 1].text or "" if _tag(row[i - 1]) == "mo" else None


def spaced_signs(html: str) -> list[str]:
    """Every minus before a number with no operand before it that is still a spaced operator,
    with what precedes it; and every hyphen-minus written where U+2212 belongs."""
    found = []
    for math in MATH.findall(html):
        for e in ET.fromstring(math).iter():
            row = list(e)
            found += [f"hyphen in {c.text}" for c in row if "-" in (c.text or "")]
            for i, (sign, number) in enumerate(itertools.pairwise(row)):
                spaced = _tag(sign) == "mo" and sign.text == MINUS and not _tight(sign)
                before = _before(row, i)
                if spaced and _tag(number) == "mn" and before in SIGN_AFTER | {""}:
                    found.append(f"{before} {MINUS} {number.text}".strip())
    return found


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_no_spaced_minus_before_a_number(path: Path) -> None:
    assert spaced_signs(page(path)) == []


def test_the_sign_check_finds_a_spaced_sign() -> None:
    math = f'<math xmlns="{mathml.NAMESPACE}"><mrow>{{}}</mrow></math>'
    spaced = math.format(f"<mo>=</mo><mo>{MINUS}</mo><mn>0.217</mn>")
    assert spaced_signs(spaced) == [f"= {MINUS} 0.217"]
    assert spaced_signs(math.format("<mn>-2</mn>")) == ["hyphen in -2"]
    assert spaced_signs(math.format(f"<mi>a</mi><mo>{MINUS}</mo><mn>2</mn>")) == []


# ---------------------------------------------------------------- numbers aligned on the point


@dataclass
class Cell:
    classes: list[str]
    width: str = ""  # the integer part's box: style="width: …"
    parts: dict[str, str] = field(default_factory=dict)  # int / frac / all: its text


class Cells(HTMLParser):
    """Every cell of every numeric table: its classes, and the text of its integer part, of its
    fraction part and of the whole cell."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[Cell]]] = []
        self.part = "all"
        self.inside = False  # inside a numeric table (not a display's)
        self.open = False  # inside a cell

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.inside = a.get("class") == "numbers"
            self.tables += [[]] if self.inside else []
        elif not self.inside:
            return
        elif tag == "tbody":
            self.tables[-1].clear()  # the header's row is no body row
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.tables[-1][-1].append(Cell(a.get("class", "").split()))
            self.open = True
        elif tag == "span" and a.get("class") in ("int", "frac"):
            self.part = a["class"]
            if self.part == "int":
                self.tables[-1][-1][-1].width = a.get("style", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self.part = "all"
        self.open &= tag not in ("td", "th")
        self.inside &= tag != "table"

    def handle_data(self, data: str) -> None:
        if self.open:
            parts = self.tables[-1][-1][-1].parts
            for key in {self.part, "all"}:
                parts[key] = parts.get(key, "") + data


def _plain_number(cell: Prose) -> str | None:
    if len(cell) == 1 and cell[0].kind == "math" and DECIMAL.fullmatch(cell[0].value):
        return cell[0].value
    return None


def _shown(latex: str) -> str:
    """The text of a number's MathML, as a reader sees it unsplit."""
    return re.sub(r"<[^>]+>", "", mathml.inline(latex))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_numbers_are_split_at_the_point(path: Path) -> None:
    model = [
        i for s in explain(scenario.load(path)).sections for i in s.items if isinstance(i, Table)
    ]
    parser = Cells()
    parser.feed(page(path))
    assert len(parser.tables) == len(model)
    for table, rows in zip(model, parser.tables, strict=True):
        for column, numeric in enumerate(table.numeric):
            cells = [
                (_plain_number(row[column]), shown[column])
                for row, shown in zip(table.rows, rows, strict=True)
            ]
            numbers = [(n, c) for n, c in cells if numeric and n is not None]
            assert all("point" not in c.classes for n, c in cells if (n, c) not in numbers)
            for number, cell in numbers:
                assert "point" in cell.classes, number
                assert "." not in cell.parts["int"]
                assert cell.parts.get("frac", ".")[0] in ".×", cell.parts
                assert cell.parts["all"] == _shown(number)  # nothing lost or added by the split
            assert len({c.width for _, c in numbers}) <= 1  # one box width a column
            for _, cell in numbers:
                assert float(cell.width.removeprefix("width: ").removesuffix("ch")) >= len(
                    cell.parts["int"]
                )


def test_some_shipped_table_has_negative_numbers_aligned() -> None:
    html = page(SCENARIOS / "mazur-2-2-2.toml")
    assert re.search(rf'<span class="int"[^>]*><math[^>]*><mn>{MINUS}\d+</mn>', html)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_chromium_aligns_points_and_sizes_figures(laid_out: Measured, path: Path) -> None:
    file, seen = laid_out(path)
    tables = cast(list[list[list[dict[str, float | None]]]], seen["points"])
    assert sum(len(column) for table in tables for column in table) == file.read_text(
        encoding="utf-8"
    ).count('class="num point"')
    for table in tables:
        for column in table:
            points = [cast(float, cell["point"]) for cell in column]
            assert max(points) - min(points) < 0.5, points  # one x for every decimal point
            for cell in column:
                if cell["fraction"] is not None:
                    assert abs(cell["fraction"] - cast(float, cell["point"])) < 1
    for figure in cast(list[dict[str, float]], seen["figures"]):
        assert figure["ratio"] == pytest.approx(1, abs=0.01)  # the viewBox's aspect ratio kept
        assert figure["width"] <= figure["column"] + 0.5
        fills_column = figure["width"] >= figure["column"] - 0.5
        readable = figure["smallest_text"] >= 0.97 * figure["caption_text"]  # viewBox rounding
        assert readable or fills_column, figure


# ---------------------------------------------------------------- print


def print_rules(html: str) -> dict[str, set[str]]:
    """The print style sheet: each selector (of a rule's list) and the declarations it gets."""
    start = html.index("@media print {") + len("@media print {")
    depth, end = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(html[end], 0)
        end += 1
    rules: dict[str, set[str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", html[start : end - 1]):
        declarations = {" ".join(d.split()) for d in body.split(";") if d.strip()}
        for selector in re.split(r",(?![^()]*\))", re.sub(r"/\*.*?\*/", "", selectors, flags=re.S)):
            rules.setdefault(" ".join(selector.split()), set()).update(declarations)
    return rules


@pytest.mark.parametrize(
    ("selector", "declaration"),
    [
        ("h2", "break-after: avoid"),
        ("h3", "break-after: avoid"),
        ("h4", "break-after: avoid"),
        ("p.leads", "break-after: avoid"),
        ("p.leads", "break-inside: avoid"),
        (":is(h2, h3, h4) + p:has(+ :is(.display, figure, table))", "break-after: avoid"),
        (".display", "break-inside: avoid"),
        ("table.align tr", "break-inside: avoid"),
        ("figure", "break-inside: avoid"),
        ("figcaption", "break-before: avoid"),
        ("table.numbers tr", "break-inside: avoid"),
        ("table.numbers thead", "display: table-header-group"),
    ],
)
def test_print_style_keeps_derivations_whole(selector: str, declaration: str) -> None:
    assert declaration in print_rules(page(SCENARIOS / "mazur-2-2-2.toml")).get(selector, set())


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_sentence_leading_into_a_block_is_marked(path: Path) -> None:
    html = page(path)
    blocks = re.findall(
        r'<p( class="leads")?>((?:(?!</p>).)*)</p>\n<(?:div class="display"|figure|table)',
        html,
        re.S,
    )
    assert blocks
    for leads, text in blocks:
        shown = re.sub(r"<[^>]+>", "", text).strip()
        assert bool(leads) == (
            shown.endswith(":") or re.fullmatch(r"<strong>[^<]*</strong>", text) is not None
        ), shown


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_printed_html_pages_end_on_no_heading_or_lead(
    laid_out: Measured, path: Path, tmp_path: Path
) -> None:
    if not tool("pdftotext"):
        pytest.skip("pdftotext is not installed (CI installs poppler-utils)")
    file, _ = laid_out(path)
    pdf = tmp_path / f"{path.stem}.pdf"
    browser.print_pdf(file, pdf)
    e = explain(scenario.load(path))
    headings = {e.title} | {s.title for s in e.sections} | run_in_headings(e)
    ends = page_ends(pdf)
    assert len(ends) > 1
    stranded = [end for end in ends[:-1] if end in headings or end.endswith(":")]
    assert stranded == []
