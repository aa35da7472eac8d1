"""Stage 5, check (the gate-by-gate view's numbers): a graph's GraphPlan → Results.

The gates and their local derivatives, the forward and backward pass in the page's arithmetic,
every quantity under its JSON key, the source's printed numbers checked (with the same
diagnoses as for networks: rounding on paper, a printed value carried forward, a dropped sign, a
misprint), and, with --check-gradients, each leaf's gradient beside sympy.diff of the whole
expression and central finite differences.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from explainer.check import verify
from explainer.check.findings import Finding
from explainer.check.gradients import GradientCheck
from explainer.check.results import Results
from explainer.derive import local
from explainer.derive.local import Local
from explainer.evaluate import arithmetic, backprop, graph_training
from explainer.evaluate.arithmetic import Arithmetic
from explainer.evaluate.backprop import Backprop
from explainer.evaluate.curve import curve_steps
from explainer.evaluate.graph_training import Descent
from explainer.evaluate.hessian import Hessian, hessian
from explainer.evaluate.quantities import (
    BATCH,
    CARRIED,
    CHANGE,
    after_first,
    as_json,
    example_key,
    state_key,
)
from explainer.evaluate.tangents import Tangents, push
from explainer.foundation.errors import NumericError
from explainer.graph import circuit
from explainer.graph.circuit import Circuit
from explainer.read.cost import STEPWISE_LIMIT, table_steps
from explainer.read.expressions import Node, Num, Op
from explainer.read.graph_scenario import JACOBIAN, TANGENT, GraphScenario, GraphTraining
from explainer.read.settings import ArithmeticSpec, GraphPlan


@dataclass(frozen=True)
class Gates:
    """The numbers only a gate-by-gate page has (results.Results holds what every page has)."""

    circuit: Circuit
    locals: tuple[Local, ...]
    run: Backprop
    symbolic_left_out: backprop.LeftOut = ""  # why sympy.diff of the whole is not in checks
    training: Descent | None = None  # the leaves' descent, for a graph with [training]
    tangents: Tangents | None = None  # [derivatives] tangent: forward mode from one leaf
    hessian: Hessian | None = None  # [derivatives] hessian: second derivatives by some leaves
    # [derivatives] jacobian: forward mode seeded at each leaf in turn, a column of J each
    jacobian: tuple[Tangents, ...] = ()


GateResults = Results[GraphPlan, Gates]  # a graph's results: its plan, and the gates' numbers


def keys(
    c: Circuit,
    run: Backprop,
    descent: Descent | None = None,
    steps: frozenset[int] | None = None,
) -> dict[str, Any]:
    """Every wire's value (`q`), each local derivative (`dq/dx`), each gradient of the output
    (`df/dx`) and, where a wire feeds several gates, each one's share of it (`df/dg*dg/dx`);
    for a graph that learns, each trained leaf after the worked step (`w0@1`) and the change it
    made (`Δw0@1`), then each recorded step's trained leaves and named nodes (`w0@3`, `L@3`;
    not the fixed leaves, nor the unnamed wires g1, g2, … of one gate each). With a training
    set a step is an epoch: `L@3` is the output's mean over the examples after three epochs
    (`L@0` before training), and the named nodes other than the output are not recorded; in
    batch mode each example's gradient at the start (`dL/dw@1#2`) and their mean
    (`dL_batch/dw`)."""
    out: dict[str, Any] = dict(run.values)
    out.update((f"d{f.gate}/d{f.wire}", f.local) for f in run.flows)
    out.update((f"d{c.output}/d{w}", run.gradients[w]) for w in c.wires)
    out.update(  # a wire that feeds several gates: each one's share of its gradient
        (share_key(c.output, f.gate, f.wire), f.downstream)
        for w in c.wires
        if len(c.consumers(w)) > 1
        for f in run.shares(w)
    )
    if descent is None:
        return out
    # the worked step's results: @1, or where a training set's epoch goes on after it, as the
    # next update meets them (@1#2); with a batch, @1 is after the first epoch, this step
    at = worked_step(descent)
    out.update((f"{u.key}@{at}", u.new) for u in descent.updates)
    out.update((f"{CHANGE}{u.key}@{at}", u.change) for u in descent.updates)
    out.update(  # an optimizer's state and intermediate values (after a first update: its state)
        (state_key(name, u.key, at), v)
        for u in descent.updates
        for name, v in u.shown
        if at == "1" or name in CARRIED
    )
    if descent.batch:  # each example's gradient as epoch 1 meets it, and the batch's mean
        out.update(
            (example_key(f"d{c.output}/d{u.key}", 1, r), g[i])
            for r, g in zip(descent.batch_rows, descent.batch, strict=True)
            for i, u in enumerate(descent.updates)
        )
        out.update((f"d{c.output}{BATCH}/d{u.key}", u.gradient) for u in descent.updates)
    if descent.epochs and c.output in descent.steps[0].values:  # the set's mean at the start
        out[f"{c.output}@0"] = descent.steps[0].values[c.output]
    shown = [u.key for u in descent.updates] + [g.out for g in c.gates if g.named]
    for step in descent.steps[1:]:  # `steps`: those the table shows (None: every recorded one)
        if steps is None or step.k in steps:
            out.update((f"{w}@{step.k}", step.values[w]) for w in shown if w in step.values)
            out.update(
                (state_key(name, leaf, step.k), v)
                for leaf, state in step.state.items()
                for name, v in state.items()
            )
    return out


def worked_step(d: Descent) -> str:
    """What follows `@` in the keys of the worked step's results (quantities.worked_step for a
    graph): "1", or where epoch 1 goes on after the first update "1#r", the leaves and state
    that the update of row r (from 1) starts from."""
    return after_first(d.next_row - 1 if d.next_row else None)


def _derivatives(
    s: GraphScenario, c: Circuit, locals_: tuple[Local, ...], run: Backprop, ar: Arithmetic
) -> tuple[Tangents | None, Hessian | None, tuple[Tangents, ...]]:
    """[derivatives]: forward mode from the seed in the page's arithmetic, the Hessian, and
    the Jacobian's columns (forward mode from each leaf: J_ij = d(wire i)/d(leaf j))."""
    env = dict(run.values)
    tangents = push(c, locals_, env, ar, s.tangent) if s.tangent else None
    columns = tuple(push(c, locals_, env, ar, n) for n, _ in c.leaves) if s.jacobian else ()
    return tangents, hessian(c, s.hessian, s.path) if s.hessian else None, columns


def share_key(output: str, gate: str, wire: str) -> str:
    """What gate sends back to a wire that feeds several: ∂f/∂g·∂g/∂x as `df/dg*dg/dx`."""
    return f"d{output}/d{gate}*d{gate}/d{wire}"


def jacobian_key(wire: str, leaf: str) -> str:
    return f"{JACOBIAN}{wire}/{leaf}"


def derivative_keys(c: Circuit, g: Gates, wires: tuple[str, ...] = ()) -> dict[str, Any]:
    """[derivatives]: each wire's tangent `dot_q` (dq/d(seed)); each second derivative
    `d2f/da/db`, under both orders of a and b (the Hessian is symmetric); each Jacobian entry
    `J_q/x` of the rows `wires`."""
    return _derivative_keys(c, g.tangents, g.hessian, g.jacobian, wires)


def _derivative_keys(
    c: Circuit,
    t: Tangents | None,
    h: Hessian | None,
    columns: tuple[Tangents, ...] = (),
    rows: tuple[str, ...] = (),
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # the Jacobian row by row: J_q/x = dq/dx through the whole graph (dq/dx is q's gate's own)
    out.update((jacobian_key(w, col.seed), col.of(w)) for w in rows for col in columns)
    if t is not None:
        out.update((f"{TANGENT}{w}", t.of(w)) for w in c.wires)
    if h is not None:
        for e in h.entries:
            out[f"d2{c.output}/d{e.row}/d{e.col}"] = e.value
            out[f"d2{c.output}/d{e.col}/d{e.row}"] = e.value
    return out


def _descent(
    plan: GraphPlan,
    c: Circuit,
    locals_: tuple[Local, ...],
    ar: Arithmetic,
    steps: int,
    first: Backprop | None = None,
) -> Descent | None:
    """The leaves' training, recording the table's steps and each claimed step with one before
    and one after (verification reads them); `first`: the worked step's pass, where the caller
    has it in this arithmetic."""
    s = plan.scenario
    if s.training is None:
        return None
    record = table_steps(steps, s.table_steps) | verify.near(s)
    return graph_training.train(
        c,
        locals_,
        ar,
        s.training,
        steps,
        record,
        curve_steps(steps),
        s.path,
        first,
        s.data,
    )


def _pass(
    s: GraphScenario,
    c: Circuit,
    locals_: tuple[Local, ...],
    ar: Arithmetic,
    carried: dict[str, float] | None = None,
) -> Backprop:
    """The worked step's forward and backward pass, through the leaves a sequential update has
    already moved where the scenario's training is sequential."""
    return backprop.run(c, locals_, ar, carried, s.path, moved=graph_training.moves(s.training, ar))


def shown(plan: GraphPlan, descent: Descent | None) -> frozenset[int]:
    """The training steps the page's table and JSON show: the first few, then 10, 100, …, and
    the last one taken (`until_loss` may stop before the plan's)."""
    last = {descent.taken} if descent else set()
    return table_steps(plan.steps, plan.scenario.table_steps) | last


def results(plan: GraphPlan, values_only: bool = False) -> GateResults:
    s = plan.scenario
    c = circuit.split(s)
    locals_ = local.derive(c, s.path)
    ar = arithmetic.mode(plan.arithmetic, s.limits.exact_digits)
    run = _pass(s, c, locals_, ar)
    descent = _descent(plan, c, locals_, ar, plan.steps, run)
    checks, left_out = ((), "") if values_only or not plan.check_gradients else _leaf_checks(c, run)
    tangents, second, columns = _derivatives(s, c, locals_, run, ar)
    gates = Gates(
        circuit=c,
        locals=locals_,
        run=run,
        symbolic_left_out=left_out,
        training=descent,
        tangents=tangents,
        hessian=second,
        jacobian=columns,
    )
    found = () if values_only or not s.claims else check_claims(plan, c, locals_, run, descent)
    return Results(
        plan=plan,
        view=gates,
        findings=found,
        values=tuple(
            (k, as_json(v))
            for k, v in {
                **keys(c, run, descent, shown(plan, descent)),
                **derivative_keys(c, gates, s.jacobian),
            }.items()
        ),
        arithmetic=run.arithmetic,
        checks=checks,
    )


def findings(plan: GraphPlan) -> tuple[Finding, ...]:
    """The source's printed numbers checked (the page's own float64 pass, and no more)."""
    return results(plan).findings


def _leaf_checks(c: Circuit, run: Backprop) -> tuple[tuple[GradientCheck, ...], backprop.LeftOut]:
    """Each leaf's gradient three ways, and why sympy's column is left out ("" when it is not)."""
    symbolic, estimates = backprop.symbolic(c), backprop.central_differences(c)
    checks = tuple(
        GradientCheck(n, float(run.gradients[n]), estimates[n], symbolic.values.get(n))
        for n, _ in c.leaves
    )
    return checks, symbolic.left_out


def check_claims(
    plan: GraphPlan,
    c: Circuit,
    locals_: tuple[Local, ...],
    page: Backprop,
    descent: Descent | None = None,
) -> tuple[Finding, ...]:
    """The source's printed numbers against the float64 run (the page's own when it is
    float64), each that does not reproduce diagnosed as for networks: recomputed on paper (1 to
    9 decimals, rounded or truncated), truncated, its sign dropped, one step fewer or more, the
    other update order, the ½ of a squared error, with the source's other printed values carried
    forward, as a misprint."""
    return verify.checked(
        plan.scenario.path, plan.scenario.claims, side(plan, c, locals_, page, descent)
    )


def side(
    plan: GraphPlan,
    c: Circuit,
    locals_: tuple[Local, ...],
    page: Backprop,
    descent: Descent | None = None,
) -> verify.Side:
    """What a graph's claims are checked against, as `check_claims` uses it."""
    s = plan.scenario
    float64 = arithmetic.mode(ArithmeticSpec())
    # a claim is of the source's step whatever --steps asks the page for: trained to one past
    # the last claimed step (its "one step more"), and past the page's own steps if fewer
    steps = max([plan.steps, *verify.near(s)]) if s.training else 0
    if plan.arithmetic.kind != "float64":
        page = _pass(s, c, locals_, float64)
    if plan.arithmetic.kind != "float64" or steps > plan.steps:
        descent = _descent(plan, c, locals_, float64, steps, page)
    base = {
        **keys(c, page, descent),
        **_derivative_keys(c, *_derivatives(s, c, locals_, page, float64), s.jacobian),
    }
    leaves = {n: ("input", i) for i, (n, _) in enumerate(c.leaves)}
    return verify.Side(
        base=base,
        variants=lambda: _variants(plan, c, locals_),
        given=leaves,
        carry=verify.carried_forward(s.claims, leaves, lambda kept: _carried(s, c, locals_, kept)),
        recompute=lambda kept, spec="float64": _carried(s, c, locals_, kept, spec),
        loss=s.output,
    )


def plan_side(plan: GraphPlan) -> verify.Side:
    """A graph's `side`, its circuit and worked step built here (a grader's, per variant)."""
    s = plan.scenario
    c = circuit.split(s)
    locals_ = local.derive(c, s.path)
    page = _pass(s, c, locals_, arithmetic.mode(ArithmeticSpec()))
    return side(plan, c, locals_, page)


Built = tuple[Circuit, tuple[Local, ...]]


def _trained(p: GraphPlan, built: Built, ar: Arithmetic, k: int) -> dict[str, Any]:
    """An alternative's keys: its worked step, and its training to the claim's step."""
    run = _pass(p.scenario, *built, ar)
    return keys(built[0], run, _descent(p, *built, ar, k, run))


def _variants(plan: GraphPlan, c: Circuit, locals_: tuple[Local, ...]) -> list[verify.Variant]:
    """The alternatives a graph's claims are tried with: every intermediate rounded or
    truncated on paper, float32, the other update order, the ½ of a squared error."""
    s, float64 = plan.scenario, arithmetic.mode(ArithmeticSpec())

    def on_paper(spec: str, k: int) -> dict[str, Any] | None:
        if k > STEPWISE_LIMIT:  # one full pass per step: past this, left out
            return None
        return _trained(plan, (c, locals_), arithmetic.arithmetic(spec), k)

    def trained_with(t: GraphTraining) -> Callable[[int], dict[str, Any] | None]:
        other = dataclasses.replace(plan, scenario=dataclasses.replace(s, training=t))
        return lambda k: _trained(other, (c, locals_), float64, max(k, 1))

    t = s.training
    cut = (
        verify.batching_alternatives(
            t.mode, t.batching, lambda b: trained_with(dataclasses.replace(t, batching=b))
        )
        if t is not None and s.data is not None
        else []
    )
    if t is not None and not t.plain:  # an optimizer: float64 and simultaneous only
        return [
            *verify.optimizer_alternatives(
                t.optimizer,
                t.settings,
                lambda name, h: trained_with(dataclasses.replace(t, optimizer=name, settings=h)),
            ),
            *cut,
            *_halved(plan, s),
        ]
    out = [*verify.on_paper(on_paper), verify.in_float32(on_paper)]
    if t is not None:  # the other update order, trained to the claim's step
        other = "sequential" if t.update == "simultaneous" else "simultaneous"
        out.append(
            verify.Variant(f"{other} updates", trained_with(dataclasses.replace(t, update=other)))
        )
    return out + cut + _halved(plan, s)


def _halved(plan: GraphPlan, s: GraphScenario) -> list[verify.Variant]:
    """The ½ of a squared-error output, written or left out (halved)."""
    float64 = arithmetic.mode(ArithmeticSpec())
    half = halved(s)
    if half is None:
        return []
    what, other_s = half
    other_c = circuit.split(other_s)
    built = (other_c, local.derive(other_c, s.path))
    other_plan = dataclasses.replace(plan, scenario=other_s)
    return [verify.Variant(what, lambda k: _trained(other_plan, built, float64, k))]


def _carried(
    s: GraphScenario,
    c: Circuit,
    locals_: tuple[Local, ...],
    kept: dict[str, float],
    spec: str = "float64",
) -> dict[str, Any] | None:
    wires = {k: v for k, v in kept.items() if k in set(c.wires)}
    if not wires:
        return None
    try:
        return keys(c, _pass(s, c, locals_, arithmetic.arithmetic(spec), wires))
    except NumericError:
        return None


def halved(s: GraphScenario) -> tuple[str, GraphScenario] | None:
    """The graph with the ½ of a squared-error output left out, or put in where it has none
    (½(t − y)² and (t − y)² are both written as "the" squared error): its output doubled or
    halved, every gradient with it. None for an output that is not a squared error."""
    e = dict(s.nodes)[s.output]
    inner = _without_half(e)
    if not _squared(inner if inner is not None else e):
        return None
    if inner is not None:
        return "without the ½ in the output", _with_output(s, Op("mul", (Num("2", 0), e), 0))
    return "with a ½ in the output", _with_output(s, Op("div", (e, Num("2", 0)), 0))


def _is(n: Node, value: float) -> bool:
    return isinstance(n, Num) and float(n.text) == value


def _without_half(e: Node) -> Node | None:
    """x for ½·x written as x / 2, 0.5 * x, x * 0.5 or 1/2 * x; None for any other form."""
    if not isinstance(e, Op) or len(e.args) != 2:
        return None
    a, b = e.args
    if e.op == "div" and _is(b, 2):
        return a
    if e.op == "mul":
        for half, x in ((a, b), (b, a)):
            if _is(half, 0.5) or (
                isinstance(half, Op)
                and half.op == "div"
                and _is(half.args[0], 1)
                and _is(half.args[1], 2)
            ):
                return x
    return None


def _squared(e: Node) -> bool:
    """A square, or a sum of squares (a squared error over several outputs)."""
    if isinstance(e, Op) and e.op == "pow":
        return _is(e.args[1], 2)
    if isinstance(e, Op) and e.op == "add":
        return all(_squared(x) for x in e.args)
    return False


def _with_output(s: GraphScenario, e: Node) -> GraphScenario:
    return dataclasses.replace(s, nodes=tuple((n, e if n == s.output else x) for n, x in s.nodes))
