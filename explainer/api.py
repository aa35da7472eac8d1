"""Interface (the Python API): a scenario in, a Walkthrough out, every format and check a method
of it.

    >>> import explainer
    >>> w = explainer.load("mazur-2-2-2", steps=100)
    >>> w.values["w5@1"]                      # any quantity under its JSON key
    >>> w.markdown(), w.latex(), w.html(), w.json()
    >>> w.pdf("mazur.pdf")                    # through TeX Live
    >>> [f.reproduced for f in w.verify()]    # the source's printed numbers, checked

Bad input raises the errors the command line prints (explainer.ExplainerError and its
subclasses, each naming the file or mapping key, what was expected and what was found); nothing
is half-built: a Walkthrough exists only once every number of its page has been computed.
In Jupyter a Walkthrough shows itself as its page, with its figures.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from explainer import pipeline
from explainer.check.findings import Finding
from explainer.foundation.errors import UsageError
from explainer.foundation.limits import DEFAULT, Limits
from explainer.handouts import batch as handouts
from explainer.page.model import Explanation
from explainer.read import article
from explainer.read import scenario as scenarios
from explainer.read.scenario import AnyScenario
from explainer.read.settings import AnyPlan, Options, Paper, check_paper
from explainer.render import formats as render
from explainer.render import output
from explainer.render.output import write_files


class Walkthrough:
    """One scenario's worked example, computed: its numbers, and its page in every format."""

    def __init__(self, scenario: AnyScenario, options: Options = Options()) -> None:
        self._results = pipeline.compute(scenario, options)
        self._plan: AnyPlan = self._results.plan
        self._page: Explanation = pipeline.arrange(self._results)

    @property
    def scenario(self) -> AnyScenario:
        """The scenario as loaded (a network's with the steps of this run)."""
        return self._plan.scenario

    @property
    def name(self) -> str:
        """The page's name: its files are `<name>.md`, `<name>.pdf`, …"""
        return self._page.name

    @property
    def title(self) -> str:
        """The page's title, from the scenario."""
        return self._page.title

    @property
    def values(self) -> dict[str, float | str]:
        """Every quantity under its JSON key (`w5`, `dE_total/dw5`, `w5@1`, `E_total@100`); a
        float, or with exact arithmetic a fraction written "6/5". A new dict on each call."""
        return dict(self._page.values)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Numeric trouble worth a word (a neuron saturated at the worked step)."""
        return self._page.warnings

    @property
    def explanation(self) -> Explanation:
        """The page model: sections of paragraphs, displays, tables and figures."""
        return self._page

    def markdown(self, inline_figures: bool = False) -> str:
        """The page as Markdown. Its figures are linked as `<name>-<figure>.svg` files beside it
        (`save` writes them), or with `inline_figures` embedded as data URIs."""
        return render.render(
            self._page, "md", inline_figures=_flag("inline_figures", inline_figures)
        )

    def latex(self, body_only: bool = False, paper: Paper | None = None) -> str:
        """The page as a LaTeX document for pdflatex, or with `body_only` the body to paste
        into your own (it needs amsmath, dcolumn and TikZ)."""
        chosen = self._plan.paper if paper is None else check_paper(paper)
        return render.render(self._page, "tex", _flag("body_only", body_only), chosen)

    def html(self) -> str:
        """The page as one self-contained HTML file (MathML, inline SVG, no script)."""
        return render.render(self._page, "html")

    def json(self) -> str:
        """Every quantity under its stable key, as JSON text."""
        return render.render(self._page, "json")

    def figures(self) -> dict[str, str]:
        """The page's figures as SVG text, by file name (`<name>-<figure>.svg`)."""
        return dict(render.attachments(self._page, "md"))

    def pdf(self, path: str | Path | None = None) -> bytes:
        """The page compiled by TeX Live; written to `path` too when given. Raises TexError
        (with TeX's log) when it does not compile, UsageError when TeX Live is missing."""
        where = None if path is None else _path("path", path)
        data = pipeline.compile_pdf(self._page, self._plan.paper, self.scenario.limits.tex_seconds)
        if where is not None:
            output.write_files({where: data})
        return data

    def save(self, folder: str | Path, formats: str | Sequence[str] = ("md",)) -> list[Path]:
        """Write the page into `folder` in each format (`md` with its SVG figures, `tex`,
        `html`, `json`, `pdf`; one name or several), every file whole or not at all; returns
        the paths written."""
        out = _path("folder", folder)
        wanted = [formats] if isinstance(formats, str) else _strings("formats", formats)
        unknown = [f for f in wanted if f not in render.FORMATS]
        if unknown or not wanted:
            raise UsageError(
                f"formats = {formats!r}: expected one or more of {', '.join(render.FORMATS)}"
            )
        files: dict[Path, str | bytes] = {}
        for fmt in wanted:
            f = render.FORMATS[fmt]
            files[out / f"{self.name}.{f.extension}"] = (
                self.pdf() if f.compiled else render.render(self._page, fmt, paper=self._plan.paper)
            )
            files.update((out / name, svg) for name, svg in render.attachments(self._page, fmt))
        output.write_files(files)
        return sorted(files)

    def verify(self) -> tuple[Finding, ...]:
        """The numbers the source prints (the scenario's claims), each checked: reproduced, or
        the alternatives (rounding, update order, steps, conventions) that would give it."""
        return self._results.findings  # checked once, with the page (always in float64)

    def claims_from(self, article_file: str | Path) -> str:
        """The [claims] table (TOML) of the numbers an article prints, each placed at this
        scenario's quantity (as `explainer claims ARTICLE SCENARIO` writes it): Markdown, plain
        text, HTML, or a PDF through poppler's pdftotext."""
        text = article.read(Path(article_file), self.scenario.limits)
        return pipeline.article_claims(self.scenario, text)

    def __repr__(self) -> str:
        return f"<Walkthrough {self.name}: {self.title}>"

    # Jupyter's rich display: the page itself, figures embedded.
    def _repr_markdown_(self) -> str:
        return self.markdown(inline_figures=True)

    def _repr_html_(self) -> str:
        body = render.render(self._page, "html", body_only=True)
        return f"<h1>{html.escape(self.title)}</h1>\n{body}"

    def _repr_latex_(self) -> str:
        return self.latex(body_only=True)


def load(
    source: str | Path,
    *,
    steps: int | None = None,
    digits: int | None = None,
    arithmetic: str = "",
    check_gradients: bool = False,
    paper: Paper = "a4",
    limits: Limits = DEFAULT,
) -> Walkthrough:
    """A walkthrough from a scenario file (a path) or a shipped scenario (a name such as
    "mazur-2-2-2"), checked as the command line checks it. The keyword arguments are the
    command line's options: steps and digits override the scenario's; arithmetic is
    "float64", "float32", "exact" or "paper:K[:half-up|truncate]" ("": the scenario's own,
    float64 unless its [display] arithmetic says otherwise)."""
    _source(source)
    s = scenarios.load(scenarios.locate(source), _limits(limits))
    return from_scenario(s, steps, digits, arithmetic, check_gradients, paper)


def from_dict(
    data: Mapping[str, Any],
    *,
    name: str = "scenario",
    steps: int | None = None,
    digits: int | None = None,
    arithmetic: str = "",
    check_gradients: bool = False,
    paper: Paper = "a4",
    limits: Limits = DEFAULT,
) -> Walkthrough:
    """A walkthrough from a mapping with the scenario file's keys (`{"network": {...},
    "example": {...}, "training": {...}}`), validated as a file is; errors name `<name>`.
    (Not `explainer.scenario`: that name is the module that reads scenario files.)"""
    if not isinstance(name, str) or not name:
        raise UsageError(f"name = {name!r}: expected a non-empty string (the page's file name)")
    s = scenarios.from_mapping(data, name, _limits(limits))
    return from_scenario(s, steps, digits, arithmetic, check_gradients, paper)


def from_scenario(
    s: AnyScenario,
    steps: int | None,
    digits: int | None,
    arithmetic: str,
    check_gradients: bool,
    paper: Paper,
) -> Walkthrough:
    return Walkthrough(s, Options(steps, digits, arithmetic, check_gradients, paper))


def _source(source: object) -> None:
    if not isinstance(source, str | Path) or not str(source):
        raise UsageError(
            f"{_shown(source)}: expected a scenario's name or the path of a .toml file"
        )


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{name} = {_shown(value)}: expected True or False")
    return value


def _path(name: str, value: object) -> Path:
    """A file or folder the caller names: a str or Path, not empty (which would be the current
    folder by accident)."""
    if not isinstance(value, str | Path) or not str(value) or "\x00" in str(value):
        raise UsageError(f"{name} = {_shown(value)}: expected a path (a str or pathlib.Path)")
    return Path(value)


def _strings(name: str, value: object) -> list[str]:
    """A list or tuple of strings (not one string, which would be read letter by letter)."""
    if not isinstance(value, list | tuple) or not all(isinstance(x, str) for x in value):
        raise UsageError(f"{name} = {_shown(value)}: expected a list of strings")
    return list(value)


def _whole(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise UsageError(f"{name} = {_shown(value)}: expected a whole number from {lo} to {hi:,}")
    return value


def _shown(value: object) -> str:
    """A value as an error message quotes it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}… ({type(value).__name__})"


def _limits(limits: object) -> Limits:
    if not isinstance(limits, Limits):
        raise UsageError(
            f"limits = {limits!r}: expected an explainer.Limits, e.g. "
            "dataclasses.replace(explainer.Limits(), steps=10**8)"
        )
    return limits


def shipped() -> list[str]:
    """The names of the scenarios that come with explainer (`explainer.load(name)`)."""
    return [p.stem for p in scenarios.shipped()]


__all__ = ["Walkthrough", "from_dict", "load", "shipped"]


def handout(
    source: str | Path,
    *,
    variants: int = 1,
    seed: int = 0,
    roster: str | Path | None = None,
    blank: Sequence[str] | None = None,
    arithmetic: str | None = None,
    fmt: str = "pdf",
    paper: Paper = "a4",
    output: str | Path | None = None,
    limits: Limits = DEFAULT,
) -> dict[str, str | bytes]:
    """A teacher's handouts, as `explainer handout` makes them: per variant (or per student of
    a roster CSV with id,name) an exercise sheet and an answer key, the combined sheets and
    keys, and a one-page summary, by file name. With `output`, also written into that folder
    (everything is made first, so an error writes nothing)."""
    _source(source)
    if arithmetic is not None and not isinstance(arithmetic, str):
        raise UsageError(
            f"arithmetic = {_shown(arithmetic)}: expected None, paper:K, float64 or exact"
        )
    if fmt not in handouts.FORMATS:
        raise UsageError(f"fmt = {_shown(fmt)}: expected one of {', '.join(handouts.FORMATS)}")
    options = handouts.HandoutOptions(
        variants=_whole("variants", variants, 1, handouts.MAX_VARIANTS),
        seed=_whole("seed", seed, 0, 2**32 - 1),
        roster=None if roster is None else _path("roster", roster),
        blank=None if blank is None else tuple(_strings("blank", blank)),
        fmt=fmt,
        arithmetic=arithmetic,
        paper=check_paper(paper),
        limits=_limits(limits),
    )
    where = None if output is None else _path("output", output)
    files: dict[str, str | bytes] = {}
    s = scenarios.load(scenarios.locate(source), options.limits)
    try:
        files = handouts.files(s, options)
    except handouts.Unset as e:  # a student's name no font has: the others are still written
        files = e.files
        raise
    finally:
        if where is not None and files:
            write_files({where / name: content for name, content in files.items()})
    return files
