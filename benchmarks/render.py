"""Benchmark: a Markdown page as a user renders it, against the bare imports (not a unit test).

    python benchmarks/render.py [--rounds N] [--build]

Runs whole processes, interleaved round by round so that a noisy machine slows every command
alike: `python -c "import sympy, numpy, jinja2"`, `explainer render mazur-2-2-2 --format md`,
`explainer render mazur-2-2-2 --format json` and, with `--build`, `explainer build --no-pdf`.
Prints each command's median and its ratio to the bare imports measured in the same run.
explainer's modules are byte-compiled first, as an installed package's are.
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commands(out: str, build: bool) -> dict[str, list[str]]:
    py = sys.executable
    run = [py, "-m", "explainer"]
    table = {
        "import sympy, numpy, jinja2": [py, "-c", "import sympy, numpy, jinja2"],
        "render mazur-2-2-2 --format md": [*run, "render", "mazur-2-2-2", "-f", "md", "-o", out],
        "render mazur-2-2-2 --format json": [*run, "render", "mazur-2-2-2", "-f", "json"],
    }
    if build:
        table["build --no-pdf"] = [*run, "build", "--no-pdf", "-o", out]
    return table


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--build", action="store_true", help="time `explainer build --no-pdf` too")
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "explainer", quiet=1)
    with tempfile.TemporaryDirectory() as out:
        table = commands(out, args.build)
        times: dict[str, list[float]] = {name: [] for name in table}
        for _ in range(args.rounds):
            for name, command in table.items():
                times[name].append(seconds(command))
    base = statistics.median(times["import sympy, numpy, jinja2"])
    width = max(map(len, table))
    print(f"{'command':<{width}}  median     ×imports  ({args.rounds} interleaved rounds)")
    for name, runs in times.items():
        median = statistics.median(runs)
        print(f"{name:<{width}}  {median:6.3f} s  {median / base:6.2f}")


if __name__ == "__main__":
    main()
