"""LaTeX → PDF with TeX Live: latexmk driving pdflatex, shell escape off, in a temporary folder.

Reproducible: the same .tex gives the same PDF bytes (SOURCE_DATE_EPOCH with FORCE_SOURCE_DATE
fixes the dates pdfTeX writes, and the template clears the trailer ID). On a failed compile the
log is kept beside the requested output and the error points to it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from explainer.errors import TexError

INSTALL = (
    "install TeX Live (Debian: apt-get install latexmk texlive-latex-base "
    "texlive-latex-recommended texlive-latex-extra texlive-pictures lmodern)"
)
TIMEOUT = 300  # seconds for one document


PACKAGES = ("tikz.sty", "dcolumn.sty", "lmodern.sty")  # what the LaTeX page loads beyond the base


def available() -> bool:
    """A TeX engine with the packages the page uses (checked with kpsewhich where it is)."""
    if not any(shutil.which(name) for name in ("latexmk", "pdflatex")):
        return False
    if not shutil.which("kpsewhich"):
        return True
    found = subprocess.run(
        ["kpsewhich", *PACKAGES], capture_output=True, text=True, check=False
    ).stdout.split()
    return len(found) == len(PACKAGES)


def engine() -> str:
    """The command that compiles: latexmk (which reruns pdflatex until tables settle)."""
    for name in ("latexmk", "pdflatex"):
        if shutil.which(name):
            return name
    raise TexError(f"--format pdf needs pdflatex, which is not installed: {INSTALL}")


def compile_pdf(tex: str, name: str, keep_log_in: Path) -> bytes:
    tool = engine()
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1", TZ="UTC")
    flags = ["-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape"]
    if tool == "latexmk":
        command = [
            "latexmk",
            "-pdf",
            "-norc",
            "-quiet",
            "-pdflatex=pdflatex " + " ".join(flags) + " %O %S",
            f"{name}.tex",
        ]
    else:
        command = ["pdflatex", *flags, f"{name}.tex"]
    with tempfile.TemporaryDirectory(prefix="explainer-") as folder:
        work = Path(folder)
        (work / f"{name}.tex").write_text(tex, encoding="utf-8")
        runs = 1 if tool == "latexmk" else 2  # a second pdflatex pass settles longtable widths
        for _ in range(runs):
            result = subprocess.run(
                command,
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
            if result.returncode != 0:
                log = work / f"{name}.log"
                kept = keep_log_in / f"{name}.log"
                keep_log_in.mkdir(parents=True, exist_ok=True)
                if log.exists():
                    shutil.copyfile(log, kept)
                raise TexError(f"{name}.tex did not compile with {tool}; the log is kept at {kept}")
        return (work / f"{name}.pdf").read_bytes()
