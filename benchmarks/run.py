"""Benchmark: the numbers the issues ask for, measured on this machine (not a unit test).

    python benchmarks/run.py [--repeat N]

Reports the median wall time of: importing sympy, numpy and jinja2 alone; `explainer render
mazur-2-2-2` end to end (a new process, as a user runs it); 10,000 training steps of the 2-2-2
network; `explainer build` without and with PDFs; and the PDF and HTML pages of mazur-2-2-2.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def training(repeat: int) -> float:
    from explainer.evaluate.trainer import train
    from explainer.graph import network
    from explainer.read import scenario
    from explainer.read.settings import schedule

    s = scenario.load(ROOT / "scenarios" / "mazur-2-2-2.toml")
    net, run = network.build(s), schedule(s)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        train(net, run, 10_000)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    n = parser.parse_args().repeat
    py = sys.executable
    with tempfile.TemporaryDirectory() as out:
        rows = [
            ("import sympy, numpy, jinja2", wall([py, "-c", "import sympy, numpy, jinja2"], n)),
            (
                "explainer render mazur-2-2-2 (md)",
                wall([py, "-m", "explainer", "render", "mazur-2-2-2", "-o", out], n),
            ),
            (
                "explainer render mazur-2-2-2 --steps 1",
                wall(
                    [py, "-m", "explainer", "render", "mazur-2-2-2", "--steps", "1", "-o", out], n
                ),
            ),
            ("10,000 training steps, 2-2-2 (in process)", training(n)),
            (
                "explainer build --no-pdf (md+svg, tex, html, json)",
                wall([py, "-m", "explainer", "build", "--no-pdf", "-o", out], max(1, n // 2)),
            ),
            (
                "explainer build (the same and PDF)",
                wall([py, "-m", "explainer", "build", "-o", out], max(1, n // 2)),
            ),
            (
                "explainer render mazur-2-2-2 --format pdf",
                wall([py, "-m", "explainer", "render", "mazur-2-2-2", "-f", "pdf", "-o", out], n),
            ),
            (
                "explainer render mazur-2-2-2 --format html",
                wall([py, "-m", "explainer", "render", "mazur-2-2-2", "-f", "html", "-o", out], n),
            ),
        ]
    width = max(len(r[0]) for r in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:7.3f} s")


if __name__ == "__main__":
    main()
