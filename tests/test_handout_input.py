"""A teacher's handout under real use (issue 24): exact keys, rosters as spreadsheets save them
and as strangers could make them, names in any script, a full disk, and the Python API called
with the wrong things. Each was a crash, a hang or a silently wrong set of files."""

from __future__ import annotations

import errno
import os
import re
import stat
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import explainer
from explainer.cli import main
from explainer.foundation.errors import ExplainerError
from explainer.render import output
from tests.conftest import SCENARIOS, tool


def test_an_exact_key_keeps_every_digit_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seed 001 in fractions: a = 0.8 · 1.5 = 6/5, C = (a − y)² = 49/100, dC/dw = 2(a − y)·i =
    21/10, w⁺ = 0.8 − 0.1 · 21/10 = 59/100; the key shows each at 4 decimals (it exited 70)."""
    out = tmp_path / "out"
    code = main(["handout", "single-weight", "--arithmetic", "exact", "-f", "md", "-o", str(out)])
    assert code == 0
    key = (out / "key-v01.md").read_text(encoding="utf-8")
    answers = re.findall(r"\$\\boxed\{([-0-9.]+)\}\$ ✔", key)
    assert answers == ["1.2000", "0.4900", "2.1000", "0.5900"]
    sheet = (out / "sheet-v01.md").read_text(encoding="utf-8")
    assert "Work exactly, in fractions" in sheet and "round each value you work out" not in sheet
    assert "worked exactly, in fractions, and rounded to 4 decimals at the end" in key
    capsys.readouterr()
    assert main(["handout", "mazur-2-2-2", "--arithmetic", "exact", "-o", str(tmp_path / "m")]) == 2
    assert "exact arithmetic cannot take exp" in capsys.readouterr().err


def _roster_case(tmp_path: Path, kind: str) -> tuple[str, str]:
    """A roster path of one hostile kind, and the words its error must say."""
    if kind == "device":
        return "/dev/zero", "expected a regular file, found a device, pipe or folder"
    if kind == "fifo":
        fifo = tmp_path / "class.csv"
        os.mkfifo(fifo)
        return str(fifo), "expected a regular file, found a device, pipe or folder"
    if kind == "folder":
        (tmp_path / "class.csv").mkdir()
        return str(
            tmp_path / "class.csv"
        ), "expected a regular file, found a device, pipe or folder"
    path = tmp_path / "class.csv"
    rows = "".join(f"S{i},Student {i}\n" for i in range(1, 1_002))
    path.write_text("id,name\n" + rows, encoding="utf-8")
    return str(path), "row 1002: expected a roster within the limit students = 1,000"


@pytest.mark.parametrize("kind", ["device", "fifo", "folder", "too-many"])
def test_a_roster_is_a_bounded_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """/dev/zero ate memory, a FIFO blocked for ever, a folder exited 70, 2,000 rows took two
    minutes and 12,004 files: each is now one located line, exit 2, nothing written."""
    roster, words = _roster_case(tmp_path, kind)
    out = tmp_path / "out"
    code = main(["handout", "mazur-2-2-2", "--roster", roster, "-f", "md", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and words in err and err.count("\n") == 1
    assert not out.exists()


def test_a_roster_is_bounded_in_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("id,name\nS1,Ada\nS2,Alan\n", encoding="utf-8")
    argv = ["handout", "mazur-2-2-2", "--roster", str(roster), "-f", "md", "-o", str(tmp_path)]
    assert main([*argv, "--limit", "roster_bytes=10"]) == 2
    assert "within the limit roster_bytes = 10" in capsys.readouterr().err


def test_a_roster_a_spreadsheet_saved_with_a_byte_order_mark(tmp_path: Path) -> None:
    """Excel and LibreOffice write UTF-8 CSV with a byte-order mark before the header."""
    roster = tmp_path / "class.csv"
    roster.write_bytes("\ufeffid,name\r\nS1,Ada\r\nS2,Zoë\r\n".encode())
    out = tmp_path / "out"
    assert (
        main(["handout", "mazur-2-2-2", "--roster", str(roster), "-f", "md", "-o", str(out)]) == 0
    )
    sheet = (out / "sheet-S2.md").read_text(encoding="utf-8")
    assert "variant S2" in sheet and "Zoë" in sheet


NAMES = {
    "S1": "Ada Lovelace",
    "S2": "Борис Пастернак",
    "S3": "李小龍",
    "S4": "Σωκράτης",
    "S5": "Rin 😀",
    "S6": "Zoë Ñúñez",
}


def test_names_in_any_script_are_printed_and_a_character_no_font_has_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Latin, Cyrillic, Chinese and Greek names are set (LuaLaTeX, for the sheets pdflatex
    cannot set); the emoji, which no installed font has, costs its student's sheet and key,
    named by row and character, and every other file of the class is written (it failed the
    PDFs of the whole class, exit 2 "pdflatex failed", no row named)."""
    if not (tool("pdflatex") and tool("lualatex") and tool("pdftotext")):
        pytest.skip("needs TeX Live with LuaLaTeX (CI installs it)")
    roster = tmp_path / "class.csv"
    roster.write_text(
        "id,name\n" + "".join(f"{k},{v}\n" for k, v in NAMES.items()), encoding="utf-8"
    )
    out = tmp_path / "out"
    code = main(["handout", "mazur-2-2-2", "--roster", str(roster), "-o", str(out)])
    lines = capsys.readouterr().err.splitlines()
    assert code == 2
    assert lines[-1] == (
        f"explainer: error: {roster}: row 6, S5 'Rin 😀': no installed font has the character "
        "😀 (U+1F600), so this student's sheet and key are not written"
    )
    written = sorted(p.name for p in out.iterdir())
    assert "sheet-S5.pdf" not in written and "key-S5.pdf" not in written
    for ident, name in NAMES.items():
        if ident == "S5":
            continue
        for kind in ("sheet", "key"):
            text = subprocess.run(
                ["pdftotext", str(out / f"{kind}-{ident}.pdf"), "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            assert name in text, (kind, ident)
    booklet = subprocess.run(
        ["pdftotext", str(out / "sheets.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert all(name in booklet for k, name in NAMES.items() if k != "S5")


def test_a_cyrillic_title_gets_its_pdf(tmp_path: Path) -> None:
    if not (tool("pdflatex") and tool("lualatex") and tool("pdftotext")):
        pytest.skip("needs TeX Live with LuaLaTeX (CI installs it)")
    text = (Path(__file__).parent.parent / "scenarios" / "single-weight.toml").read_text("utf-8")
    title = "Обратное распространение: один вес"
    path = tmp_path / "cyrillic.toml"
    path.write_text(re.sub(r'^title = ".*"$', f'title = "{title}"', text, flags=re.M), "utf-8")
    assert main(["render", str(path), "-f", "pdf", "-o", str(tmp_path / "out")]) == 0
    shown = subprocess.run(
        ["pdftotext", "-l", "1", str(tmp_path / "out" / "cyrillic.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.splitlines()[0] == title


class _FullDisk:
    """tempfile as output.py uses it, the disk full from the `after`-th file on."""

    def __init__(self, after: int) -> None:
        self.after, self.made = after, 0

    def mkstemp(self, **kwargs: Any) -> tuple[int, str]:
        self.made += 1
        if self.made >= self.after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return tempfile.mkstemp(**kwargs)


def test_a_handout_on_a_full_disk_writes_none_of_its_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It left 8 of 19 files: the set is staged whole first, then moved in; the message names
    the user's folder, not a temporary one."""
    monkeypatch.setattr(output, "tempfile", _FullDisk(after=8))
    out = tmp_path / "class" / "handouts"
    code = main(["handout", "mazur-2-2-2", "--variants", "3", "-f", "md", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert re.fullmatch(
        rf"explainer: error: {re.escape(str(out))}/\S+: cannot write here \(No space left on device\)\n",
        err,
    )
    assert not (tmp_path / "class").exists()


def test_a_save_over_existing_pages_keeps_them_when_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = explainer.load("single-weight").save(tmp_path, ("md", "json"))
    before = {p: p.read_bytes() for p in first}
    monkeypatch.setattr(output, "tempfile", _FullDisk(after=3))
    other = explainer.load("single-weight", digits=3)  # the same files, other bytes
    with pytest.raises(explainer.OutputError, match="No space left on device"):
        other.save(tmp_path, ("md", "json", "html"))
    assert {p: p.read_bytes() for p in first} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in first)


WALK = explainer.load("single-weight")
# the calls a type checker would refuse, made as an untyped caller (a notebook) makes them
api: Any = explainer
walk: Any = WALK
HOSTILE: list[tuple[str, Any, str]] = [
    ("from_dict(())", lambda: api.from_dict(()), "a mapping"),  # was RecursionError
    ("a tuple in a tuple", lambda: api.from_dict({"t": ((0.5,),)}), "unknown key"),
    ("handout(seed=-1)", lambda: api.handout("single-weight", seed=-1), "seed = -1"),
    ("handout(seed=1.5)", lambda: api.handout("single-weight", seed=1.5), "seed = 1.5"),
    ("handout(variants=True)", lambda: api.handout("mazur-2-2-2", variants=True), "variants"),
    ("handout(variants='3')", lambda: api.handout("mazur-2-2-2", variants="3"), "variants"),
    ("handout(paper='A5')", lambda: api.handout("single-weight", paper="A5"), "paper = 'A5'"),
    (
        "handout(blank='forward')",
        lambda: api.handout("single-weight", blank="forward"),
        "blank",
    ),
    ("handout(roster=3)", lambda: api.handout("single-weight", roster=3), "roster = 3"),
    (
        "handout(output='')",
        lambda: api.handout("single-weight", fmt="md", output=""),
        "output",
    ),
    ("handout(fmt=None)", lambda: api.handout("single-weight", fmt=None), "fmt = None"),
    (
        "handout(arithmetic=4)",
        lambda: api.handout("single-weight", arithmetic=4),
        "arithmetic",
    ),
    ("handout(limits={})", lambda: api.handout("single-weight", limits={}), "limits"),
    ("handout('/tmp')", lambda: api.handout(tempfile.gettempdir()), "tmp"),
    ("load('')", lambda: api.load(""), "expected a scenario's name"),
    ("load(b'x')", lambda: api.load(b"x"), "expected a scenario's name"),
    ("w.markdown('yes')", lambda: walk.markdown("yes"), "inline_figures = 'yes'"),
    ("w.latex(body_only=1)", lambda: walk.latex(body_only=1), "body_only = 1"),
    ("w.save(None)", lambda: walk.save(None), "folder = None"),
    ("w.save(tmp, [1])", lambda: walk.save(tempfile.gettempdir(), [1]), "formats = [1]"),
    ("w.save(tmp, Path('md'))", lambda: walk.save(tempfile.gettempdir(), Path("md")), "formats"),
    ("w.pdf(3)", lambda: walk.pdf(3), "path = 3"),
]


@pytest.mark.parametrize(("call", "make", "words"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_every_public_call_checks_its_arguments(call: str, make: Any, words: str) -> None:
    """Each raised a TypeError, KeyError, ValueError or RecursionError (or wrote where it was
    not asked): now an ExplainerError naming the argument."""
    with pytest.raises(ExplainerError) as raised:
        make()
    assert words in str(raised.value)


def test_a_device_pipe_or_link_in_the_way_is_never_replaced(tmp_path: Path) -> None:
    """The rename that writes a file whole would replace the device or link itself (as root,
    a page written "to" /dev/zero replaced /dev/zero): refused, the thing in the way intact."""
    os.mkfifo(tmp_path / "single-weight.json")
    (tmp_path / "single-weight.md").symlink_to(tmp_path / "elsewhere.md")
    for fmt in ("json", "md"):
        with pytest.raises(explainer.OutputError, match="device, pipe, folder or link"):
            WALK.save(tmp_path, fmt)
    assert stat.S_ISFIFO(os.lstat(tmp_path / "single-weight.json").st_mode)
    assert (tmp_path / "single-weight.md").is_symlink()
    assert not (tmp_path / "elsewhere.md").exists()


def test_a_key_with_answers_of_many_digits(tmp_path: Path) -> None:
    """i = w = 10⁸: a = 10¹⁶ and dC/dw = 2(a − y)·i ≈ 2·10²⁴, more digits with its four
    decimals than decimal's default 28 (an InvalidOperation, exit 70; found by the fuzzer)."""
    text = (Path(__file__).parent.parent / "scenarios" / "single-weight.toml").read_text("utf-8")
    text = text.replace("weights = [[0.8]]", "weights = [[1e8]]")
    text = text.replace("inputs = [1.5]", "inputs = [1e8]")
    text = text.replace("learning_rate = 0.1", "learning_rate = 1e-30")  # a step that stays finite
    path = tmp_path / "large.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["handout", str(path), "-f", "md", "-o", str(out), "--arithmetic", "float64"]) == 0
    key = (out / "key-v01.md").read_text(encoding="utf-8")
    gradient = 2 * (1e16 - 0.5) * 1e8  # in float64, as the key computes it: 2e24
    assert rf"\boxed{{{Decimal(repr(gradient)):.4f}}}" in key


@pytest.mark.parametrize(
    ("table", "command", "words"),
    [
        # the key's arithmetic is the file's: named as handout.arithmetic, found at render too
        ('arithmetic = "bogus"', "render", "handout.arithmetic: expected float64, exact"),
        ('arithmetic = "bogus"', "handout", "handout.arithmetic: expected float64, exact"),
        # points for a name no question has would be worth nothing, silently
        ("points = { gradients = 2, nosuch = 1 }", "handout", "handout.points.nosuch: expected"),
    ],
)
def test_a_handout_table_is_checked_where_it_is_written(
    table: str, command: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = SCENARIOS / "single-weight.toml"
    text = shipped.read_text(encoding="utf-8")
    path = tmp_path / "sw.toml"
    path.write_text(text.split("[handout]")[0] + f"[handout]\n{table}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main([command, str(path), "-f", "md", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert words in err and "--arithmetic" not in err and "Traceback" not in err
    assert not out.exists()
