"""The tables of a page a teacher hands out without editing (issue 13): no row printed twice, a
table whose rows are all alike said in one sentence, every trained parameter at every shown step,
and invented numbers at four significant digits.

The expected values come from a training run of their own (`compute.run`, recording the shown
steps), and a printed number is read back from the page and compared to its own last digit, so a
page that drops a step, a parameter or a digit fails.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest

from explainer.evaluate import compute
from explainer.page import notation
from explainer.page.model import Explanation, Paragraph, Prose, Section, Table
from explainer.page.training import (
    LINE_DIGITS,
    MAX_COLUMNS,
    blocks,
    column_width,
    merged,
    step_columns,
)
from explainer.page.words import span
from explainer.pipeline import explain
from explainer.read import scenario
from explainer.read.arithmetic_spec import parse_arithmetic
from explainer.read.scenario import Scenario
from tests.conftest import MINIMAL, SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.toml"))
NETWORKS = [p for p in SHIPPED if isinstance(scenario.load(p), Scenario)]

# Scenarios whose numbers are the author's own, not a source's; each says so in its `source`
# (test_invented_list_is_the_shipped_one keeps this list and the files in step).
INVENTED = [
    "adam",
    "blanco-performance",
    "cross-entropy",
    "leaky-relu",
    "leonel-linear",
    "leonel-sigmoid",
    "matrix-notation",
    "minibatch",
    "momentum",
    "serengil-sine",
    "serengil-step",
    "softmax-cross-entropy",
    "weight-decay",
    "xor-epochs",
]
# Scenarios reproducing a published article's numbers, at the article's nine digits.
PUBLISHED = ["float32", "mazur-2-2-2", "mazur-2-2-2-sequential", "single-weight"]


@cache
def page(path: Path) -> Explanation:
    return explain(scenario.load(path))


def tables(e: Explanation) -> list[Table]:
    """The page's tables, but the summary's (the worked step's parameters, test_story.py)."""
    return [i for s in e.sections if s.anchor != "summary" for i in s.items if isinstance(i, Table)]


def section(e: Explanation, anchor: str) -> Section:
    return next(s for s in e.sections if s.anchor == anchor)


def plain(p: Prose) -> str:
    return "".join(seg.value for seg in p)


def keys(label: str) -> set[int]:
    """ "0–10, 50" → {0, …, 10, 50}; "step 3" → {3}."""
    out: set[int] = set()
    for part in re.findall(r"\d+(?:–\d+)?", label):
        first, _, last = part.partition("–")
        out |= set(range(int(first), int(last or first) + 1))
    return out


NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)(?: \\times 10\^\{(-?\d+)\})?")


def number(latex: str) -> Decimal:
    m = NUMBER.fullmatch(latex)
    assert m, latex
    return Decimal(m[1]).scaleb(int(m[2] or 0))


def significant(latex: str) -> int:
    """Significant digits of a printed number: 0.04453 → 4, -1.89 × 10⁻⁶ → 3, 0 → 1."""
    digits = NUMBER.fullmatch(latex)[1].lstrip("-").replace(".", "").lstrip("0")  # type: ignore[index]
    return max(1, len(digits))


def as_printed(x: float, latex: str) -> bool:
    """Whether x rounds to the printed number: within half a unit of its last printed digit."""
    printed = number(latex)
    exponent = printed.as_tuple().exponent
    assert isinstance(exponent, int)
    return abs(Fraction(x) - Fraction(printed)) <= Fraction(1, 2) * Fraction(10) ** exponent


def symbol(s: Scenario, key: str) -> str:
    return dict(s.symbols).get(key, notation.default_symbol(key))


def shown_steps(s: Scenario) -> set[int]:
    """The steps a training table shows: 0 to table_steps, then 10, 100, 1000, … below the
    total, and the last (written out here, not taken from the page's code)."""
    first = set(range(min(s.table_steps, s.steps) + 1))
    powers = {10**j for j in range(1, 10) if 10**j < s.steps}
    return first | powers | {s.steps}


@cache
def recorded(path: Path) -> compute.Run:
    s = scenario.load_network(path)  # in the arithmetic the page computes in (its [display])
    return compute.run(s, parse_arithmetic(s.arithmetic), record=frozenset(shown_steps(s)))


def printed_params(e: Explanation) -> dict[tuple[str, int], str]:
    """(parameter's LaTeX symbol, step) → the number the training section prints for it: from a
    table with a row per step, a table with a row per parameter, or a sentence saying every
    shown step is alike."""
    found: dict[tuple[str, int], str] = {}
    for item in section(e, "training").items:
        if isinstance(item, Table) and plain(item.header[0]) == "parameter":
            for row in item.rows:
                names = [seg.value for seg in row[0] if seg.kind == "math"]
                for head, cell in zip(item.header[1:], row[1:], strict=True):
                    found |= {(n, k): plain(cell) for n in names for k in keys(plain(head))}
        elif isinstance(item, Table):
            for row in item.rows:
                for head, cell in zip(item.header[1:], row[1:], strict=True):
                    found |= {(plain(head), k): plain(cell) for k in keys(plain(row[0]))}
        elif isinstance(item, Paragraph) and "the same" in plain(item.prose):
            ks = keys(re.findall(r"\(([\d–, ]+)\)", plain(item.prose))[0])
            for seg in (s for s in item.prose if s.kind == "math"):
                *names, value = seg.value.split(" = ")
                found |= {(n, k): value for n in names for k in ks}
    return found


# No row twice ---------------------------------------------------------------------------------


COUNTS = ("step", "epoch", "example")  # a first column that numbers its rows


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_no_table_prints_a_row_twice(path: Path) -> None:
    """Two rows alike but for their count (a step, an epoch, an example) are one row; a row
    keyed by a name (a parameter, a quantity checked) is its own."""
    for t in tables(page(path)):
        start = 1 if plain(t.header[0]) in COUNTS else 0
        values = [tuple(plain(c) for c in row[start:]) for row in t.rows]
        assert len(values) == len(set(values)), (path.stem, plain(t.header[0]))


def test_rows_alike_share_one_row_labelled_with_all_their_keys() -> None:
    """The sine's training set repeats its first eight windows as examples 17–24."""
    s = scenario.load_network(SCENARIOS / "serengil-sine.toml")
    assert s.data[0] == s.data[16] and s.data[7] == s.data[23]  # the premise
    predictions = next(  # the training set's; the unseen examples' table comes after it
        t for t in tables(page(SCENARIOS / "serengil-sine.toml")) if plain(t.header[0]) == "example"
    )
    labels = [plain(row[0]) for row in predictions.rows]
    assert labels[:9] == [
        "1, 17",
        "2, 18",
        "3, 19",
        "4, 20",
        "5, 21",
        "6, 22",
        "7, 23",
        "8, 24",
        "9",
    ]
    assert sorted(k for label in labels for k in keys(label)) == list(range(1, len(s.data) + 1))


def test_merging_keeps_the_order_first_met() -> None:
    rows = [(0, ("a",)), (1, ("b",)), (2, ("a",)), (3, ("c",)), (4, ("c",))]
    assert merged(rows) == (((0, 2), ("a",)), ((1,), ("b",)), ((3, 4), ("c",)))
    assert span([0, 1, 2, 3, 50]) == "0–3, 50"
    assert span([7, 1, 2, 9]) == "1–2, 7, 9"
    assert span([4]) == "4"


# A table of alike rows is a sentence ----------------------------------------------------------


def test_a_step_activation_training_is_one_sentence_with_its_reason() -> None:
    """serengil-step: the step's derivative is zero, so every recorded step is the first."""
    path = SCENARIOS / "serengil-step.toml"
    steps = recorded(path).training.steps
    assert len(steps) > 2 and all(
        (st.params, st.outputs, st.loss) == (steps[0].params, steps[0].outputs, steps[0].loss)
        for st in steps
    )
    training = section(page(path), "training")
    assert not any(isinstance(i, Table) for i in training.items)
    (sentence,) = [
        plain(i.prose)
        for i in training.items
        if isinstance(i, Paragraph) and "gives the same values" in plain(i.prose)
    ]
    assert f"({span(st.k for st in steps)})" in sentence
    assert "Every gradient is zero" in sentence and "Heaviside step" in sentence
    # the stand-in's table shows the sigmoid's loss; the step's, constant, is said once
    (compared,) = tables(page(path))
    assert [plain(h) for h in compared.header] == ["step", "E with sigmoid"]
    surrogate = section(page(path), "surrogate")
    assert "the loss stays E = 0.5 at every shown step" in plain(surrogate.items[0].prose)  # type: ignore[union-attr]


def wider(learning_rate: float) -> Scenario:
    """MINIMAL with two hidden neurons: eight trained parameters, too many for the table's
    columns, so they get a table (or sentence) of their own."""
    raw = tomllib.loads(MINIMAL)
    hidden, out = raw["network"]["layers"]
    hidden |= {"neurons": ["h1", "h2"], "weights": [[0.1, 0.2], [-0.3, 0.4]], "biases": [0.3, -0.1]}
    out |= {"weights": [[0.5, -0.6]], "bias": "per-neuron", "biases": [0.05]}
    raw["training"] |= {"learning_rate": learning_rate, "steps": 20}
    s = scenario.from_mapping(raw, "wider")
    assert isinstance(s, Scenario)
    return s


def test_rows_alike_at_the_digits_shown_give_no_reason_that_is_not_true() -> None:
    """A learning rate too small to move the fourth digit: one sentence for the outputs and the
    loss, one for the parameters, and no claim that the gradients are zero (they are not)."""
    s = wider(1e-9)
    e = explain(s)
    training = section(e, "training")
    assert not any(isinstance(i, Table) for i in training.items)
    text = " ".join(plain(i.prose) for i in training.items if isinstance(i, Paragraph))
    assert "gives the same values" in text and "gradient is zero" not in text
    assert "The trained parameters are the same at every shown step (0–10, 20)" in text
    assert "the loss is still" in text
    assert_every_parameter_shown(s, compute.run(s, record=frozenset(shown_steps(s))), e)


# Every parameter at every shown step ----------------------------------------------------------


def assert_every_parameter_shown(s: Scenario, run: compute.Run, e: Explanation) -> None:
    """Every trained parameter at every step the run recorded, printed as it rounds."""
    found = printed_params(e)
    index = {p.key: i for i, p in enumerate(run.net.params)}
    assert len(run.training.steps) > 2
    for st in run.training.steps:
        for p in run.net.trained:
            cell = found.get((symbol(s, p.key), st.k))
            assert cell is not None, (s.name, p.key, st.k)
            assert as_printed(float(st.params[index[p.key]]), cell), (p.key, st.k, cell)


@pytest.mark.parametrize("path", NETWORKS, ids=[p.stem for p in NETWORKS])
def test_every_trained_parameter_at_every_shown_step(path: Path) -> None:
    assert_every_parameter_shown(scenario.load_network(path), recorded(path), page(path))


def test_a_wider_network_gets_a_table_of_its_parameters() -> None:
    s = wider(0.02)
    e = explain(s)
    params = [t for t in tables(e) if plain(t.header[0]) == "parameter"]
    assert [len(t.header) - 1 for t in params] == [6, 6]  # 12 shown steps, 7 at most a table
    assert all(len(t.rows) == 9 for t in params)
    assert_every_parameter_shown(s, compute.run(s, record=frozenset(shown_steps(s))), e)


@pytest.mark.parametrize("path", NETWORKS, ids=[p.stem for p in NETWORKS])
def test_parameter_tables_fit_the_page(path: Path) -> None:
    """At most seven step columns a table, and no more than the line holds by the widths
    dcolumn gives them (pdflatex's own check of the margin is test_output's overfull boxes)."""
    for t in tables(page(path)):
        if plain(t.header[0]) == "parameter":
            widths = [
                column_width(plain(h), [plain(row[i]) for row in t.rows])
                for i, h in enumerate(t.header[1:], 1)
            ]
            assert len(widths) <= MAX_COLUMNS and sum(widths) <= LINE_DIGITS, path.stem


def test_nine_digits_take_five_columns_a_table() -> None:
    """Mazur's 14 shown steps at nine digits: three tables of 5, 5 and 4 columns."""
    e = page(SCENARIOS / "mazur-2-2-2.toml")
    params = [t for t in tables(e) if plain(t.header[0]) == "parameter"]
    assert [len(t.header) - 1 for t in params] == [5, 5, 4]


def test_columns_split_evenly() -> None:
    assert [len(b) for b in blocks(13, 7)] == [7, 6]
    assert [len(b) for b in blocks(14, 6)] == [5, 5, 4]
    assert [len(b) for b in blocks(3, 7)] == [3]
    # integer part, point, fraction (a power of ten eight more), or the header; and the gap
    assert column_width("step 10000", ["-0.0255501438", "0.15"]) == 2 + 1 + 10 + 2
    assert column_width("epoch 100", ["0.2", "-0.1"]) == 9 + 2
    assert column_width("step 1", [r"1.94 \times 10^{-6}"]) == 1 + 1 + 2 + 8 + 2
    assert [step_columns(w) for w in ([15], [11, 9], [30])] == [5, 7, 2]


# Digits -----------------------------------------------------------------------------------------


def table_numbers(e: Explanation) -> list[str]:
    return [
        plain(cell)
        for t in tables(e)
        for row in t.rows
        for cell in row[1:]
        if NUMBER.fullmatch(plain(cell))
    ]


def test_invented_list_is_the_shipped_one() -> None:
    """Each shipped network scenario is invented (its source says the numbers are ours) or
    reproduces a published article, never both."""
    ours = {
        p.stem
        for p in NETWORKS
        if re.search(r"\b(numbers|weights) are ours\b", scenario.load(p).source)
    }
    assert ours == set(INVENTED)
    assert {p.stem for p in NETWORKS} == set(INVENTED) | set(PUBLISHED)


@pytest.mark.parametrize("name", INVENTED)
def test_invented_numbers_show_four_significant_digits(name: str) -> None:
    path = SCENARIOS / f"{name}.toml"
    assert "digits" not in tomllib.loads(path.read_text("utf-8")).get("display", {})
    assert scenario.load(path).digits == 4
    shown = [significant(n) for n in table_numbers(page(path))]
    assert shown and max(shown) == 4, name


@pytest.mark.parametrize("name", PUBLISHED)
def test_published_numbers_keep_the_articles_digits(name: str) -> None:
    assert scenario.load(SCENARIOS / f"{name}.toml").digits == 9
    assert max(significant(n) for n in table_numbers(page(SCENARIOS / f"{name}.toml"))) == 9
