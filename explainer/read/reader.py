"""Stage 1, load (reading): typed access to one table of a scenario file.

Every checker takes (key path, value) and returns the value in our types, or raises a
ScenarioError naming the file, the key path, what was expected and what was found.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from explainer.foundation import symbols as tex_symbols
from explainer.foundation.errors import ScenarioError

BARE_KEY = re.compile(r"[A-Za-z0-9_@/-]+")
NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)?")


def kind(value: object) -> str:
    """How a TOML value is described in an error message."""
    names = {
        bool: "a boolean",
        str: "a string",
        int: "an integer",
        float: "a number",
        list: "a list",
        dict: "a table",
    }
    shown = repr(value)
    if len(shown) > 60:  # a file may hold a megabyte in one value: quote its start
        shown = f"{shown[:50]}… ({len(shown):,} characters)"
    return f"{names.get(type(value), type(value).__name__)} ({shown})"


class Reader:
    """Typed access to one TOML table, remembering the file and key path for error messages."""

    def __init__(self, file: str, table: Mapping[str, Any], path: str, allowed: tuple[str, ...]):
        self.file, self.table, self.path = file, table, path
        known = frozenset(allowed)  # a claims table allows its own keys: a set, not a scan
        unknown = [k for k in table if k not in known]
        if unknown:
            raise ScenarioError(
                file,
                self.key(unknown[0]),
                f"one of the keys {', '.join(allowed)}",
                "an unknown key",
            )

    def key(self, k: str | int) -> str:
        if isinstance(k, int):
            return f"{self.path}[{k}]"
        if len(k) > 40 or not BARE_KEY.fullmatch(k):  # quoted as TOML writes it: claims."w1 + w2"
            k = json.dumps(k if len(k) <= 40 else f"{k[:40]}…", ensure_ascii=False)
        return f"{self.path}.{k}" if self.path else k

    def fail(self, key: str, expected: str, value: object) -> ScenarioError:
        return ScenarioError(self.file, key, expected, kind(value))

    def get(self, k: str, check: Callable[[str, object], Any], default: Any = ...) -> Any:
        if k not in self.table:
            if default is ...:
                raise ScenarioError(self.file, self.key(k), "this key", "nothing (it is missing)")
            return default
        return check(self.key(k), self.table[k])

    def sub(self, k: str, allowed: tuple[str, ...], required: bool = False) -> Reader:
        value = self.table.get(k, None if required else {})
        if not isinstance(value, dict):
            if value is None:
                raise ScenarioError(self.file, self.key(k), "a table", "nothing (it is missing)")
            raise self.fail(self.key(k), "a table", value)
        return Reader(self.file, value, self.key(k), allowed)

    # Checkers: each takes (key path, value) and returns the value in our types or raises.
    def string(self, key: str, v: object) -> str:
        if not isinstance(v, str):
            raise self.fail(key, "a string", v)
        return v

    def boolean(self, key: str, v: object) -> bool:
        if not isinstance(v, bool):
            raise self.fail(key, "true or false", v)
        return v

    def number(self, key: str, v: object) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.fail(key, "a number", v)
        try:
            x = float(v)
        except OverflowError:
            raise ScenarioError(
                self.file, key, "a number within float range (±1.8e308)", f"{len(str(v))} digits"
            ) from None
        if not math.isfinite(x):
            raise self.fail(key, "a finite number", v)
        return x

    def positive(self, key: str, v: object) -> float:
        x = self.number(key, v)
        if x <= 0:
            raise self.fail(key, "a positive number", v)
        return x

    def count(self, lo: int, hi: int) -> Callable[[str, object], int]:
        def check(key: str, v: object) -> int:
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise self.fail(key, f"a whole number from {lo} to {hi}", v)
            return v

        return check

    def choice_number(self, options: tuple[float, ...]) -> Callable[[str, object], float]:
        def check(key: str, v: object) -> float:
            if isinstance(v, bool) or not isinstance(v, int | float) or v not in options:
                raise self.fail(key, "one of " + ", ".join(f"{o:g}" for o in options), v)
            return float(v)

        return check

    def choice(
        self, options: tuple[str, ...] | Mapping[str, object]
    ) -> Callable[[str, object], str]:
        def check(key: str, v: object) -> str:
            if not isinstance(v, str) or v not in options:
                raise self.fail(key, "one of " + ", ".join(f'"{o}"' for o in options), v)
            return v

        return check

    def name(self, key: str, v: object) -> str:
        if not isinstance(v, str) or not NAME.fullmatch(v):
            raise self.fail(
                key, "a name of letters and digits, at most one '_' (e.g. w5, out_h1)", v
            )
        return v

    def pattern(self, key: str, v: object) -> str:
        return self._pattern(key, v, optional=False)

    def optional_pattern(self, key: str, v: object) -> str:
        return self._pattern(key, v, optional=True)

    def _pattern(self, key: str, v: object, optional: bool) -> str:
        s = self.string(key, v)
        if not (optional and not s) and not NAME.fullmatch(s.replace("{neuron}", "x1")):
            raise self.fail(key, "a name pattern such as net_{neuron}", v)
        return s

    def latex(self, key: str, v: object) -> str:
        s = self.string(key, v)
        try:
            return tex_symbols.as_atom(tex_symbols.check(s))
        except tex_symbols.SymbolSyntaxError as e:
            raise ScenarioError(
                self.file,
                key,
                "LaTeX math of letters, digits, _ ^ { }, Greek letters and \\mathrm-style "
                f"commands ({e})",
                kind(v),
            ) from None

    def line(self, key: str, v: object) -> str:
        """One line of prose (a title, a source, a note): no line breaks or control characters,
        which would add headings or table rows to a Markdown page."""
        s = self.string(key, v)
        if any(control(c) for c in s):
            raise self.fail(key, "one line of text, without line breaks or control characters", v)
        return s

    def prose(self, key: str, v: object) -> str:
        """Paragraphs of prose: line breaks and tabs, but no other control characters."""
        s = self.string(key, v)
        if any(control(c) and c not in "\n\t" for c in s):
            raise self.fail(key, "text without control characters", v)
        return s

    def list_of(
        self, check: Callable[[str, object], Any], length: int | None = None, min_length: int = 1
    ) -> Callable[[str, object], tuple[Any, ...]]:
        def read(key: str, v: object) -> tuple[Any, ...]:
            if not isinstance(v, list):
                raise self.fail(key, "a list", v)
            if length is not None and len(v) != length:
                raise ScenarioError(self.file, key, f"a list of {length}", f"a list of {len(v)}")
            if len(v) < min_length:
                raise ScenarioError(
                    self.file, key, f"a list of at least {min_length}", f"a list of {len(v)}"
                )
            return tuple(check(f"{key}[{i}]", x) for i, x in enumerate(v))

        return read


def control(c: str) -> bool:
    """A control, format or separator character other than the space (Unicode Cc, Cf, Zl, Zp)."""
    return unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")
