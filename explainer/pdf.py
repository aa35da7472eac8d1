"""Stage 7, compile: LaTeX → PDF with pdflatex, run as an untrusted job.

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
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from explainer.errors import TexError
from explainer.processes import alive

INSTALL = (
    "install TeX Live (Debian: apt-get install texlive-latex-base "
    "texlive-latex-recommended texlive-latex-extra texlive-pictures lmodern)"
)
PACKAGES = ("tikz.sty", "dcolumn.sty", "lmodern.sty")  # what the LaTeX page loads beyond the base
RUNS = 4  # pdflatex passes at most, until the log asks for no rerun
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


def available() -> bool:
    """pdflatex with the packages the page uses (checked with kpsewhich where it is)."""
    if not shutil.which("pdflatex"):
        return False
    if not shutil.which("kpsewhich"):
        return True
    found = subprocess.run(
        ["kpsewhich", *PACKAGES], capture_output=True, text=True, check=False
    ).stdout.split()
    return len(found) == len(PACKAGES)


def compile_pdf(tex: str, name: str, seconds: int = 120) -> bytes:
    """The PDF of `tex`; `name` only names the document in an error, which carries TeX's log
    (nothing is written outside the temporary folder here)."""
    if not shutil.which("pdflatex"):
        raise TexError(f"--format pdf needs pdflatex, which is not installed: {INSTALL}")
    remove_stale_folders()
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as folder:
        work = Path(folder)
        (work / "page.tex").write_text(tex, encoding="utf-8")
        for _ in range(RUNS):
            code = _run(["pdflatex", *FLAGS, "page.tex"], work, seconds)
            log = work / "page.log"
            if code != 0:
                why = f"took longer than {seconds} s and was stopped" if code is None else "failed"
                kept = log.read_bytes() if log.exists() else b""
                raise TexError(f"{name}.tex: pdflatex {why}", kept)
            if "Rerun" not in log.read_text(encoding="utf-8", errors="replace"):
                break
        return (work / "page.pdf").read_bytes()


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
