"""explainer grade on a class: 30 variants of Mazur's network, 30 students who work their sheet on
paper as the sheet asks (every intermediate rounded half up to its decimals), each right or
making one of the mistakes a teacher sees, each computed here from the variant's givens by
plain Python (not by explainer): every mark, follow-through and cause must come out as expected.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from explainer.cli import main

SCENARIO = Path(__file__).parent.parent / "scenarios" / "mazur-2-2-2.toml"
VARIANTS = 30
HIDDEN, OUT = ("h1", "h2"), ("o1", "o2")
# weights by (to, from): w1..w4 into the hidden layer, w5..w8 into the outputs
W = {
    ("h1", "i1"): "w1",
    ("h1", "i2"): "w2",
    ("h2", "i1"): "w3",
    ("h2", "i2"): "w4",
    ("o1", "h1"): "w5",
    ("o1", "h2"): "w6",
    ("o2", "h1"): "w7",
    ("o2", "h2"): "w8",
}
BIAS = {"h1": "b1", "h2": "b1", "o1": "b2", "o2": "b2"}


def on_paper(givens: dict[str, float], mistake: str, decimals: int = 4) -> dict[str, Decimal]:
    """A student's answers on Mazur's sheet: the worked step on paper, with one mistake."""
    if mistake == "rounded too early":
        decimals = 2

    def r(x: float) -> float:
        return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP))

    g: dict[str, float] = givens
    a: dict[str, float] = {}
    for n in (*HIDDEN, *OUT):
        sources = ("i1", "i2") if n in HIDDEN else ("out_h1", "out_h2")
        net = r(
            sum(g[W[n, s.removeprefix("out_")]] * a.get(s, g.get(s, 0.0)) for s in sources)
            + g[BIAS[n]]
        )
        a[f"net_{n}"] = net
        a[f"out_{n}"] = r(1 / (1 + math.exp(-net)))
        if mistake == "carried" and n == "h1":  # a slip in out_h1, everything after from it
            a["out_h1"] = r(a["out_h1"] + 0.01)
    half = 1.0 if mistake == "½ forgotten" else 0.5
    for o in OUT:
        a[f"E_{o}"] = r(half * (g[f"target_{o}"] - a[f"out_{o}"]) ** 2)
    a["E_total"] = r(a["E_o1"] + a["E_o2"])
    two = 1.0 if mistake == "factor 2 forgotten" else 2.0  # d/dout ½(t − out)²
    sign = -1.0 if mistake == "minus sign" else 1.0
    delta = {
        o: r(
            r(sign * -0.5 * two * (g[f"target_{o}"] - a[f"out_{o}"]))
            * r(a[f"out_{o}"] * (1 - a[f"out_{o}"]))
        )
        for o in OUT
    }
    grads = {W[o, h]: r(delta[o] * a[f"out_{h}"]) for o in OUT for h in HIDDEN}
    eta = g["eta"]
    new = {w: r(g[w] - r(eta * d)) for w, d in grads.items()}
    for h in HIDDEN:
        ws = {o: new[W[o, h]] if mistake == "updated weight too early" else g[W[o, h]] for o in OUT}
        paths = [r(delta[o] * ws[o]) for o in OUT]
        total = r(paths[0] * paths[1]) if mistake == "paths multiplied" else r(sum(paths))
        local = r(a[f"out_{h}"] * (1 - a[f"out_{h}"]))
        for i in ("i1", "i2"):
            grads[W[h, i]] = r(r(total * local) * g[i])
    twice = eta * eta if mistake == "η twice" else eta
    for w, d in grads.items():
        new[w] = r(g[w] - r(twice * d))
    a |= {f"dE_total/d{w}": d for w, d in grads.items()}
    a |= {f"{w}@1": x for w, x in new.items()}
    return {k: Decimal(f"{x:.{decimals}f}") for k, x in a.items()}


HIDDEN_GRADIENTS = frozenset(f"dE_total/dw{i}" for i in range(1, 5))
GRADIENTS = frozenset(f"dE_total/dw{i}" for i in range(1, 9))
UPDATES = frozenset(f"w{i}@1" for i in range(1, 9))
HIDDEN_UPDATES = frozenset(f"w{i}@1" for i in range(1, 5))
AFTER_OUT_H1 = frozenset(
    {"net_o1", "out_o1", "net_o2", "out_o2", "E_o1", "E_o2", "E_total"} | GRADIENTS | UPDATES
)

# each kind of student: the blanks they get wrong, with the mistake the grader must name; the
# blanks that may then be right by follow-through (every other blank is right)
CASES: dict[str, tuple[dict[str, str], frozenset[str]]] = {
    "right": ({}, frozenset()),
    "carried": ({"out_h1": "no cause found"}, AFTER_OUT_H1),
    "½ forgotten": ({"E_o1": "½ forgotten", "E_o2": "½ forgotten"}, frozenset({"E_total"})),
    "factor 2 forgotten": (dict.fromkeys(GRADIENTS, "factor 2 forgotten"), UPDATES),
    "minus sign": (dict.fromkeys(GRADIENTS, "minus sign"), UPDATES),
    "updated weight too early": (
        dict.fromkeys(HIDDEN_GRADIENTS, "updated weight too early"),
        HIDDEN_UPDATES,
    ),
    "paths multiplied": (dict.fromkeys(HIDDEN_GRADIENTS, "paths multiplied"), HIDDEN_UPDATES),
    "η twice": (dict.fromkeys(UPDATES, "η twice"), frozenset()),
}
# a student who rounds every intermediate to 2 decimals: which of their answers land outside
# the tolerance depends on the numbers, so each wrong one must name it (or follow from one)
EARLY = "rounded too early"
ROUNDED_2 = "rounded too early: every intermediate value rounded to 2 decimals"
KINDS = [*CASES, EARLY]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The class's answers written as a teacher's spreadsheet saves them, and graded."""
    folder = tmp_path_factory.mktemp("class")
    handout = folder / "handout"
    args = ["handout", str(SCENARIO), "--variants", str(VARIANTS), "--format", "md"]
    assert main([*args, "--key", "answers", "-o", str(handout)]) == 0
    with (handout / "answers.csv").open(encoding="utf-8") as f:
        key = list(csv.DictReader(f))
    givens = _givens(handout)
    numbers = {r["key"]: r["blank"] for r in key if r["variant"] == "v01"}
    rows, kinds = [], {}
    for i in range(VARIANTS):
        variant, kind = f"v{i + 1:02d}", KINDS[i % len(KINDS)]
        answers = on_paper(givens[variant], kind)
        student = f"student {i + 1:02d}"
        kinds[student] = kind
        rows.append([student, variant, *(str(answers[k]) for k in numbers)])
    class_csv = folder / "class.csv"
    with class_csv.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["student", "variant", *numbers.values()], *rows])
    out = folder / "grades"
    assert main(["grade", str(handout), str(class_csv), "-o", str(out)]) == 0
    with (out / "grades.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f)), kinds


def _givens(handout: Path) -> dict[str, dict[str, float]]:
    """Each variant's givens, read from its sheet's "Given:" line (as a student reads them)."""
    out = {}
    for sheet in sorted(handout.glob("sheet-v*.md")):
        line = next(
            s for s in sheet.read_text(encoding="utf-8").splitlines() if s.startswith("Given:")
        )
        pairs = [p.strip(" $.") for p in line.removeprefix("Given:").split("$, $")]
        values = {}
        for p in pairs:
            symbol, _, value = p.partition(" = ")
            values[_name(symbol)] = float(value)
        out[sheet.stem.removeprefix("sheet-")] = values
    return out


def _name(symbol: str) -> str:
    """i_{1} → i1, \\mathrm{target}_{o1} → target_o1, \\eta → eta."""
    s = symbol.replace("\\mathrm{", "").replace("}", "").replace("{", "").replace("\\", "")
    return s.replace("_", "") if not s.startswith("target") else s


def test_every_mark_and_cause_is_as_expected(
    graded: tuple[list[dict[str, str]], dict[str, str]],
) -> None:
    rows, kinds = graded
    assert len({r["student"] for r in rows}) == VARIANTS
    seen_follow = set()
    early: list[str] = []
    for r in rows:
        if kinds[r["student"]] == EARLY:
            # the grader's rounding order may differ from this student's at 2 decimals, so a
            # wrong answer is this mistake or unexplained, never another mistake
            early += [r["cause"]] if r["verdict"] == "wrong" else []
            assert r["cause"] in (ROUNDED_2, "no cause found", ""), r
            continue
        wrong, may_follow = CASES[kinds[r["student"]]]
        what = f"{r['student']} ({kinds[r['student']]}), {r['key']}: {r['verdict']} {r['cause']}"
        if r["key"] in wrong:
            assert r["verdict"] == "wrong", what
            assert _short(r["cause"]) == wrong[r["key"]], what
            assert r["points"] == "0", what
        elif r["key"] in may_follow:
            assert r["verdict"] in ("right", "follow-through"), what
            if r["verdict"] == "follow-through":
                seen_follow.add(kinds[r["student"]])
                assert r["follows"], what
        else:
            assert r["verdict"] == "right", what
    assert early and early.count(ROUNDED_2) > len(early) / 2, early
    # every kind whose mistake feeds later blanks earns follow-through credit somewhere
    assert seen_follow >= {"carried", "½ forgotten", "factor 2 forgotten", "minus sign"}


SHORT: dict[str, Callable[[str], bool]] = {
    "no cause found": lambda c: c == "no cause found",
    "½ forgotten": lambda c: "½" in c and "forgotten" in c,
    "factor 2 forgotten": lambda c: c.startswith("the factor 2"),
    "minus sign": lambda c: "minus sign" in c,
    "updated weight too early": lambda c: c.startswith("an updated weight used too early"),
    "paths multiplied": lambda c: c.startswith("the paths multiplied"),
    "η twice": lambda c: c.startswith("the learning rate used twice"),
}


def _short(cause: str) -> str:
    return next((name for name, fits in SHORT.items() if fits(cause)), cause)
