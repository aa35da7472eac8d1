"""Scenario files from strangers (issue 9): no command run, no file read outside the scenario's
folder, no traceback, no hang. Each test here failed on the code before issue 9."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

import pytest

from explainer.cli import main
from explainer.evaluate import trainer
from explainer.foundation.errors import TexError
from explainer.graph.network import build
from explainer.read import scenario as scenarios
from explainer.read.settings import schedule
from explainer.render import pdf
from tests.conftest import MINIMAL, SCENARIOS, WriteScenario, tex_processes, tool

EXAMPLE = "[example]\ninputs = [1.0, 2.0]\ntargets = [0.25]\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def one_clean_line(code: int, err: str) -> None:
    """Exit 2, one line on standard error naming the problem, no traceback."""
    assert code == 2, err
    assert err.startswith("explainer: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err


# -- Commands from a file name ----------------------------------------------------------------


@pytest.mark.parametrize(
    "stem", ["-pdflatex=cd ..;touch PWNED #", "`touch PWNED`", "$(touch PWNED)"]
)
def test_a_file_name_runs_no_command(
    tex: None, stem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """latexmk took the file's stem as an option (-pdflatex=… replaced the TeX command) and its
    shell expanded backticks; TeX now works on page.tex, whatever the scenario is called."""
    work = tmp_path / "tmp"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    monkeypatch.chdir(tmp_path)
    (tmp_path / f"{stem}.toml").write_text(MINIMAL, encoding="utf-8")
    assert main(["render", f"./{stem}.toml", "--format", "pdf", "-o", "out"]) == 0
    assert not list(tmp_path.rglob("PWNED*"))
    (made,) = (tmp_path / "out").iterdir()
    assert made.suffix == ".pdf" and not made.name.startswith(("-", "."))


@pytest.mark.parametrize(
    ("stem", "name"), [("..", "scenario"), ("-x", "x"), (".h", "h"), ("a b", "a-b")]
)
def test_output_names_stay_inside_the_output_folder(
    stem: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / f"{stem}.toml").write_text(MINIMAL, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "in")
    assert main(["render", f"./{stem}.toml", "--format", "json", "-o", "../out"]) == 0
    assert [p.name for p in tmp_path.rglob("*.json")] == [f"{name}.json"]
    assert (tmp_path / "out" / f"{name}.json").is_file()


def test_two_scenarios_written_as_one_name_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for stem in ("a b", "a-b"):
        (tmp_path / f"{stem}.toml").write_text(MINIMAL, encoding="utf-8")
    argv = ["--scenarios", str(tmp_path), "--no-pdf", "-o", str(tmp_path / "out")]
    code, err = run(capsys, "build", *argv)
    one_clean_line(code, err)
    assert "a-b" in err and not (tmp_path / "out").exists()


def test_a_pipe_named_like_a_scenario_is_refused_without_waiting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(tmp_path / "pipe.toml")
    code, err = run(capsys, "render", str(tmp_path / "pipe.toml"))
    one_clean_line(code, err)
    assert "a regular file" in err


def test_a_csv_field_past_the_csv_module_s_limit_is_a_located_error(
    write_scenario: WriteScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "big.csv").write_text("x1,x2,o1\n1,2," + "3" * 200_000 + "\n", encoding="utf-8")
    code, err = run(
        capsys, "render", str(write_scenario(MINIMAL.replace(EXAMPLE, '[data]\ncsv = "big.csv"\n')))
    )
    one_clean_line(code, err)
    assert "data.csv" in err


# -- TeX: the ^^ notation, file access, loops -------------------------------------------------

HAT = [
    "^^5cinput^^7b^^2fetc^^2fhostname^^7d",  # \input{/etc/hostname}
    "^^5cdef^^5cx^^7b^^5cx^^7d^^5cx",  # \def\x{\x}\x, a loop
    "x^^5c",
    r"\input{x}",
    r"\csname input\endcsname",
    r"\catcode",
    r"x\\y",
    r"\mathrm",
    "x^",
    "x^{a}^{b}",
    "{x",
    "x}",
    "$x$",
    "x#1",
    "x~y",
    "x%",
    "é",
    r"\text{a^b}",
]


@pytest.mark.parametrize("symbol", HAT)
def test_symbols_outside_the_subset_are_refused(
    symbol: str, write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    text = MINIMAL + f"\n[symbols]\nx1 = {json.dumps(symbol)}\n"
    code, err = run(capsys, "render", str(write_scenario(text)))
    one_clean_line(code, err)
    assert "symbols.x1" in err


@pytest.mark.parametrize(
    "symbol", [r"\mathrm{x}", r"\hat{y}_{1}", r"\alpha^{2}", r"\text{in 1}", r"x'", r"\vec x"]
)
def test_symbols_in_the_subset_render_in_every_format(
    symbol: str, write_scenario: WriteScenario, tmp_path: Path
) -> None:
    value = json.dumps(symbol)
    path = write_scenario(MINIMAL + f"\n[symbols]\nx1 = {value}\nw1 = {value}\n")
    for fmt in ("md", "tex", "html", "json"):
        assert main(["render", str(path), "--format", fmt, "-o", str(tmp_path / fmt)]) == 0


def test_tex_reads_no_file_outside_its_folder(tex: None, tmp_path: Path) -> None:
    """openin_any=p: \\openin of an absolute path finds nothing (before issue 9, a ^^-spelled
    \\openin put /etc/passwd's first line into the PDF)."""
    if not tool("pdftotext"):
        pytest.skip("pdftotext is not installed (CI installs poppler-utils)")
    doc = (
        r"\documentclass{article}\begin{document}"
        r"\newread\r\openin\r=/etc/hostname "
        r"\ifeof\r NOFILE\else\read\r to\line READ\fi"
        r"\end{document}"
    )
    out = tmp_path / "x.pdf"
    out.write_bytes(pdf.compile_pdf(doc, "x"))
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "NOFILE" in text and "READ" not in text


def test_tex_in_a_loop_is_stopped_and_leaves_no_process(tex: None, tmp_path: Path) -> None:
    """Before issue 9 a loop ran for 300 s, then a TimeoutExpired traceback, and pdflatex ran on."""
    doc = r"\documentclass{article}\def\x{\x}\begin{document}\x\end{document}"
    start = time.monotonic()
    with pytest.raises(TexError, match="longer than 2 s"):
        pdf.compile_pdf(doc, "loop", seconds=2)
    assert time.monotonic() - start < 20
    assert tex_processes(Path(tempfile.gettempdir())) == []


# -- [data] csv --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/etc/passwd",
        "../outside.csv",
        "/dev/zero",
        "/dev/stdin",
        "sub/../../outside.csv",
        "",
        "OUTSIDE",
    ],
)
def test_csv_outside_the_folder_is_refused(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before issue 9 any path was read: a valid CSV outside the folder rendered, /etc/passwd's
    rows could be quoted, /dev/zero filled the memory and a pipe blocked."""
    outside = tmp_path / "outside.csv"
    outside.write_text("x1,x2,o1\n1,2,0.5\n", encoding="utf-8")
    (tmp_path / "s" / "sub").mkdir(parents=True)
    target = str(outside) if target == "OUTSIDE" else target
    path = tmp_path / "s" / "case.toml"
    path.write_text(MINIMAL.replace(EXAMPLE, f"[data]\ncsv = {json.dumps(target)}\n"), "utf-8")
    code, err = run(capsys, "render", str(path))
    one_clean_line(code, err)
    assert "data.csv: expected a relative path inside the scenario's folder" in err


def test_csv_link_out_of_the_folder_and_pipes_are_refused(
    write_scenario: WriteScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "link.csv").symlink_to("/etc/passwd")
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "folder.csv").mkdir()
    for name in ("link.csv", "pipe.csv", "folder.csv"):
        text = MINIMAL.replace(EXAMPLE, f'[data]\ncsv = "{name}"\n')
        code, err = run(capsys, "render", str(write_scenario(text)))
        one_clean_line(code, err)
        assert "root:" not in err


def test_csv_size_is_limited(
    write_scenario: WriteScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "big.csv").write_text("x1,x2,o1\n" + "1,2,3\n" * 1000, encoding="utf-8")
    text = MINIMAL.replace(EXAMPLE, '[data]\ncsv = "big.csv"\n')
    path = str(write_scenario(text))
    code, err = run(capsys, "render", path, "--limit", "csv_bytes=100")
    one_clean_line(code, err)
    assert "csv_bytes" in err and "--limit csv_bytes=N" in err
    assert main(["render", path, "--format", "json"]) == 0


# -- One-line fields ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('title = "Minimal"', 'title = "Minimal\\n# A heading"', "title"),
        ('title = "Minimal"', 'title = "M"\nsource = "a\\r\\n| x |"', "source"),
        ("steps = 3", 'steps = 3\n[claims]\n"w1\\n# h" = "0.1"', "claims"),
        ("steps = 3", 'steps = 3\n[claims]\nw1 = { value = "0.1", note = "a\\nb" }', "note"),
        ('title = "Minimal"', 'title = "Minimal\\u2028x"', "title"),
    ],
)
def test_line_breaks_in_one_line_fields_are_refused(
    old: str, new: str, key: str, write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(capsys, "render", str(write_scenario(MINIMAL.replace(old, new))))
    one_clean_line(code, err)
    assert key in err


# -- Tracebacks become located errors -----------------------------------------------------------

NETWORK_2 = MINIMAL.replace('activation = "identity"', 'activation = "sigmoid"')
CASES = [
    ("huge integer", MINIMAL.replace("[[0.5]]", "[[1" + "0" * 400 + "]]"), (), "weights[0][0]"),
    ("deep nesting", MINIMAL + "x = " + "[" * 5000 + "]" * 5000 + "\n", (), "nesting"),
    ("deep tables", MINIMAL + "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n", (), "nesting"),
    ("superscript digit", MINIMAL + '[claims]\nw1 = "0.3²"\n', (), "claims.w1"),
    ("5,000 digits", MINIMAL + f'[claims]\nw1 = "0.{"3" * 5000}"\n', (), "printed_digits"),
    ("tiny exponent", MINIMAL + '[claims]\nw1 = "1e-999999"\n', (), "exponent"),
    ("huge exponent", MINIMAL + '[claims]\nw1 = "1e999999"\n', (), "exponent"),
    ("empty pattern", MINIMAL + '[names]\ntarget = ""\n', (), "names.target"),
    ("claim at 10^12", MINIMAL + '[claims]\n"w1@1000000000000" = "0.1"\n', (), "steps"),
    ("unknown claim key", MINIMAL + '[claims]\n"w1 + w2" = "0.1"\n', (), "claims"),
    (
        "paper, large values",
        MINIMAL.replace("[[0.5]]", "[[1e200]]"),
        ("--arithmetic", "paper:4"),
        "starting values",
    ),
    (
        "cross-entropy at 1",
        NETWORK_2.replace("[[0.5]]", "[[5000.0]]") + '[loss]\nfunction = "cross_entropy"\n',
        (),
        "E_total",
    ),
    (
        "cross-entropy at 1, on paper",
        NETWORK_2.replace("[[0.5]]", "[[5000.0]]") + '[loss]\nfunction = "cross_entropy"\n',
        ("--arithmetic", "paper:4"),
        "E_total",
    ),
    (
        "diverging training, on paper",
        MINIMAL.replace("learning_rate = 0.1", "learning_rate = 1e10"),
        ("--arithmetic", "paper:4", "--steps", "60"),
        "training steps",
    ),
    (
        "diverging training",
        MINIMAL.replace("learning_rate = 0.1", "learning_rate = 1e10").replace(
            '"sigmoid"', '"identity"'
        ),
        ("--steps", "200"),
        "overflow or are undefined",
    ),
    (
        "exact, past float range",
        MINIMAL.replace("[[0.5]]", "[[1e300]]").replace('"sigmoid"', '"identity"'),
        ("--arithmetic", "exact", "--steps", "3"),
        "overflow",
    ),
    (
        "exact, fractions that grow",
        MINIMAL.replace('"sigmoid"', '"identity"'),
        ("--arithmetic", "exact", "--steps", "100"),
        "exact_digits",
    ),
    (
        "a forecast past the limit",
        MINIMAL.replace("steps = 3", "steps = 10000000"),
        ("--limit", "seconds=5"),
        "--limit seconds=N",
    ),
    (
        "a claim that trains for long",
        MINIMAL + '[claims]\n"w1@9000000" = "0.1"\n',
        ("--limit", "seconds=60"),
        "seconds",
    ),
    (
        "tables past the limit",
        MINIMAL.replace("steps = 3", "steps = 1000") + "[display]\ntable_steps = 1000\n",
        ("--limit", "table_values=1000"),
        "table_values",
    ),
    ("dotted keys", MINIMAL + "[display]\n" + "x" + ".a" * 3000 + " = 1\n", (), "nesting"),
    (
        "a string that ends in quotes, then brackets",
        MINIMAL + "z = " + "'" * 3 + "x" + "'" * 4 + "\ny = " + "[" * 300 + "]" * 300 + "\n",
        (),
        "nesting",
    ),
]


@pytest.mark.parametrize(
    ("text", "argv", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_content_that_crashed_is_a_located_error(
    text: str,
    argv: tuple[str, ...],
    named: str,
    write_scenario: WriteScenario,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_scenario(text)
    code, err = run(capsys, "render", str(path), *argv, "-o", str(tmp_path / "out"))
    one_clean_line(code, err)
    assert str(path) in err and named in err
    assert not (tmp_path / "out").exists()


def test_claims_beyond_float_range_are_checked_not_crashed(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    text = MINIMAL + '[claims]\nw1 = "9999e300"\nx1 = "-9e300"\n"w1@2" = "1e-300"\n'
    path = str(write_scenario(text))
    assert main(["render", path, "--format", "json"]) == 0
    assert main(["verify", path]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_a_saturated_sigmoid_is_a_warning_naming_the_neuron(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(write_scenario(NETWORK_2.replace("[[0.5]]", "[[1e7]]")))
    for arithmetic in ("float64", "paper:4"):
        assert main(["render", path, "--arithmetic", arithmetic, "--format", "json"]) == 0
        err = capsys.readouterr().err
        assert "warning" in err and "out_o1 is saturated" in err and err.count("\n") == 1


@pytest.mark.parametrize("target", ["/proc/x", "file/inside", "ro/x"])
def test_an_unwritable_output_folder_is_one_line_and_leaves_no_temporary_file(
    target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    (tmp_path / "ro").mkdir(mode=0o500)
    if os.geteuid() == 0 and target.startswith("ro"):
        pytest.skip("root writes into a read-only folder")
    code, err = run(capsys, "render", "single-weight", "-o", target)
    one_clean_line(code, err)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["file", "ro"]


def test_a_full_disk_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = os.fdopen

    class Full:
        def __init__(self, fd: int, mode: str) -> None:
            self.f = real(fd, mode)

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.f.close()

        def write(self, data: bytes) -> int:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(
        os, "fdopen", lambda fd, mode: Full(fd, mode) if "w" in mode else real(fd, mode)
    )
    code, err = run(capsys, "render", "single-weight", "-o", str(tmp_path / "out"))
    one_clean_line(code, err)
    assert "No space left" in err
    assert list((tmp_path / "out").iterdir()) == []


def test_an_unexpected_exception_is_one_line_naming_the_scenario(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from explainer import cli

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(cli, "explain", broken)
    code, err = run(capsys, "render", "single-weight")
    assert code == 70 and err.count("\n") == 1 and "Traceback" not in err
    assert "bug" in err and "single-weight.toml" in err and "--debug" in err
    with pytest.raises(KeyError):
        main(["--debug", "render", "single-weight"])


def test_a_large_file_is_refused_before_it_is_parsed(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scenario(MINIMAL + "# " + "x" * 3_000_000 + "\n")
    code, err = run(capsys, "render", str(path))
    one_clean_line(code, err)
    assert "file_bytes" in err


def test_limits_are_named_and_can_be_raised(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(write_scenario(MINIMAL))
    code, err = run(capsys, "render", path, "--limit", "parameters=3")
    one_clean_line(code, err)
    assert "parameters = 3" in err and "--limit parameters=N" in err
    code, err = run(capsys, "render", path, "--limit", "nothing=3")
    one_clean_line(code, err)
    code, err = run(capsys, "render", path, "--steps", "11", "--limit", "steps=10")
    one_clean_line(code, err)
    assert main(["render", path, "--limit", "parameters=4", "--format", "json"]) == 0


# -- Hangs and memory ----------------------------------------------------------------------------


def test_until_loss_keeps_a_bounded_sample_of_the_curve() -> None:
    """Before issue 9 every step's loss was kept (857 MB after 590 s)."""
    s = dataclasses.replace(
        scenarios.load_network(SCENARIOS / "mazur-2-2-2.toml"), until_loss=1e-300
    )
    net = build(s)
    trainer.train(net, schedule(s), 500)  # warm up lambdify and numpy
    tracemalloc.start()
    try:
        training = trainer.train(net, schedule(s), 30_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert training.curve[-1][0] == 30_000 and len(training.curve) <= trainer.CURVE_POINTS + 1
    assert peak < 1_000_000, f"{peak:,} bytes"


def test_a_long_run_says_so_before_it_starts(
    write_scenario: WriteScenario,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from explainer import cli

    monkeypatch.setattr(cli, "explain_all", lambda loaded, options: {})
    for text in (
        MINIMAL.replace("steps = 3", "steps = 5000000"),
        MINIMAL + '[claims]\n"w1@3000000" = "0.1"\n',  # verification trains to step 3,000,000
    ):
        main(["render", str(write_scenario(text)), "-o", "unused"])
        assert "this may take about" in capsys.readouterr().err
