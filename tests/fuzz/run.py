"""The fuzz net (issue 24): many generated and hostile inputs across network and graph scenarios,
claims, handouts, rosters and the Python API, each run in a sandbox with a time limit, counted
by how they ended. Exit 0 when every one kept its promise; the table goes to standard output
(and with --write, into a Markdown file).

    python tests/fuzz/run.py                  # 10,000 examples, on every core
    python tests/fuzz/run.py --examples 700 --jobs 1 --seed 3

A row's columns: how many examples; how each ended (exit 0 a page, 1 a check that found a
miss, 2 bad input; for the API, a result or an ExplainerError); the defects (exit 70, another
exception, a hang, an unclean ending: a traceback, a file written on bad input or outside the
output folder); and the slowest example, with how many took over SLOW seconds.
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import platform
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:  # run as a script: the repository's tests package importable
    sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as with_seed  # noqa: E402

from tests.fuzz.targets import HANG, SLOW, TARGETS, Outcome  # noqa: E402

# Each target's share of the examples, in tenths of the whole.
SHARES = {
    "networks": 2,
    "mutated": 1.5,
    "bytes": 1,
    "graphs": 1.5,
    "claims": 1.5,
    "handouts": 1,
    "api": 1.5,
    "articles": 1,
    "grading": 1,
    "manifests": 1,
}
EXPECTED = {"exit 0", "exit 1", "exit 2", "returned", "ExplainerError", "hang"}  # the rest: bugs
# kind, seconds, clean, files outside, first line said, and for a defect the example itself
Row = tuple[str, float, bool, int, str, str]


def run(task: tuple[str, int, int]) -> tuple[str, list[Row]]:
    """`count` examples of one target from hypothesis, seeded: how each ended."""
    name, count, seed = task
    target = TARGETS[name]
    rows: list[Row] = []

    @with_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],  # no replay, no shrinking: every example counts once
        suppress_health_check=list(HealthCheck),
    )
    @given(target.strategy)
    def one(example: Any) -> None:
        outcome: Outcome = target.run(example)
        said = outcome.message.strip().splitlines()
        broke = not outcome.clean or outcome.seconds > SLOW
        rows.append(
            (
                outcome.kind,
                outcome.seconds,
                outcome.clean,
                len(outcome.outside),
                said[0] if said else "",
                repr(example)[:4000] if broke else "",
            )
        )

    one()
    return name, rows


def tasks(examples: int, jobs: int, seed: int, only: list[str]) -> list[tuple[str, int, int]]:
    """The examples split by SHARES among the targets `only`, each target's into `jobs` parts
    with seeds of their own (a target's seeds are the same whichever others run)."""
    total = sum(SHARES[name] for name in only)
    out = []
    for i, (name, share) in enumerate(SHARES.items()):
        if name not in only:
            continue
        count = round(examples * share / total)
        for j in range(jobs):
            part = count // jobs + (1 if j < count % jobs else 0)
            if part:
                out.append((name, part, seed * 1000 + i * 10 + j))
    return out


def table(results: dict[str, list[Row]], seconds: float) -> str:
    header = (
        "| target | examples | exit 0 / returned | exit 1 | exit 2 / ExplainerError | exit 70 or "
        f"other exception | hangs (>{HANG} s) | unclean | outside the output folder | slowest "
        f"| over {SLOW} s |"
    )
    lines = [header, "|" + " --- |" * 11]
    totals: Counter[str] = Counter()
    for name in [n for n in SHARES if n in results]:
        rows = results[name]
        kinds = Counter(kind for kind, *_ in rows)
        counts = {
            "examples": len(rows),
            "ok": kinds["exit 0"] + kinds["returned"],
            "found": kinds["exit 1"],
            "bad": kinds["exit 2"] + kinds["ExplainerError"],
            "bug": sum(v for k, v in kinds.items() if k not in EXPECTED),
            "hang": kinds["hang"],
            "unclean": sum(1 for _, _, clean, *_ in rows if not clean),
            "outside": sum(row[3] for row in rows),
            "slow": sum(1 for _, s, *_ in rows if s > SLOW),
        }
        slowest = max((s for _, s, *_ in rows), default=0.0)
        totals.update(counts)
        lines.append(
            f"| {name} | {counts['examples']:,} | {counts['ok']:,} | {counts['found']:,} | "
            f"{counts['bad']:,} | {counts['bug']} | {counts['hang']} | {counts['unclean']} | "
            f"{counts['outside']} | {slowest:.1f} s | {counts['slow']} |"
        )
    lines.append(
        f"| all | {totals['examples']:,} | {totals['ok']:,} | {totals['found']:,} | "
        f"{totals['bad']:,} | {totals['bug']} | {totals['hang']} | {totals['unclean']} | "
        f"{totals['outside']} | | {totals['slow']} |"
    )
    lines.append("")
    lines.append(f"{totals['examples']:,} examples in {seconds / 60:.1f} minutes.")
    return "\n".join(lines) + "\n"


def defects(results: dict[str, list[Row]]) -> list[str]:
    """One line per example that broke a promise: its target, how it ended, what it said, and
    the example (to make it a test)."""
    return [
        f"{name}: {kind} after {s:.1f} s: {said[:200]}\n    {example}"
        for name, rows in results.items()
        for kind, s, clean, _, said, example in rows
        if not clean or s > SLOW
    ]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--examples", type=int, default=10_000)
    p.add_argument("--jobs", type=int, default=multiprocessing.cpu_count())
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--write", metavar="FILE.md", help="also write the table into this file")
    p.add_argument(
        "--only",
        metavar="TARGET",
        action="append",
        choices=list(SHARES),
        help="run only this target (again for several)",
    )
    args = p.parse_args(argv)
    start = time.monotonic()
    results: dict[str, list[Row]] = {}
    with multiprocessing.get_context("spawn").Pool(args.jobs, maxtasksperchild=1) as pool:
        chosen = tasks(args.examples, args.jobs, args.seed, args.only or list(SHARES))
        for name, rows in pool.imap_unordered(run, chosen):
            results.setdefault(name, []).extend(rows)
            print(f"{name}: {len(results[name]):,} examples done", file=sys.stderr, flush=True)
    text = table(results, time.monotonic() - start)
    found = defects(results)
    print(text)
    for line in found:
        print(line)
    if args.write:
        head = (
            f"# The fuzz net: {args.examples:,} examples (seed {args.seed})\n\n"
            f"{datetime.date.today()}, {platform.platform()}, {args.jobs} processes, Python "
            f"{platform.python_version()}: `python tests/fuzz/run.py --examples {args.examples} "
            f"--seed {args.seed}`.\n\n"
        )
        body = text + "".join(f"\n- {x}" for x in found)
        Path(args.write).write_text(head + body, encoding="utf-8")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
