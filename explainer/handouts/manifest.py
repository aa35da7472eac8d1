"""Interface (handouts): handout.json, what a handout was made from, so a grader can make its
variants again: the scenario (its file and the SHA-256 of its bytes), the seed, the number of
variants or the roster's students, the blanks asked and the key's arithmetic.

`explainer grade` draws the variants again from it and recomputes each worked step with the
student's own answers (follow-through) and under each alternative (a mistake's cause). A
manifest records the givens' origin, not the givens: the variants are drawn again, and the key
drawn again is checked against answers.csv, so a changed scenario is found, never graded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explainer.foundation.errors import ScenarioError
from explainer.foundation.limits import Limits
from explainer.handouts.variants import Student
from explainer.read.files import read_regular

MANIFEST = "handout.json"
FORMAT = 1  # the manifest's own version


@dataclass(frozen=True)
class Manifest:
    scenario: str  # the scenario's path as the handout was asked for it
    sha256: str  # of the scenario file's bytes
    seed: int
    variants: int
    students: tuple[Student, ...]  # the roster's, () without one
    blank: tuple[str, ...]
    where: str  # what asked for the blanks: handout.blank or --blank
    arithmetic: str  # the key's


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(m: Manifest) -> str:
    data = {
        "format": FORMAT,
        "scenario": m.scenario,
        "sha256": m.sha256,
        "seed": m.seed,
        "variants": m.variants,
        "students": [[s.ident, s.name, s.row] for s in m.students],
        "blank": list(m.blank),
        "where": m.where,
        "arithmetic": m.arithmetic,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# each key's expected JSON type, and what a message calls it
FIELDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "format": (int, "an integer"),
    "scenario": (str, "a path"),
    "sha256": (str, "a SHA-256 in hex"),
    "seed": (int, "an integer"),
    "variants": (int, "an integer"),
    "students": (list, "a list of [id, name, row]"),
    "blank": (list, "a list of blank kinds"),
    "where": (str, "text"),
    "arithmetic": (str, "an arithmetic"),
}


def read(path: Path, limits: Limits) -> Manifest:
    """A handout's manifest, every key checked (a file edited by hand names its key)."""
    file = str(path)
    raw = read_regular(file, MANIFEST, path, limits, "roster_bytes", True)
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ScenarioError(file, "", "JSON as explainer handout writes it", str(e)) from None
    if not isinstance(data, dict):
        raise ScenarioError(file, "", "a JSON object", type(data).__name__)
    for key, (kind, what) in FIELDS.items():
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            raise ScenarioError(file, key, what, repr(data.get(key))[:60])
    if data["format"] != FORMAT:
        raise ScenarioError(file, "format", f"{FORMAT}", repr(data["format"]))
    return Manifest(
        data["scenario"],
        data["sha256"],
        data["seed"],
        data["variants"],
        tuple(_student(file, i, s) for i, s in enumerate(data["students"])),
        tuple(_text(file, f"blank[{i}]", b) for i, b in enumerate(data["blank"])),
        data["where"],
        data["arithmetic"],
    )


def _student(file: str, i: int, s: object) -> Student:
    ok = isinstance(s, list) and len(s) == 3
    if not ok or not isinstance(s[0], str) or not isinstance(s[1], str):  # type: ignore[index]
        raise ScenarioError(file, f"students[{i}]", "[id, name, row]", repr(s)[:60])
    if not isinstance(s[2], int) or isinstance(s[2], bool):  # type: ignore[index]
        raise ScenarioError(file, f"students[{i}]", "a row number", repr(s)[:60])
    return Student(s[0], s[1], s[2])  # type: ignore[index]


def _text(file: str, where: str, x: object) -> str:
    if not isinstance(x, str):
        raise ScenarioError(file, where, "text", repr(x)[:60])
    return x


def of(
    scenario: Path,
    seed: int,
    variants: int,
    students: Sequence[Student],
    blank: tuple[str, ...],
    where: str,
    arithmetic: str,
) -> Manifest | None:
    """The manifest of a handout made from this scenario file (None: no file, a scenario
    built in Python, which a grader cannot read again)."""
    if not scenario.is_file():
        return None
    return Manifest(
        str(scenario),
        sha256(scenario.read_bytes()),  # as the handout read it, within its limit
        seed,
        variants,
        tuple(students),
        blank,
        where,
        arithmetic,
    )
