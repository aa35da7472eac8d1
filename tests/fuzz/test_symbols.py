"""The display-symbol subset (issue 9): checked once when a scenario is read, so every format
must accept every symbol that passes: the SVG figures' text runs, MathML, and LaTeX (compiled)."""

from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from explainer.draw import drawing
from explainer.foundation import symbols
from explainer.foundation.symbols import GREEK
from explainer.render import mathml, pdf


def generate(rng: random.Random, depth: int = 0) -> str:
    """A symbol in the subset, built from its grammar."""
    parts = []
    for _ in range(rng.randint(1, 3 if depth == 0 else 1)):
        atom = _atom(rng, depth)
        parts.append(atom)
        if atom.startswith(("\\math", "{")) and any(c in atom for c in "_^'"):
            continue  # a group that may end in a script takes none (TeX: a double script)
        scripts = rng.sample(["_", "^"], rng.randint(0, 2))
        parts += [
            "'" if s == "^" and rng.random() < 0.2 else f"{s}{_arg(rng, depth)}" for s in scripts
        ]
    return "".join(parts)


def _atom(rng: random.Random, depth: int) -> str:
    kind = rng.choice(["letter", "digit", "greek", "style", "text", "accent", "group", "punct"])
    if depth > 1 and kind in ("style", "group", "accent"):
        kind = "letter"
    return {
        "letter": lambda: rng.choice("abcxyzEW"),
        "digit": lambda: rng.choice("0123456789"),
        "greek": lambda: f"\\{rng.choice(GREEK)} ",
        "style": lambda: (
            f"\\{rng.choice(sorted(symbols.STYLE_COMMANDS))}{{{generate(rng, depth + 1)}}}"
        ),
        "text": lambda: "\\text{" + rng.choice(["in", "total 2", "a, b"]) + "}",
        "accent": lambda: f"\\{rng.choice(sorted(symbols.ACCENT_COMMANDS))} {_arg(rng, depth)}",
        "group": lambda: f"{{{generate(rng, depth + 1)}}}",
        "punct": lambda: rng.choice(["(", ")", "+", "-", "=", ",", "."]),
    }[kind]()


def _arg(rng: random.Random, depth: int) -> str:
    if rng.random() < 0.5:
        return rng.choice("ijk12")
    return f"{{{generate(rng, depth + 1)}}}"


PIECES = [*"ab1_^{}\\ ',", "''", "\\alpha", "\\hat", "\\mathrm", "^^5c", "\\text"]


SAMPLES = [generate(random.Random(seed)) for seed in range(60)]


@pytest.mark.parametrize("latex", SAMPLES)
def test_generated_symbols_pass_and_every_web_format_takes_them(latex: str) -> None:
    assert symbols.check(latex) == latex
    assert drawing.runs(latex)
    assert "<math" in mathml.inline(latex)


def accepted(strings: list[str]) -> list[str]:
    out = []
    for latex in strings:
        with contextlib.suppress(symbols.SymbolSyntaxError):
            out.append(symbols.check(latex))
    return out


def random_strings(n: int, seed: int = 9) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(PIECES, k=rng.randint(1, 12))) for _ in range(n)]


def test_generated_and_random_symbols_compile_in_latex(tex: None) -> None:
    """Every symbol that passes, as written and with the page's own superscript added."""
    taken = SAMPLES + accepted(random_strings(3000))
    assert len(taken) > 150
    body = " \\\\\n".join(f"${s}$ ${symbols.as_atom(s)}^{{+}}$" for s in taken)
    doc = (
        "\\documentclass{article}\\usepackage{amsmath}\\begin{document}"
        f"{body}\\end{{document}}"
    )
    assert pdf.compile_pdf(doc, "symbols").startswith(b"%PDF")


@given(st.lists(st.sampled_from(PIECES), max_size=20).map("".join))
def test_any_string_is_refused_cleanly_or_taken_by_every_web_format(latex: str) -> None:
    try:
        symbols.check(latex)
    except symbols.SymbolSyntaxError:
        return
    drawing.runs(latex)
    mathml.inline(latex)


def test_symbols_refused_name_what_is_wrong() -> None:
    for latex, words in ((r"x^^5c", "'^'"), (r"\input", "\\input"), ("x^{a}^{b}", "double")):
        with pytest.raises(symbols.SymbolSyntaxError) as e:
            symbols.check(latex)
        assert words in str(e.value)
