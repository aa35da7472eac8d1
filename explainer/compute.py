"""The numbers without the page: network, chain rule, worked step and training, as one call.

Used by the pipeline (which then writes the page) and by verification (which recomputes the same
scenario under other conventions many times and needs only the values).
"""

from __future__ import annotations

from explainer import cost, derivation, evaluate, explanation, network
from explainer.cost import STEPWISE_LIMIT, table_steps
from explainer.errors import UsageError
from explainer.scenario import Scenario


def compute(
    scenario: Scenario, arithmetic: str = "float64", also: frozenset[int] = frozenset()
) -> tuple[network.Network, derivation.Derivation, evaluate.Evaluation, evaluate.Training]:
    """The numbers without the page: the worked step and training, recording the steps the
    table shows and those in `also`."""
    cost.check(scenario)
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


def values(
    scenario: Scenario, arithmetic: str = "float64", also: frozenset[int] = frozenset()
) -> dict[str, float | str]:
    """Every quantity under its JSON key, including `<name>@k` for k in `also`."""
    return dict(explanation.values(*compute(scenario, arithmetic, also)))
