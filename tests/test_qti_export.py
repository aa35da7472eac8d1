"""explainer handout --export qti: a QTI 2.1 content package that IMS's own schema accepts, and
whose response processing, run by a small reader written here from the QTI 2.1 specification,
gives the key's answers full marks and typical wrong answers none."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from explainer.cli import main
from tests.conftest import answers_by_variant, zip_entries

xmlschema = pytest.importorskip("xmlschema")

SCENARIO = Path(__file__).parent.parent / "scenarios" / "mazur-2-2-2.toml"
SCHEMAS = Path(__file__).parent / "schemas" / "qti21"
Q = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
# the schema's imports name URLs; each is read from its copy here, and nothing from a network
IMPORTS = {
    "http://www.imsglobal.org/xsd/w3/2001/xml.xsd": "xml.xsd",
    "http://www.imsglobal.org/xsd/w3/2001/XInclude.xsd": "XInclude.xsd",
    "http://www.w3.org/Math/XMLSchema/mathml2/mathml2.xsd": "mathml2/mathml2.xsd",
    "http://www.imsglobal.org/profile/apip/apipv1p0/apipv1p0_qtiextv2p1_v1p0.xsd": (
        "apipv1p0_qtiextv2p1_v1p0.xsd"
    ),
}


@pytest.fixture(scope="module")
def schema() -> object:
    mapped = {url: str(SCHEMAS / f) for url, f in IMPORTS.items()}
    return xmlschema.XMLSchema(str(SCHEMAS / "imsqti_v2p1.xsd"), uri_mapper=mapped, allow="sandbox")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("qti") / "handout"
    args = ["handout", str(SCENARIO), "--variants", "4", "--format", "md", "--key", "answers"]
    assert main([*args, "--export", "qti", "-o", str(out)]) == 0
    return out


def _items(folder: Path) -> dict[str, bytes]:
    return zip_entries(folder / "qti.zip")


def _errors(schema: object, data: bytes, folder: Path) -> list[object]:
    """The schema's complaints about one item (read from a local file: the sandbox reads
    nothing else)."""
    path = folder / "item.xml"
    path.write_bytes(data)
    return list(schema.iter_errors(str(path)))  # type: ignore[attr-defined]


def test_every_item_is_valid_qti_2_1(exported: Path, schema: object, tmp_path: Path) -> None:
    files = _items(exported)
    items = {n: b for n, b in files.items() if n.startswith("items/")}
    assert len(items) == 4
    for name, data in items.items():
        errors = _errors(schema, data, tmp_path)
        assert not errors, (name, errors[:1])
    # and the schema can fail: an interaction that names no response is not QTI
    broken = items["items/v01.xml"].replace(b' responseIdentifier="RESPONSE_1"', b"", 1)
    assert _errors(schema, broken, tmp_path)


def test_the_manifest_lists_every_item(exported: Path) -> None:
    files = _items(exported)
    root = ET.fromstring(files["imsmanifest.xml"])
    hrefs = [r.get("href", "") for r in root.iter(f"{CP}resource")]
    assert hrefs == [f"items/v0{i}.xml" for i in range(1, 5)]
    assert all(r.get("type") == "imsqti_item_xmlv2p1" for r in root.iter(f"{CP}resource"))
    assert sorted(files) == sorted(["imsmanifest.xml", *hrefs])


def score(item: bytes, answers: dict[str, str]) -> tuple[Decimal, Decimal]:
    """(SCORE, MAXSCORE) of one item for these responses (by identifier; absent: NULL), by the
    QTI 2.1 rules for the elements the export uses; any other element is an error here."""
    root = ET.fromstring(item)
    correct = {
        r.get("identifier", ""): Decimal(r.findtext(f"{Q}correctResponse/{Q}value") or "")
        for r in root.iter(f"{Q}responseDeclaration")
    }
    assert all(r.get("baseType") == "float" for r in root.iter(f"{Q}responseDeclaration"))
    outcomes = {
        o.get("identifier", ""): Decimal(o.findtext(f"{Q}defaultValue/{Q}value") or "0")
        for o in root.iter(f"{Q}outcomeDeclaration")
    }
    given = {k: Decimal(v) for k, v in answers.items()}

    def value(e: ET.Element) -> Decimal | None:
        tag = e.tag.removeprefix(Q)
        if tag == "variable":
            name = e.get("identifier", "")
            return given.get(name) if name in correct else outcomes[name]
        if tag == "correct":
            return correct[e.get("identifier", "")]
        if tag == "baseValue":
            return Decimal(e.text or "")
        if tag == "sum":
            parts = [value(c) for c in e]
            kept = [x for x in parts if x is not None]
            return None if len(kept) < len(parts) else sum(kept, start=Decimal(0))
        raise AssertionError(f"an expression the export should not use: {tag}")

    def holds(e: ET.Element) -> bool:
        assert e.tag == f"{Q}equal" and e.get("toleranceMode") == "absolute", e.tag
        low, high = (Decimal(t) for t in (e.get("tolerance") or "").split())
        x, y = (value(c) for c in e)
        # NULL (no answer) makes the comparison NULL, which a condition takes as false; both
        # bounds are included unless includeLowerBound/includeUpperBound say otherwise
        return x is not None and y is not None and y - low <= x <= y + high

    processing = root.find(f"{Q}responseProcessing")
    assert processing is not None
    for condition in processing:
        assert condition.tag == f"{Q}responseCondition"
        (test,) = list(condition)
        assert test.tag == f"{Q}responseIf"
        comparison, action = list(test)
        if holds(comparison):
            assert action.tag == f"{Q}setOutcomeValue"
            (expression,) = list(action)
            got = value(expression)
            assert got is not None
            outcomes[action.get("identifier", "")] = got
    return outcomes["SCORE"], outcomes["MAXSCORE"]


def test_the_key_scores_full_marks_and_wrong_answers_none(exported: Path) -> None:
    files, key = _items(exported), answers_by_variant(exported)
    for variant, blanks in key.items():
        item = files[f"items/{variant}.xml"]
        right = {f"RESPONSE_{b['blank']}": b["answer"] for b in blanks}
        got, most = score(item, right)
        assert got == most == sum(Decimal(b["points"]) for b in blanks), variant
        # at the tolerance's edge still right; past it, or with a typical mistake, nothing
        edge = {
            f"RESPONSE_{b['blank']}": str(Decimal(b["answer"]) + Decimal(b["tolerance"]))
            for b in blanks
        }
        assert score(item, edge)[0] == most
        mistakes: list[Callable[[Decimal, Decimal], Decimal]] = [
            lambda a, t: a * 2,  # the ½ forgotten
            lambda a, t: -a if a else Decimal(1),  # a sign dropped
            lambda a, t: a + 2 * t,  # past the tolerance
            lambda a, t: a - 2 * t,
        ]
        for wrong in mistakes:
            answers = {
                f"RESPONSE_{b['blank']}": str(wrong(Decimal(b["answer"]), Decimal(b["tolerance"])))
                for b in blanks
            }
            assert score(item, answers)[0] == 0, variant
        assert score(item, {})[0] == 0  # nothing answered


def test_the_package_is_the_same_bytes_every_time(exported: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    args = ["handout", str(SCENARIO), "--variants", "4", "--format", "md", "--key", "answers"]
    assert main([*args, "--export", "qti", "-o", str(again)]) == 0
    assert (again / "qti.zip").read_bytes() == (exported / "qti.zip").read_bytes()
