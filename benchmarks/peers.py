"""Benchmark against peers: training cost per update, growth with the network, render latency
and peak memory, all measured in one run on this machine (a script, not a unit test).

    python benchmarks/peers.py [--rounds N] [--quick] [--out FILE.md]

1. Per-update cost, side by side. Mazur's 2-2-2 sigmoid network (scenarios/mazur-2-2-2.toml),
   10,000 full gradient-descent updates in float64, by each peer: a hand-written unrolled loop
   over Python floats, a numpy loop, explainer's trainer (called once before the rounds, so its
   compiled loop, cached per network, is not timed), explainer's numpy loop, micrograd and
   PyTorch autograd on the CPU (each skipped with a one-line note when it is not installed).
   Rounds are interleaved, every round running every peer once, so that a noisy machine slows
   all of them alike; for each peer the median, min and max µs per update and the median's
   ratio to the hand-written loop's. Every run must end on the same loss E, to 1e-12 relative,
   or the script stops with an error.
2. Scaling. [n, n, n] sigmoid networks (2·n² weights, no biases, one example), n = 2 … 64
   (… 32 with --quick, where a Markdown page above [8, 8, 8] gets 60 s before it is reported
   as timed out). Each size is rendered in fresh processes, `explainer render FILE --format
   json --steps 1` (derivation, evaluation, JSON) and `--format md --steps 1` (the whole page),
   in interleaved rounds (at most 5), each median less the import floor: a process that only
   imports sympy, numpy and jinja2, run beside each size. The growth exponent is the
   least-squares slope of log(time beyond imports) against log(weights), over the sizes above
   0.05 s; beside it the same slope of the time beyond the [2, 2, 2] page, which removes every
   page's fixed cost too. Then, in this process, explainer's trainer per update against a
   numpy loop of the same network, both ending on the same weights.
3. Render latency. `explainer render mazur-2-2-2 --format md` against the import floor, in
   interleaved rounds; medians and their ratio.
4. Peak memory. The maximum resident set (ru_maxrss) of the render processes, in MiB, taken
   by a bare launcher process that forks each one and waits for it with os.wait4 (POSIX).

explainer's modules are byte-compiled first, as an installed package's are, so that no process
compiles them from source (where PYTHONDONTWRITEBYTECODE is set, every process would).

Prints the tables and writes them to --out (default benchmarks/results.md).
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import importlib.metadata
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from explainer import Limits
from explainer.evaluate import compiled, trainer
from explainer.graph import network
from explainer.read import scenario
from explainer.read.settings import schedule

ROOT = Path(__file__).resolve().parent.parent
MAZUR = ROOT / "scenarios" / "mazur-2-2-2.toml"
UPDATES = 10_000
EXPECTED_E = 3.510187782978859e-05  # Mazur's network after 10,000 updates, in float64
AGREE = 1e-12  # relative: every peer's E within this of EXPECTED_E
SIZES = (2, 4, 8, 16, 32, 64)
QUICK_SIZES = (2, 4, 8, 16, 32)
QUICK_MD_ABOVE, QUICK_MD_SECONDS = 8, 60.0  # --quick: a larger page may take a minute at most
SCALING_UPDATES = 2_000  # per timed training call in the scaling table
SCALING_ROUNDS = 5  # at most: the largest pages take seconds each
FIT_ABOVE = 0.05  # seconds beyond imports: below this a time is mostly noise, not growth
MEMORY_SIZE = 32  # the network whose renders the memory table reports ([32, 32, 32])
PARAMETERS = 10_000  # [64, 64, 64] has 8,192 weights, over the default limit of 5,000
LIMITS = replace(Limits(), parameters=PARAMETERS)
FLOOR = [sys.executable, "-c", "import sympy, numpy, jinja2"]
EXPLAINER = [sys.executable, "-m", "explainer"]
RSS_BYTES = 1 if sys.platform == "darwin" else 1024  # the unit of ru_maxrss


# The networks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dense:
    """A two-layer sigmoid network with one training example, as plain numbers, and the
    scenario file that describes the same network to explainer."""

    path: Path
    inputs: list[float]
    hidden: list[list[float]]  # a row of weights per hidden neuron
    output: list[list[float]]  # a row of weights per output neuron
    biases: tuple[float, float]  # each layer's one bias, shared by its neurons, not trained
    targets: list[float]
    rate: float


def mazur() -> Dense:
    """Mazur's 2-2-2 network, read from the shipped scenario."""
    raw = tomllib.loads(MAZUR.read_text(encoding="utf-8"))
    hidden, output = raw["network"]["layers"]
    assert not hidden["train_biases"] and not output["train_biases"]
    assert raw["loss"]["function"] == "half_sse" and hidden["activation"] == "sigmoid"
    return Dense(
        MAZUR,
        raw["example"]["inputs"],
        hidden["weights"],
        output["weights"],
        (hidden["biases"][0], output["biases"][0]),
        raw["example"]["targets"],
        raw["training"]["learning_rate"],
    )


def square(n: int, folder: Path) -> Dense:
    """The [n, n, n] network: inputs 0.1, targets 0.5, learning rate 0.5, no biases, and
    weight (i, j) = ((i·7 + j·3) mod 11 − 5)/20 for the network's i-th neuron (hidden ones
    first) and its j-th source; written as a scenario file in `folder`."""

    def weights(first: int) -> list[list[float]]:
        return [
            [((i * 7 + j * 3) % 11 - 5) / 20 for j in range(n)] for i in range(first, first + n)
        ]

    net = Dense(
        folder / f"dense-{n}.toml", [0.1] * n, weights(0), weights(n), (0.0, 0.0), [0.5] * n, 0.5
    )
    net.path.write_text(scenario_text(net, n), encoding="utf-8")
    return net


def scenario_text(net: Dense, n: int) -> str:
    def names(letter: str) -> str:
        return ", ".join(f'"{letter}{k + 1}"' for k in range(n))

    def rows(matrix: list[list[float]]) -> str:
        return "[" + ", ".join(repr(row) for row in matrix) + "]"

    return f"""title = "A [{n}, {n}, {n}] sigmoid network"

[network]
inputs = [{names("i")}]

[[network.layers]]
neurons = [{names("h")}]
activation = "sigmoid"
weights = {rows(net.hidden)}

[[network.layers]]
neurons = [{names("o")}]
activation = "sigmoid"
weights = {rows(net.output)}

[example]
inputs = {net.inputs!r}
targets = {net.targets!r}

[loss]
function = "half_sse"

[training]
learning_rate = {net.rate!r}
"""


# The peers: each prepares, untimed, a call that runs UPDATES updates and returns the final E ----

Run = Callable[[], float]


def hand_written(net: Dense) -> Run:
    """Mazur's network unrolled by hand over Python floats, as a blog's script is written."""
    (i1, i2), (t1, t2), (b1, b2), eta = net.inputs, net.targets, net.biases, net.rate

    def run() -> float:
        exp = math.exp
        (w1, w2), (w3, w4) = net.hidden
        (w5, w6), (w7, w8) = net.output
        for _ in range(UPDATES):
            h1 = 1.0 / (1.0 + exp(-(w1 * i1 + w2 * i2 + b1)))
            h2 = 1.0 / (1.0 + exp(-(w3 * i1 + w4 * i2 + b1)))
            o1 = 1.0 / (1.0 + exp(-(w5 * h1 + w6 * h2 + b2)))
            o2 = 1.0 / (1.0 + exp(-(w7 * h1 + w8 * h2 + b2)))
            d1 = (o1 - t1) * o1 * (1.0 - o1)
            d2 = (o2 - t2) * o2 * (1.0 - o2)
            e1 = (d1 * w5 + d2 * w7) * h1 * (1.0 - h1)
            e2 = (d1 * w6 + d2 * w8) * h2 * (1.0 - h2)
            w1, w2, w3, w4 = (
                w1 - eta * e1 * i1,
                w2 - eta * e1 * i2,
                w3 - eta * e2 * i1,
                w4 - eta * e2 * i2,
            )
            w5, w6, w7, w8 = (
                w5 - eta * d1 * h1,
                w6 - eta * d1 * h2,
                w7 - eta * d2 * h1,
                w8 - eta * d2 * h2,
            )
        h1 = 1.0 / (1.0 + exp(-(w1 * i1 + w2 * i2 + b1)))
        h2 = 1.0 / (1.0 + exp(-(w3 * i1 + w4 * i2 + b1)))
        o1 = 1.0 / (1.0 + exp(-(w5 * h1 + w6 * h2 + b2)))
        o2 = 1.0 / (1.0 + exp(-(w7 * h1 + w8 * h2 + b2)))
        return 0.5 * ((t1 - o1) ** 2 + (t2 - o2) ** 2)

    return run


def numpy_sgd(net: Dense, updates: int) -> tuple[float, np.ndarray]:
    """A numpy loop as one writes it by hand: layers as matrices, one update per step. The
    final E and the weights (hidden rows, then output rows)."""
    x, t = np.array(net.inputs, dtype=np.float64), np.array(net.targets, dtype=np.float64)
    w_h, w_o = np.array(net.hidden, dtype=np.float64), np.array(net.output, dtype=np.float64)
    b_h, b_o = net.biases

    def forward() -> tuple[np.ndarray, np.ndarray]:
        h = 1.0 / (1.0 + np.exp(-(w_h @ x + b_h)))
        return h, 1.0 / (1.0 + np.exp(-(w_o @ h + b_o)))

    for _ in range(updates):
        h, o = forward()
        d_o = (o - t) * o * (1.0 - o)
        d_h = (w_o.T @ d_o) * h * (1.0 - h)
        w_o -= net.rate * np.outer(d_o, h)
        w_h -= net.rate * np.outer(d_h, x)
    o = forward()[1]
    return float(0.5 * np.sum((t - o) ** 2)), np.concatenate((w_h.ravel(), w_o.ravel()))


def numpy_loop(net: Dense) -> Run:
    return lambda: numpy_sgd(net, UPDATES)[0]


def explainer_trainer(net: Dense) -> Run:
    """explainer's own training (`trainer.train`), called once here, before any timing: its
    compiled loop is generated and cached per network on the first call."""
    s = scenario.load_network(net.path, LIMITS)
    built, run = network.build(s), schedule(s)

    def call() -> float:
        return trainer.train(built, run, UPDATES).steps[-1].loss

    call()
    return call


def explainer_numpy(net: Dense) -> Run:
    """explainer's general loop over numpy arrays (training sets, stopping rules, wide nets)."""
    s = scenario.load_network(net.path, LIMITS)
    built, run = network.build(s), schedule(s)
    return lambda: trainer._numpy(built, run, UPDATES, (), None).steps[-1].loss


def weighted(row: Sequence[Any], inputs: Sequence[Any]) -> Any:
    """Σ w·x from the left, as the other peers add (works for micrograd's Value too)."""
    total = row[0] * inputs[0]
    for w, x in zip(row[1:], inputs[1:], strict=True):
        total = total + w * x
    return total


def micrograd_peer(net: Dense) -> Run:
    """micrograd: the network built of scalar `Value`s, one backward pass per update."""
    from micrograd.engine import Value

    def sigmoid(v: Any) -> Any:
        """micrograd has no exp: a sigmoid node, written the way micrograd writes its own."""
        s = 1.0 / (1.0 + math.exp(-v.data))
        out = Value(s, (v,), "sigmoid")

        def backward() -> None:
            v.grad += s * (1.0 - s) * out.grad

        out._backward = backward
        return out

    def loss(hidden: list[list[Any]], output: list[list[Any]]) -> Any:
        h = [sigmoid(weighted(row, net.inputs) + net.biases[0]) for row in hidden]
        o = [sigmoid(weighted(row, h) + net.biases[1]) for row in output]
        return 0.5 * sum((t - out) ** 2 for t, out in zip(net.targets, o, strict=True))

    def run() -> float:
        hidden = [[Value(w) for w in row] for row in net.hidden]
        output = [[Value(w) for w in row] for row in net.output]
        params = [w for row in hidden + output for w in row]
        for _ in range(UPDATES):
            e = loss(hidden, output)
            for p in params:
                p.grad = 0.0
            e.backward()
            for p in params:
                p.data -= net.rate * p.grad
        return float(loss(hidden, output).data)

    return run


def torch_peer(net: Dense) -> Run:
    """PyTorch autograd on the CPU in float64: weight tensors with requires_grad, the update
    by hand under no_grad."""
    import torch

    f64 = torch.float64
    x, t = torch.tensor(net.inputs, dtype=f64), torch.tensor(net.targets, dtype=f64)
    b_h, b_o = net.biases

    def loss(w_h: Any, w_o: Any) -> Any:
        o = torch.sigmoid(w_o @ torch.sigmoid(w_h @ x + b_h) + b_o)
        return 0.5 * ((t - o) ** 2).sum()

    def run() -> float:
        w_h = torch.tensor(net.hidden, dtype=f64, requires_grad=True)
        w_o = torch.tensor(net.output, dtype=f64, requires_grad=True)
        for _ in range(UPDATES):
            loss(w_h, w_o).backward()
            with torch.no_grad():
                for w in (w_h, w_o):
                    w -= net.rate * w.grad
                    w.grad = None
        with torch.no_grad():
            return float(loss(w_h, w_o))

    return run


HAND = "hand-written unrolled loop on Python floats"
PEERS: dict[str, Callable[[Dense], Run]] = {
    HAND: hand_written,
    "numpy per-step loop": numpy_loop,
    "explainer's trainer (`trainer.train`)": explainer_trainer,
    "explainer's numpy loop (`trainer._numpy`)": explainer_numpy,
    "micrograd": micrograd_peer,
    "PyTorch autograd, CPU float64": torch_peer,
}


# Measuring --------------------------------------------------------------------------------


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table; every column but the first right-aligned (they hold numbers)."""
    rule = ["---", *["---:"] * (len(header) - 1)]
    return [f"| {' | '.join(cells)} |" for cells in (header, rule, *rows)]


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def agrees(name: str, e: float) -> float:
    """The peer's E, or the run stops: a peer that trains differently has nothing to compare."""
    if abs(e - EXPECTED_E) > AGREE * EXPECTED_E:
        raise SystemExit(
            f"peers.py: {name} ended on E = {e!r}, not {EXPECTED_E!r} "
            f"(relative difference {abs(e - EXPECTED_E) / EXPECTED_E:.1e} > {AGREE:.0e})"
        )
    return e


def ready_peers() -> tuple[dict[str, Run], list[str]]:
    """Each peer prepared, or a note saying why it is skipped."""
    net, ready, notes = mazur(), {}, []
    for name, prepare in PEERS.items():
        try:
            ready[name] = prepare(net)
        except ModuleNotFoundError as e:
            notes.append(
                f"{name}: skipped, `{e.name}` is not installed "
                "(`python -m pip install -e '.[bench]'`)"
            )
            note(notes[-1])
    return ready, notes


def per_update(rounds: int) -> list[str]:
    ready, notes = ready_peers()
    seconds: dict[str, list[float]] = {name: [] for name in ready}
    final: dict[str, float] = {}
    for r in range(rounds):
        note(f"per-update cost: round {r + 1} of {rounds}")
        for name, run in ready.items():
            start = time.perf_counter()
            e = run()
            seconds[name].append(time.perf_counter() - start)
            final[name] = agrees(name, e)
    base = statistics.median(seconds[HAND])
    rows = []
    for name, runs in seconds.items():
        median, low, high = (s / UPDATES * 1e6 for s in spread(runs))
        ratio = statistics.median(runs) / base
        rows.append(
            [name, f"{median:.2f}", f"{low:.2f}", f"{high:.2f}", f"{ratio:.2f}", repr(final[name])]
        )
    return [
        "## 1. Per-update cost, Mazur's 2-2-2 network",
        "",
        f"{UPDATES:,} full updates in float64 per run; {rounds} interleaved rounds (each round "
        "runs every peer once). explainer's trainer was called once before the rounds, untimed: "
        "its compiled loop is cached per network after the first call. Every run ended on the "
        f"E shown, within {AGREE:.0e} relative of {EXPECTED_E!r}.",
        "",
        *table(
            ["peer", "median µs/update", "min", "max", "× hand-written", f"E after {UPDATES:,}"],
            rows,
        ),
        *([""] + [f"- {n}" for n in notes] if notes else []),
    ]


@dataclass(frozen=True)
class Outcome:
    seconds: float
    peak_mib: float  # nan where the process was killed before it could be told
    timed_out: bool


# A small launcher between this process and the one measured: a child forked straight from this
# process would report this process's resident set as its own peak (Linux keeps the larger of the
# two across exec), and this one holds sympy, numpy and perhaps torch. The launcher, a bare
# Python, forks and execs the command, waits for it and writes its wall time and ru_maxrss.
LAUNCHER = """\
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{time.perf_counter() - start} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measure(command: list[str], timeout: float | None = None) -> Outcome:
    """One fresh process: its wall time and its peak resident memory. After `timeout` seconds it
    is killed, with its process group."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report"
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", LAUNCHER, str(report), *command],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            _, err = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            return Outcome(time.perf_counter() - start, math.nan, True)
        if child.returncode != 0:
            said = err.decode(errors="replace").strip().splitlines()
            raise SystemExit(
                f"peers.py: {' '.join(command)} failed (exit {child.returncode}): "
                f"{said[-1] if said else 'no message'}"
            )
        seconds, rss = report.read_text().split()
    return Outcome(float(seconds), int(rss) * RSS_BYTES / 2**20, False)


def summary(outcomes: Sequence[Outcome]) -> Outcome:
    """Several runs of one command: the median time, the largest peak; timed out if any was."""
    if any(o.timed_out for o in outcomes):
        return next(o for o in outcomes if o.timed_out)
    return Outcome(
        statistics.median(o.seconds for o in outcomes), max(o.peak_mib for o in outcomes), False
    )


def render(path: Path | str, fmt: str, folder: Path, *options: str) -> list[str]:
    return [*EXPLAINER, "render", str(path), "--format", fmt, *options, "-o", str(folder)]


# 2. Scaling -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    n: int
    floor: Outcome
    json: Outcome
    md: Outcome

    @property
    def weights(self) -> int:
        return 2 * self.n * self.n


def render_sizes(
    sizes: Sequence[int], folder: Path, rounds: int, quick: bool, timeout: float
) -> list[Size]:
    """Every size in fresh processes, the sizes interleaved round by round: the import floor,
    the JSON and the Markdown page. A command that timed out is not run again."""
    options = ["--steps", "1", "--limit", f"parameters={PARAMETERS}"]
    commands: dict[int, dict[str, tuple[list[str], float | None]]] = {}
    for n in sizes:
        path, out = square(n, folder).path, folder / f"out-{n}"
        md_timeout = QUICK_MD_SECONDS if quick and n > QUICK_MD_ABOVE else timeout
        commands[n] = {
            "floor": (FLOOR, None),
            "json": (render(path, "json", out, *options), timeout),
            "md": (render(path, "md", out, *options), md_timeout),
        }
    runs = {n: {kind: list[Outcome]() for kind in kinds} for n, kinds in commands.items()}
    for r in range(rounds):
        note(f"scaling: round {r + 1} of {rounds}")
        for n, kinds in commands.items():
            for kind, (command, limit) in kinds.items():
                done = runs[n][kind]
                if not any(o.timed_out for o in done):
                    done.append(measure(command, limit))
    return [Size(n, *(summary(runs[n][k]) for k in ("floor", "json", "md"))) for n in sizes]


def beyond(outcome: Outcome, floor: float) -> float | None:
    return None if outcome.timed_out else outcome.seconds - floor


def seconds_cells(outcome: Outcome, floor: float) -> list[str]:
    extra = beyond(outcome, floor)
    if extra is None:
        return [f"timed out ({outcome.seconds:.0f} s)", "timed out"]
    return [f"{outcome.seconds:.2f}", f"{extra:.2f}"]


def exponent(points: Sequence[tuple[int, float | None]], what: str) -> str:
    """The least-squares slope of log(seconds) against log(weights), over the points above
    FIT_ABOVE seconds."""
    fit = [(w, t) for w, t in points if t is not None and t > FIT_ABOVE]
    if len(fit) < 2:
        return f"n/a (fewer than two sizes above {FIT_ABOVE} s {what})"
    slope = np.polyfit(np.log([w for w, _ in fit]), np.log([t for _, t in fit]), 1)[0]
    return f"**{slope:.2f}** ({what}; {fit[0][0]:,}–{fit[-1][0]:,} weights, {len(fit)} sizes)"


def exponents(
    sizes: Sequence[Size], floor: float, label: str, pick: Callable[[Size], Outcome]
) -> str:
    """The exponent of the brief (time beyond the import floor), and that of the time beyond the
    smallest network's render, which takes out every page's fixed cost as well."""
    first = pick(sizes[0]).seconds
    floors = [(s.weights, beyond(pick(s), floor)) for s in sizes]
    fixed = [(s.weights, beyond(pick(s), first)) for s in sizes[1:]]
    small = f"[{sizes[0].n}, {sizes[0].n}, {sizes[0].n}]"
    return (
        f"- growth exponent {label}: {exponent(floors, 'beyond imports')}; "
        f"{exponent(fixed, f'beyond the {small} render')}"
    )


def scaling_table(sizes: Sequence[Size], rounds: int) -> list[str]:
    floor = statistics.median(s.floor.seconds for s in sizes)
    rows = [
        [
            f"[{s.n}, {s.n}, {s.n}]",
            f"{s.weights:,}",
            *seconds_cells(s.json, floor),
            *seconds_cells(s.md, floor),
            f"{mib(s.json)} / {mib(s.md)}",
        ]
        for s in sizes
    ]
    return [
        "## 2. Scaling: [n, n, n] sigmoid networks",
        "",
        "Each render in a fresh process, `--steps 1`, the median of "
        f"{rounds} interleaved rounds; (a) `--format json` is derivation, evaluation and JSON, "
        "(b) `--format md` the whole Markdown page with its figures. “Beyond imports” subtracts "
        f"the import floor, {floor:.3f} s (median over the sizes of the median of "
        "`import sympy, numpy, jinja2`, run beside each size). Time ∝ weights^k: k is fitted by "
        f"least squares of log time against log weights over the sizes above {FIT_ABOVE} s.",
        "",
        *table(
            [
                "network",
                "weights",
                "(a) json s",
                "beyond imports",
                "(b) md s",
                "beyond imports",
                "peak MiB json / md",
            ],
            rows,
        ),
        "",
        exponents(sizes, floor, "(a), json", lambda s: s.json),
        exponents(sizes, floor, "(b), md", lambda s: s.md),
    ]


def training_row(n: int, folder: Path, rounds: int) -> list[str]:
    """explainer's trainer against the numpy loop on [n, n, n], interleaved, in this process;
    both must end on the same weights."""
    net = square(n, folder)
    s = scenario.load_network(net.path, LIMITS)
    built, run = network.build(s), schedule(s)
    start = time.perf_counter()
    trainer.train(built, run, SCALING_UPDATES)
    first = time.perf_counter() - start
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        params = trainer.train(built, run, SCALING_UPDATES).steps[-1].params
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        weights = numpy_sgd(net, SCALING_UPDATES)[1]
        theirs.append(time.perf_counter() - start)
    gap = float(np.max(np.abs(np.array(params) - weights)))
    if gap > 1e-9:
        raise SystemExit(
            f"peers.py: [{n}, {n}, {n}]: explainer's weights differ from numpy's by {gap:.1e}"
        )
    a, b = statistics.median(ours), statistics.median(theirs)
    loop = "compiled" if compiled.compilable(built, run) else "numpy"
    scale = 1e6 / SCALING_UPDATES
    return [
        f"[{n}, {n}, {n}]",
        f"{2 * n * n:,}",
        loop,
        f"{first:.2f}",
        f"{a * scale:.1f}",
        f"{b * scale:.1f}",
        f"{a / b:.2f}",
        f"{gap:.0e}",
    ]


def training_table(sizes: Sequence[int], folder: Path, rounds: int) -> list[str]:
    rows = []
    for n in sizes:
        note(f"scaling, training: [{n}, {n}, {n}]")
        rows.append(training_row(n, folder, rounds))
    return [
        f"### (c) Training per update: explainer's trainer against a numpy loop ({rounds} "
        f"interleaved rounds of {SCALING_UPDATES:,} updates, medians)",
        "",
        "The first call (untimed in the medians) compiles explainer's loop where it uses one. "
        "Both end on the same weights, to the largest difference shown.",
        "",
        *table(
            [
                "network",
                "weights",
                "explainer's loop",
                "first call s",
                "explainer µs/update",
                "numpy loop µs/update",
                "× numpy loop",
                "largest Δw",
            ],
            rows,
        ),
    ]


# 3. Render latency and 4. peak memory ---------------------------------------------------------


def latency(rounds: int, folder: Path) -> tuple[list[str], dict[str, list[Outcome]]]:
    commands = {
        "`import sympy, numpy, jinja2` (the import floor)": FLOOR,
        "`explainer render mazur-2-2-2 --format md`": render("mazur-2-2-2", "md", folder),
    }
    runs: dict[str, list[Outcome]] = {name: [] for name in commands}
    for r in range(rounds):
        note(f"render latency: round {r + 1} of {rounds}")
        for name, command in commands.items():
            runs[name].append(measure(command))
    floor = statistics.median(o.seconds for o in next(iter(runs.values())))
    rows = []
    for name, outcomes in runs.items():
        median, low, high = spread([o.seconds for o in outcomes])
        rows.append([name, f"{median:.3f}", f"{low:.3f}", f"{high:.3f}", f"{median / floor:.2f}"])
    return [
        "## 3. Render latency",
        "",
        f"Fresh processes, {rounds} interleaved rounds (the page and its figures written to a "
        "temporary folder).",
        "",
        *table(["command", "median s", "min s", "max s", "× import floor"], rows),
    ], runs


def mib(outcome: Outcome) -> str:
    return "timed out" if outcome.timed_out else f"{outcome.peak_mib:.0f}"


def memory_table(sizes: Sequence[Size], runs: dict[str, list[Outcome]]) -> list[str]:
    rows = [[name, mib(summary(outcomes))] for name, outcomes in runs.items()]
    for s in sizes:
        if s.n == MEMORY_SIZE:
            rows.append([f"[{s.n}, {s.n}, {s.n}] `--format json --steps 1`", mib(s.json)])
            rows.append([f"[{s.n}, {s.n}, {s.n}] `--format md --steps 1`", mib(s.md)])
    return [
        "## 4. Peak memory",
        "",
        "The largest resident set of each process over its runs (its `ru_maxrss`, taken by a "
        "small launcher that forks it, so this process's own memory is not counted); every "
        "size's renders are in table 2.",
        "",
        *table(["process", "peak RSS MiB"], rows),
    ]


# The run ---------------------------------------------------------------------------------


def versions() -> str:
    found = []
    for package in ("numpy", "sympy", "jinja2", "micrograd", "torch"):
        try:
            found.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{package} not installed")
    return ", ".join(found)


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "outside a git checkout"
    return f"commit {head}" + (" with uncommitted changes" if dirty else "")


def header(argv: Sequence[str]) -> list[str]:
    today = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return [
        "# explainer against its peers",
        "",
        f"`python benchmarks/peers.py{''.join(' ' + a for a in argv)}`, {today}: "
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs; {versions()}; explainer at {commit()}.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, help="interleaved rounds (default 11, 3 with --quick)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="sizes up to 32, a 60 s cap on md pages above 8"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds a render may take (default 900)"
    )
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 11)
    sizes = QUICK_SIZES if args.quick else SIZES
    sections: list[list[str]] = []

    def show(lines: list[str]) -> None:
        sections.append(lines)
        print("\n".join(lines) + "\n", flush=True)

    # explainer's modules byte-compiled, as an installed package's are (pip compiles a wheel's
    # modules; sympy's, numpy's and jinja2's are): an editable checkout run where
    # PYTHONDONTWRITEBYTECODE is set would compile every module from source in every process.
    compileall.compile_dir(ROOT / "explainer", quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        show(header(sys.argv[1:]))
        show(per_update(rounds))
        scaling_rounds = min(rounds, SCALING_ROUNDS)
        rendered = render_sizes(sizes, folder, scaling_rounds, args.quick, args.timeout)
        show([*scaling_table(rendered, scaling_rounds), "", *training_table(sizes, folder, rounds)])
        lines, runs = latency(rounds, folder)
        show(lines)
        show(memory_table(rendered, runs))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n\n".join("\n".join(s) for s in sections) + "\n", encoding="utf-8")
    note(f"written to {args.out}")


if __name__ == "__main__":
    main()
