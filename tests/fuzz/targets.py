"""Running what strategies.py makes: each example in a sandbox folder of its own (the current
folder while it runs, so that a relative path lands there), under a time limit, and how it
ended: its exit code or what the API raised, its time, and any file it wrote outside the output
folder. test_fuzz.py asserts the promise on each; run.py counts them."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

import explainer
from explainer.cli import main
from tests.conftest import SCENARIOS
from tests.fuzz import strategies as S

HANG = 30  # seconds: an example still running then is stopped and counted a hang
SLOW = 10  # seconds: the bound issue 24 sets on every example
# Low enough that every example runs in about a second; a file over them is an exit 2 too.
LIMITS = ("--limit", "seconds=20", "--limit", "steps=5000")


@dataclass(frozen=True)
class Outcome:
    kind: (
        str  # "exit 0" … "exit 70", "hang", or for the API "returned", "ExplainerError", "raised X"
    )
    seconds: float
    message: str  # what it said on standard error, or the exception's text
    outside: tuple[str, ...]  # files written outside the output folder (relative to the sandbox)
    wrote: bool  # the output folder exists afterwards

    @property
    def clean(self) -> bool:
        """Each promise kept: a located exit (0, 1 or 2) or an ExplainerError, no traceback or
        internal error, nothing written on bad input, nothing written outside the output
        folder, within the time limit."""
        bug = "Traceback" in self.message or "internal error" in self.message
        if self.kind in ("exit 0", "exit 1", "returned"):
            return not bug and not self.outside
        if self.kind == "exit 2":
            said = any(line.startswith("explainer: error:") for line in self.message.splitlines())
            return said and not bug and not self.outside and not self.wrote
        return self.kind == "ExplainerError" and not self.outside


class Hang(BaseException):
    """An example that ran past HANG seconds (a BaseException: explainer must not catch it)."""


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise Hang(f"no result after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def sandbox(files: dict[str, bytes]) -> Iterator[Path]:
    """A fresh folder holding `files` and the shipped training sets under data/, made the
    current folder while the example runs."""
    before = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="explainer-fuzz-") as folder:
        work = Path(folder)
        shutil.copytree(SCENARIOS / "data", work / "data")
        for name, data in files.items():
            (work / name).write_bytes(data)
        os.chdir(work)
        try:
            yield work
        finally:
            os.chdir(before)


def _outside(work: Path, inputs: set[str]) -> tuple[str, ...]:
    """Every file in the sandbox that is neither an input nor inside out/."""
    found = []
    for p in sorted(work.rglob("*")):
        rel = p.relative_to(work).as_posix()
        if p.is_dir() or rel in inputs or rel.startswith(("out/", "data/")):
            continue
        found.append(rel)
    return tuple(found)


def run_cli(argv: list[str], files: dict[str, bytes]) -> Outcome:
    """`explainer ARGV` in process, in a sandbox holding `files`, its output folder `out`."""
    with sandbox(files) as work:
        err = io.StringIO()
        start = time.monotonic()
        try:
            with (
                time_limit(HANG),
                contextlib.redirect_stderr(err),
                contextlib.redirect_stdout(io.StringIO()),
            ):
                kind = f"exit {main(argv)}"
        except Hang:
            kind = "hang"
        seconds = time.monotonic() - start
        inputs = set(files)
        return Outcome(
            kind, seconds, err.getvalue(), _outside(work, inputs), (work / "out").exists()
        )


def run_api(call: Callable[[], Any], files: dict[str, bytes] | None = None) -> Outcome:
    """A Python call in a sandbox: it returns, or raises an ExplainerError; anything else is a
    defect (a TypeError from inside, a RecursionError)."""
    with sandbox(files or {}) as work:
        start = time.monotonic()
        message = ""
        try:
            with time_limit(HANG), contextlib.redirect_stderr(io.StringIO()):
                call()
            kind = "returned"
        except Hang:
            kind = "hang"
        except explainer.ExplainerError as e:
            kind, message = "ExplainerError", str(e)
        except Exception as e:
            kind, message = f"raised {type(e).__name__}", str(e)[:300]
        seconds = time.monotonic() - start
        return Outcome(kind, seconds, message, _outside(work, set(files or {})), False)


def _content(data: str | bytes) -> bytes:
    return data if isinstance(data, bytes) else data.encode("utf-8")


# -- The targets: each a strategy of examples and how one is run -----------------------------


def network(example: tuple[dict[str, Any], str, str]) -> Outcome:
    doc, fmt, arithmetic = example
    argv = ["render", "case.toml", "-f", fmt, "-o", "out", *LIMITS, "--arithmetic", arithmetic]
    return run_cli(argv, {"case.toml": _content(S.toml(doc))})


def mutated(example: tuple[tuple[str, dict[str, Any]], str, str]) -> Outcome:
    (name, doc), fmt, arithmetic = example
    argv = ["render", f"{name}.toml", "-f", fmt, "-o", "out", *LIMITS, "--arithmetic", arithmetic]
    return run_cli(argv, {f"{name}.toml": _content(S.toml(doc))})


def mutated_bytes(example: tuple[tuple[str, bytes], str]) -> Outcome:
    (name, data), fmt = example
    argv = ["render", f"{name}.toml", "-f", fmt, "-o", "out", *LIMITS]
    return run_cli(argv, {f"{name}.toml": data})


def graph(example: tuple[dict[str, Any], str, str]) -> Outcome:
    doc, fmt, command = example
    argv = [command, "g.toml", *LIMITS]
    if command == "render":
        argv += ["-f", fmt, "-o", "out", "--check-gradients"]
    if command == "handout":  # a circuit's sheets: text formats (PDFs are the LaTeX tests')
        shown = fmt if fmt in ("md", "tex", "html") else "md"  # a handout has no json or pdf
        argv += ["-f", shown, "-o", "out", "--variants", "2"]
    return run_cli(argv, {"g.toml": _content(S.toml(doc))})


def claims(example: tuple[tuple[str, dict[str, Any]], str]) -> Outcome:
    (name, doc), command = example
    argv = [command, f"{name}.toml", *LIMITS]
    if command == "render":
        argv += ["-f", "md", "-o", "out"]
    return run_cli(argv, {f"{name}.toml": _content(S.toml(doc))})


def handout(example: tuple[str, str | bytes, list[str], bytes | None]) -> Outcome:
    name, content, options, roster = example
    files = {f"{name}.toml": _content(content)}
    argv = ["handout", f"{name}.toml", "-o", "out", *options]
    if roster is not None:
        files["class.csv"] = roster
        argv += ["--roster", "class.csv"]
    return run_cli(argv, files)


def article(example: tuple[str, bytes, str]) -> Outcome:
    suffix, data, scenario = example
    return run_cli(
        ["claims", f"post{suffix}", scenario, "-o", "out/claims.toml"], {f"post{suffix}": data}
    )


def grading(example: tuple[bytes, list[str]]) -> Outcome:
    data, options = example
    files = {"answers.csv": S.GRADE_KEY, "class.csv": data}
    return run_cli(["grade", ".", "class.csv", "-o", "out", *options], files)


def manifest(example: tuple[bytes, bytes]) -> Outcome:
    data, scenario = example
    files = {
        "answers.csv": S.GRADE_KEY,
        "class.csv": b"student,variant,1,2\nada,v01,3.0000,-12\n",
        "handout.json": data,
        "s.toml": scenario,
    }
    return run_cli(["grade", ".", "class.csv", "-o", "out"], files)


METHODS = {"markdown", "latex", "html", "json", "save", "verify", "figures", "values"}
TAKES_NOTHING = {"html", "json", "verify", "figures", "values"}


def api(example: tuple[str, tuple[Any, ...], dict[str, Any]]) -> Outcome:
    """One public call; a Walkthrough's method is called on a shipped page (no PDF: compiling
    is the LaTeX tests' work)."""
    name, args, kwargs = example
    if name in METHODS:
        # a call Python itself refuses (too many arguments, one twice) is not a finding
        if name in TAKES_NOTHING or set(kwargs) & {"inline_figures", "body_only"}:
            args = ()
        member = getattr(_walkthrough(), name)
        return run_api(lambda: member(*args, **kwargs) if callable(member) else member)
    function = getattr(explainer, name)
    return run_api(lambda: function(*args, **kwargs))


_WALK: list[explainer.Walkthrough] = []


def _walkthrough() -> explainer.Walkthrough:
    if not _WALK:
        _WALK.append(explainer.load("single-weight"))
    return _WALK[0]


@dataclass(frozen=True)
class Target:
    strategy: st.SearchStrategy[Any]
    run: Callable[[Any], Outcome]


FORMATS = st.sampled_from(S.FORMATS)
TARGETS: dict[str, Target] = {
    "networks": Target(st.tuples(S.networks(), FORMATS, st.sampled_from(S.ARITHMETIC)), network),
    "mutated": Target(st.tuples(S.mutations(), FORMATS, st.sampled_from(S.ARITHMETIC)), mutated),
    "bytes": Target(st.tuples(S.byte_mutations(), FORMATS), mutated_bytes),
    "graphs": Target(
        st.tuples(S.graphs(), FORMATS, st.sampled_from(["render", "verify", "handout"])), graph
    ),
    "claims": Target(st.tuples(S.claimed(), st.sampled_from(["verify", "render"])), claims),
    "handouts": Target(S.handout_runs(), handout),
    "api": Target(S.api_calls(), api),
    "articles": Target(S.articles(), article),
    "grading": Target(S.class_answers(), grading),
    "manifests": Target(S.manifests(), manifest),
}
