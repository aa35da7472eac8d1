"""Command line: `explainer render | build | list`. The only place that catches our errors,
prints them on one line and chooses the exit code (0 ok, 1 stale output or failed check,
2 bad input)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from explainer import findings, pdf, verify
from explainer import scenario as scenarios
from explainer.errors import ExplainerError, TexError, UsageError
from explainer.explanation import Explanation
from explainer.pipeline import Options, explain
from explainer.render import FORMATS, attachments, render
from explainer.resources import resource_dir

# Text, committed in output/ and compared by --check; PDFs are built beside them where TeX Live
# is, and not committed (their bytes vary with TeX Live's version).
BUILD_FORMATS = ("md", "tex", "html", "json")


def shipped() -> list[Path]:
    return sorted(resource_dir("scenarios").glob("*.toml"))


def resolve(name: str) -> Path:
    """A scenario argument: a path to a .toml file, or the name of a shipped scenario."""
    path = Path(name)
    if path.suffix == ".toml" or path.exists():
        return path
    candidate = resource_dir("scenarios") / f"{name}.toml"
    if candidate.exists():
        return candidate
    known = ", ".join(p.stem for p in shipped())
    raise UsageError(
        f"{name}: no such file and no shipped scenario of that name (shipped: {known})"
    )


def write_all(files: dict[Path, str | bytes]) -> None:
    """Write every file, each replaced atomically, only after all of them rendered."""
    umask = os.umask(0)
    os.umask(umask)
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as fb:
                fb.write(content)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(content)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a page is for reading
        os.replace(tmp, path)


def cmd_render(args: argparse.Namespace) -> int:
    options = Options(
        steps=args.steps,
        digits=args.digits,
        arithmetic=args.arithmetic,
        check_gradients=args.check_gradients,
        paper=args.paper,
    )
    loaded = [scenarios.load(resolve(name)) for name in args.scenario]
    if args.output is None and len(loaded) > 1:
        raise UsageError("several scenarios need -o DIR (one file each)")
    if args.output is None and FORMATS[args.format].compiled and sys.stdout.isatty():
        raise UsageError(f"--format {args.format} is binary: give -o DIR or redirect the output")
    ext = FORMATS[args.format].extension
    logs = Path(args.output or ".")
    pages = {s: explain(s, options) for s in loaded}
    rendered = {
        s: render(page, args.format, args.body_only, args.paper, logs) for s, page in pages.items()
    }
    if args.output is None:
        text = next(iter(rendered.values()))
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        figures = attachments(next(iter(pages.values())), args.format)
        if figures:
            print(
                f"explainer: note: the page links {len(figures)} SVG figures, written only "
                "with -o DIR",
                file=sys.stderr,
            )
        return 0
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise UsageError(f"-o {out}: not a directory")
    names = [s.name for s in rendered]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageError(f"two scenarios would both write {out / twice[0]}.{ext}; rename one")
    files: dict[Path, str | bytes] = {out / f"{s.name}.{ext}": text for s, text in rendered.items()}
    for page in pages.values():
        files.update((out / name, svg) for name, svg in attachments(page, args.format))
    write_all(files)
    return 0


def build_files(
    sources: list[Path], out: Path
) -> tuple[dict[Path, str | bytes], list[Explanation]]:
    """Every text format of every scenario, each scenario explained once; and the pages."""
    files: dict[Path, str | bytes] = {}
    pages = [explain(scenarios.load(path)) for path in sources]
    for page in pages:
        for fmt in BUILD_FORMATS:
            files[out / f"{page.name}.{FORMATS[fmt].extension}"] = render(page, fmt)
            files.update((out / name, svg) for name, svg in attachments(page, fmt))
    return files, pages


def build_pdfs(pages: list[Explanation], out: Path) -> tuple[dict[Path, str | bytes], list[str]]:
    """The PDFs, compiled side by side (each compile is its own TeX process); those that did
    not compile come back as error lines, each naming its kept log."""

    def one(page: Explanation) -> bytes | str:
        try:
            pdf_bytes = render(page, "pdf", logs=out)
        except TexError as e:
            return str(e)
        assert isinstance(pdf_bytes, bytes)
        return pdf_bytes

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(one, pages))
    done: dict[Path, str | bytes] = {
        out / f"{p.name}.pdf": r
        for p, r in zip(pages, results, strict=True)
        if isinstance(r, bytes)
    }
    return done, [r for r in results if isinstance(r, str)]


def cmd_build(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if args.scenarios is None:
        sources = shipped()
    else:
        folder = Path(args.scenarios)
        if not folder.is_dir():
            raise UsageError(f"--scenarios {folder}: not a directory")
        sources = sorted(folder.glob("*.toml"))
    files, pages = build_files(sources, out)
    if not args.check:
        write_all(files)
        print(f"wrote {len(files)} files to {out}/")
        if args.no_pdf:
            return 0
        if not pdf.available():
            print(f"explainer: note: no PDFs: {pdf.INSTALL}", file=sys.stderr)
            return 0
        pdfs, failed = build_pdfs(pages, out)
        write_all(pdfs)
        print(f"wrote {len(pdfs)} PDFs to {out}/")
        for line in failed:
            print(f"explainer: error: {line}", file=sys.stderr)
        return 2 if failed else 0
    stale = [
        p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text
    ]
    if out.is_dir():  # pages of scenarios that no longer exist are stale too
        made = {p.suffix.lstrip(".") for p in files} or {*BUILD_FORMATS, "svg"}
        stale += sorted(p for p in out.iterdir() if p.suffix.lstrip(".") in made and p not in files)
    for p in stale:
        print(f"stale: {p}", file=sys.stderr)
    if stale:
        print(
            f"{len(stale)} of {len(files)} files in {out}/ are stale; run `explainer build`",
            file=sys.stderr,
        )
        return 1
    print(f"{out}/ is up to date ({len(files)} files)")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    loaded = [scenarios.load(resolve(name)) for name in args.scenario]
    results = {s.name: verify.verify(s) for s in loaded}
    if args.json:
        print(
            json.dumps(
                {name: [findings.as_dict(f) for f in found] for name, found in results.items()},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for name, found in results.items():
            print(findings.table(name, found))
    return 0 if all(f.reproduced for found in results.values() for f in found) else 1


def cmd_list(args: argparse.Namespace) -> int:
    for path in shipped():
        s = scenarios.load(path)
        print(f"{s.name:20} {s.title}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="explainer",
        description="Step-by-step worked examples of backpropagation, every number computed.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="render scenarios (paths or shipped names)")
    r.add_argument("scenario", nargs="+", help="a scenario .toml file or a shipped name")
    r.add_argument("--format", "-f", choices=list(FORMATS), default="md")
    r.add_argument("-o", "--output", metavar="DIR", help="write DIR/<name>.<ext>; default stdout")
    r.add_argument("--steps", type=_count(0), help="training steps (overrides the scenario)")
    r.add_argument("--digits", type=_count(1, 15), help="significant digits shown")
    r.add_argument(
        "--arithmetic",
        default="float64",
        help="float64 (default); exact (fractions); paper:K[:half-up|truncate], every shown "
        "quantity rounded to K decimals and carried forward",
    )
    r.add_argument(
        "--paper", choices=["a4", "letter"], default="a4", help="paper size for tex and pdf"
    )
    r.add_argument(
        "--check-gradients",
        action="store_true",
        help="add central finite differences beside every gradient",
    )
    r.add_argument(
        "--body-only",
        action="store_true",
        help="LaTeX: the body alone, to paste into your own document",
    )
    r.set_defaults(run=cmd_render)
    b = sub.add_parser("build", help="render every shipped scenario into output/")
    b.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if a text page in output/ is stale (md, tex, html, json, svg; not PDFs)",
    )
    b.add_argument("-o", "--output", metavar="DIR", default="output")
    b.add_argument(
        "--no-pdf", action="store_true", help="skip the PDFs (built only where TeX Live is)"
    )
    b.add_argument(
        "--scenarios",
        metavar="DIR",
        help="render the .toml files of DIR instead of the shipped ones",
    )
    b.set_defaults(run=cmd_build)
    v = sub.add_parser("verify", help="check the numbers a scenario's source prints ([claims])")
    v.add_argument("scenario", nargs="+", help="a scenario .toml file or a shipped name")
    v.add_argument("--json", action="store_true", help="machine-readable findings")
    v.set_defaults(run=cmd_verify)
    ls = sub.add_parser("list", help="list the shipped scenarios")
    ls.set_defaults(run=cmd_list)
    return p


def _count(lo: int, hi: int = 10_000_000) -> Callable[[str], int]:
    def check(s: str) -> int:
        try:
            n = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, found {s!r}") from None
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"expected {lo} to {hi}, found {n}")
        return n

    return check


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except ExplainerError as e:
        print(f"explainer: error: {e}", file=sys.stderr)
        return 2
