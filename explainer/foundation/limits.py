"""Foundation (limits): limits on what one scenario may ask for: one table, each row named, with
its default and what it bounds. Scenario files may come from strangers, so everything a file can
make large (its size, nesting, network, steps, printed digits, exact fractions, a CSV beside it,
TeX's run time) has a limit here, and every message that enforces one names it and the option
that raises it: `--limit NAME=VALUE` on `render`, `verify` and `build`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from explainer.foundation.errors import ScenarioError, UsageError


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 2_000_000  # a scenario file's size
    nesting: int = 32  # arrays and tables inside one another in the TOML
    layers: int = 32  # layers of a network
    neurons: int = 256  # neurons in one layer, and inputs
    parameters: int = 5_000  # weights and biases together (a page then takes minutes)
    steps: int = 10_000_000  # training steps (epochs with a training set), and claimed steps
    examples: int = 100_000  # rows of a training set
    printed_digits: int = 40  # digits in a claim's printed value
    exponent: int = 300  # |exponent| of a claim's printed value, as in 1e-300
    csv_bytes: int = 5_000_000  # a training set's CSV file
    exact_digits: int = 1_000  # digits in an exact fraction's numerator or denominator
    tex_seconds: int = 120  # wall time for one PDF compile; TeX is then killed
    seconds: int = 900  # a run's forecast time (cost.py), its checks' trainings included
    table_values: int = 200_000  # values the training tables keep: rows × parameters
    gates: int = 200  # operators, brackets and calls in a graph's expressions, all nodes together
    claims: int = 10_000  # printed numbers in [claims] (each is checked, and each miss diagnosed)
    students: int = 1_000  # rows of a handout's roster: a sheet and a key each
    roster_bytes: int = 1_000_000  # a roster CSV file

    def exceeded(self, file: str, key: str, name: str, what: str, found: object) -> ScenarioError:
        """The error for a limit exceeded: where, which limit, how to raise it, what was found."""
        shown = f"{found:,}" if isinstance(found, int) else str(found)
        return ScenarioError(
            file,
            key,
            f"{what} within the limit {name} = {getattr(self, name):,} "
            f"(raise it with --limit {name}=N)",
            shown,
        )

    def printed(self, file: str, key: str, text: str, what: str) -> None:
        """A number written as text (a claim's printed value, a constant in an expression)
        within `printed_digits` and `exponent`, so that no value is too large to hold."""
        mantissa, _, exponent = text.lower().partition("e")
        digits = sum(c.isdigit() for c in mantissa)
        if digits > self.printed_digits:
            raise self.exceeded(file, key, "printed_digits", what, digits)
        size = exponent.lstrip("+-").lstrip("0")
        if len(size) > len(str(self.exponent)):  # counted before int() reads it (≤ 4,300 digits)
            raise self.exceeded(file, key, "exponent", what, f"an exponent of {len(size):,} digits")
        if exponent and abs(int(exponent)) > self.exponent:
            raise self.exceeded(file, key, "exponent", what, int(exponent))

    def step(self, file: str, key: str, digits: str, what: str) -> int:
        """A step written as digits (a claim's `@k`) within `steps`, its length checked before
        int() reads it (Python refuses to convert more than 4,300 digits)."""
        if len(digits.lstrip("0")) > len(str(self.steps)) or int(digits) > self.steps:
            shown = int(digits) if len(digits) <= 30 else f"a step of {len(digits):,} digits"
            raise self.exceeded(file, key, "steps", what, shown)
        return int(digits)


DEFAULT = Limits()

# What each limit bounds, for `--limit` help and README's table.
DESCRIBE = {
    "file_bytes": "bytes in a scenario file",
    "nesting": "arrays and tables nested in one another",
    "layers": "layers in a network",
    "neurons": "neurons in one layer (and network inputs)",
    "parameters": "weights and biases in a network",
    "steps": "training steps or epochs, and the step of a claim such as w5@10000",
    "examples": "rows of a training set",
    "printed_digits": "digits in a claim's printed value",
    "exponent": "size of a printed value's exponent (1e-300)",
    "csv_bytes": "bytes in a training set's CSV file",
    "exact_digits": "digits of a fraction in exact arithmetic",
    "tex_seconds": "seconds one PDF compile may take before TeX is stopped",
    "seconds": "seconds a run is forecast to take, the trainings of its claims included",
    "table_values": "values kept for the training tables (rows × parameters)",
    "gates": "operators, brackets and calls written in a graph's expressions (or a claim's working)",
    "claims": "printed numbers in a scenario's [claims], each checked and each miss diagnosed",
    "students": "rows of a handout's roster, each a sheet and a key",
    "roster_bytes": "bytes in a handout's roster CSV file",
}


def parse(items: list[str] | None, base: Limits = DEFAULT) -> Limits:
    """`--limit NAME=VALUE` options on top of the defaults."""
    changes: dict[str, int] = {}
    names = [f.name for f in dataclasses.fields(Limits)]
    for item in items or ():
        name, eq, raw = item.partition("=")
        if not eq or name not in names:
            raise UsageError(f"--limit {item}: expected NAME=N with NAME one of {', '.join(names)}")
        if not raw.isdigit() or int(raw) < 1:
            raise UsageError(f"--limit {item}: expected a whole number of at least 1 after '='")
        changes[name] = int(raw)
    return dataclasses.replace(base, **changes)
