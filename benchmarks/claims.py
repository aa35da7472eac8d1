"""Time `explainer verify` over claims by the thousand (issue 24: 80,000 claims took 33 s to
read, 120,000 over 120 s, and claims at 300 distinct steps took minutes to diagnose).

    python -m pip install -e . && python benchmarks/claims.py [--rounds N]

Two families of made-up sources, each at growing sizes, each size in a fresh process:
- one quantity printed n times, every printing wrong (seed 001's loss C): the reading and the
  per-claim diagnosis (misprint search, carried-forward values) must grow linearly in n;
- Mazur's loss claimed at each of the steps 1 … n, every one wrong: each alternative convention
  must be trained once to step n, not once per claim.
The table gives the median wall time of each size, the time per claim, and the ratio to the
smallest size's time per claim: 1 or below when the work is linear (the start-up is shared
by more claims), rising with n when it grows faster. Writes benchmarks/claims.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent / "scenarios"
SAME_KEY = (2_500, 5_000, 10_000, 20_000)
STEPS = (75, 150, 300, 600)


def same_key(n: int) -> str:
    base = (SCENARIOS / "single-weight.toml").read_text(encoding="utf-8").split("[claims]")[0]
    return base + "[claims]\nC = [" + ", ".join(f'"0.{k}"' for k in range(1, n + 1)) + "]\n"


def every_step(n: int) -> str:
    base = (SCENARIOS / "mazur-2-2-2.toml").read_text(encoding="utf-8").split("[claims]")[0]
    base = base.replace("steps = 10000", "steps = 1")
    return base + "[claims]\n" + "".join(f'"E_total@{k}" = "0.5"\n' for k in range(1, n + 1))


def timed(text: str, folder: Path) -> float:
    path = folder / "claims.toml"
    path.write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "explainer", "verify", str(path), "--limit", "claims=100000"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 1:  # every claim is wrong: exit 1, never 2 or 70
        sys.exit(f"verify exited {done.returncode}: {done.stderr.decode()[:300]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    families = {
        "one quantity printed n times": (same_key, SAME_KEY),
        "E_total at steps 1 … n": (every_step, STEPS),
    }
    lines = [
        "# Verifying claims by the thousand",
        "",
        f"{datetime.date.today()}, {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, median of {args.rounds} rounds, each a fresh process "
        "(the import included).",
        "",
        "| source | n claims | median s | ms per claim | per claim, to the smallest n |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, (make, sizes) in families.items():
            first = None
            for n in sizes:
                text = make(n)
                median = statistics.median(timed(text, Path(tmp)) for _ in range(args.rounds))
                per = median / n
                first = first or per
                lines.append(
                    f"| {name} | {n:,} | {median:.1f} | {1000 * per:.2f} | {per / first:.2f} |"
                )
    text = "\n".join(lines) + "\n"
    print(text)
    (HERE / "claims.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
