"""Stage 5, explain (notation): the only sympy → LaTeX code: symbol names, partial derivatives, and
expressions in our order.

sympy writes d/dw for a derivative and reorders the factors of a product; a worked example needs
∂ (or d, as seed 001 writes it), the factors in chain-rule order, and the same expression printed
twice: once with symbols, once with the numbers put in. Expressions from the rule tables are
unevaluated trees, so printing them with `order="none"` keeps the textbook order; the numbers line
is the same tree printed with each symbol's name mapped to its formatted number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter

_WORD = re.compile(r"[A-Za-z]{2,}")
FUNCTION_NAMES = {sp.tanh: r"\tanh", sp.sech: r"\operatorname{sech}"}


def default_symbol(key: str) -> str:
    """LaTeX for a node key: w5 → w_{5}, net_h1 → \\mathrm{net}_{h1}, E_total → E_{\\mathrm{total}}."""
    head, _, tail = key.partition("_")
    if not tail:
        m = re.fullmatch(r"([A-Za-z]+)(\d+)", key)
        if m:
            head, tail = m.groups()
            return f"{_word(head)}_{{{tail}}}"
        return _word(head)
    tail_latex = rf"\mathrm{{{tail}}}" if tail.isalpha() and len(tail) > 1 else tail
    return f"{_word(head)}_{{{tail_latex}}}"


def _word(s: str) -> str:
    return rf"\mathrm{{{s}}}" if _WORD.fullmatch(s) else s


class Printer(LatexPrinter):  # type: ignore[misc]
    """LatexPrinter that keeps the given order and always writes products with a centred dot."""

    def __init__(self, names: Mapping[sp.Symbol, str], iverson: bool = False) -> None:
        self.iverson = iverson  # a 1-else-0 Piecewise as [c], not as cases
        super().__init__(
            {
                "order": "none",
                "symbol_names": dict(names),
                "mul_symbol": "dot",
                "fold_short_frac": False,
                "ln_notation": True,
            }
        )

    def _print_Mul(self, expr: Any) -> str:
        # −1 · x prints as −x; everything else in the order built, with parentheses where needed.
        args = list(expr.args)
        if args and args[0] == -1 and len(args) > 1:
            rest = sp.Mul(*args[1:], evaluate=False) if len(args) > 2 else args[1]
            return "-" + self._paren(rest, sp.Add)
        if len(args) == 2 and isinstance(args[1], sp.Pow) and args[1].args[1] == -1:
            return rf"\frac{{{self._print(args[0])}}}{{{self._print(args[1].args[0])}}}"
        head = ""
        if (
            len(args) > 1
            and args[0].is_Rational
            and not args[0].is_Integer
            and not _decimal(args[0])
        ):
            head, args = self._print(args[0]), args[1:]  # ½(t − o)², not ½ · (t − o)²
        rest = r" \cdot ".join(self._factor(a) for a in args)
        # ½ juxtaposed only with a bracket: ½ · 0.45 and ½ · net, never ½0.45 (a mixed number)
        glued = rest.startswith((r"\left(", "{"))
        return head + rest if not head or glued else rf"{head} \cdot {rest}"

    def _print_Rational(self, expr: Any) -> str:
        # a decimal as a scenario writes it (a slope 0.1 is 1/10 exactly): 0.1, not \frac{1}{10}
        return _decimal(expr) or str(super()._print_Rational(expr))

    def _factor(self, a: Any) -> str:
        s = self._print(a)
        if (
            isinstance(a, sp.Add)
            or (a.is_Number and a < 0)
            or (isinstance(a, sp.Mul) and a.args[0] == -1)
        ):
            return rf"\left({s}\right)"
        return str(s)

    def _paren(self, a: Any, kind: type) -> str:
        s = self._print(a)
        return rf"\left({s}\right)" if isinstance(a, kind) else str(s)

    def _print_Add(self, expr: Any, order: Any = None) -> str:
        parts: list[str] = []
        for i, term in enumerate(expr.args):
            s = self._print(term)
            if i and s.startswith("-"):
                parts.append(" - " + s[1:].lstrip())
            elif i:
                parts.append(" + " + s)
            else:
                parts.append(s)
        return "".join(parts)

    def _print_Pow(self, expr: Any, **kwargs: Any) -> str:
        base, exponent = expr.args
        if exponent == sp.S.Half:
            return rf"\sqrt{{{self._print(base)}}}"
        if exponent == -1:
            b = self._print(base)
            return rf"\frac{{1}}{{ {b}}}" if b.startswith("{") else rf"\frac{{1}}{{{b}}}"
        if isinstance(base, sp.Function) and len(base.args) == 1:
            # tanh²(x), as textbooks write a power of a function
            name = FUNCTION_NAMES.get(type(base), rf"\operatorname{{{type(base).__name__}}}")
            return rf"{name}^{{{self._print(exponent)}}}\left({self._print(base.args[0])}\right)"
        b = self._print(base)
        if (
            isinstance(base, sp.Add | sp.Mul | sp.Pow)
            or (base.is_Number and base < 0)
            or (isinstance(base, sp.Symbol) and b.startswith(r"\left("))
        ):
            b = rf"\left({b}\right)"
        elif isinstance(base, sp.Symbol) and "_" in b:
            b = rf"{{{b}}}"
        return f"{b}^{{{self._print(exponent)}}}"

    def _print_Piecewise(self, expr: Any) -> str:
        # [c], Iverson's bracket, for the 1-where-c-holds-else-0 of a routing gate's derivative
        pieces = expr.args
        if self.iverson and len(pieces) == 2 and pieces[0][0] == 1 and pieces[1] == (0, True):
            return rf"\left[{self._print(pieces[0][1])}\right]"
        return str(super()._print_Piecewise(expr))

    def _print_exp(self, expr: Any, exp: Any = None) -> str:
        return f"e^{{{self._print(expr.args[0])}}}"


def _decimal(x: sp.Rational) -> str:
    """x as the decimal it was written as (7/100 → 0.07, 8943/200000 → 0.044715) where its
    denominator has the factor 5 of a written decimal and no prime but 2 and 5, else "" (½, ¼
    and ⅓ stay fractions, as textbooks print a loss's coefficient)."""
    q = int(x.q)
    if q % 5:
        return ""
    while q % 10 == 0:
        q //= 10
    while q % 5 == 0:
        q //= 5
    while q % 2 == 0:
        q //= 2
    if q != 1:
        return ""
    d = Decimal(int(x.p)) / int(x.q)
    fixed = format(d, "f")
    if len(fixed) <= 14:  # 0.044715, 0.01
        return fixed
    mantissa, _, exponent = format(d.normalize(), "E").partition("E")  # 1E-300: 1 · 10⁻³⁰⁰
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def latex(expr: sp.Basic, names: Mapping[sp.Symbol, str], iverson: bool = False) -> str:
    return str(Printer(names, iverson).doprint(expr))


def partial(of: str, by: str, ordinary: bool = False) -> str:
    """∂of/∂by (or d of/d by for a function of one variable), from LaTeX symbols."""
    d = "d" if ordinary else r"\partial "
    return rf"\frac{{{d}{of}}}{{{d}{by}}}"


def operator(by: str, ordinary: bool = False) -> str:
    """∂/∂by, the derivative applied to an expression."""
    d = "d" if ordinary else r"\partial "
    return rf"\frac{{{d.strip()}}}{{{d}{by}}}"


def product(factors: list[sp.Expr], names: Mapping[sp.Symbol, str]) -> str:
    """Factors printed one by one in the order given, joined by centred dots; in a product of
    several, a sum, or a negative factor after the first, in parentheses."""
    out = []
    for i, x in enumerate(factors):
        s = latex(x, names)
        wrap = len(factors) > 1 and (isinstance(x, sp.Add) or (i > 0 and s.startswith("-")))
        out.append(rf"\left({s}\right)" if wrap else s)
    return r" \cdot ".join(out)
