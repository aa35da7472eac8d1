"""Time a graph's training (issue 25): the loop generated from the gates (graph_step.py)
against repeating the page's own backward pass, and Mazur's network trained as a graph against
the same network trained as a network (its graph's generated loop too since the one engine, read
from the [network] form through graph/network_graph.py).

    python -m pip install -e . && python benchmarks/graph_training.py [--rounds N]

Each figure is the median over the rounds of one training in this process, after one warm-up
run (the loop is generated and compiled once per graph and kept); µs per step. Writes
benchmarks/graph_training.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from explainer.derive import local
from explainer.evaluate import arithmetic, compute, graph_training, trainer
from explainer.evaluate.curve import curve_steps
from explainer.graph import circuit
from explainer.read import settings
from explainer.read.graph_scenario import GraphScenario
from explainer.read.scenario import Scenario, load

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent / "scenarios"


def median_seconds(run: Callable[[], object], rounds: int) -> float:
    run()  # warm-up: generated code compiled, sympy's caches filled
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def graph_runs(name: str, steps: int) -> dict[str, Callable[[], object]]:
    s = load(SCENARIOS / f"{name}.toml")
    assert isinstance(s, GraphScenario) and s.training is not None
    c = circuit.split(s)
    locals_ = local.derive(c)
    ar = arithmetic.arithmetic("float64")
    t, last = s.training, frozenset({0, steps})
    sample = curve_steps(steps)
    return {
        "compiled": lambda: graph_training.train(c, locals_, ar, t, steps, last, sample),
        "stepwise": lambda: graph_training.stepwise(c, locals_, ar, t, steps, last, sample),
    }


def network_run(name: str, steps: int) -> Callable[[], object]:
    s = load(SCENARIOS / f"{name}.toml")
    assert isinstance(s, Scenario)
    net, _ = compute.derive(s)
    run = settings.schedule(s)
    return lambda: trainer.train(net, run, steps, (0, steps))


def until_runs(name: str, steps: int) -> dict[str, Callable[[], object]]:
    """The network with a stopping rule never met (every step tested, the curve's stride
    doubling): the generated loop, and the numpy loop that trained it before."""
    s = load(SCENARIOS / f"{name}.toml")
    assert isinstance(s, Scenario)
    s = dataclasses.replace(s, until_loss=1e-300)
    net, _ = compute.derive(s)
    run = settings.schedule(s)
    return {
        "generated": lambda: trainer._compiled(net, run, steps, (0, steps), None),
        "numpy": lambda: trainer._numpy(net, run, steps, (0, steps), None),
    }


def data_runs(name: str, mode: str, steps: int) -> dict[str, Callable[[], object]]:
    """A network on its training set, every epoch run (no stopping rule): by each example's
    generated pass, and by the numpy loop."""
    s = load(SCENARIOS / f"{name}.toml")
    assert isinstance(s, Scenario) and s.data
    s = dataclasses.replace(s, mode=mode, until_loss=None, steps=steps)
    net, _ = compute.derive(s)
    run = settings.schedule(s)
    return {
        "generated": lambda: trainer._epochs(net, run, steps, (0, steps), None),
        "numpy": lambda: trainer._numpy(net, run, steps, (0, steps), None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for name, steps, network in (
        ("circuit-neuron-training", 10_000, None),
        ("mazur-2-2-2-graph", 10_000, "mazur-2-2-2"),
    ):
        runs = graph_runs(name, steps)
        fast = median_seconds(runs["compiled"], args.rounds)
        slow = median_seconds(runs["stepwise"], 1)  # seconds each: one round is enough
        row = [name, f"{steps:,}", f"{fast / steps * 1e6:.1f}", f"{slow / steps * 1e6:.0f}"]
        row.append(f"{slow / fast:.0f}×")
        if network:
            net = median_seconds(network_run(network, steps), args.rounds)
            row.append(f"{net / steps * 1e6:.1f} ({network})")
        else:
            row.append("—")
        rows.append(row)
        print(" | ".join(row), flush=True)
    until = []
    for name, steps in (("mazur-2-2-2", 10_000),):
        runs = until_runs(name, steps)
        fast = median_seconds(runs["generated"], args.rounds)
        slow = median_seconds(runs["numpy"], args.rounds)
        row = [name, f"{steps:,}", f"{fast / steps * 1e6:.1f}", f"{slow / steps * 1e6:.1f}"]
        until.append([*row, f"{slow / fast:.0f}×"])
        print(" | ".join(until[-1]), flush=True)
    data = []
    for name, mode, steps in (
        ("serengil-sine", "stochastic", 500),
        ("serengil-sine", "batch", 500),
    ):
        runs = data_runs(name, mode, steps)
        fast = median_seconds(runs["generated"], args.rounds)
        slow = median_seconds(runs["numpy"], args.rounds)
        row = [name, mode, f"{steps:,}", f"{fast / steps * 1e6:.0f}", f"{slow / steps * 1e6:.0f}"]
        data.append([*row, f"{slow / fast:.2f}×"])
        print(" | ".join(data[-1]), flush=True)
    head = (
        "| graph | steps | compiled µs/step | stepwise µs/step | ratio | network form µs/step |\n"
        "| --- | ---: | ---: | ---: | ---: | --- |\n"
    )
    text = (
        f"# Training a graph\n\nRun {datetime.date.today()} on {platform.machine()}, Python "
        f"{platform.python_version()}: `python benchmarks/graph_training.py --rounds "
        f"{args.rounds}`. Medians; the stepwise pass timed once.\n\n"
        + head
        + "".join("| " + " | ".join(r) + " |\n" for r in rows)
        + "\nA network on one example with a stopping rule (`until_loss`, here never met, so "
        "every step is tested and the curve's stride doubles), by the generated loop and by the "
        "numpy loop that trained it before:\n\n"
        "| network | steps | generated µs/step | numpy µs/step | ratio |\n"
        "| --- | ---: | ---: | ---: | ---: |\n"
        + "".join("| " + " | ".join(r) + " |\n" for r in until)
        + "\nA network on its training set (24 examples), an epoch a step: by each example's "
        "generated pass and by the numpy loop (ratio above 1: the generated pass is faster; the "
        "trainer takes it only there):\n\n"
        "| network | mode | epochs | generated µs/epoch | numpy µs/epoch | ratio |\n"
        "| --- | --- | ---: | ---: | ---: | ---: |\n"
        + "".join("| " + " | ".join(r) + " |\n" for r in data)
    )
    (HERE / "graph_training.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
