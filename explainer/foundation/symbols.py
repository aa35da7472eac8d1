"""Foundation (display symbols): the LaTeX subset a scenario's `[symbols]` and `rate_symbol` may
use, checked by a grammar, once, at load time, so that every output format (LaTeX and PDF,
MathML, the SVG figures) accepts exactly the symbols that pass.

    math   := item*
    item   := atom script*           script := ("_" | "^") arg | "'"+, at most one sub- and one
                                     superscript per atom (primes are the superscript x^{\\prime})
    atom   := letter | digit | punct | symbol | style group | accent arg | group
    arg    := letter | digit | symbol | group
    group  := "{" math "}"

`style` is \\mathrm, \\mathit, \\mathbf, \\mathsf, \\mathcal, \\operatorname (math inside) and
\\text (letters, digits, spaces and punctuation only); `accent` is \\hat, \\bar, \\tilde, \\vec,
\\dot, \\ddot; `symbol` is a Greek letter, \\partial, \\ell or \\prime. Nothing else parses: no other
control sequence, no `^^` (TeX's notation for any character, `^^5c` being a backslash), no `#`,
`$`, `%`, `&`, `~`, and no character outside printable ASCII. A strange file can therefore spell
no TeX command, open no file and change no catcode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# LaTeX's Greek letters: lower case, and the capitals that differ from Latin ones.
GREEK = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "vartheta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
]
GREEK_CAPITALS = [
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
]

SYMBOL_COMMANDS = frozenset([*GREEK, *GREEK_CAPITALS, "partial", "ell", "prime"])
STYLE_COMMANDS = frozenset(["mathrm", "mathit", "mathbf", "mathsf", "mathcal", "operatorname"])
TEXT_COMMANDS = frozenset(["text"])
ACCENT_COMMANDS = frozenset(["hat", "bar", "tilde", "vec", "dot", "ddot"])
COMMANDS = SYMBOL_COMMANDS | STYLE_COMMANDS | TEXT_COMMANDS | ACCENT_COMMANDS
PUNCT = frozenset(",.'()+-= ")
MAX_LENGTH = 200  # characters in one symbol
MAX_DEPTH = 8  # groups inside one another

_TOKEN = re.compile(r"\\[A-Za-z]+|[A-Za-z0-9]|[_^{}]|[,.'()+\-= ]")
_TEXT = re.compile(r"[A-Za-z0-9,.'()+\-= ]*")


class SymbolSyntaxError(ValueError):
    """Not in the subset; the message says what was expected where."""


def check(latex: str) -> str:
    """`latex` if it is in the subset, else SymbolSyntaxError saying what is wrong."""
    if len(latex) > MAX_LENGTH:
        raise SymbolSyntaxError(f"at most {MAX_LENGTH} characters")
    if not latex.strip():
        raise SymbolSyntaxError("a symbol, not an empty string")
    tokens = _tokens(latex)
    end, _ = _Parser(tokens).math(0, 0)
    if end != len(tokens):
        raise SymbolSyntaxError(f"no unmatched '{tokens[end]}'")
    return latex


def _tokens(latex: str) -> list[str]:
    """The symbol's tokens; spaces are kept only inside \\text{…} (TeX ignores them in math)."""
    tokens: list[str] = []
    in_text, i = False, 0
    while i < len(latex):
        m = _TOKEN.match(latex, i)
        if not m:
            c = latex[i]
            what = "a backslash command" if c == "\\" else repr(c)
            raise SymbolSyntaxError(f"no {what} at character {i + 1}")
        t, i = m.group(), m.end()
        if t.startswith("\\") and t[1:] not in COMMANDS:
            raise SymbolSyntaxError(f"no \\{t[1:]} (allowed: Greek letters, {_listed()})")
        in_text = (in_text or t == "\\text") and t != "}"
        after_word = bool(tokens) and tokens[-1][0] == "\\"  # TeX skips spaces after \\word
        if t != " " or (in_text and not after_word):
            tokens.append(t)
    return tokens


def _listed() -> str:
    return ", ".join(
        f"\\{c}" for c in sorted(COMMANDS - set(GREEK) - set(GREEK_CAPITALS), key=str.lower)
    )


@dataclass(frozen=True)
class _Item:
    end: int
    scripted: bool  # carries a script, its own or one a style group passes on
    accent: bool  # an accent atom (amsmath's accents pass their scripts out of a lone group)


class _Parser:
    """Recursive descent over the tokens. Beyond the grammar it refuses what TeX would reject as
    a double script: a script after a style group, or after a group holding nothing but an
    accent, whose last item already carries one ({\\mathrm{x_1}}^2, {\\hat x^1}^2)."""

    def __init__(self, tokens: list[str]) -> None:
        self.t = tokens

    def at(self, i: int) -> str:
        return self.t[i] if i < len(self.t) else ""

    def math(self, i: int, depth: int) -> tuple[int, list[_Item]]:
        items: list[_Item] = []
        while self.at(i) not in ("", "}"):
            items.append(self.item(i, depth))
            i = items[-1].end
        return i, items

    def item(self, i: int, depth: int) -> _Item:
        i, carried, accent = self.atom(i, depth)
        seen: set[str] = set()
        while self.at(i) in ("_", "^", "'"):
            kind = "^" if self.at(i) == "'" else self.at(i)  # x' is x^{\prime}
            if kind in seen:
                raise SymbolSyntaxError(f"one '{kind}' per symbol part (a double script)")
            if carried:
                raise SymbolSyntaxError(
                    "no script after a \\mathrm-style group, or a group holding only an "
                    "accent, that ends in a script: TeX would set both on one letter"
                )
            seen.add(kind)
            if self.at(i) == "'":
                while self.at(i) == "'":
                    i += 1
            else:
                i = self.arg(i + 1, depth)
        return _Item(i, bool(seen) or carried, accent)

    def atom(self, i: int, depth: int) -> tuple[int, bool, bool]:
        """The end of one atom; whether a script after it would land inside it; whether it is
        an accent."""
        t = self.at(i)
        if t == "{":
            end, items = self.group(i, depth)
            lone = len(items) == 1 and items[0].accent and items[0].scripted
            return end, lone, False
        if t in ("_", "^", "'"):
            raise SymbolSyntaxError(f"something before {t!r}")
        name = t[1:] if t.startswith("\\") else ""
        if name in STYLE_COMMANDS:
            end, items = self.group(i + 1, depth)
            last = bool(items) and items[-1].scripted
            return end, last and name != "operatorname", False  # \operatorname is an atom
        if name in TEXT_COMMANDS:
            return self.text(i + 1), False, False
        if name in ACCENT_COMMANDS:
            return self.arg(i + 1, depth), False, True
        return i + 1, False, False

    def arg(self, i: int, depth: int) -> int:
        t = self.at(i)
        if t == "{":
            return self.group(i, depth)[0]
        if t and (t[0].isalnum() or t[1:] in SYMBOL_COMMANDS):
            return i + 1
        raise SymbolSyntaxError(
            f"a letter, digit, Greek letter or {{group}} after '{self.at(i - 1)}', "
            f"not {t or 'the end'!r}"
        )

    def group(self, i: int, depth: int) -> tuple[int, list[_Item]]:
        if self.at(i) != "{":
            raise SymbolSyntaxError(f"a {{group}} after '{self.at(i - 1)}'")
        if depth >= MAX_DEPTH:
            raise SymbolSyntaxError(f"groups nested at most {MAX_DEPTH} deep")
        end, items = self.math(i + 1, depth + 1)
        if self.at(end) != "}":
            raise SymbolSyntaxError("a closing '}'")
        return end + 1, items

    def text(self, i: int) -> int:
        """\\text{…} holds plain words: letters, digits, spaces and punctuation."""
        if self.at(i) != "{":
            raise SymbolSyntaxError("a {group} after '\\text'")
        j = i + 1
        while self.at(j) not in ("", "}"):
            if not _TEXT.fullmatch(self.at(j)):
                raise SymbolSyntaxError(f"only words in \\text{{…}}, not {self.at(j)!r}")
            j += 1
        if self.at(j) != "}":
            raise SymbolSyntaxError("a closing '}'")
        return j + 1


def as_atom(latex: str) -> str:
    """The symbol braced when it carries a superscript (^ or '), so that the page may add its
    own (w^{+}, the updated weight) without a double superscript; the empty {} keeps TeX from
    passing the scripts of a lone accent out of the braces."""
    return f"{{{latex}{{}}}}" if "^" in latex or "'" in latex else latex
