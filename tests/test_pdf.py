"""--format pdf: compiled with TeX Live, reproducible, A4 or Letter; clear errors without TeX or
when a document does not compile."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from explainer.cli import main
from explainer.foundation.errors import TexError
from explainer.render import pdf
from tests.conftest import tool


def page_size(path: Path) -> tuple[float, float]:
    """Width and height in points, as pdfinfo (poppler-utils) reads them."""
    if not tool("pdfinfo"):
        pytest.skip("pdfinfo is not installed (CI installs poppler-utils)")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    line = next(x for x in info.stdout.splitlines() if x.startswith("Page size:"))
    width, _, height = line.split()[2:5]
    return float(width), float(height)


def test_pdf_is_reproducible_and_sized(tex: None, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["render", "single-weight", "--format", "pdf", "-o", str(a)]) == 0
    assert main(["render", "single-weight", "--format", "pdf", "-o", str(b)]) == 0
    first = (a / "single-weight.pdf").read_bytes()
    assert first.startswith(b"%PDF") and first == (b / "single-weight.pdf").read_bytes()
    assert page_size(a / "single-weight.pdf") == pytest.approx((595.276, 841.89), abs=0.01)
    assert (
        main(["render", "single-weight", "--format", "pdf", "--paper", "letter", "-o", str(a)]) == 0
    )
    assert page_size(a / "single-weight.pdf") == pytest.approx((612, 792), abs=0.01)


def test_no_tex_engine_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["render", "single-weight", "--format", "pdf", "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "install TeX Live" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_failed_compile_keeps_the_log(tex: None, tmp_path: Path) -> None:
    broken = r"\documentclass{article}\begin{document}\undefinedmacro\end{document}"
    with pytest.raises(TexError, match=r"broken\.tex") as e:
        pdf.compile_pdf(broken, "broken")
    assert b"Undefined control sequence" in e.value.log


def test_a_failed_compile_keeps_its_log_beside_the_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(tex: str, name: str, seconds: int = 120) -> bytes:
        raise TexError(f"{name}.tex: pdflatex failed", b"the log")

    monkeypatch.setattr(pdf, "compile_pdf", fail)
    assert main(["render", "single-weight", "--format", "pdf", "-o", str(tmp_path)]) == 2
    assert "log is kept" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["single-weight.log"]
    assert (tmp_path / "single-weight.log").read_bytes() == b"the log"
    monkeypatch.chdir(tmp_path / "..")
    before = sorted(p.name for p in Path(".").iterdir())
    assert main(["render", "single-weight", "--format", "pdf"]) == 2  # stdout: no log is written
    assert "give -o DIR to keep its log" in capsys.readouterr().err
    assert sorted(p.name for p in Path(".").iterdir()) == before


def test_mazur_pdf_shows_every_json_number_and_its_figures(tex: None, tmp_path: Path) -> None:
    """Done-when of issue 5: the PDF's numbers are the JSON's, and its figures are there."""
    import json

    from explainer.foundation.precision import show

    if not tool("pdftotext"):
        pytest.skip("pdftotext is not installed (CI installs poppler-utils)")
    assert main(["render", "mazur-2-2-2", "--format", "pdf", "-o", str(tmp_path)]) == 0
    assert main(["render", "mazur-2-2-2", "--format", "json", "-o", str(tmp_path)]) == 0
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "mazur-2-2-2.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.replace("\u2212", "-")
    values = json.loads((tmp_path / "mazur-2-2-2.json").read_text(encoding="utf-8"))["values"]

    # the training table shows parameters only for up to four of them; Mazur trains eight; and
    # keys kept for claims that a chain-profile page does not print: the changes Δw5@1, δ (it
    # writes ∂E/∂net), the inputs' gradients, and the hidden neurons and weighted sums at step k
    def claims_only(k: str) -> bool:
        return k.startswith(("Δ", "delta_", "dE_total/di")) or (
            "@" in k and k.startswith(("net_", "out_h"))
        )

    shown = {
        k: v
        for k, v in values.items()
        if not (k.startswith("w") and "@" in k and not k.endswith("@1")) and not claims_only(k)
    }
    missing = [k for k, v in shown.items() if show(v, 9).text not in text]
    assert [k for k in missing if "e" not in show(shown[k], 9).text] == []
    assert len(shown) > 60
    assert text.count("Figure.") == 3  # the network, its backward pass and the loss curve
