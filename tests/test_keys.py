"""Every quantity a page shows has a JSON key and can be claimed (issue 11, part 4): weight changes
`Δw5@1`, every neuron's `net_h1@k` and `out_h1@k`, δ terms in every profile, seed 004's error
split, and gradients with respect to the inputs. Each is checked against a value computed here
from the other keys or independently (numpy, sympy), and each can be claimed."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp

import explainer
from explainer.check import verify
from explainer.cli import main
from explainer.evaluate.compute import values
from explainer.evaluate.quantities import EXAMPLE
from explainer.graph.network import Network, build, full_loss, sym
from explainer.read import scenario
from explainer.read.claims import CLAIM_KEY
from explainer.read.scenario import AnyScenario, Scenario
from explainer.read.settings import direction
from tests import networks
from tests.conftest import MINIMAL, ROOT, SCENARIOS, WriteScenario

SHIPPED = sorted(
    p.stem for p in SCENARIOS.glob("*.toml") if "[graph]" not in p.read_text(encoding="utf-8")
)
NEW = ("Δ", "delta_", "error_", "share_", "split_", "scaled_")


def _network(s: AnyScenario) -> Scenario:
    assert isinstance(s, Scenario)
    return s


def _load(name: str, steps: int | None = None) -> explainer.Walkthrough:
    """In float64, whatever the scenario's [display] arithmetic: the identities checked here
    are float64's to the last bit or so."""
    return explainer.load(name, steps=steps, arithmetic="float64")


def _floats(v: dict[str, float | str]) -> dict[str, float]:
    return {k: x for k, x in v.items() if isinstance(x, float)}


def _mazur(**changes: Any) -> dict[str, Any]:
    """Mazur's network as a mapping, without its claims, trained 10 steps, biases trained (so
    that they have changes too) and with seed 004's error split shown."""
    data = tomllib.loads((SCENARIOS / "mazur-2-2-2.toml").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    del data["claims"]
    data["training"]["steps"] = 10
    for layer in data["network"]["layers"]:
        layer["train_biases"] = True
    data["display"]["error_split"] = True
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def mazur() -> explainer.Walkthrough:
    return explainer.from_dict(_mazur(), name="mazur-keys")


# The keys are in JSON and in Walkthrough.values ---------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_values_and_json_hold_the_same_keys_in_the_same_order(name: str) -> None:
    w = _load(name)
    document = json.loads(w.json())["values"]
    assert list(document) == list(w.values)
    assert document == w.values


def test_every_new_kind_of_key_is_there(mazur: explainer.Walkthrough) -> None:
    v = mazur.values
    for key in (
        "Δw5@1",
        "Δb1@1",
        "out_h1@10",
        "net_h1@10",
        "delta_o1",
        "delta_h1",
        "error_o1",
        "share_w5",
        "split_h1",
        "scaled_h1",
        "dE_total/di1",
        "dE_total/di2",
    ):
        assert key in v, key
        assert CLAIM_KEY.fullmatch(key), key


def test_the_keys_are_the_same_in_every_arithmetic() -> None:
    """Exact and on-paper arithmetic train by repeating the worked step (evaluate.py), float64
    with numpy (trainer.py): both record the same keys."""
    keys = [
        list(explainer.load("leonel-linear", steps=3, arithmetic=a).values)
        for a in ("float64", "exact", "paper:4")
    ]
    assert keys[0] == keys[1] == keys[2]


# Δw: the change the worked step makes -----------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_a_change_is_new_minus_old(name: str) -> None:
    """Δp@1 = p@1 − p for every trained parameter, which is −η·∂L/∂p descending and +η·∂P/∂p
    ascending (seed 003's performance); none with a training set, where @1 is an epoch."""
    w = _load(name, steps=1)
    v, s = _floats(w.values), _network(w.scenario)
    net = build(s)
    changes = {k for k in v if k.startswith("Δ")}
    if s.data:
        assert not changes
        return
    assert changes == {f"Δ{p.key}@1" for p in net.trained}
    sign = 1 if direction(s.loss) == "ascent" else -1
    for p in net.trained:
        change = v[f"Δ{p.key}@1"]
        # the worked step's own update; p@1 is the training loop's, equal to the last bit or so
        assert change == pytest.approx(v[f"{p.key}@1"] - v[p.key], rel=1e-12, abs=1e-17)
        gradient = v[f"d{net.loss}/d{p.key}"]
        if s.optimizer == "sgd" and not s.optimizer_settings.weight_decay:  # plain descent
            assert change == pytest.approx(sign * s.learning_rate * gradient, rel=1e-12, abs=1e-17)


def test_an_exact_change_is_exact() -> None:
    v = explainer.load("leonel-linear", steps=1, arithmetic="exact").values
    for key in [k for k in v if k.startswith("Δ")]:
        p = key[1:-2]
        assert Fraction(str(v[key])) == Fraction(str(v[f"{p}@1"])) - Fraction(str(v[p]))


# Every neuron after k steps ------------------------------------------------------------------


def _forward(net: Network, params: dict[str, float], x: list[float]) -> dict[str, float]:
    """net and out of every neuron by plain numpy, from the rule table in tests/networks.py
    (identity and "none" pass the weighted sum on): nothing of the package's arithmetic."""
    env = dict(zip(net.inputs, x, strict=True))
    for n in net.neurons:
        z = sum(params[w] * env[src] for w, src in zip(n.weights, n.sources, strict=True))
        if n.bias:
            z += n.bias_input * params[n.bias]
        a = float(n.setting or networks.DEFAULT_SETTING.get(n.activation, 0.0))
        f: Callable[[Any, float], Any] = networks.FORWARD.get(n.activation, lambda u, a: u)
        env[n.net] = z
        env[n.out] = float(f(np.float64(z), a))
    return env


@pytest.mark.parametrize("name", ["mazur-2-2-2", "mazur-2-2-2-sequential", "serengil-sine"])
def test_every_neuron_after_k_steps_is_its_forward_pass(name: str) -> None:
    """net_j@k and out_j@k of every neuron are the forward pass, on the first example, through
    the parameters recorded at step k."""
    w = _load(name, steps=100)
    v, s = _floats(w.values), _network(w.scenario)
    net = build(s)
    x = list(s.data[0][0] if s.data else s.input_values)
    # (E_total@0, the set's loss before training, is the one key of step 0)
    ks = sorted({int(k.split("@")[1]) for k in v if k.startswith(f"{net.loss}@")} - {0})
    assert len(ks) > 3
    for k in ks:
        params = {p.key: v[f"{p.key}@{k}"] if p.trained else p.value for p in net.params}
        expected = _forward(net, params, x)
        for n in net.neurons:
            for key in dict.fromkeys((n.net, n.out)):
                assert v[f"{key}@{k}"] == pytest.approx(expected[key], rel=1e-12), f"{key}@{k}"


# δ in every profile -----------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_deltas_are_signed_error_signals_in_every_profile(name: str) -> None:
    w = _load(name, steps=1)
    v, s = w.values, _network(w.scenario)
    net = build(s)
    sign = -1 if s.delta_sign == "minus" else 1
    deltas = {k for k in v if k.startswith("delta_")}
    assert deltas
    assert deltas == {f"delta_{n.name}" for n in net.neurons if f"d{net.loss}/d{n.net}" in v}
    for key in deltas:
        n = net.neuron(key.removeprefix("delta_"))
        assert v[key] == sign * v[f"d{net.loss}/d{n.net}"]


def test_the_sign_of_delta_is_the_scenarios_in_the_chain_profile() -> None:
    data = _mazur()
    data["notation"] = {"delta_sign": "plus"}
    plus = _floats(explainer.from_dict(data).values)
    assert plus["delta_o1"] == plus["dE_total/dnet_o1"] > 0  # Mazur's δ_o1 = 0.138498562


# Seed 004's error split -------------------------------------------------------------------


def test_the_error_split_keys_recompute_from_the_nodes() -> None:
    v = _floats(_load("leonel-sigmoid", steps=1).values)
    net = build(_network(_load("leonel-sigmoid", steps=1).scenario))
    hidden = [net.neuron(n) for n in net.layers[-2]]
    for k in net.outputs:
        e = v[k.target or ""] - v[k.out]
        assert v[f"error_{k.name}"] == pytest.approx(e, rel=1e-15)
        total = sum(v[x] for x in k.weights)
        for x in k.weights:
            assert v[f"share_{x}"] == pytest.approx(e * v[x] / total, rel=1e-14)
    for j in hidden:
        into = [(k, k.weights[k.sources.index(j.out)]) for k in net.outputs]
        assert v[f"split_{j.name}"] == pytest.approx(sum(v[f"share_{x}"] for _, x in into))
        scaled = sum(v[x] * v[f"error_{k.name}"] for k, x in into)
        assert v[f"scaled_{j.name}"] == pytest.approx(scaled, rel=1e-14)


def test_no_split_keys_without_the_split() -> None:
    v = _load("mazur-2-2-2", steps=1).values
    assert not [k for k in v if k.startswith(("error_", "share_", "split_", "scaled_"))]


# Gradients with respect to the inputs (float64: tests/test_derivation.py) -------------------


def test_exact_input_gradients_are_sympy_diff_of_the_whole_loss() -> None:
    """A linear network in exact arithmetic: ∂L/∂x is sympy.diff of the whole loss by x at the
    scenario's numbers as exact rationals, to the last digit."""
    w = explainer.load("leonel-linear", steps=1, arithmetic="exact")
    net = build(_network(w.scenario))
    at = {sym(p.key): sp.Rational(repr(p.value)) for p in net.params}
    at |= {sym(k): sp.Rational(repr(x)) for k, x in net.example}
    whole = full_loss(net)
    for x in net.inputs:
        exact = sp.diff(whole, sym(x)).xreplace(at)
        assert Fraction(str(w.values[f"d{net.loss}/d{x}"])) == Fraction(str(exact))


# Claims on every new kind of key ------------------------------------------------------------

CLAIMED = (
    "Δw5@1",
    "Δb1@1",
    "out_h1@10",
    "net_h2@10",
    "delta_o1",
    "delta_h1",
    "error_o2",
    "share_w6",
    "split_h1",
    "scaled_h2",
    "dE_total/di1",
)


def _printed(x: float, significant: int = 6) -> str:
    """x as a source would print it: rounded half up to `significant` digits."""
    d = Decimal(repr(x))
    return str(d.quantize(Decimal(1).scaleb(d.adjusted() - significant + 1), ROUND_HALF_UP))


def _off(printed: str) -> str:
    """Three units in the last printed digit away: not reproduced at the printed digits."""
    d = Decimal(printed)
    return str(d + 3 * Decimal(1).scaleb(int(d.as_tuple().exponent)))


def test_every_new_kind_of_key_can_be_claimed(mazur: explainer.Walkthrough) -> None:
    v = _floats(mazur.values)
    claims = {k: [_printed(v[k]), _off(_printed(v[k]))] for k in CLAIMED}
    claimed = explainer.from_dict(_mazur(claims=claims), name="mazur-claims")
    verdicts = [(f.claim.key, f.claim.printed, f.reproduced) for f in claimed.verify()]
    assert verdicts == [(k, p, i == 0) for k in CLAIMED for i, p in enumerate(claims[k])]


def _minimal_claims(write_scenario: WriteScenario, off: bool) -> Path:
    """MINIMAL (unnamed weights w1 … w3, a per-neuron bias b_h1) with the error split and one
    claim of each new kind, printed from the tool's own values."""
    text = MINIMAL + "\n[display]\nerror_split = true\n"
    v = _floats(values(scenario.load_network(write_scenario(text)), record=frozenset({2})))
    keys = ("Δw1@1", "Δb_h1@1", "out_h1@2", "delta_h1", "share_w3", "split_h1", "dE_total/dx2")
    lines = [f'"{k}" = "{_off(_printed(v[k])) if off else _printed(v[k])}"' for k in keys]
    return write_scenario(text + "\n[claims]\n" + "\n".join(lines) + "\n")


def test_claims_on_new_keys_verify_from_the_command_line(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(_minimal_claims(write_scenario, off=False))]) == 0
    assert "7 of 7 reproduced" in capsys.readouterr().out
    assert main(["verify", str(_minimal_claims(write_scenario, off=True)), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)["case"]
    assert {d["verdict"] for d in data} == {"not reproduced"}


@pytest.mark.parametrize(
    ("key", "nearest"),
    [
        ("Δw9@1", "Δw1@1"),
        ("share_w9", "share_w3"),
        ("out_h2@2", "out_h1@2"),
        ("delta_h2", "delta_h1"),
        ("dE_total/dx3", "dE_total/dx1"),
    ],
)
def test_an_unknown_key_of_a_new_kind_is_bad_input(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str], key: str, nearest: str
) -> None:
    text = MINIMAL.replace("steps = 3", "steps = 2") + "\n[display]\nerror_split = true\n"
    path = write_scenario(text + f'\n[claims]\n"{key}" = "0.5"\n')
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert "expected the key of a quantity this scenario computes" in err
    assert nearest in err.split("nearest: ")[1] and f"found '{key}'" in err


@pytest.mark.parametrize(
    ("key", "parses"),
    [
        ("Δw5@1", True),
        ("Δb_h1@1", True),
        ("share_w_5", True),  # a prefix and a name with its one underscore
        ("delta_h1", True),
        ("dE_total/di1", True),
        ("out_h1@10", True),
        ("ΔΔw5@1", False),
        ("Δ", False),
        ("dw5", True),  # a name; the scenario decides whether it computes it
        ("w5@", False),
        ("share__w5", False),
        ("out_o1@2#3", True),  # row 3 as epoch 2 meets it
        ("out_o1#3", False),  # a row needs its epoch
        ("out_o1@2#", False),
    ],
)
def test_claim_keys(key: str, parses: bool) -> None:
    assert bool(CLAIM_KEY.fullmatch(key)) is parses


@pytest.mark.parametrize("prefix", ["delta_", "error_", "share_", "split_", "scaled_"])
def test_names_may_not_take_a_prefix_of_computed_keys(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str], prefix: str
) -> None:
    text = MINIMAL.replace(
        'neurons = ["h1"]', f'neurons = ["h1"]\nweight_names = [["{prefix}a", "w2"]]'
    )
    assert main(["render", str(write_scenario(text)), "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert "kept for δ and the error split" in err and f"'{prefix}a'" in err


def test_the_new_keys_are_deterministic(mazur: explainer.Walkthrough) -> None:
    """The same scenario gives the same JSON bytes, new keys included, in the same order."""
    assert explainer.from_dict(_mazur(), name="mazur-keys").json() == mazur.json()


def _inside_an_epoch(keys: list[str]) -> set[str]:
    """The keys claims on examples inside an epoch compute (never in the JSON): Mazur's network
    on a training set of its example three times, with a claim on each key."""
    doc = _mazur()
    example = doc.pop("example")
    doc["data"] = {"inputs": [example["inputs"]] * 3, "targets": [example["targets"]] * 3}
    doc["display"]["error_split"] = False
    doc["claims"] = dict.fromkeys(keys, "0.5")
    doc["training"] = {**doc.get("training", {}), "optimizer": "adam", "steps": 3}
    w = explainer.from_dict(doc, name="inside")
    assert isinstance(w.scenario, Scenario)
    return set(verify.examples(w.scenario)) | set(w.values)


def test_readme_key_table_shows_real_keys(mazur: explainer.Walkthrough) -> None:
    """Every example key in README's JSON keys table is one Mazur's network computes (with its
    biases trained, 10,000 steps and the error split), or the shipped classifier (xor-epochs)
    and Adam's page, and every new kind is in the table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## JSON keys")[1].split("## Scenario format")[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    shown = [k for row in rows for k in re.findall(r"`([^`]+)`", row.split(" | ")[0])]
    computed = {
        *explainer.from_dict(_mazur(training={"learning_rate": 0.5, "steps": 10_000})).values,
        *explainer.load("xor-epochs").values,
        *explainer.load("adam").values,
        *explainer.load("momentum").values,
        *explainer.load("weight-decay").values,
        *explainer.from_dict(_mazur(training={"learning_rate": 0.5, "l1": 0.01})).values,
        *_inside_an_epoch([k for k in shown if EXAMPLE in k]),
    }
    assert set(shown) <= computed, set(shown) - computed
    assert all(any(k.startswith(prefix) for k in shown) for prefix in NEW)
    single = explainer.load("single-weight").values
    listed = re.findall(r"`([^`]+)`", table.split("In `single-weight`")[1])
    assert listed and set(listed) <= set(single)


def test_the_reserved_prefixes_are_the_computed_ones() -> None:
    """The names a scenario may not take are exactly the prefixes of keys that are not nodes."""
    assert set(scenario.RESERVED) == {p for p in NEW if p.endswith("_")}
