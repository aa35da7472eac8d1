"""Stage 1, read (cost): what a scenario will cost, known before anything runs: the trainings it
implies (the page's own and those of the published-number check), the values its tables record,
a forecast of the time, and the limits on them. A scenario file may come from a stranger: a run
that would take minutes says so first, and one past the limits is refused with the option that
raises them."""

from __future__ import annotations

from dataclasses import dataclass

from explainer.foundation.errors import ScenarioError
from explainer.read.scenario import Scenario, neuron_key, parameters

STEPWISE_LIMIT = 200  # exact and on-paper training repeat the whole worked step
# verification's stepwise alternatives: 1–9 decimals, rounded or truncated; float32
PAPER_VARIANTS = 19


def table_steps(total: int, first: int) -> frozenset[int]:
    """The steps the training table shows: the first few in full, then 10, 100, 1000, …"""
    shown = set(range(min(first, total) + 1))
    p = 10
    while p < total:
        shown.add(p)
        p *= 10
    return frozenset(shown | {total})


@dataclass(frozen=True)
class Forecast:
    parameters: int
    updates: int  # vectorised training updates, summed over every training the run does
    evaluations: int  # worked steps evaluated one by one (verification's on-paper variants)
    recorded: int  # values the training tables keep: rows × (parameters + outputs)

    @property
    def seconds(self) -> float:
        """A rough forecast on a small machine, an upper bound: ~20 µs per update plus ~10 ns per
        parameter (the numpy loop; the compiled one is faster where it is used); ~45 µs per
        parameter for a worked step evaluated on paper; and a page linear in the parameters
        (benchmarks/peers.py: ~0.3 s, and ~0.3 s more at 2,048 weights)."""
        p = self.parameters
        train = self.updates * (20e-6 + p * 10e-9) + self.evaluations * p * 45e-6
        return train + 0.3 + 0.0003 * p


def _claimed_steps(s: Scenario) -> list[int]:
    return [int(k) for c in s.claims if (k := c.key.partition("@")[2]).isdigit()]


def plan(s: Scenario) -> Forecast:
    """Every training a render of `s` does: the page's (and a differentiable stand-in's for a
    step activation), and with claims the check's: the base run to the last claimed step, the
    other update order, biases flipped, the ½ flipped, one run per printed input or target,
    and the on-paper variants step by step."""
    examples = max(1, len(s.data))
    stand_in = any(layer.rule.surrogate for layer in s.layers)
    updates = s.steps * examples * (1 + stand_in)
    evaluations, rows = 0, len(table_steps(s.steps, s.table_steps))
    if s.claims:
        last = max([s.steps, *(k + 1 for k in _claimed_steps(s))])
        given = {*s.inputs, *(neuron_key(s.names.target, n) for n in s.layers[-1].neurons)}
        runs = 2 + any(layer.biases for layer in s.layers) + (s.loss in ("half_sse", "sse"))
        runs += sum(c.key in given for c in s.claims)
        updates += last * examples * runs
        if not s.data:
            evaluations = PAPER_VARIANTS * min(last, STEPWISE_LIMIT)
        rows += 3 * len(_claimed_steps(s))
    outputs = len(s.layers[-1].neurons)
    return Forecast(
        parameters(s.layers), updates, evaluations, rows * (parameters(s.layers) + outputs)
    )


def check(s: Scenario) -> Forecast:
    """The plan, if it is within the limits `seconds` and `table_values`."""
    p, limits = plan(s), s.limits
    if p.recorded > limits.table_values:
        raise limits.exceeded(
            s.path, "display.table_steps", "table_values", "values in the tables", p.recorded
        )
    if p.seconds > limits.seconds:
        raise ScenarioError(
            s.path,
            "training.steps",
            f"a run forecast within the limit seconds = {limits.seconds:,} (raise it with "
            "--limit seconds=N; verification's claims train again to their last step)",
            f"a forecast of {p.seconds:,.0f} s",
        )
    return p
