"""Stage 1 (load), display symbols: the LaTeX subset a scenario's `[symbols]` and `rate_symbol`
may use, checked by a grammar, once, at load time, so that every output format (LaTeX and PDF,
MathML, the SVG figures) accepts exactly the symbols that pass.

    math   := item*
    item   := atom script*           script := ("_" | "^") arg, at most one of each per atom
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

from explainer.notation import GREEK, GREEK_CAPITALS

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
    tokens, i = [], 0
    while i < len(latex):
        m = _TOKEN.match(latex, i)
        if not m:
            c = latex[i]
            what = "a backslash command" if c == "\\" else repr(c)
            raise SymbolSyntaxError(f"no {what} at character {i + 1}")
        t = m.group()
        if t.startswith("\\") and t[1:] not in COMMANDS:
            raise SymbolSyntaxError(f"no \\{t[1:]} (allowed: Greek letters, {_listed()})")
        tokens.append(t)
        i = m.end()
        if t.startswith("\\"):  # TeX skips the spaces after a control word
            while i < len(latex) and latex[i] == " ":
                i += 1
    return tokens


def _listed() -> str:
    return ", ".join(
        f"\\{c}" for c in sorted(COMMANDS - set(GREEK) - set(GREEK_CAPITALS), key=str.lower)
    )


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.t = tokens

    def at(self, i: int) -> str:
        return self.t[i] if i < len(self.t) else ""

    def math(self, i: int, depth: int) -> tuple[int, bool]:
        """The end of a run of items, and whether its last item carries a script."""
        last = False
        while self.at(i) not in ("", "}"):
            i, last = self.item(i, depth)
        return i, last

    def item(self, i: int, depth: int) -> tuple[int, bool]:
        i, carried = self.atom(i, depth)
        seen: set[str] = set()
        while self.at(i) in ("_", "^"):
            if self.at(i) in seen:
                raise SymbolSyntaxError(f"one '{self.at(i)}' per symbol part (a double script)")
            if carried:  # \mathrm{x_1}^2: TeX puts both scripts on the x (a double script)
                raise SymbolSyntaxError(
                    "braces around a \\mathrm-style group that ends in a script before a "
                    "script on it, as {\\mathrm{x_1}}^{2}"
                )
            seen.add(self.at(i))
            i = self.arg(i + 1, depth)
        return i, bool(seen) or carried

    def atom(self, i: int, depth: int) -> tuple[int, bool]:
        """The end of one atom, and whether it is a style group whose last item carries a
        script (a style is no group for TeX: a script after it lands on that item)."""
        t = self.at(i)
        if t == "{":
            return self.group(i, depth)[0], False
        if t in ("_", "^"):
            raise SymbolSyntaxError(f"something before '{t}'")
        name = t[1:] if t.startswith("\\") else ""
        if name in STYLE_COMMANDS:
            end, last = self.group(i + 1, depth)
            return end, last and name != "operatorname"  # \operatorname is an atom of its own
        if name in TEXT_COMMANDS:
            return self.text(i + 1), False
        if name in ACCENT_COMMANDS:
            return self.arg(i + 1, depth), False
        return i + 1, False

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

    def group(self, i: int, depth: int) -> tuple[int, bool]:
        if self.at(i) != "{":
            raise SymbolSyntaxError(f"a {{group}} after '{self.at(i - 1)}'")
        if depth >= MAX_DEPTH:
            raise SymbolSyntaxError(f"groups nested at most {MAX_DEPTH} deep")
        end, last = self.math(i + 1, depth + 1)
        if self.at(end) != "}":
            raise SymbolSyntaxError("a closing '}'")
        return end + 1, last

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
    """The symbol braced when it carries a superscript, so that the page may add its own
    (w^{+}, the updated weight) without a double superscript."""
    return f"{{{latex}}}" if "^" in latex else latex
