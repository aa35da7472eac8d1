"""The numbers without the page: network, chain rule, worked step and training, as one call.

Used by the pipeline (which then writes the page) and by verification (which recomputes the same
scenario under other conventions many times and needs only the values).
"""

from __future__ import annotations

from explainer import derivation, evaluate, explanation, network
from explainer.errors import UsageError
from explainer.scenario import Scenario

STEPWISE_LIMIT = 200  # exact and on-paper training repeat the whole worked step


def table_steps(total: int, first: int) -> frozenset[int]:
    """The steps the training table shows: the first few in full, then 10, 100, 1000, …"""
    shown = set(range(min(first, total) + 1))
    p = 10
    while p < total:
        shown.add(p)
        p *= 10
    return frozenset(shown | {total})


def compute(
    scenario: Scenario, arithmetic: str = "float64", also: frozenset[int] = frozenset()
) -> tuple[network.Network, derivation.Derivation, evaluate.Evaluation, evaluate.Training]:
    """The numbers without the page: the worked step and training, recording the steps the
    table shows and those in `also`."""
    check_work(scenario)
    net = network.build(scenario)
    chain = derivation.derive(net)
    mode = evaluate.arithmetic(arithmetic, scenario.limits.exact_digits)
    numbers = evaluate.evaluate(net, chain, mode)
    shown = table_steps(scenario.steps, scenario.table_steps) | also
    if mode.name == "float64":
        training = evaluate.train(net, scenario.steps, shown.__contains__)
    elif scenario.steps > STEPWISE_LIMIT or scenario.data:
        raise UsageError(
            f"{scenario.path}: {mode.name} arithmetic trains by repeating the worked step, "
            f"for at most {STEPWISE_LIMIT} steps of a single example; found {scenario.steps} "
            f"steps{' and a training set' if scenario.data else ''} (use --steps)"
        )
    else:
        training = evaluate.train_stepwise(net, chain, scenario.steps, mode, shown.__contains__)
    evaluate.check_finite(net, numbers, training)
    return net, chain, numbers, training


def _updates_and_parameters(scenario: Scenario) -> tuple[int, int]:
    parameters = sum(
        len(layer.neurons) * len(layer.weights[0]) + len(layer.biases) for layer in scenario.layers
    )
    return scenario.steps * max(1, len(scenario.data)), parameters


def check_work(scenario: Scenario) -> None:
    """Parameter updates × parameters, what training costs, within the limit `work`."""
    updates, parameters = _updates_and_parameters(scenario)
    limits = scenario.limits
    if updates * parameters > limits.work:
        raise limits.exceeded(
            scenario.path,
            "training.steps",
            "work",
            "steps × examples × parameters",
            updates * parameters,
        )


def seconds(scenario: Scenario) -> float:
    """A rough forecast of one render's time on a small machine, to warn before a long run:
    training at ~30 µs per update plus ~10 ns per parameter (repeated about six times more by
    the published-number check), and a page that grows with the square of the parameters
    (issue 12 measured 1.5 s at 8 parameters, 7 s at 512, 40 s at 2,048)."""
    updates, parameters = _updates_and_parameters(scenario)
    train = updates * (30e-6 + parameters * 10e-9)
    page = 1.5 + 0.008 * parameters + 5.2e-6 * parameters**2
    return train * (7 if scenario.claims else 1) + page


def values(
    scenario: Scenario, arithmetic: str = "float64", also: frozenset[int] = frozenset()
) -> dict[str, float | str]:
    """Every quantity under its JSON key, including `<name>@k` for k in `also`."""
    return dict(explanation.values(*compute(scenario, arithmetic, also)))
