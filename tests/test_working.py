"""A claim that prints the source's working: its arithmetic redone on the printed operands, each
operand checked, and the expression checked as the quantity's formula."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from explainer.check.verify import OWN_WORKING, verify
from explainer.cli import main
from explainer.foundation.errors import ScenarioError
from explainer.read.scenario import load_network
from tests.conftest import SCENARIOS

MAZUR = (SCENARIOS / "mazur-2-2-2.toml").read_text(encoding="utf-8")


def _with_claims(tmp_path: Path, claims: str) -> Path:
    head, _, _ = MAZUR.partition("[claims]")
    path = tmp_path / "m.toml"
    path.write_text(head + "[claims]\n" + claims, encoding="utf-8")
    return path


def _printed(x: float, decimals: int) -> str:
    return str(Decimal(repr(x)).quantize(Decimal(1).scaleb(-decimals)))


def _exact(key: str) -> float:
    from explainer.api import load

    value = load("mazur-2-2-2").values[key]
    assert isinstance(value, float)
    return value


def test_the_sources_own_arithmetic_on_rounded_operands_explains_a_number(tmp_path: Path) -> None:
    out = _printed(_exact("out_o1"), 3)  # the source prints out_o1 to 3 decimals …
    own = _printed(float(out) * (1 - float(out)), 4)  # … and computes on from that
    assert own != _printed(_exact("dout_o1/dnet_o1"), 4)  # not what the exact value gives
    path = _with_claims(
        tmp_path,
        f'"dout_o1/dnet_o1" = {{ value = "{own}", work = "o * (1 - o)", '
        f'operands = {{ o = {{ key = "out_o1", value = "{out}" }} }} }}\n',
    )
    (found,) = verify(load_network(path))
    assert not found.reproduced and found.explained_by[0] == OWN_WORKING
    assert "its arithmetic is right" in found.working
    assert f"out_o1 printed {out} is reproduced" in found.working
    assert "formula" not in found.working  # o·(1 − o) is the sigmoid's derivative


def test_a_working_that_is_not_the_quantitys_formula_is_said(tmp_path: Path) -> None:
    exact = _printed(_exact("dout_o1/dnet_o1"), 4)
    path = _with_claims(
        tmp_path,
        f'"dout_o1/dnet_o1" = {{ value = "{exact}", work = "out_o1 * (1 + out_o1)", '
        f'operands = {{ out_o1 = "{_printed(_exact("out_o1"), 3)}" }} }}\n',
    )
    (found,) = verify(load_network(path))
    assert found.reproduced
    assert "not that quantity's formula" in found.working
    assert "not the printed" in found.working  # and its arithmetic does not give the number


@pytest.mark.parametrize(
    ("claim", "where", "words"),
    [
        (
            '"w5@1" = { value = "0.35", work = "w5 - 0.5 * g", operands = { w5 = "0.4" } }',
            "claims.w5@1.operands.g",
            "the printed value of each name in work",
        ),
        (
            '"w5@1" = { value = "0.35", work = "w5 ^ 2", operands = { w5 = "0.4" } }',
            "claims.w5@1.work",
            "column 4",
        ),
        (
            '"w5@1" = { value = "0.35", operands = { w5 = "0.4" } }',
            "claims.w5@1.operands",
            "work",
        ),
    ],
)
def test_a_bad_working_is_bad_input(tmp_path: Path, claim: str, where: str, words: str) -> None:
    with pytest.raises(ScenarioError) as e:
        load_network(_with_claims(tmp_path, claim + "\n"))
    assert e.value.key == where and words in str(e.value)


def test_an_operand_the_scenario_does_not_compute_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _with_claims(
        tmp_path,
        '"w5@1" = { value = "0.35", work = "w", operands = { w = { key = "w55", value = "0.4" } } }\n',
    )
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert "claims.w5@1.operands.w" in err and "nearest" in err


def test_the_shipped_circuit_checks_the_notes_working(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "circuit-sigmoid-neuron"]) == 0
    out = capsys.readouterr().out
    assert "6 of 6 reproduced" in out
