"""Payloads in every free-text field of a scenario come out inert in every format (issue 9):
LaTeX that would read files, run commands or loop; HTML that would run a script or load a URL;
Markdown that would add raw HTML, links, images or block structure."""

from __future__ import annotations

import json
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from explainer.cli import main
from tests.conftest import MINIMAL, tool

LATEX = [
    r"\input{/etc/hostname}",
    r"\immediate\write18{touch PWNED}",
    r"\immediate\openout5=pwned.tex",
    r"\catcode`\^^M=13",
    r"\def\x{\x}\x",
    r"}}}\end{document}",
    r"{{{",
    "^^5cinput^^7b/etc/hostname^^7d",
    r"\csname input\endcsname{x}",
    "$x$ & % # ~ _ ^",
]
HTML = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    "</style><script>alert(1)</script>",
    '<svg onload="alert(1)"><use href="data:x"/></svg>',
    "</title></head><body onload=alert(1)>",
    "<!-- x --><![CDATA[ x ]]>",
]
MARKDOWN = [
    "[click](javascript:alert(1))",
    "![x](http://example.com/x.png)",
    "<http://example.com>",
    "- a list item",
    "1. a numbered item",
    "---",
    "# a heading",
    "> a quote",
    "| a | b |",
    "`code` *em* _em_ **strong**",
    "$$\\input{x}$$",
    "[x]: http://example.com",
]
PLAIN = "plain words"
PAYLOADS = LATEX + HTML + MARKDOWN
FIELDS = ("title", "source", "description", "narrative", "note")


def scenario_with(payload: str) -> str:
    """Every free-text field holding the payload (as a TOML basic string)."""
    q = json.dumps(payload)
    text = MINIMAL.replace('title = "Minimal"', f"title = {q}\nsource = {q}\ndescription = {q}")
    narrative = "\n".join(f"{section} = {q}" for section in ("setup", "forward", "backward"))
    claims = f'[claims]\nw1 = {{ value = "0.1", note = {q} }}\n'
    return f"{text}\n[narrative]\n{narrative}\n\n{claims}"


class Page(HTMLParser):
    """Tags and attributes of an HTML page (or of Markdown rendered to HTML)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    return p


def inert_html(p: Page) -> None:
    assert not {"script", "iframe", "object", "embed", "base", "form"} & set(p.tags)
    assert not [a for a in p.attrs if a[1].startswith("on")]
    links = [v for _, k, v in p.attrs if k in ("href", "src", "xlink:href", "action")]
    assert not [v for v in links if ":" in v], links  # no URL scheme: nothing fetched or run


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Every payload's page in md, tex, html and json (rendered once for the module)."""
    out: dict[str, dict[str, str]] = {}
    for i, payload in enumerate([PLAIN, *PAYLOADS]):
        folder = tmp_path_factory.mktemp(f"p{i}")
        path = folder / "case.toml"
        path.write_text(scenario_with(payload), encoding="utf-8")
        out[payload] = {}
        for fmt in ("md", "tex", "html", "json"):
            assert main(["render", str(path), "--format", fmt, "-o", str(folder)]) == 0
            out[payload][fmt] = (folder / f"case.{fmt}").read_text(encoding="utf-8")
    return out


@pytest.mark.parametrize("payload", PAYLOADS)
def test_json_keeps_the_text_exactly(payload: str, rendered: dict[str, dict[str, str]]) -> None:
    page = json.loads(rendered[payload]["json"])
    assert page["title"] == payload and page["source"] == payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_runs_and_fetches_nothing(payload: str, rendered: dict[str, dict[str, str]]) -> None:
    html = rendered[payload]["html"]
    p = parse(html)
    inert_html(p)
    assert p.tags == parse(rendered[PLAIN]["html"]).tags
    assert html.count("</style>") == 1


def markdown_tags(md: str) -> list[str]:
    """The HTML tags of a Markdown page rendered as CommonMark with raw HTML allowed (the
    strictest case: GitHub sanitises it, many static site generators do not)."""
    p = parse(MarkdownIt("commonmark", {"html": True}).render(md))
    inert_html(p)
    images = [v for t, k, v in p.attrs if t == "img" and k == "src"]
    assert all(v.startswith("case-") and v.endswith(".svg") for v in images)
    return p.tags


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_adds_no_html_links_or_blocks(
    payload: str, rendered: dict[str, dict[str, str]]
) -> None:
    """The payload's page has exactly the tags of a page with plain words in its place: no raw
    HTML, link, image, list, quote, heading, code or emphasis of its own."""
    assert markdown_tags(rendered[payload]["md"]) == markdown_tags(rendered[PLAIN]["md"])


@pytest.mark.parametrize("payload", PAYLOADS)
def test_latex_spells_no_command_from_the_payload(
    payload: str, rendered: dict[str, dict[str, str]]
) -> None:
    tex = rendered[payload]["tex"]
    for command in (
        "\\input{/",
        "\\write18",
        "\\openout",
        "\\catcode",
        "\\def\\x",
        "^^",
        "\\csname",
    ):
        assert command not in tex


def test_the_pdf_of_every_payload_compiles_and_shows_it_as_text(tex: None, tmp_path: Path) -> None:
    """One document holding every payload in every field: it compiles (shell escape off, file
    access paranoid) and the payloads appear as the words they are."""
    if not tool("pdftotext"):
        pytest.skip("pdftotext is not installed (CI installs poppler-utils)")
    joined = " ".join(LATEX)
    path = tmp_path / "case.toml"
    path.write_text(scenario_with(joined), encoding="utf-8")
    assert main(["render", str(path), "--format", "pdf", "-o", str(tmp_path)]) == 0
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "case.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "\\input{/etc/hostname}" in text.replace("\n", " ")
    assert not list(tmp_path.rglob("PWNED*")) and not list(tmp_path.rglob("pwned*"))
