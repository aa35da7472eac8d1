"""Stage 1, load (an article): the text of a published article, line by line, for the numbers it
prints (check/placing.py finds and places them).

Markdown and plain text are read as they are, HTML through the standard library's parser (the
text of its elements, a line per block, scripts and styles left out), and a PDF through
poppler's `pdftotext -layout` (a subprocess without a shell, under a time limit). Links' and
images' addresses are dropped: their digits are no printed numbers. Nothing in the article is
run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from explainer.foundation.errors import ScenarioError, UsageError
from explainer.foundation.limits import Limits
from explainer.read.files import read_regular

PDF_SECONDS = 60  # pdftotext on one article
BLOCKS = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "tr",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "table",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "section",
        "article",
        "header",
        "footer",
        "figcaption",
        "caption",
        "hr",
    ]
)
SKIPPED = frozenset({"script", "style", "head", "noscript", "svg"})
# an image or link in Markdown, [text](address): the text kept, the address dropped
LINK = re.compile(r"!?\[([^\[\]\n]*+)\]\([^()\n]*+\)")  # no bracket inside: linear time
ADDRESS = re.compile(r"(?:https?|ftp)://\S+|www\.\S+")


@dataclass(frozen=True)
class Article:
    name: str  # the file's name, as a claim's source names it
    lines: tuple[str, ...]  # its text
    # the file's line of each line of text (from 1): an HTML page's text is not its lines
    at: tuple[int, ...] = ()

    def line(self, i: int) -> int:
        """The file's line (from 1) of text line i (from 0)."""
        return self.at[i] if self.at else i + 1


class _Text(HTMLParser):
    """An HTML page's text: a new line at each block element, scripts and styles skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = [(1, "")]  # (the file's line, the text)
        self.skipping = 0

    def _new_line(self, at: int) -> None:
        if self.lines[-1][1].strip():
            self.lines.append((at, ""))
        else:
            self.lines[-1] = (at, "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skipping += 1
        elif tag in BLOCKS:
            self._new_line(self.getpos()[0])

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCKS:
            self._new_line(self.getpos()[0])

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        at = self.getpos()[0]
        for i, piece in enumerate(data.split("\n")):
            if i:
                self._new_line(at + i)
            line, text = self.lines[-1]
            self.lines[-1] = (line if text.strip() else at + i, text + piece)


def _html(text: str) -> tuple[list[str], list[int]]:
    """An HTML page's lines of text, and the page's line of each."""
    parser = _Text()
    parser.feed(text)
    parser.close()
    kept = [(n, t) for n, t in parser.lines if t.strip()]
    return [t for _, t in kept], [n for n, _ in kept]


def _pdf(path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        raise UsageError(
            f"{path}: reading a PDF needs poppler's pdftotext (apt-get install poppler-utils), "
            "or give the article as text, Markdown or HTML"
        )
    try:
        done = subprocess.run(
            [tool, "-layout", "-enc", "UTF-8", str(path), "-"],
            capture_output=True,
            timeout=PDF_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UsageError(f"{path}: pdftotext took over {PDF_SECONDS} s") from None
    if done.returncode:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(
            f"{path}: pdftotext could not read it ({said[-1] if said else 'no output'})"
        )
    return done.stdout.decode("utf-8", "replace")


def read(path: Path, limits: Limits) -> Article:
    """The article at `path`: .pdf through pdftotext, .html/.htm through the HTML parser,
    anything else as UTF-8 text (Markdown, plain text)."""
    try:
        data = read_regular(str(path), "article", path, limits, "file_bytes", follow=True)
    except ScenarioError as e:
        raise UsageError(f"{path}: {e.found}; expected {e.expected}") from None
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = _pdf(path)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise UsageError(
                f"{path}: not UTF-8 text (byte {e.start:,}); save it as UTF-8"
            ) from None
        if suffix in (".html", ".htm"):
            lines, at = _html(text)
            return Article(path.name, tuple(map(_plain, lines)), tuple(at))
    return Article(path.name, tuple(map(_plain, text.split("\n"))))


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")


def _plain(line: str) -> str:
    """A line without its links' and images' addresses, its control characters (pdftotext's
    form feed at a page break, a carriage return) each a space."""
    return ADDRESS.sub(" ", LINK.sub(r"\1", CONTROL.sub(" ", line)))
