"""Builds killed at random moments (issue 9): the output folder holds the old set whole or the
new set whole, never a mix; no TeX process is left running; what a killed build leaves behind
(temporary folders, a staging folder) is gone after the next build. And builds are the same bytes
in separate processes, whatever PYTHONHASHSEED."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import MINIMAL, ROOT, SCENARIOS, tex_processes


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def build(scenarios: Path, out: Path, env: dict[str, str], *more: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "explainer",
            "build",
            "--scenarios",
            str(scenarios),
            "-o",
            str(out),
            *more,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def write_versions(folder: Path, title: str) -> None:
    for name in ("a", "b"):
        text = MINIMAL.replace('title = "Minimal"', f'title = "{title} {name}"')
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and signals")
def test_a_killed_build_leaves_one_whole_set_and_nothing_running(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    old_src, new_src = tmp_path / "old", tmp_path / "new"
    old_src.mkdir()
    new_src.mkdir()
    write_versions(old_src, "Old")
    write_versions(new_src, "New")
    out, reference = tmp_path / "out", tmp_path / "reference"

    start = time.monotonic()
    assert build(new_src, reference, env).wait() == 0
    full = time.monotonic() - start
    new = snapshot(reference)
    assert build(old_src, out, env).wait() == 0
    old = snapshot(out)
    assert old != new and old.keys() == new.keys()

    rng = random.Random(9)
    outcomes = set()
    for round_ in range(6):
        if snapshot(out) != old:  # a round that finished: start again from the old set
            assert build(old_src, out, env).wait() == 0
        process = build(new_src, out, env)
        time.sleep(rng.uniform(0.2, full))
        how = (signal.SIGKILL, signal.SIGTERM)[round_ % 2]
        process.send_signal(how)
        code = process.wait()
        now = snapshot(out)
        mixed = {k: (now.get(k) == old.get(k), now.get(k) == new.get(k)) for k in {*now, *new}}
        assert now in (old, new), f"round {round_}, {how!r}: a mix: {mixed}"
        outcomes.add(now == new)
        deadline = time.monotonic() + 5
        while tex_processes(tmp) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert tex_processes(tmp) == [], f"round {round_}: TeX left running"
        if how == signal.SIGTERM and code != 0:
            mine = [p for p in tmp.iterdir() if f"-{process.pid}-" in p.name]
            assert mine == [], f"round {round_}: a temporary folder was left"
            assert b"Traceback" not in (process.stderr.read() if process.stderr else b"")
    assert build(new_src, out, env).wait() == 0
    assert snapshot(out) == new
    assert list(tmp.iterdir()) == []  # the next build removed what killed ones left
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert False in outcomes  # at least one kill landed before the swap


def test_builds_in_separate_processes_are_byte_identical(tmp_path: Path) -> None:
    """Same scenarios, two processes with different hash seeds: the same bytes in every text
    file (PDFs are compared by the PDF tests)."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name in ("mazur-2-2-2", "single-weight", "cross-entropy"):
        (folder / f"{name}.toml").write_text(
            (SCENARIOS / f"{name}.toml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    runs = []
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        runs.append(build(folder, tmp_path / seed, env, "--no-pdf"))
    assert [r.wait() for r in runs] == [0, 0]
    first, second = snapshot(tmp_path / "1"), snapshot(tmp_path / "4242")
    assert len(first) > 10 and first == second
