"""Stage 9, handouts (the gates view): a graph's variants drawn, and one variant's circuit → a
teacher's sheet, with blanks.

What the sheet asks follows from what the circuit page computes: every gate's value (forward),
every gate's local derivative (local), every leaf's gradient of the output (gradients) and,
for a graph that learns, every trained leaf after one step (updates). The sheet is handout.py's
Sheet, rendered by the same templates; the figure is the circuit with the givens on its wires
and nothing else. Arranges; computes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from explainer.check.gates import GateResults
from explainer.draw import circuit_figure
from explainer.handouts import graph_variants
from explainer.handouts import sheet as handout
from explainer.handouts.sheet import INSTRUCTIONS, Question, Sheet
from explainer.handouts.variants import Student, Variant
from explainer.page.descent import RATE
from explainer.page.gates import Page, definition, page
from explainer.page.words import updated_key
from explainer.read.graph_scenario import GraphScenario


def drawn(
    s: GraphScenario, seed: int, count: int, roster: Sequence[Student], arithmetic: str
) -> tuple[tuple[Variant, ...], GraphScenario]:
    """The students' variants (none with an asked gradient that rounds away in the key's
    `arithmetic`), and the givens the summary works."""
    made = graph_variants.for_students(s, seed, count, roster, arithmetic)
    return made, graph_variants.worked_step(s)


def sheet(
    keyed: GateResults,
    measure: GateResults,
    variant: Variant | None,
    blank: tuple[str, ...],
    decimals: int,
    where: str = "handout.blank",
) -> Sheet:
    """One variant's sheet: `keyed` holds its numbers in the handout's arithmetic (the key's),
    `measure` the same the other way (for the graders' tolerance)."""
    s = keyed.plan.scenario
    p = page(keyed)
    num = handout.fixed(decimals)
    marked, parts = handout.marked_parts(
        _questions(p, num), blank, dict(s.handout.points), s.path, where
    )
    c = keyed.view.circuit
    values = {n: float(keyed.view.run.values[n]) for n, _ in c.leaves}
    givens = [(p.sym(n), handout.as_given(v)) for n, v in c.leaves]
    if s.training:
        givens.append((RATE, handout.as_given(s.training.learning_rate)))
    kind = keyed.plan.arithmetic.kind
    return Sheet(
        title=s.title,
        variant=variant.label if variant else "",
        student=variant.student if variant else "",
        seed=variant.seed if variant else None,
        givens=tuple(givens),
        figure=circuit_figure.circuit(c, values, {}, p.sym, handout.as_given, lambda e: p.latex(e)),
        parts=parts,
        rules=rules(p, s),
        decimals=decimals,
        instructions=INSTRUCTIONS[kind].format(
            decimals=decimals,
            values="each gate's value, local derivative and gradient"
            + (", and learning rate times gradient" if s.training else ""),
        ),
        tolerance=handout.tolerance(
            kind, keyed.values, measure.values, [q for q in marked if q.blank], decimals
        ),
        drift=tuple(
            handout.drifts(
                keyed.values, measure.values, [q for q in marked if q.blank], decimals
            ).items()
        ),
        drawn="circuit",
        summary_note="The scenario's own worked example,"
        + (" one step of training," if s.training else "")
        + " with the circuit and the rules every variant shares.",
    )


def _questions(p: Page, num: Callable[[object], str]) -> list[Question]:
    """Every quantity of the worked step a sheet may ask for, in the order it is computed."""
    r, c = p.results, p.c
    out = c.output
    every = [
        Question(
            g.out,
            "forward",
            p.sym(g.out),
            definition(p, g),
            num(r.view.run.values[g.out]),
            False,
            0,
        )
        for g in c.gates
    ]
    every += [
        Question(
            f"d{f.gate}/d{f.wire}",
            "local",
            p.d(f.gate, f.wire),
            p.latex(f.form),
            num(f.local),
            False,
            0,
        )
        for f in r.view.run.flows
    ]
    training = r.plan.scenario.training
    asked = training.train if training else tuple(n for n, _ in c.leaves)
    for leaf in asked:
        shares = r.view.run.shares(leaf)
        chain = " + ".join(rf"{p.d(out, f.gate)} \cdot {p.d(f.gate, leaf)}" for f in shares)
        every.append(
            Question(
                f"d{out}/d{leaf}",
                "gradients",
                p.d(out, leaf),
                chain,
                num(r.view.run.gradients[leaf]),
                False,
                0,
            )
        )
    for u in r.view.training.updates if r.view.training else ():
        w = p.sym(u.key)
        every.append(
            Question(
                updated_key(u.key),
                "updates",
                f"{w}^{{+}}",
                rf"{w} - {RATE} \cdot {p.d(out, u.key)}",
                num(u.new),
                False,
                0,
            )
        )
    return every


def rules(p: Page, s: GraphScenario) -> tuple[str, ...]:
    """The rules a student works by: upstream × local = downstream, the sum where a wire feeds
    several gates, and the update."""
    f = p.sym(p.c.output)
    rows = [
        rf"\frac{{\partial {f}}}{{\partial x}} &= \frac{{\partial {f}}}{{\partial g}} \cdot "
        r"\frac{\partial g}{\partial x} \quad \text{(upstream × local, for a gate } g "
        r"\text{ with input } x\text{)}",
    ]
    if any(len(p.c.consumers(w)) > 1 for w in p.c.wires):
        rows.append(
            rf"\frac{{\partial {f}}}{{\partial x}} &= \sum_g \frac{{\partial {f}}}{{\partial g}}"
            r" \cdot \frac{\partial g}{\partial x} \quad \text{(a wire that feeds several gates)}"
        )
    if s.training:
        rows.append(rf"p^{{+}} &= p - {RATE} \cdot \frac{{\partial {f}}}{{\partial p}}")
    return tuple(rows)
