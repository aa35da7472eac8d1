"""The JSON Schema of the scenario format (read/schema.py, shipped as
templates/scenario.schema.json): a valid draft 2020-12 schema, the shipped file equal to the
one built from the readers' tables, every shipped, starting and test scenario valid against
it, every scenario the reader accepts valid too (the schema is never the stricter), and each
table's keys the reader's own (an unknown key is refused by both)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

import explainer
from explainer.cli import main
from explainer.foundation.errors import ScenarioError
from explainer.foundation.resources import resource_dir
from explainer.read import schema
from tests import conftest, networks
from tests.fuzz import strategies
from tests.test_catalogue import PRELU

ROOT = Path(__file__).resolve().parent.parent
VALIDATOR = jsonschema.Draft202012Validator(schema.schema())
FILES = sorted([*(ROOT / "scenarios").glob("*.toml"), *(ROOT / "templates" / "new").glob("*.toml")])


def _errors(doc: dict[str, Any]) -> list[str]:
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(doc)
    ]


def test_the_schema_is_a_valid_schema_and_the_shipped_file_is_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    jsonschema.Draft202012Validator.check_schema(schema.schema())
    shipped = (resource_dir("templates") / "scenario.schema.json").read_text(encoding="utf-8")
    assert shipped == schema.text(), "regenerate: explainer schema > templates/scenario.schema.json"
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == schema.schema()


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_shipped_and_starting_scenario_is_valid(path: Path) -> None:
    assert _errors(tomllib.loads(path.read_text(encoding="utf-8"))) == []


TEST_SCENARIOS = {
    "minimal": tomllib.loads(conftest.MINIMAL),
    "xor": tomllib.loads(conftest.XOR),
    "prelu": PRELU,
    **{f"random-{seed}": networks.raw(seed) for seed in networks.SEEDS},
}


@pytest.mark.parametrize("name", sorted(TEST_SCENARIOS))
def test_every_test_scenario_is_valid(name: str) -> None:
    assert _errors(TEST_SCENARIOS[name]) == []


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(strategies.networks())
def test_what_the_reader_accepts_the_schema_accepts(doc: dict[str, Any]) -> None:
    try:
        explainer.from_dict(doc, name="drawn")
    except explainer.ExplainerError:
        return  # refused, for a reason of the reader's: the schema may accept it or not
    assert _errors(doc) == []


# Each table with fixed keys, in a scenario that reaches it: where an unknown key goes, and
# the path the reader's message names.
PROBES: list[tuple[str, dict[str, Any], tuple[str | int, ...]]] = [
    ("minimal", tomllib.loads(conftest.MINIMAL), ()),
    ("minimal", tomllib.loads(conftest.MINIMAL), ("network",)),
    ("minimal", tomllib.loads(conftest.MINIMAL), ("network", "layers", 0)),
    ("minimal", tomllib.loads(conftest.MINIMAL), ("training",)),
    ("minimal", tomllib.loads(conftest.MINIMAL), ("example",)),
    ("minimal", tomllib.loads(conftest.MINIMAL), ("loss",)),
    ("minimal", tomllib.loads(conftest.MINIMAL), ("display",)),
    ("minimal", tomllib.loads(conftest.MINIMAL), ("notation",)),
    ("minimal", tomllib.loads(conftest.MINIMAL), ("names",)),
    ("minimal", tomllib.loads(conftest.MINIMAL), ("narrative",)),
    ("minimal", tomllib.loads(conftest.MINIMAL), ("handout",)),
    ("minimal", tomllib.loads(conftest.MINIMAL), ("handout", "constraints")),
    ("minimal", tomllib.loads(conftest.MINIMAL), ("handout", "vary")),
    ("xor", tomllib.loads(conftest.XOR), ("data",)),
    ("minimal", tomllib.loads(conftest.MINIMAL), ("init",)),
    ("prelu", PRELU, ()),
    ("prelu", PRELU, ("graph",)),
    ("prelu", PRELU, ("training",)),
    ("prelu", PRELU, ("display",)),
    ("prelu", PRELU, ("narrative",)),
]


def _reader_keys(doc: dict[str, Any], where: tuple[str | int, ...]) -> set[str]:
    """The keys the reader allows at `where`, as its message for an unknown one lists them."""
    table: Any = doc
    for step in where:
        table = table.setdefault(step, {}) if isinstance(step, str) else table[step]
    table["zz_unknown"] = 1
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="probe")
    said = re.search(r"expected one of the keys (.*?), found an unknown key", str(e.value))
    assert said, str(e.value)
    return set(said.group(1).split(", "))


def _schema_keys(form: str, where: tuple[str | int, ...]) -> set[str]:
    node = schema.schema()["$defs"][form]
    for step in where:
        node = node["items"] if isinstance(step, int) else node["properties"][step]
    return set(node["properties"])


@pytest.mark.parametrize(
    ("name", "doc", "where"),
    PROBES,
    ids=[f"{n}:{'.'.join(map(str, w)) or 'top'}" for n, _, w in PROBES],
)
def test_each_tables_keys_are_the_readers(
    name: str, doc: dict[str, Any], where: tuple[str | int, ...]
) -> None:
    form = "graph" if "graph" in doc else "network"
    probe = json.loads(json.dumps(doc))
    if where[:1] == ("handout",):
        probe.setdefault("handout", {})["blank"] = ["forward"]
    assert _reader_keys(probe, where) == _schema_keys(form, where)
    assert _errors(probe), "the schema refuses the unknown key too"
