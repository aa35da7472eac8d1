"""explainer verify: verdicts at the printed digits, and diagnoses that come from recomputation."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from explainer.check.findings import Finding
from explainer.check.printed import rounds_to
from explainer.check.verify import verify
from explainer.cli import main
from explainer.evaluate.compute import values
from explainer.read import scenario
from explainer.read.claims import Claim
from tests.conftest import MINIMAL, SCENARIOS, WriteScenario


def findings(name: str) -> dict[str, Finding]:
    return {f.claim.key: f for f in verify(scenario.load_network(SCENARIOS / f"{name}.toml"))}


@pytest.mark.parametrize(
    ("x", "printed", "expected"),
    [
        (0.35891648, "0.3589", True),
        (0.35891648, "0.3590", False),
        (0.40866619, "0.4087", True),
        (0.40866619, "0.4086", False),
        (3.51085e-5, "0.0000351085", True),
        (0.59, "0.59", True),
        (0.125, "0.13", True),
        (0.5, "0.50", True),
    ],
)
def test_reproduced_means_rounds_half_up_to_the_printed_digits(
    x: float, printed: str, expected: bool
) -> None:
    assert rounds_to(x, printed) is expected


def test_seed_002_and_mazur_findings() -> None:
    f = findings("mazur-2-2-2")
    assert f["E_total"].reproduced and f["w7@1"].reproduced and f["w8@1"].reproduced
    assert f["E_total@1"].explained_by == ("sequential updates",)
    assert f["E_total@10000"].explained_by == ("one step fewer (9,999 instead of 10,000)",)
    assert "the exact value truncated to 4 decimals, not rounded" in f["w6@1"].explained_by
    w5 = f["w5@1"]
    assert not w5.reproduced and not w5.explained_by and len(w5.nearest) == 3
    t2 = f["target_o2"]
    assert not t2.reproduced and "target_o2 = 0.99" in t2.remark
    assert "w7@1 = 0.511" in t2.remark and "w8@1 = 0.561" in t2.remark


def test_diagnoses_are_recomputed_not_looked_up(write_scenario: WriteScenario) -> None:
    # A claim made up here, true only under sequential updates after 2 steps: the diagnosis must
    # find it by recomputation.
    s = scenario.load_network(SCENARIOS / "mazur-2-2-2.toml")
    seq = values(dataclasses.replace(s, update="sequential", steps=2))
    printed = f"{seq['E_total@2']:.9f}"
    s2 = dataclasses.replace(s, steps=2, claims=(Claim("E_total@2", printed, ""),))
    (only,) = verify(s2)
    assert not only.reproduced and "sequential updates" in only.explained_by


def test_verify_exit_codes_and_json(
    capsys: pytest.CaptureFixture[str], write_scenario: WriteScenario
) -> None:
    assert main(["verify", "single-weight"]) == 0
    assert "3 of 3 reproduced" in capsys.readouterr().out
    assert main(["verify", "mazur-2-2-2", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)["mazur-2-2-2"]
    verdicts = {d["key"]: d["verdict"] for d in data}
    assert verdicts["w5@1"] == "not reproduced" and verdicts["E_total"] == "reproduced"
    bad = write_scenario(MINIMAL + '\n[claims]\n"o1" = "zero"\n')
    assert main(["verify", str(bad)]) == 2
    assert "claims.o1" in capsys.readouterr().err


def test_a_claim_on_an_unknown_key_is_bad_input(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A typo in a claim's key is a mistake in the file: exit 2, the nearest keys named, and
    nothing written (issue 11)."""
    path = write_scenario(MINIMAL + '\n[claims]\n"out_o2@1" = "0.5"\n')
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert "claims.out_o2@1: expected the key of a quantity this scenario computes" in err
    assert "nearest: out_o1@1" in err and "found 'out_o2@1'" in err
    out = tmp_path / "out"
    assert main(["render", str(path), "-o", str(out)]) == 2
    assert not out.exists()


def test_several_printed_values_for_one_quantity(write_scenario: WriteScenario) -> None:
    """A source that prints one number twice, differently: each printing gets its verdict."""
    exact = values(scenario.load_network(write_scenario(MINIMAL)))["out_o1"]
    assert isinstance(exact, float)
    right, wrong = f"{exact:.4f}", f"{exact + 0.01:.4f}"
    path = write_scenario(
        MINIMAL + f'\n[claims]\nout_o1 = {{ value = ["{right}", "{wrong}"], note = "twice" }}\n'
        f'"out_o1@1" = ["{right}"]\n'
    )
    found = verify(scenario.load_network(path))
    assert [(f.claim.key, f.claim.printed, f.reproduced) for f in found] == [
        ("out_o1", right, True),
        ("out_o1", wrong, False),
        ("out_o1@1", right, False),
    ]


@pytest.mark.parametrize(
    ("claims", "where", "expected"),
    [
        ("out_o1 = []", "claims.out_o1", "at least one printed value"),
        ('out_o1 = { note = "x" }', "claims.out_o1.value", "a printed number or a list"),
        ('out_o1 = ["0.5", 0.5]', "claims.out_o1[1]", "a string"),
        ('out_o1 = ["0.5", "half"]', "claims.out_o1[1]", "a number as printed"),
    ],
)
def test_bad_lists_of_printed_values(
    write_scenario: WriteScenario,
    capsys: pytest.CaptureFixture[str],
    claims: str,
    where: str,
    expected: str,
) -> None:
    path = write_scenario(MINIMAL + f"\n[claims]\n{claims}\n")
    assert main(["verify", str(path)]) == 2
    assert f"{where}: expected {expected}" in capsys.readouterr().err


def _minimal_values(write_scenario: WriteScenario) -> dict[str, float]:
    v = values(scenario.load_network(write_scenario(MINIMAL)))
    return {k: x for k, x in v.items() if isinstance(x, float)}


@pytest.mark.parametrize("kind", ["dropped", "doubled", "swapped"])
def test_a_misprinted_digit_is_diagnosed(write_scenario: WriteScenario, kind: str) -> None:
    """A constructed source: out_h1 written to 5 decimals, then one keystroke wrong."""
    exact = _minimal_values(write_scenario)["out_h1"]
    text = f"{exact:.5f}"
    digits = [i for i, c in enumerate(text) if c.isdigit() and i > text.index(".")]
    i = next(
        j for j in digits[1:-1] if text[j] != text[j + 1] and text[j] != text[j - 1]
    )  # a digit unlike its neighbours, so the edit is unambiguous
    printed = {
        "dropped": text[:i] + text[i + 1 :],
        "doubled": text[:i] + text[i] + text[i:],
        "swapped": text[:i] + text[i + 1] + text[i] + text[i + 2 :],
    }[kind]
    slip = {
        "dropped": f"digit {text[i]} dropped",
        "doubled": f"digit {text[i]} doubled",
        "swapped": f"digits {text[i]} and {text[i + 1]} transposed",
    }[kind]
    path = write_scenario(MINIMAL + f'\n[claims]\nout_h1 = "{printed}"\n')
    (f,) = verify(scenario.load_network(path))
    assert not f.reproduced
    assert f.explained_by == (f"a misprint of {text} (the exact value at 5 decimals): {slip}",)


def test_short_numbers_are_not_called_misprints(write_scenario: WriteScenario) -> None:
    exact = _minimal_values(write_scenario)["out_o1"]
    wrong = f"{exact:.2f}"[:-1] + str((int(f"{exact:.2f}"[-1]) + 5) % 10)
    path = write_scenario(MINIMAL + f'\n[claims]\nout_o1 = "{wrong}"\n')
    (f,) = verify(scenario.load_network(path))
    assert not f.reproduced and not any("misprint" in w for w in f.explained_by)


def test_a_magnitude_printed_for_a_negative_value(write_scenario: WriteScenario) -> None:
    """With the target above the output every gradient is negative; a source prints one
    without its sign."""
    above = MINIMAL.replace("targets = [0.25]", "targets = [0.9]")
    key = "dE_total/dw3"
    g = values(scenario.load_network(write_scenario(above)))[key]
    assert isinstance(g, float) and g < 0
    path = write_scenario(above + f'\n[claims]\n"{key}" = "{-g:.6f}"\n')
    (f,) = verify(scenario.load_network(path))
    assert f.explained_by == ("its magnitude, the sign dropped",)


def test_a_printed_value_carried_forward_is_diagnosed(write_scenario: WriteScenario) -> None:
    """A constructed textbook: it prints out_h1 rounded to 3 decimals, then computes
    ∂E/∂w3 = (out_o1 − t)·out_h1 from that printed 0.690 (out_o1 = 0.5 · 0.690, no bias),
    not from the exact 0.68997…; the diagnosis names the carried number first."""
    out_h1 = 0.690
    by_hand = (0.5 * out_h1 - 0.25) * out_h1
    printed = f"{by_hand:.5f}"
    exact = values(scenario.load_network(write_scenario(MINIMAL)))["dE_total/dw3"]
    assert isinstance(exact, float) and not rounds_to(exact, printed)
    path = write_scenario(
        MINIMAL + f'\n[claims]\nout_h1 = "{out_h1:.3f}"\n"dE_total/dw3" = "{printed}"\n'
    )
    found = {f.claim.key: f for f in verify(scenario.load_network(path))}
    assert found["out_h1"].reproduced
    carried = found["dE_total/dw3"]
    assert not carried.reproduced
    assert carried.explained_by[0] == (
        "the source's printed out_h1 = 0.690 carried forward in place of the exact value"
    )


@pytest.mark.parametrize("apart", [1, 3, 8])
def test_a_full_length_float64_a_few_ulps_off_agrees_to_float64_rounding(
    write_scenario: WriteScenario, apart: int
) -> None:
    """A source printed repr() of a double its loop summed in another order: `apart` doubles
    from the value here. That is the same number, never "truncated" or a wrong one."""
    exact = float(_minimal_values(write_scenario)["E_total@3"])
    printed = exact
    for _ in range(apart):
        printed = float(np.nextafter(printed, math.inf))
    text = f"{printed:.17g}"  # as numpy prints a double at full length
    path = write_scenario(MINIMAL + f'\n[claims]\n"E_total@3" = "{text}"\n')
    (f,) = verify(scenario.load_network(path))
    assert f.reproduced and f.ulps == apart and not f.explained_by
    assert f"agrees to float64 rounding ({apart} ulp" in f.diagnosis
    assert "truncated" not in f.diagnosis


def test_a_full_length_float64_far_off_is_not_called_float64_rounding(
    write_scenario: WriteScenario,
) -> None:
    """Nine doubles or more apart, or a difference in the tenth digit: another number, and no
    alternative explains it."""
    exact = float(_minimal_values(write_scenario)["E_total@3"])
    nine = exact
    for _ in range(9):
        nine = float(np.nextafter(nine, math.inf))
    for printed in (f"{nine:.17g}", f"{exact * (1 + 3e-10):.17g}"):
        path = write_scenario(MINIMAL + f'\n[claims]\n"E_total@3" = "{printed}"\n')
        (f,) = verify(scenario.load_network(path))
        assert not f.reproduced and f.ulps == 0, printed
        assert "float64 rounding" not in f.diagnosis
        assert not f.explained_by, f.explained_by
        assert f.diagnosis.startswith("not reproduced by any alternative tried")


def test_a_short_number_is_checked_at_its_digits_not_in_ulps(
    write_scenario: WriteScenario,
) -> None:
    exact = float(_minimal_values(write_scenario)["E_total@3"])
    printed = f"{exact:.12f}"[:-1] + str((int(f"{exact:.12f}"[-1]) + 5) % 10)  # 12 decimals, off
    path = write_scenario(MINIMAL + f'\n[claims]\n"E_total@3" = "{printed}"\n')
    (f,) = verify(scenario.load_network(path))
    assert not f.reproduced and f.ulps == 0
