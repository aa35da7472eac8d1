"""Stage 1, load (expressions): the small arithmetic grammar of graph nodes and claims' working.

    expr  := expr (+ | - | * | /) expr | expr ** expr | -expr | +expr | (expr)
           | number | name | function(expr[, expr])
    function := exp log sqrt abs sigmoid tanh relu (one argument) | max min (two)

The text is parsed by Python's own parser (`ast.parse`, which only builds a tree) and the tree
is read through an explicit whitelist of node types: anything else (attributes, subscripts,
lambdas, comparisons, keyword arguments, strings, `^`) is refused with its column and token.
Nothing is evaluated, and no string reaches sympy: numbers stay as their decimal text, and the
build stage makes exact rationals of them. The result is a plain tree, so that each operation
written stays one gate (sympy would fold `x - y` into `x + (-1)·y` and `1/x` into `x**-1`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from explainer.foundation.errors import ScenarioError
from explainer.foundation.limits import Limits
from explainer.rules.operations import FUNCTIONS

BINARY: dict[type, str] = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "div",
    ast.Pow: "pow",
}
UNARY: dict[type, str] = {ast.USub: "neg", ast.UAdd: "pos"}
DECIMAL = re.compile(r"[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|\.[0-9]+([eE][-+]?[0-9]+)?")
# What a refused node is called in the message (the rest: "this")
REFUSED: dict[type, str] = {
    ast.BitXor: "'^' (write powers as x**2)",
    ast.Compare: "a comparison",
    ast.Attribute: "an attribute",
    ast.Subscript: "a subscript",
    ast.Lambda: "a lambda",
    ast.keyword: "a keyword argument",
    ast.Starred: "a starred argument",
}


@dataclass(frozen=True)
class Num:
    text: str  # as written: "0.5", "2", "1e-3" (made exact by the build stage)
    column: int  # 1-based, in the expression's text


@dataclass(frozen=True)
class Ref:
    name: str
    column: int


@dataclass(frozen=True)
class Op:
    op: str  # add sub mul div pow neg pos, or a FUNCTIONS name
    args: tuple[Node, ...]
    column: int


Node = Num | Ref | Op


class ExpressionError(ValueError):
    """Text outside the grammar: what was expected, and the column and token where it failed."""

    def __init__(self, expected: str, column: int, token: str) -> None:
        super().__init__(f"{expected} at column {column} ({token!r})")
        self.expected, self.column, self.token = expected, column, token


OPERATORS = re.compile(r"\*\*|[-+*/(^]")


def operations(text: str) -> int:
    """An upper bound on the operations written (each operator sign and each call), counted
    before the text is parsed: what the limit `gates` bounds."""
    return len(OPERATORS.findall(text))


def parse(text: str) -> Node:
    """The tree of one expression, or an ExpressionError naming the column and the token.
    Call `operations` first to bound the work (Python's parser recurses once per operator)."""
    if not text.isascii():  # Python's parser would NFKC-fold ｘ and 𝐱 into x, and count bytes
        at = next(i for i, c in enumerate(text) if not c.isascii())
        raise ExpressionError(
            "ASCII arithmetic (names of ASCII letters and digits)", at + 1, text[at]
        )
    if any(c in text for c in "\n\r\x00"):
        raise ExpressionError("one line of arithmetic", _first_of(text, "\n\r\x00") + 1, "\\n")
    _balanced(text)
    try:
        tree = ast.parse(text.strip() and f"({text})", mode="eval")  # the wrap keeps columns +1
    except SyntaxError as e:
        column = max(1, (e.offset or 2) - 1)
        raise ExpressionError(f"arithmetic ({e.msg})", column, _token(text, column - 1)) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("arithmetic nested less deeply", 1, text[:1]) from None
    return _read(tree.body, text)


def _balanced(text: str) -> None:
    """Every bracket closed, and none closed that was not opened: checked here, so that the
    column named is the bracket's own (our wrapping bracket would otherwise be blamed)."""
    opened: list[int] = []
    for i, c in enumerate(text):
        if c == "(":
            opened.append(i)
        elif c == ")":
            if not opened:
                raise ExpressionError("no ')' without its '('", i + 1, ")")
            opened.pop()
    if opened:
        raise ExpressionError("a ')' closing this '('", opened[-1] + 1, "(")


def _first_of(text: str, chars: str) -> int:
    return min(i for i, c in enumerate(text) if c in chars)


def _token(text: str, at: int) -> str:
    """The token starting at index `at`: a name or number, or one character."""
    m = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|[0-9.][A-Za-z0-9_.]*|\*\*|\S").match(text, max(0, at))
    return m.group() if m else "end of text"


def _column(node: ast.AST) -> int:
    return int(getattr(node, "col_offset", 1))  # 0-based in "(text)": 1-based in text


def _refuse(node: ast.AST, text: str, what: str = "") -> ExpressionError:
    at = _column(node) - 1
    found = what or REFUSED.get(type(node), "")
    return ExpressionError(
        f"{_EXPECTED}, not {found}" if found else _EXPECTED, at + 1, _token(text, at)
    )


_EXPECTED = "+ - * / **, a number, a name or one of " + ", ".join(FUNCTIONS)


def _read(node: ast.expr, text: str) -> Node:
    reader = _READERS.get(type(node))
    if reader is None:
        raise _refuse(node, text)
    return reader(node, text)


def _binary(node: ast.BinOp, text: str) -> Node:
    op = BINARY.get(type(node.op))
    at = _operator_column(node, text)
    if op is None:
        found = REFUSED.get(type(node.op), "this operator")
        return _fail(f"{_EXPECTED}, not {found}", text, at - 1)
    return Op(op, (_read(node.left, text), _read(node.right, text)), at)


def _fail(expected: str, text: str, at: int) -> Node:
    raise ExpressionError(expected, at + 1, _token(text, at))


def _operator_column(node: ast.BinOp, text: str) -> int:
    """The column of a binary operator's sign: the first non-space after its left operand
    (past any closing brackets)."""
    end = int(getattr(node.left, "end_col_offset", 1)) - 1
    while end < len(text) and text[end] in " )":
        end += 1
    return end + 1


def _unary(node: ast.UnaryOp, text: str) -> Node:
    op = UNARY.get(type(node.op))
    if op is None:
        raise _refuse(node, text, f"the operator {type(node.op).__name__}")
    return Op(op, (_read(node.operand, text),), _column(node))


def _constant(node: ast.Constant, text: str) -> Node:
    at = _column(node) - 1
    written = ast.get_source_segment(f"({text})", node) or ""
    if isinstance(node.value, bool) or not DECIMAL.fullmatch(written.replace("_", "")):
        raise _refuse(node, text, "a string" if isinstance(node.value, str) else "a decimal number")
    if "_" in written:
        raise ExpressionError("a decimal number without '_'", at + 1, written)
    return Num(written, at + 1)


def _name(node: ast.Name, text: str) -> Node:
    if node.id in FUNCTIONS:
        raise ExpressionError(f"{node.id}(…) with its argument", _column(node), node.id)
    return Ref(node.id, _column(node))


def _call(node: ast.Call, text: str) -> Node:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        raise _refuse(node.func, text, "a call of an unknown function")
    if node.keywords:
        raise _refuse(node.keywords[0].value, text, REFUSED[ast.keyword])
    arity = FUNCTIONS[node.func.id]
    if len(node.args) != arity:
        raise ExpressionError(
            f"{node.func.id} of {arity} argument{'s' if arity > 1 else ''}, not {len(node.args)}",
            _column(node),
            node.func.id,
        )
    return Op(node.func.id, tuple(_read(a, text) for a in node.args), _column(node))


_READERS: dict[type, Callable[[Any, str], Node]] = {
    ast.BinOp: _binary,
    ast.UnaryOp: _unary,
    ast.Constant: _constant,
    ast.Name: _name,
    ast.Call: _call,
}


def names(node: Node) -> tuple[str, ...]:
    """The names an expression refers to, in order of first appearance."""
    return tuple(dict.fromkeys(r.name for r in refs(node)))


def refs(node: Node) -> tuple[Ref, ...]:
    """Every name reference, in the order written."""
    return tuple(n for n in _leaves(node) if isinstance(n, Ref))


def _leaves(node: Node) -> list[Num | Ref]:
    """The names and numbers of an expression, in the order written (walked without
    recursion)."""
    out: list[Num | Ref] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Op):
            stack.extend(reversed(n.args))
        else:
            out.append(n)
    return out


def parse_at(file: str, where: str, text: str, limits: Limits) -> Node:
    """`parse` within the limits (gates, and each number's digits and exponent, so that no
    constant is too large to hold), its error a ScenarioError naming the file and the key, the
    column and the token."""
    if operations(text) > limits.gates:
        raise limits.exceeded(file, where, "gates", "operations and brackets", operations(text))
    try:
        node = parse(text)
    except ExpressionError as e:
        raise ScenarioError(
            file, where, f"{e.expected} (column {e.column})", repr(e.token)
        ) from None
    for n in _leaves(node):
        if isinstance(n, Num):
            limits.printed(file, where, n.text, f"the number at column {n.column}")
    return node
