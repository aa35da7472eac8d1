"""Stage 7, compile: LaTeX → PDF with pdflatex (LuaLaTeX for other scripts), run as an untrusted job.

The document's text comes from a scenario file that may come from a stranger, so pdflatex runs
- on a fixed file name, `page.tex` in a private temporary folder (never a name from the user,
  which could read as an option);
- with shell escape off and kpathsea's `openin_any`/`openout_any` paranoid (no reading or
  writing outside the folder: no absolute paths, no `..`, no dot files);
- in a process group of its own, killed whole after `tex_seconds`; on Linux it also dies with
  us (parent-death signal through util-linux's setpriv), so a killed explainer leaves no TeX
  running; temporary folders a killed run left behind are removed by the next run.
It is rerun until its cross-references settle (longtable widths), as latexmk would.

Reproducible: SOURCE_DATE_EPOCH with FORCE_SOURCE_DATE fixes the dates pdfTeX writes, and the
template clears the trailer ID. A failed compile raises a TexError carrying TeX's log, which the
command line keeps beside the output.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from explainer.foundation.errors import MissingCharacter, TexError
from explainer.foundation.processes import alive

INSTALL = (
    "install TeX Live (Debian: apt-get install texlive-latex-base "
    "texlive-latex-recommended texlive-latex-extra texlive-pictures lmodern)"
)
LUA_INSTALL = (
    "install LuaLaTeX and fonts for other scripts (Debian: apt-get install texlive-luatex "
    "fonts-cmu fonts-dejavu-core fonts-noto-cjk)"
)


@dataclass(frozen=True)
class Engine:
    command: str
    packages: tuple[str, ...]  # what the templates load beyond LaTeX's base, for this engine


# pdflatex sets every page whose text is in Latin scripts (T1); a document it cannot set (a
# title or a student's name in Cyrillic, Greek or Chinese) is compiled by LuaLaTeX instead, with
# fonts for those scripts (templates/fonts.tex.j2). Same input, same engine, same bytes.
PDFLATEX = Engine("pdflatex", ("tikz.sty", "dcolumn.sty", "lmodern.sty"))
LUALATEX = Engine("lualatex", ("tikz.sty", "dcolumn.sty", "fontspec.sty", "luaotfload.sty"))
PACKAGES = PDFLATEX.packages
RUNS = 4  # passes at most, until the log asks for no rerun
TEMP_PREFIX = "explainer-tex-"
FLAGS = ("-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape")
SAFE_ENV = {
    "SOURCE_DATE_EPOCH": "0",
    "FORCE_SOURCE_DATE": "1",
    "TZ": "UTC",
    "openin_any": "p",  # kpathsea: paranoid reading, only below the working folder
    "openout_any": "p",
    "shell_escape": "f",
}
BEYOND = re.compile(r"Unicode character (.) \(U\+[0-9A-F]+\)")  # pdflatex: no glyph set up
MISSING = re.compile(r"Missing character: There is no (.) \((U\+[0-9A-F]+)\)")  # LuaTeX


def available(engine: Engine = PDFLATEX) -> bool:
    """The engine with the packages the templates load (checked with kpsewhich where it is)."""
    if not shutil.which(engine.command):
        return False
    if not shutil.which("kpsewhich"):
        return True
    found = subprocess.run(
        ["kpsewhich", *engine.packages], capture_output=True, text=True, check=False
    ).stdout.split()
    return len(found) == len(engine.packages)


def compile_pdf(tex: str, name: str, seconds: int = 120) -> bytes:
    """The PDF of `tex`, by pdflatex or, for a document pdflatex has no glyphs for, by
    LuaLaTeX; `name` only names the document in an error, which carries TeX's log (nothing is
    written outside the temporary folder here). A character no font has is a MissingCharacter
    error naming it."""
    if not shutil.which("pdflatex"):
        raise TexError(f"--format pdf needs pdflatex, which is not installed: {INSTALL}")
    remove_stale_folders()
    try:
        return _compile(PDFLATEX, tex, name, seconds)
    except TexError as e:
        beyond = BEYOND.search(e.log.decode("utf-8", errors="replace"))
        if beyond is None:
            raise
        if not available(LUALATEX):
            raise TexError(
                f"{name}.tex: the character {beyond[1]} needs LuaLaTeX: {LUA_INSTALL}", e.log
            ) from None
    return _compile(LUALATEX, tex, name, seconds)


def _compile(engine: Engine, tex: str, name: str, seconds: int) -> bytes:
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as folder:
        work = Path(folder)
        (work / "page.tex").write_text(tex, encoding="utf-8")
        for _ in range(RUNS):
            code = _passed(engine, work, seconds)
            log = work / "page.log"
            kept = log.read_bytes() if log.exists() else b""
            if code != 0:
                raise _failed(engine, name, seconds, code, kept)
            if b"Rerun" not in kept:
                break
        return (work / "page.pdf").read_bytes()


def _passed(engine: Engine, work: Path, seconds: int) -> int | None:
    """One pass; LuaLaTeX's first in this process alone, since it builds the font index that
    the passes on other cores then read."""
    if engine is LUALATEX and not _LUA_READY.is_set():
        with _FIRST_LUA:
            code = _run([engine.command, *FLAGS, "page.tex"], work, seconds)
            _LUA_READY.set()
            return code
    return _run([engine.command, *FLAGS, "page.tex"], work, seconds)


def _failed(engine: Engine, name: str, seconds: int, code: int | None, log: bytes) -> TexError:
    if code is None:
        return TexError(
            f"{name}.tex: {engine.command} took longer than {seconds} s and was stopped", log
        )
    missing = MISSING.search(log.decode("utf-8", errors="replace"))
    if missing:
        return MissingCharacter(
            f"{name}.tex: no installed font has the character {missing[1]} ({missing[2]})",
            missing[1],
            log,
        )
    return TexError(f"{name}.tex: {engine.command} failed", log)


_FIRST_LUA = threading.Lock()
_LUA_READY = threading.Event()


def _run(command: list[str], cwd: Path, seconds: int) -> int | None:
    """Run one TeX pass in its own process group; the exit code, or None if it ran out of time
    (the whole group is then killed, so no pdflatex is left running)."""
    wrapper = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
    # TEXMFOUTPUT would widen what paranoid mode lets TeX open; the rest is the user's own setup
    env = {k: v for k, v in os.environ.items() if k != "TEXMFOUTPUT"} | SAFE_ENV
    process = subprocess.Popen(
        [*wrapper, *command],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    with _LOCK:
        _RUNNING.add(process)
        if _STOPPING.is_set():  # stop_all came while this compile was between passes
            _kill(process)
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        _kill(process)
        return None
    except BaseException:  # interrupted (Ctrl-C, SIGTERM): take TeX down with us
        _kill(process)
        raise
    finally:
        with _LOCK:
            _RUNNING.discard(process)


_RUNNING: set[subprocess.Popen[bytes]] = set()  # TeX processes of this run, for stop_all
_LOCK = threading.Lock()
_STOPPING = threading.Event()  # set by stop_all: no new TeX pass starts


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def resume() -> None:
    """Let compiles start again after stop_all (for a caller that goes on after an interrupt)."""
    _STOPPING.clear()


def stop_all() -> None:
    """Kill every TeX process this run started (other threads' compiles, on an interrupt)."""
    with _LOCK:
        _STOPPING.set()
        running = list(_RUNNING)
    for process in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def remove_stale_folders() -> None:
    """Temporary folders of earlier runs that were killed before they could clean up."""
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        if not alive(folder.name[len(TEMP_PREFIX) :].split("-", 1)[0]):
            shutil.rmtree(folder, ignore_errors=True)
