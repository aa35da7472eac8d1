"""Stage 4, evaluate (everything a circuit's page shows): GraphPlan → GraphResults.

The gates and their local derivatives, the forward and backward pass in the page's arithmetic,
every quantity under its JSON key, the source's printed numbers checked (with the same
diagnoses as for networks: rounding on paper, a printed value carried forward, a dropped sign, a
misprint), and, with --check-gradients, each leaf's gradient beside sympy.diff of the whole
expression and central finite differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from explainer import arithmetic, backprop, circuit, local, verify
from explainer.backprop import Backprop
from explainer.circuit import Circuit
from explainer.claims import Claim
from explainer.errors import NumericError
from explainer.findings import Finding
from explainer.local import Local
from explainer.quantities import Values, as_json
from explainer.settings import ArithmeticSpec, GraphPlan


@dataclass(frozen=True)
class LeafCheck:
    """One leaf's gradient three ways: the backward pass, sympy.diff of the whole expression,
    and central finite differences (h = 10⁻⁶)."""

    leaf: str
    backward: float
    symbolic: float | None  # None: the whole expression is too long to differentiate at once
    estimate: float | None  # None: a step of h reaches where the expression is undefined


@dataclass(frozen=True)
class GraphResults:
    plan: GraphPlan
    circuit: Circuit
    locals: tuple[Local, ...]
    run: Backprop
    findings: tuple[Finding, ...]
    checks: tuple[LeafCheck, ...]
    values: Values
    symbolic_left_out: backprop.LeftOut = ""  # why sympy.diff of the whole is not in checks


def keys(c: Circuit, run: Backprop) -> dict[str, Any]:
    """Every wire's value (`q`), each local derivative (`dq/dx`) and each gradient of the output
    (`df/dx`)."""
    out: dict[str, Any] = dict(run.values)
    out.update((f"d{f.gate}/d{f.wire}", f.local) for f in run.flows)
    out.update((f"d{c.output}/d{w}", run.gradients[w]) for w in c.wires)
    return out


def results(plan: GraphPlan, values_only: bool = False) -> GraphResults:
    s = plan.scenario
    c = circuit.split(s)
    locals_ = local.derive(c, s.path)
    ar = arithmetic.mode(plan.arithmetic, s.limits.exact_digits)
    run = backprop.run(c, locals_, ar, path=s.path)
    found = () if values_only or not s.claims else check_claims(plan, c, locals_, run)
    checks, left_out = ((), "") if values_only or not plan.check_gradients else _leaf_checks(c, run)
    return GraphResults(
        plan=plan,
        circuit=c,
        locals=locals_,
        run=run,
        findings=found,
        checks=checks,
        symbolic_left_out=left_out,
        values=tuple((k, as_json(v)) for k, v in keys(c, run).items()),
    )


def _leaf_checks(c: Circuit, run: Backprop) -> tuple[tuple[LeafCheck, ...], backprop.LeftOut]:
    """Each leaf's gradient three ways, and why sympy's column is left out ("" when it is not)."""
    symbolic, estimates = backprop.symbolic(c), backprop.central_differences(c)
    checks = tuple(
        LeafCheck(n, float(run.gradients[n]), symbolic.values.get(n), estimates[n])
        for n, _ in c.leaves
    )
    return checks, symbolic.left_out


def check_claims(
    plan: GraphPlan, c: Circuit, locals_: tuple[Local, ...], page: Backprop
) -> tuple[Finding, ...]:
    """The source's printed numbers against the float64 run (the page's own when it is
    float64), each that does not reproduce diagnosed as for networks: recomputed on paper (1 to
    9 decimals, rounded or truncated), truncated, its sign dropped, with the source's other
    printed values carried forward, as a misprint."""
    s = plan.scenario
    float64 = arithmetic.mode(ArithmeticSpec())
    base = keys(c, page if plan.arithmetic.kind == "float64" else backprop.run(c, locals_, float64))
    verify.known(s.path, s.claims, base)
    leaves = {n: ("input", i) for i, (n, _) in enumerate(c.leaves)}
    variants = verify.on_paper(
        lambda spec, _: keys(c, backprop.run(c, locals_, arithmetic.arithmetic(spec)))
    )
    get = verify.cached()
    carry = verify.carried_forward(s.claims, leaves, lambda kept: _carried(c, locals_, kept))

    def alternatives(claim: Claim) -> verify.Alternatives:
        def found() -> tuple[list[tuple[str, Any]], tuple[str, ...]]:
            return (verify.candidates(claim, base[claim.key], base, variants, get), carry(claim))

        return found

    return verify.ranked(
        tuple(
            verify.judge(claim, base, verify.no_alternatives)
            if claim.key in leaves
            else verify.judge(claim, base, alternatives(claim))
            for claim in s.claims
        )
    )


def _carried(
    c: Circuit, locals_: tuple[Local, ...], kept: dict[str, float]
) -> dict[str, Any] | None:
    wires = {k: v for k, v in kept.items() if k in set(c.wires)}
    if not wires:
        return None
    try:
        return keys(c, backprop.run(c, locals_, arithmetic.mode(ArithmeticSpec()), carried=wires))
    except NumericError:
        return None
