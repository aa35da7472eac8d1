"""The Jacobian of a vector output on a graph (`[derivatives] jacobian = ["q", "f"]`): each
listed wire's derivative by every leaf, through the whole graph, a column per forward-mode pass.
Checked against sympy.diff of the wires written out by hand here, against the backward pass's
gradient for the output's row, and as claims."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
import sympy as sp

import explainer
from explainer.foundation.errors import ScenarioError
from explainer.foundation.precision import show
from explainer.read.claims import CLAIM_KEY

LEAVES = {"x": 0.5, "y": -1.5, "z": 2.0}


def _doc(jacobian: Any = ("q", "r", "f"), **more: Any) -> dict[str, Any]:
    return {
        "title": "a vector output",
        "graph": {
            "leaves": dict(LEAVES),
            "nodes": {"q": "x * y", "r": "exp(q) + z", "f": "r * x + q"},
        },
        "derivatives": {"jacobian": list(jacobian), **more},
    }


def _want() -> dict[str, float]:
    """∂wire/∂leaf of the wires written out in the leaves, by sympy.diff."""
    x, y, z = sp.symbols("x y z", real=True)
    q = x * y
    r = sp.exp(q) + z
    wires = {"q": q, "r": r, "f": r * x + q}
    at = {x: LEAVES["x"], y: LEAVES["y"], z: LEAVES["z"]}
    return {
        f"J_{w}/{leaf}": float(sp.diff(e, s).subs(at))
        for w, e in wires.items()
        for leaf, s in (("x", x), ("y", y), ("z", z))
    }


def test_every_entry_is_sympy_diff_of_the_wire() -> None:
    v = explainer.from_dict(_doc(), name="jac").values
    for key, x in _want().items():
        assert float(v[key]) == pytest.approx(x, rel=1e-14, abs=1e-15), key


def test_the_outputs_row_is_the_backward_pass() -> None:
    v = explainer.from_dict(_doc(), name="jac").values
    for leaf in LEAVES:
        assert float(v[f"J_f/{leaf}"]) == pytest.approx(float(v[f"df/d{leaf}"]), rel=1e-15)


def test_the_page_sets_the_matrix_and_says_how_it_was_made() -> None:
    w = explainer.from_dict(_doc(), name="jac")
    md = w.markdown()
    block = md.split("## The Jacobian")[1].split("\n## ")[0]
    assert r"\begin{bmatrix}" in block and "forward" in block and "backward pass" in block
    shown = re.findall(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", block, re.S)[-1]
    cells = [c.strip() for row in shown.split(r"\\") for c in row.split("&")]
    want = _want()
    rows = [f"J_{wire}/{leaf}" for wire in ("q", "r", "f") for leaf in LEAVES]  # row by row
    assert cells == [show(want[k], w.scenario.digits).latex for k in rows]


def test_a_printed_entry_is_checked() -> None:
    want = _want()
    doc = _doc(("f",))
    doc["claims"] = {"J_f/y": f"{want['J_f/y']:.5f}", "J_f/z": f"{want['J_f/z'] + 0.01:.5f}"}
    got = {f.claim.key: f for f in explainer.from_dict(doc, name="claims").verify()}
    assert got["J_f/y"].reproduced and not got["J_f/z"].reproduced


@pytest.mark.parametrize(("key", "parses"), [("J_f/x", True), ("J_h_1/w0", True), ("J_f", True)])
def test_a_jacobian_key_is_a_claim_key(key: str, parses: bool) -> None:
    assert bool(CLAIM_KEY.fullmatch(key)) is parses


@pytest.mark.parametrize(
    ("jacobian", "says"),
    [
        (("g",), 'one of "q", "r", "f"'),
        (("x",), 'one of "q", "r", "f"'),  # a leaf's row would be a row of the identity
        (("q", "q"), "each node once"),
        ((), "a list of at least 1"),
    ],
)
def test_a_jacobian_of_what_the_graph_lacks_is_refused(jacobian: Any, says: str) -> None:
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(_doc(jacobian), name="bad")
    assert "derivatives.jacobian" in str(e.value) and says in str(e.value)


def test_the_jacobian_needs_no_sympy_beyond_the_gates() -> None:
    """A wide graph's Jacobian is forward mode, one pass per leaf: no whole expression."""
    n = 40
    leaves = {f"a{i}": 0.01 * i for i in range(n)}
    nodes = {"s": " + ".join(f"a{i} * a{i}" for i in range(n)), "f": "exp(s)"}
    doc = {"title": "wide", "graph": {"leaves": leaves, "nodes": nodes}}
    doc["derivatives"] = {"jacobian": ["s", "f"]}
    v = explainer.from_dict(doc, name="wide").values
    s = sum(x * x for x in leaves.values())
    assert float(v["J_f/a3"]) == pytest.approx(math.exp(s) * 2 * 0.03, rel=1e-13)
