"""Interface (the command line): `explainer render | build | list`. The only place
that catches our errors, prints them on one line and chooses the exit code (0 ok, 1 stale output
or failed check, 2 bad input)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import FrameType
from typing import TypeAlias

from explainer import pipeline
from explainer.check import findings, marking
from explainer.draw import drawing
from explainer.foundation import limits
from explainer.foundation.errors import (
    ArithmeticModeError,
    ExplainerError,
    OutputError,
    TexError,
    UsageError,
)
from explainer.handouts import batch as handouts
from explainer.handouts import feedback, grading, manifest
from explainer.page.model import Explanation
from explainer.pipeline import Options, compile_pdf, explain, explain_values
from explainer.read import article, cost, schema
from explainer.read import scenario as scenarios
from explainer.read.scenario import AnyScenario, Scenario
from explainer.read.starting import KINDS, starting_file
from explainer.render import pdf
from explainer.render.formats import FORMATS, attachments, render
from explainer.render.output import replace_folder, write_files

REPORT = "the project's issue tracker"
LONG_RUN = 60  # seconds: a run forecast to take longer says so before it starts

# Text, committed in output/ and compared by --check; PDFs are built beside them where TeX Live
# is, and not committed (their bytes vary with TeX Live's version).
BUILD_FORMATS = ("md", "tex", "html", "json")


shipped = scenarios.shipped
resolve = scenarios.locate


class Bug(Exception):
    """An exception that no file should be able to cause, raised while working on `scenario`."""

    def __init__(self, scenario: str, error: Exception) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.scenario = scenario


@contextmanager
def working_on(path: Path | str) -> Iterator[None]:
    """Anything unexpected raised inside becomes a Bug naming the scenario."""
    try:
        yield
    except ArithmeticModeError as e:  # raised deep in the arithmetic, which knows no file
        raise ArithmeticModeError(f"{path}: {e}") from None
    except (ExplainerError, Bug, KeyboardInterrupt):
        raise
    except Exception as e:
        raise Bug(str(path), e) from e


def load_all(names: list[str], args: argparse.Namespace) -> list[AnyScenario]:
    loaded = []
    for name in names:
        path = resolve(name)
        with working_on(path):
            s = scenarios.load(path, args.limits)
        forecast(s, args)
        loaded.append(s)
    return loaded


def forecast(s: AnyScenario, args: argparse.Namespace) -> None:
    """A note before a run that will take minutes; the limits on the run (`--steps` too). A
    graph is not trained: its time is its gates', bounded by the limit gates."""
    if not isinstance(s, Scenario):
        return
    steps = getattr(args, "steps", None)
    if steps is not None and steps > args.limits.steps:
        raise UsageError(
            f"--steps {steps:,}: over the limit steps = {args.limits.steps:,} "
            "(raise it with --limit steps=N)"
        )
    run = s if steps is None else dataclasses.replace(s, steps=steps)
    seconds = cost.check(run).seconds
    if seconds > LONG_RUN:
        minutes = round(seconds / 60)
        print(
            f"explainer: note: {s.path}: this may take about {minutes} minute"
            f"{'s' if minutes > 1 else ''} (a forecast from its steps, parameters and claims)",
            file=sys.stderr,
        )


def explain_all(
    loaded: list[AnyScenario], options: Options, whole: bool = True
) -> dict[AnyScenario, Explanation]:
    """Each scenario's page; without `whole`, only its values (what JSON writes)."""
    pages = {}
    for s in loaded:
        with working_on(s.path):
            pages[s] = explain(s, options) if whole else explain_values(s, options)
        for line in pages[s].warnings:
            print(f"explainer: warning: {one_line(line)}", file=sys.stderr)
    return pages


def cmd_render(args: argparse.Namespace) -> int:
    options = Options(
        steps=args.steps,
        digits=args.digits,
        arithmetic=args.arithmetic,
        check_gradients=args.check_gradients,
        paper=args.paper,
    )
    loaded = load_all(args.scenario, args)
    if args.output is None and len(loaded) > 1:
        raise UsageError("several scenarios need -o DIR (one file each)")
    if args.output is None and FORMATS[args.format].compiled and sys.stdout.isatty():
        raise UsageError(f"--format {args.format} is binary: give -o DIR or redirect the output")
    ext = FORMATS[args.format].extension
    unique(loaded)
    pages = explain_all(loaded, options, whole=args.format != "json")
    rendered = {s: _rendered(page, s, args) for s, page in pages.items()}
    if args.output is None:
        return _to_stdout(next(iter(rendered.values())), next(iter(pages.values())), args.format)
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise UsageError(f"-o {out}: not a directory")
    files: dict[Path, str | bytes] = {out / f"{s.name}.{ext}": text for s, text in rendered.items()}
    for page in pages.values():
        files.update((out / name, svg) for name, svg in attachments(page, args.format))
    write_files(files)
    return 0


def _rendered(page: Explanation, s: AnyScenario, args: argparse.Namespace) -> str | bytes:
    with working_on(s.path):
        try:
            if FORMATS[args.format].compiled:
                return compile_pdf(page, args.paper, args.limits.tex_seconds)
            return render(page, args.format, args.body_only, args.paper)
        except TexError as e:
            if args.output is None:
                raise TexError(f"{e} (give -o DIR to keep its log)") from None
            raise kept_log(e, Path(args.output), page.name) from None


def emit(text: str | bytes) -> None:
    """Text or bytes on standard output, flushed: a full device is a located error (exit 2); a
    closed pipe (`| head`) raises BrokenPipeError, which main ends quietly on."""
    try:
        if isinstance(text, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as e:
        raise OutputError(f"standard output: cannot write ({e.strerror or e})") from None


def say(line: str) -> None:
    emit(line + "\n")


def _to_stdout(text: str | bytes, page: Explanation, fmt: str) -> int:
    emit(text)
    figures = attachments(page, fmt)
    if figures:
        print(
            f"explainer: note: the page links {len(figures)} SVG figures, written only with -o DIR",
            file=sys.stderr,
        )
    return 0


class Several(ExplainerError):
    """Bad input in several files of one command: each file's error, said on its own line."""

    def __init__(self, errors: list[ExplainerError], of: int) -> None:
        super().__init__(f"{len(errors)} of {of} scenarios are bad input; nothing was written")
        self.errors = errors


def build_files(
    sources: list[Path], args: argparse.Namespace
) -> tuple[dict[str, str | bytes], list[Explanation]]:
    """Every text format of every scenario by file name, each scenario explained once; and the
    pages. A folder of files from several hands is read whole: every bad file is named, each
    on its line, and none of the folder's pages is written (build writes the output folder as
    one set, which `build --check` then compares whole; a set short of the bad files' pages
    would pass for a complete build)."""
    loaded: list[AnyScenario] = []
    pages: list[Explanation] = []
    errors: list[ExplainerError] = []
    for source in sources:
        try:
            (s,) = load_all([str(source)], args)
            unique([*loaded, s])
            pages.extend(explain_all([s], Options()).values())
            loaded.append(s)
        except ExplainerError as e:
            errors.append(e)
    if errors:
        raise errors[0] if len(errors) == 1 else Several(errors, len(sources))
    files: dict[str, str | bytes] = {}
    for page in pages:
        with working_on(page.name):
            for fmt in BUILD_FORMATS:
                files[f"{page.name}.{FORMATS[fmt].extension}"] = render(page, fmt)
                files.update(attachments(page, fmt))
    return files, pages


def unique(loaded: list[AnyScenario]) -> None:
    """No two scenarios may write the same page (a.toml and a.toml elsewhere; 'a b' and 'a-b',
    both written as a-b)."""
    seen: dict[str, str] = {}
    for s in loaded:
        if s.name in seen:
            raise UsageError(f"{seen[s.name]} and {s.path} would both write {s.name}.*; rename one")
        seen[s.name] = s.path


def build_pdfs(
    pages: list[Explanation], out: Path, seconds: int
) -> tuple[dict[str, str | bytes], list[str]]:
    """The PDFs, compiled side by side (each compile is its own TeX process), and the logs of
    those that did not compile; with an error line for each, naming its log."""

    def one(page: Explanation) -> bytes | TexError:
        try:
            return compile_pdf(page, "a4", seconds)
        except TexError as e:
            return e

    pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
    try:
        results = list(pool.map(one, pages))
    except BaseException:  # interrupted: stop every compile, not wait for them
        pdf.stop_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        pdf.resume()
    done: dict[str, str | bytes] = {}
    failed = []
    for page, result in zip(pages, results, strict=True):
        if isinstance(result, bytes):
            done[f"{page.name}.pdf"] = result
        else:
            done[f"{page.name}.log"] = result.log
            failed.append(f"{result}; the log is kept at {out / page.name}.log")
    return done, failed


def cmd_build(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if args.scenarios is None:
        sources = shipped()
    else:
        folder = Path(args.scenarios)
        if not folder.is_dir():
            raise UsageError(f"--scenarios {folder}: not a directory")
        sources = sorted(folder.glob("*.toml"))
    files, pages = build_files(sources, args)
    if args.check:
        return check(out, files)
    failed: list[str] = []
    pdfs: dict[str, str | bytes] = {}
    if not args.no_pdf and pdf.available():
        pdfs, failed = build_pdfs(pages, out, args.limits.tex_seconds)
    replace_folder(out, {**files, **pdfs})
    say(f"wrote {len(files)} files and {len(pdfs)} PDFs to {out}/")
    if not args.no_pdf and not pdf.available():
        print(f"explainer: note: no PDFs: {pdf.INSTALL}", file=sys.stderr)
    for line in failed:
        print(f"explainer: error: {line}", file=sys.stderr)
    return 2 if failed else 0


def check(out: Path, files: dict[str, str | bytes]) -> int:
    """Exit 1 when a text page in `out` differs from what a build would write, or is left over
    from a scenario that no longer exists."""
    stale = [
        out / name
        for name, text in files.items()
        if not (out / name).is_file() or (out / name).read_bytes() != _bytes(text)
    ]
    if out.is_dir():  # pages of scenarios that no longer exist are stale too
        made = {Path(n).suffix.lstrip(".") for n in files} or {*BUILD_FORMATS, "svg"}
        stale += sorted(
            p for p in out.iterdir() if p.suffix.lstrip(".") in made and p.name not in files
        )
    for p in stale:
        print(f"stale: {p}", file=sys.stderr)
    if stale:
        print(
            f"{len(stale)} of {len(files)} files in {out}/ are stale; run `explainer build`",
            file=sys.stderr,
        )
        return 1
    say(f"{out}/ is up to date ({len(files)} files)")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    loaded = load_all(args.scenario, args)
    results = {}
    for s in loaded:
        with working_on(s.path):
            results[s.name] = pipeline.findings(s)
    if args.json:
        say(
            json.dumps(
                {name: [findings.as_dict(f) for f in found] for name, found in results.items()},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for name, found in results.items():
            say(findings.table(name, found))
    return 0 if all(f.reproduced for found in results.values() for f in found) else 1


def cmd_claims(args: argparse.Namespace) -> int:
    (s,) = load_all([args.scenario], args)
    text = pipeline.article_claims(s, article.read(Path(args.article), args.limits))
    if args.output is None:
        sys.stdout.write(text)
        return 0
    write_files({Path(args.output): text})
    say(f"explainer: wrote {args.output} (check it, then explainer verify)")
    return 0


def _claims_command(sub: Subparsers) -> None:
    c = sub.add_parser(
        "claims",
        help="read an article's printed numbers as a [claims] table for a scenario",
    )
    c.add_argument("article", help="the article: Markdown, plain text, HTML or PDF")
    c.add_argument("scenario", help="a scenario .toml file or a shipped name")
    c.add_argument("-o", "--output", metavar="FILE", help="write FILE; default stdout")
    _common_options(c)
    c.set_defaults(run=cmd_claims)


def cmd_handout(args: argparse.Namespace) -> int:
    """Student sheets, answer keys, the combined booklets and a summary for one scenario; all
    made before anything is written."""
    (s,) = load_all([args.scenario], args)
    blank = tuple(x.strip() for x in args.blank.split(",") if x.strip()) if args.blank else None
    options = handouts.HandoutOptions(
        variants=args.variants,
        seed=args.seed,
        roster=Path(args.roster) if args.roster else None,
        blank=blank,
        fmt=args.format,
        arithmetic=args.arithmetic,
        paper=args.paper,
        progress=sys.stderr.isatty(),
        limits=args.limits,
        note=lambda words: print(f"explainer: note: {one_line(words)}", file=sys.stderr),
        export=tuple(dict.fromkeys(args.export)),
        key=args.key,
    )
    out = Path(args.output or f"handouts/{s.name}")
    unset: tuple[str, ...] = ()
    with working_on(s.path):
        try:
            made = handouts.files(s, options)
        except handouts.Unset as e:  # a student's name no font has: the others are written
            made, unset = e.files, e.rows
    write_files({out / name: content for name, content in made.items()})
    print(f"explainer: {len(made)} files in {out}", file=sys.stderr)
    for row in unset:
        print(f"explainer: error: {one_line(row)}", file=sys.stderr)
    return 2 if unset else 0


def cmd_list(args: argparse.Namespace) -> int:
    loaded = [scenarios.load(path, args.limits) for path in shipped()]
    width = max(len(s.name) for s in loaded)
    for s in loaded:
        say(f"{s.name:{width}}  {s.title}")
    return 0


Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand a row of COMMANDS, each adding its own options."""
    p = argparse.ArgumentParser(
        prog="explainer",
        description="Step-by-step worked examples of backpropagation, every number computed.",
    )
    p.add_argument(
        "--debug", action="store_true", help="show a Python traceback for an internal error"
    )
    sub = p.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    return p


def _render_command(sub: Subparsers) -> None:
    r = sub.add_parser("render", help="render scenarios (paths or shipped names)")
    r.add_argument("scenario", nargs="+", help="a scenario .toml file or a shipped name")
    r.add_argument("--format", "-f", choices=list(FORMATS), default="md")
    r.add_argument("-o", "--output", metavar="DIR", help="write DIR/<name>.<ext>; default stdout")
    r.add_argument(
        "--steps", type=_count(0, 10**15), help="training steps (overrides the scenario)"
    )
    r.add_argument("--digits", type=_count(1, 15), help="significant digits shown")
    r.add_argument(
        "--arithmetic",
        default="",
        help="float64 (default, unless the scenario's [display] arithmetic says otherwise); "
        "float32 (every operation rounded to single precision, as PyTorch computes); exact "
        "(fractions); paper:K[:half-up|truncate], every shown quantity rounded to K decimals "
        "and carried forward",
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
    _common_options(r)
    r.set_defaults(run=cmd_render)


def _build_command(sub: Subparsers) -> None:
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
    _common_options(b)
    b.set_defaults(run=cmd_build)


def _verify_command(sub: Subparsers) -> None:
    v = sub.add_parser("verify", help="check the numbers a scenario's source prints ([claims])")
    v.add_argument("scenario", nargs="+", help="a scenario .toml file or a shipped name")
    v.add_argument("--json", action="store_true", help="machine-readable findings")
    _common_options(v)
    v.set_defaults(run=cmd_verify)


def _handout_command(sub: Subparsers) -> None:
    h = sub.add_parser(
        "handout", help="exercise sheets with blanks, answer keys and a summary, per variant"
    )
    h.add_argument("scenario", help="a scenario .toml file or a shipped name")
    h.add_argument("--variants", type=_count(1, 1000), default=1, help="how many variants")
    h.add_argument("--seed", type=_count(0, 2**32 - 1), default=0, help="the variants' seed")
    h.add_argument("--roster", metavar="FILE.csv", help="one variant per student (id,name)")
    h.add_argument(
        "--blank",
        metavar="WHAT",
        help="what to leave blank, comma-separated: forward, local, gradients, updates, "
        "backward, or quantity keys such as out_h1 (default: the scenario's [handout])",
    )
    h.add_argument("--format", "-f", choices=list(handouts.FORMATS), default="pdf")
    h.add_argument(
        "--arithmetic",
        help="the key's arithmetic: paper:K (every value rounded as it is worked, as with a "
        "calculator), float64 or exact (every digit kept, the answers rounded) (default: the "
        "scenario's [handout] arithmetic, else paper:4)",
    )
    h.add_argument("--paper", choices=["a4", "letter"], default="a4")
    h.add_argument(
        "--export",
        action="append",
        choices=list(handouts.EXPORTS),
        default=[],
        help="a course platform's import file too (moodle: moodle.xml, one Cloze question per "
        "variant; qti: qti.zip, a QTI 2.1 content package, one item per variant); may be given "
        "more than once",
    )
    h.add_argument(
        "--key",
        choices=list(handouts.KEYS),
        default="full",
        help="what each key holds: the answer tables, the rules used and the whole worked "
        "solution (full, the default), or the same without the worked solution (answers)",
    )
    h.add_argument("-o", "--output", metavar="DIR", help="default handouts/<name>")
    _common_options(h)
    h.set_defaults(run=cmd_handout)


def cmd_grade(args: argparse.Namespace) -> int:
    """A class's answers marked against a handout's answers.csv (and, where the handout's
    manifest lets its variants be drawn again, with follow-through and each mistake's cause);
    every report made before any is written."""
    folder = Path(args.handout)
    key = grading.read_key(folder / handouts.ANSWERS, args.limits)
    follow = _follow_through(args.follow_through)
    scenario = Path(args.scenario) if args.scenario else None
    again = grading.regenerated(folder, key, scenario, args.limits)
    judge = again.judge if again else None
    marks = grading.mark(Path(args.answers), key, args.limits, args.decimal_comma, judge, follow)
    out = Path(args.output or folder / "grades")
    files: dict[str, str | bytes] = dict(grading.reports(marks))
    files["class.svg"] = drawing.svg(feedback.figure(marks), "class")
    if again:
        files.update(feedback.documents(marks, again.sheet, args.format, args.limits))
    write_files({out / name: text for name, text in files.items()})
    students = len({m.student for m in marks})
    right = sum(m.right for m in marks)
    follows = sum(m.verdict.kind == marking.FOLLOWS for m in marks)
    more = f", {follows} right given the student's earlier answers" if follows else ""
    if not again:
        more += f" (no {manifest.MANIFEST}: no follow-through, causes or feedback pages)"
    say(f"explainer: {students} students, {right} of {len(marks)} answers right{more}; {out}")
    return 0


def _follow_through(text: str) -> Decimal:
    """--follow-through: the share of its points an answer right given the student's own
    earlier answers earns, 0 to 1."""
    try:
        x = Decimal(text)
    except InvalidOperation:
        x = Decimal(-1)
    if not (x.is_finite() and 0 <= x <= 1):
        raise UsageError(f"--follow-through {text}: expected a number from 0 to 1")
    return x


def _grade_command(sub: Subparsers) -> None:
    g = sub.add_parser("grade", help="mark a class's answers against a handout's answers.csv")
    g.add_argument("handout", help="the folder explainer handout wrote (its answers.csv)")
    g.add_argument(
        "answers", help="the class's CSV: student,variant, then a column per blank number"
    )
    g.add_argument(
        "--decimal-comma", action="store_true", help="read 0,0822 as 0.0822 (a comma locale)"
    )
    g.add_argument(
        "--follow-through",
        default="1",
        metavar="SHARE",
        help="the share of its points an answer right given the student's own earlier answers "
        "earns (0 to 1; default 1, full)",
    )
    g.add_argument(
        "--scenario",
        metavar="FILE",
        help="the scenario the handout was made from, where handout.json's path is not it",
    )
    g.add_argument(
        "--format",
        choices=("md", "html", "pdf"),
        default="md",
        help="the students' feedback pages (default md)",
    )
    g.add_argument("-o", "--output", metavar="DIR", help="default HANDOUT/grades")
    _common_options(g)
    g.set_defaults(run=cmd_grade)


def cmd_new(args: argparse.Namespace) -> int:
    text = starting_file(args.kind)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    out = Path(args.output)
    if out.exists() or out.is_symlink():
        raise UsageError(f"-o {out}: the file is there already; explainer new writes a new one")
    write_files({out: text})
    say(f"explainer: wrote {out} (render it with: explainer render {out})")
    return 0


def _new_command(sub: Subparsers) -> None:
    n = sub.add_parser(
        "new",
        help="write a commented starting scenario: "
        + "; ".join(f"{k}, {v}" for k, v in KINDS.items()),
    )
    n.add_argument(
        "kind", choices=list(KINDS), help="; ".join(f"{k}: {v}" for k, v in KINDS.items())
    )
    n.add_argument(
        "-o", "--output", metavar="FILE", help="write FILE (never over one); default stdout"
    )
    _common_options(n)
    n.set_defaults(run=cmd_new)


def cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema.text())
    return 0


def _schema_command(sub: Subparsers) -> None:
    sc = sub.add_parser("schema", help="print the JSON Schema of a scenario file")
    _common_options(sc)
    sc.set_defaults(run=cmd_schema)


def _list_command(sub: Subparsers) -> None:
    ls = sub.add_parser("list", help="list the shipped scenarios")
    ls.set_defaults(run=cmd_list, limit=None)


COMMANDS: tuple[Callable[[Subparsers], None], ...] = (
    _render_command,
    _build_command,
    _verify_command,
    _claims_command,
    _handout_command,
    _grade_command,
    _list_command,
    _new_command,
    _schema_command,
)


def _common_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,  # keeps `explainer --debug render …` too
        help="show a Python traceback for an internal error",
    )
    p.add_argument(
        "--limit",
        action="append",
        metavar="NAME=N",
        help="raise one of the limits on a scenario (see README, Safety): "
        + ", ".join(limits.DESCRIBE),
    )


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
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupted) if main_thread else None
    try:
        args.limits = limits.parse(args.limit)
        return int(args.run(args))
    except ExplainerError as e:
        for each in (*getattr(e, "errors", ()), e):
            print(f"explainer: error: {one_line(each)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("explainer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): end quietly, as other tools do
        _closed_stdout()
        return CLOSED_PIPE
    except Exception as e:  # the last resort: a bug of ours, said in one line
        if args.debug:
            raise (e.__cause__ if isinstance(e, Bug) else None) or e from None
        where = f" while working on {e.scenario}" if isinstance(e, Bug) else ""
        print(
            f"explainer: internal error{where}: {one_line(e)}. This is a bug in explainer; please report "
            f"it at {REPORT} with the scenario file (run again with --debug for a traceback).",
            file=sys.stderr,
        )
        return 70
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


CLOSED_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a tool its pipe's reader closed


def _closed_stdout() -> None:
    """Standard output pointed at /dev/null, so that Python's flush at exit finds no closed
    pipe to complain of on standard error."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def kept_log(e: TexError, folder: Path, name: str) -> TexError:
    """The error of a failed compile, its log written beside the output it was for."""
    if not e.log:
        return e
    path = folder / f"{name}.log"
    write_files({path: e.log})
    return TexError(f"{e}; the log is kept at {path}")


def one_line(message: object) -> str:
    """A message on one line: a control character (from a file name or a key) written as an
    escape, so that nothing a file holds can start a second line on the terminal."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(message)
    )


def _interrupted(signum: int, frame: FrameType | None) -> None:
    """SIGTERM as Ctrl-C: the clean-up on the way out runs (TeX killed, temporary files gone)."""
    raise KeyboardInterrupt
