"""Answer boxes that line up across variants: a paper-grading tool cuts every copy of a sheet
along one template, so each numbered box of every variant must stand at the same place on the
same page. Read back from 30 compiled sheets by poppler's pdftotext -bbox: the position of each
box's number label, and of each points figure beside it, is the same on all of them (the box
is set right after its label, every variant's as wide as the batch's widest)."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from explainer.cli import main
from explainer.evaluate.compute import derive
from explainer.handouts import batch as handouts
from explainer.handouts import variants
from explainer.handouts.batch import HandoutOptions
from explainer.handouts.typeset import box
from explainer.read import scenario
from tests.conftest import SCENARIOS

WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)
LABEL = re.compile(r"\((\d+)\)")


def _places(pdf: Path) -> list[tuple[int, str, float, float]]:
    """(page, word, x, y) of each box label "(n)" and of the word after it on its line."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    page, words = 0, []
    for line in out.splitlines():
        if "<page " in line:
            page += 1
        m = WORD.search(line)
        if m:
            words.append((page, m[5], float(m[1]), float(m[2]), float(m[4])))
    places = []
    for i, (p, text, x, y, bottom) in enumerate(words):
        if LABEL.fullmatch(text):
            places.append((p, text, round(x, 1), round(y, 1)))
            after = words[i + 1] if i + 1 < len(words) else None
            if after and after[0] == p and abs(after[4] - bottom) < 2:  # its row's points
                places.append((p, after[1], round(after[2], 1), round(after[3], 1)))
    return places


# the forward values printed, each variant's own numbers of its own widths, beside the boxes
@pytest.mark.parametrize("blank", ["gradients,updates"])
def test_thirty_variants_place_every_box_alike(tmp_path: Path, blank: str) -> None:
    if not (shutil.which("pdflatex") and shutil.which("pdftotext")):
        if os.environ.get("CI"):
            pytest.fail("CI has TeX Live and poppler-utils: pdflatex and pdftotext are needed")
        pytest.skip("pdflatex or pdftotext is not installed")
    out = tmp_path / "h"
    argv = ["handout", "mazur-2-2-2", "--variants", "30", "--seed", "7", "-o", str(out)]
    assert main([*argv, *(["--blank", blank] if blank else [])]) == 0
    first = _places(out / "sheet-v01.pdf")
    labels = [w for _, w, _, _ in first if LABEL.fullmatch(w)]
    assert labels == [f"({n})" for n in range(1, len(labels) + 1)] and len(labels) >= 16
    for n in range(2, 31):
        assert _places(out / f"sheet-v{n:02d}.pdf") == first, f"v{n:02d}"
    # each sheet says its variant in a QR code on every page, read back by a decoder
    for n, page in ((1, 1), (1, 2), (17, 1), (30, 2)):
        assert _codes(out / f"sheet-v{n:02d}.pdf", page, tmp_path) == [f"explainer:v{n:02d}"]


def _codes(pdf: Path, page: int, folder: Path) -> list[str]:
    """The QR codes zxing-cpp reads on one page, rendered at 150 dpi in grey by pdftoppm."""
    zxingcpp = pytest.importorskip("zxingcpp")
    stem = folder / f"{pdf.stem}-{page}"
    pages = ["-f", str(page), "-l", str(page)]
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", *pages, "-singlefile", str(pdf), str(stem)], check=True
    )
    data = stem.with_suffix(".pgm").read_bytes()
    magic, width, height, depth, pixels = data.split(maxsplit=4)
    assert magic == b"P5" and depth == b"255"
    image = np.frombuffer(pixels, np.uint8).reshape(int(height), int(width))
    return [
        c.text for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode
    ]


def test_every_variants_boxes_are_as_wide_as_the_widest_sheets() -> None:
    """A variant with a longer answer (−12.3456 beside 0.0822) would widen its own boxes and
    shift its table: the batch gives every sheet the widest sheet's width."""
    s = scenario.load_network(SCENARIOS / "mazur-2-2-2.toml")
    made = handouts.worked(
        s,
        variants.for_students(s, derive(s), 7, 2),
        ("forward",),
        "handout.blank",
        "",
        HandoutOptions(),
    )
    q = made[1].sheet.blanks[0]
    longer = dataclasses.replace(q, answer="-12.3456")
    parts = tuple(
        dataclasses.replace(p, questions=tuple(longer if x is q else x for x in p.questions))
        for p in made[1].sheet.parts
    )
    made[1] = dataclasses.replace(made[1], sheet=dataclasses.replace(made[1].sheet, parts=parts))
    assert box(made[1].sheet) > box(made[0].sheet)
    widths = {box(w.sheet) for w in handouts.same_boxes(made)}
    assert widths == {box(made[1].sheet)}
