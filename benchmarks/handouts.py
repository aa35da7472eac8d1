"""Time `explainer handout mazur-2-2-2 --variants 30 --seed 7`, with and without PDFs.

    python -m pip install -e . && python benchmarks/handouts.py [--rounds N] [--variants N]

Each round runs both commands in fresh processes, interleaved, into temporary folders; the
table gives the median, min and max wall time of each, the machine's cores, and checks that
the second round's files are byte-identical to the first's. The issue's target: 30 variants
with PDFs in under 30 s on a 2-core machine. Writes benchmarks/handouts.md.
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


def run(fmt: str, variants: int, out: Path) -> float:
    command = [sys.executable, "-m", "explainer", "handout", "mazur-2-2-2"]
    command += ["--variants", str(variants), "--seed", "7", "--format", fmt, "-o", str(out)]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", type=int, default=30)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"tex": [], "pdf": []}
    first: dict[str, dict[str, bytes]] = {}
    identical = True
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for fmt in times:
                out = Path(tmp) / f"{fmt}-{r}"
                times[fmt].append(run(fmt, args.variants, out))
                files = contents(out)
                identical &= first.setdefault(fmt, files) == files
    lines = [
        f"# Handouts: mazur-2-2-2, {args.variants} variants, seed 7",
        "",
        f"{datetime.date.today()}, {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {args.rounds} interleaved rounds, each a fresh process.",
        "",
        "| output | files | median s | min s | max s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for fmt, ts in times.items():
        what = "LaTeX only (no PDF)" if fmt == "tex" else "PDFs (sheets, keys, booklets, summary)"
        lines.append(
            f"| {what} | {len(first[fmt])} | {statistics.median(ts):.1f} | {min(ts):.1f} | "
            f"{max(ts):.1f} |"
        )
    lines += [
        "",
        f"Every round's files byte-identical to the first's: {'yes' if identical else 'NO'}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (HERE / "handouts.md").write_text(text, encoding="utf-8")
    if not identical:
        sys.exit("the same seed gave different bytes")


if __name__ == "__main__":
    main()
