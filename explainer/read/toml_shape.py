"""Stage 1, load (a file's shape): what is checked of a scenario before and beside its keys.

How deep a TOML text nests, counted without recursion before tomllib recurses once per level;
how deep the parsed tables nest (dotted keys nest without brackets); a Python mapping copied as
TOML would give it (the API's `explainer.scenario`); and the safe name of a scenario's output
files. Nothing here reads a key's meaning (scenario.py does).
"""

from __future__ import annotations

import decimal
import numbers
import re
from collections.abc import Mapping
from typing import Any

from explainer.foundation.errors import ScenarioError
from explainer.foundation.limits import Limits
from explainer.read.reader import kind

TOML_SCALARS = (str, bool, int, float)


def plain(value: Any, origin: str, key: str, limits: Limits, depth: int = 1) -> Any:
    """A copy of a mapping's value as TOML would give it (tuples as lists), or a located error
    (a mapping that contains itself stops at the nesting limit)."""
    if depth > limits.nesting:
        raise limits.exceeded(origin, key, "nesting", "keys and tables nested", depth)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ScenarioError(origin, key, "string keys", kind(k))
            out[k] = plain(v, origin, f"{key}.{k}" if key else k, limits, depth + 1)
        return out
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):  # a numpy array or scalar
        items = value.tolist() if hasattr(value, "tolist") else list(value)
        if not isinstance(items, list):  # a numpy scalar's tolist() is the number itself
            return plain(items, origin, key, limits, depth)
        return [plain(v, origin, f"{key}[{i}]", limits, depth + 1) for i, v in enumerate(items)]
    if isinstance(value, TOML_SCALARS):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real | decimal.Decimal):  # Fraction, Decimal: as TOML's float
        return float(value)
    raise ScenarioError(origin, key, "a string, number, boolean, list or table", kind(value))


def depth(raw: dict[str, Any]) -> int:
    """How deep tables and arrays nest in parsed TOML, walked without recursion."""
    deepest = 0
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(raw, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        children = value.values() if isinstance(value, dict) else value
        stack += [(c, depth + 1) for c in children if isinstance(c, dict | list)]
    return deepest


def safe_name(stem: str) -> str:
    """The scenario's name for its output files: the file's stem with anything but letters,
    digits, '.', '_' and '-' replaced by '-', never starting with '.' or '-' (an option to a
    tool, a hidden file, '..')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).lstrip(".-") or "scenario"


_STRINGS = re.compile(r'"""|\'\'\'|"|\'|#|[\[{\]}]')


def nesting(text: str) -> int:
    """How deep arrays and inline tables nest in a TOML text, counted without recursion (so
    before tomllib recurses once per level); table headers count too, an upper bound."""
    depth = deepest = 0
    i = 0
    while (m := _STRINGS.search(text, i)) is not None:
        t, i = m.group(), m.end()
        if t in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif t in "]}":
            depth = max(0, depth - 1)
        elif t == "#":
            i = _after(text, "\n", i)
        elif t in ('"""', "'''"):
            i = _after(text, t, i, escapes=t == '"""')
        else:
            i = _after(text, t, i, escapes=t == '"')
    return deepest


def _after(text: str, end: str, i: int, escapes: bool = False) -> int:
    """The index just past the next `end` from i (with `escapes`, a backslash escapes one
    character), or the end of the text."""
    if not escapes:
        j = text.find(end, i)
        return len(text) if j < 0 else _closing(text, end, j + len(end))
    for m in _ESCAPED[end].finditer(text, i):
        if m.group() == end:
            return _closing(text, end, m.end())
    return len(text)


def _closing(text: str, end: str, i: int) -> int:
    """Past a multi-line string's closing quotes: up to two more quote characters belong to
    its text (TOML allows them there)."""
    extra = 0
    while len(end) == 3 and extra < 2 and text.startswith(end[0], i):
        i, extra = i + 1, extra + 1
    return i


_ESCAPED = {e: re.compile(r"\\.|" + re.escape(e), re.DOTALL) for e in ('"', '"""')}
