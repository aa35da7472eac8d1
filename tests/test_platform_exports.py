"""explainer handout --export canvas and --export prairielearn: each package read back by a small
reader of the platform's own marking rule written here (Canvas's numerical answer "exact with
margin": the answer or the range; PrairieLearn's pl-number-input "relabs": |x − a| ≤ atol +
rtol·|a|), the key's answers full marks, typical wrong answers none; Canvas's trap (a number
below 0.0001 stored as 0) refused with a message."""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest

from explainer.cli import main
from tests.conftest import answers_by_variant, zip_entries

SCENARIO = Path(__file__).parent.parent / "scenarios" / "mazur-2-2-2.toml"
CANVAS = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
BASE = ["handout", str(SCENARIO), "--variants", "3", "--format", "md", "--key", "answers"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("platforms") / "handout"
    assert main([*BASE, "--export", "canvas", "--export", "prairielearn", "-o", str(out)]) == 0
    return out


def _wrong(answer: Decimal, tolerance: Decimal) -> list[Decimal]:
    """Typical wrong answers: the ½ forgotten, a sign dropped, just past the tolerance."""
    return [
        answer * 2 if answer else Decimal(1),
        -answer if answer else Decimal(-1),
        answer + 2 * tolerance,
    ]


def canvas_right(item: ET.Element, given: Decimal) -> bool:
    """Canvas's numerical answer: its respcondition's `or` of the exact answer and a range."""
    (condition,) = item.iter(f"{CANVAS}respcondition")
    (either,) = condition.find(f"{CANVAS}conditionvar") or []
    assert either.tag == f"{CANVAS}or"
    exact, both = list(either)
    low = Decimal(both.findtext(f"{CANVAS}vargte") or "")
    high = Decimal(both.findtext(f"{CANVAS}varlte") or "")
    return given == Decimal(exact.text or "") or low <= given <= high


def test_canvas_has_a_quiz_per_variant_and_marks_as_theanswers_by_variant(exported: Path) -> None:
    files, key = zip_entries(exported / "canvas.zip"), answers_by_variant(exported)
    manifest = ET.fromstring(files["imsmanifest.xml"])
    hrefs = [r.get("href", "") for r in manifest.iter(f"{CP}resource")]
    assert sorted(hrefs) == sorted(n for n in files if n != "imsmanifest.xml")
    assert all(r.get("type") == "imsqti_xmlv1p2" for r in manifest.iter(f"{CP}resource"))
    for variant, blanks in key.items():
        (href,) = [h for h in hrefs if h.endswith(f"-{variant}.xml")]
        items = list(ET.fromstring(files[href]).iter(f"{CANVAS}item"))
        assert len(items) == len(blanks)
        for item, b in zip(items, blanks, strict=True):
            fields = {
                f.findtext(f"{CANVAS}fieldlabel"): f.findtext(f"{CANVAS}fieldentry")
                for f in item.iter(f"{CANVAS}qtimetadatafield")
            }
            assert fields["question_type"] == "numerical_question"
            assert Decimal(fields["points_possible"] or "") == Decimal(b["points"])
            answer, tolerance = Decimal(b["answer"]), Decimal(b["tolerance"])
            assert canvas_right(item, answer) and canvas_right(item, answer + tolerance)
            assert not any(canvas_right(item, w) for w in _wrong(answer, tolerance))


def test_canvas_refuses_numbers_it_would_store_as_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "h"
    assert main([*BASE, "--arithmetic", "paper:5", "--export", "canvas", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "below 0.0001" in err and "Traceback" not in err
    assert not out.exists()


PL = "questions/explainer/"


def test_prairielearn_questions_mark_as_theanswers_by_variant(exported: Path) -> None:
    files, key = zip_entries(exported / "prairielearn.zip"), answers_by_variant(exported)
    uuids = set()
    for variant, blanks in key.items():
        folder = f"{PL}mazur-2-2-2-s0-{variant}/"
        info = json.loads(files[f"{folder}info.json"])
        assert info["type"] == "v3" and info["title"] and info["topic"]
        uuids.add(str(uuid.UUID(info["uuid"])))
        data: dict[str, dict[str, float]] = {"correct_answers": {}}
        namespace: dict[str, object] = {}
        exec(files[f"{folder}server.py"].decode("utf-8"), namespace)  # our own generated code
        namespace["generate"](data)  # type: ignore[operator]
        inputs = re.findall(r"<pl-number-input ([^>]*)>", files[f"{folder}question.html"].decode())
        assert len(inputs) == len(blanks)
        for attrs, b in zip(inputs, blanks, strict=True):
            a = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
            assert a["answers-name"] == f"b{b['blank']}" and a["comparison"] == "relabs"
            assert Decimal(a["weight"]) == Decimal(b["points"])
            correct = Decimal(repr(data["correct_answers"][a["answers-name"]]))
            assert correct == Decimal(b["answer"])
            atol, rtol = Decimal(a["atol"]), Decimal(a["rtol"])

            def right(
                x: Decimal, a: Decimal = correct, atol: Decimal = atol, rtol: Decimal = rtol
            ) -> bool:
                return abs(x - a) <= atol + rtol * abs(a)

            answer, tolerance = Decimal(b["answer"]), Decimal(b["tolerance"])
            assert right(answer) and right(answer + tolerance)
            assert not any(right(w) for w in _wrong(answer, tolerance))
    assert len(uuids) == len(key)  # each variant its own question


def test_the_packages_are_the_same_bytes_every_time(exported: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert main([*BASE, "--export", "canvas", "--export", "prairielearn", "-o", str(again)]) == 0
    for name in ("canvas.zip", "prairielearn.zip"):
        assert (again / name).read_bytes() == (exported / name).read_bytes()


def test_another_seed_is_another_question_on_every_platform(tmp_path: Path) -> None:
    """Two exams from one scenario (seeds 1 and 2): no identifier, folder or UUID shared, so
    importing the second does not overwrite the first."""
    ids: list[tuple[set[str | None], ...]] = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        exports = ["--export", "prairielearn", "--export", "canvas", "--export", "qti"]
        assert main([*BASE, "--seed", seed, *exports, "-o", str(out)]) == 0
        pl = zip_entries(out / "prairielearn.zip")
        uuids: set[str | None] = {
            json.loads(b)["uuid"] for n, b in pl.items() if n.endswith("info.json")
        }
        canvas: set[str | None] = {
            n.split("/")[0] for n in zip_entries(out / "canvas.zip") if "/" in n
        }
        qti = {
            ET.fromstring(b).get("identifier")
            for n, b in zip_entries(out / "qti.zip").items()
            if n.startswith("items/")
        }
        folders: set[str | None] = {n.split("/")[2] for n in pl}
        ids.append((uuids, canvas, qti, folders))
    for first, second in zip(ids[0], ids[1], strict=True):
        assert len(first) == 3 and not first & second


def test_a_sheet_with_some_blanks_worth_nothing_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every platform scores a blank for something: points for some blanks and not for
    others cannot be exported in proportion (as Moodle's export already refuses)."""
    text = SCENARIO.read_text(encoding="utf-8").replace(
        "points = { forward = 1, local = 1, gradients = 2, updates = 1 }",
        "points = { gradients = 2.5 }",
    )
    assert "gradients = 2.5" in text
    scenario = tmp_path / "mixed.toml"
    scenario.write_text(text, encoding="utf-8")
    args = ["handout", str(scenario), "--variants", "2", "--format", "md", "--key", "answers"]
    for platform in ("qti", "canvas", "prairielearn"):
        out = tmp_path / platform
        assert main([*args, "--export", platform, "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"--export {platform}: some blanks have points and some have none" in err
        assert not out.exists()
