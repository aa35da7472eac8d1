"""The fuzzer (issues 9 and 24): generated and mutated scenario files, graphs, claims, handouts
with rosters, and Python API calls, each run in process in a sandbox folder; every one must end
in a page or a clean exit 2 (one located line, no traceback, nothing written), an API call in a
result or an ExplainerError, and nothing may be written outside the output folder or run past
the time limit.

CI runs the `ci` profile (derandomised: a few hundred examples in all); the `long` profile runs
many more, and `python tests/fuzz/run.py` counts how 10,000 end:

    python -m pytest tests/fuzz -p no:randomly --hypothesis-profile long
"""

from __future__ import annotations

from typing import Any

from hypothesis import event, given, settings

from tests.fuzz import targets
from tests.fuzz.targets import TARGETS, Outcome


def holds(outcome: Outcome, one_line: bool = True) -> None:
    event(outcome.kind)
    assert outcome.kind != "hang", outcome.message
    assert outcome.seconds < targets.HANG, outcome
    assert outcome.clean, outcome
    if one_line and outcome.kind == "exit 2":
        said = [x for x in outcome.message.splitlines() if x.startswith("explainer: error:")]
        assert len(said) == 1, outcome.message


@given(TARGETS["networks"].strategy)
def test_generated_scenarios(example: Any) -> None:
    holds(targets.network(example))


@given(TARGETS["mutated"].strategy)
def test_mutated_shipped_scenarios(example: Any) -> None:
    holds(targets.mutated(example))


@given(TARGETS["bytes"].strategy)
def test_mutated_bytes(example: Any) -> None:
    holds(targets.mutated_bytes(example))


# The newer targets at two fifths of the profile's examples each: the suite stays fast.
PROFILE = settings.default
assert PROFILE is not None  # loaded by tests/conftest.py before the tests are collected
FEWER = settings(max_examples=max(1, PROFILE.max_examples * 2 // 5))


@FEWER
@given(TARGETS["graphs"].strategy)
def test_generated_graphs(example: Any) -> None:
    holds(targets.graph(example))


@FEWER
@given(TARGETS["claims"].strategy)
def test_claims_tables(example: Any) -> None:
    holds(targets.claims(example))


@FEWER
@given(TARGETS["handouts"].strategy)
def test_handouts_and_rosters(example: Any) -> None:
    holds(targets.handout(example))


@FEWER
@given(TARGETS["api"].strategy)
def test_python_api_calls(example: Any) -> None:
    holds(targets.api(example))


@FEWER
@given(TARGETS["articles"].strategy)
def test_articles_read_for_claims(example: Any) -> None:
    holds(targets.article(example))


@given(TARGETS["grading"].strategy)
def test_a_classs_answers_graded(example: Any) -> None:
    holds(targets.grading(example))


@FEWER
@given(TARGETS["manifests"].strategy)
def test_a_handouts_manifest_as_a_stranger_leaves_it(example: Any) -> None:
    holds(targets.manifest(example))
