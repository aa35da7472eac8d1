"""Stage 4, evaluate (everything a circuit's page shows): GraphPlan → GraphResults.

The gates and their local derivatives, the forward and backward pass in the page's arithmetic,
every quantity under its JSON key, the source's printed numbers checked (with the same
diagnoses as for networks: rounding on paper, a printed value carried forward, a dropped sign, a
misprint), and, with --check-gradients, each leaf's gradient beside sympy.diff of the whole
expression and central finite differences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN
from typing import Any

from explainer import arithmetic, backprop, circuit, local, printed, verify
from explainer.backprop import Backprop
from explainer.circuit import Circuit
from explainer.errors import ArithmeticModeError, NumericError
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
    symbolic: float
    estimate: float


@dataclass(frozen=True)
class GraphResults:
    plan: GraphPlan
    circuit: Circuit
    locals: tuple[Local, ...]
    run: Backprop
    findings: tuple[Finding, ...]
    checks: tuple[LeafCheck, ...]
    values: Values


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
    locals_ = local.derive(c)
    ar = arithmetic.mode(plan.arithmetic, s.limits.exact_digits)
    run = backprop.run(c, locals_, ar, path=s.path)
    found = () if values_only or not s.claims else check_claims(plan, c, locals_)
    checks = () if values_only or not plan.check_gradients else _leaf_checks(c, run)
    return GraphResults(
        plan=plan,
        circuit=c,
        locals=locals_,
        run=run,
        findings=found,
        checks=checks,
        values=tuple((k, as_json(v)) for k, v in keys(c, run).items()),
    )


def _leaf_checks(c: Circuit, run: Backprop) -> tuple[LeafCheck, ...]:
    symbolic, estimates = backprop.symbolic(c), backprop.central_differences(c)
    return tuple(
        LeafCheck(n, float(run.gradients[n]), symbolic[n], estimates[n]) for n, _ in c.leaves
    )


def check_claims(plan: GraphPlan, c: Circuit, locals_: tuple[Local, ...]) -> tuple[Finding, ...]:
    """The source's printed numbers against the float64 run, each that does not reproduce
    recomputed on paper (1 to 9 decimals, rounded or truncated), with the source's other printed
    values carried forward, and with its sign dropped."""
    s = plan.scenario
    float64 = arithmetic.mode(ArithmeticSpec())
    base = keys(c, backprop.run(c, locals_, float64, path=s.path))
    verify.known(s.path, s.claims, base)
    leaves = {n: ("input", i) for i, (n, _) in enumerate(c.leaves)}
    papers = _paper_runs(c, locals_)

    def alternatives(claim: Any) -> Callable[[], tuple[list[tuple[str, Any]], tuple[str, ...]]]:
        def found() -> tuple[list[tuple[str, Any]], tuple[str, ...]]:
            computed = base[claim.key]
            cands: list[tuple[str, Any]] = [
                (
                    f"the exact value truncated to {printed.places(claim.printed)} decimals, "
                    "not rounded",
                    printed.at_places(computed, claim.printed, ROUND_DOWN),
                )
            ]
            cands += [(what, v[claim.key]) for what, v in papers() if claim.key in v]
            if float(computed) < 0:
                cands.append(("its magnitude, the sign dropped", -computed))
            carried = verify.carried_forward(
                s.claims, claim, leaves, lambda kept: _carried(c, locals_, kept)
            )
            return cands, carried

        return found

    findings = tuple(
        verify.judge(claim, base, verify.no_alternatives)
        if claim.key in leaves
        else verify.judge(claim, base, alternatives(claim))
        for claim in s.claims
    )
    return verify.ranked(findings)


def _paper_runs(
    c: Circuit, locals_: tuple[Local, ...]
) -> Callable[[], list[tuple[str, Mapping[str, Any]]]]:
    """Every on-paper alternative's values, computed once on first use."""
    cache: list[tuple[str, Mapping[str, Any]]] = []

    def get() -> list[tuple[str, Mapping[str, Any]]]:
        if not cache:
            for decimals in range(1, 10):
                for rounding, how in (("half-up", "rounded half up"), ("truncate", "truncated")):
                    ar = arithmetic.on_paper(decimals, rounding)
                    try:
                        got = keys(c, backprop.run(c, locals_, ar))
                    except (NumericError, ArithmeticModeError, OverflowError):
                        continue
                    cache.append((f"every intermediate {how} to {decimals} decimals", got))
        return cache

    return get


def _carried(
    c: Circuit, locals_: tuple[Local, ...], kept: dict[str, float]
) -> dict[str, Any] | None:
    float64 = arithmetic.mode(ArithmeticSpec())
    wires = {k: v for k, v in kept.items() if k in set(c.wires)}
    if not wires:
        return None
    try:
        return keys(c, backprop.run(c, locals_, float64, carried=wires))
    except NumericError:
        return None
