"""Stage 8, export (course platforms: PrairieLearn): a handout's variants as PrairieLearn v3
questions, prairielearn.zip: `questions/explainer/<scenario>-<variant>/` with `info.json`,
`question.html` and `server.py` each, to unpack into a course repository.

The question panel is the variant's givens; each blank is a `<pl-number-input>` after its line
of the key (math between $ $, as PrairieLearn's MathJax renders it), compared "relabs" with
rtol 0 and atol the tolerance of answers.csv (right when |answer − key| ≤ atol), weighted by
its points (as whole weights in proportion, as Moodle's); `server.py` sets `data["correct_answers"]` to the key's answers. A question's UUID
is derived from the scenario's and the variant's names (uuid5): made again, the same question.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Sequence

from explainer.handouts import moodle, qti
from explainer.handouts.sheet import Question, Sheet

FOLDER = "questions/explainer"
NAMESPACE = uuid.UUID("9b0f8d3e-2d1c-5a4e-9c39-6f0a6e1d2b7a")  # explainer's questions


def answer_name(q: Question) -> str:
    return f"b{q.number}"


def info(name: str, sheet: Sheet) -> str:
    data = {
        "uuid": str(uuid.uuid5(NAMESPACE, moodle.identifier(name, sheet))),
        "title": f"{sheet.title}: variant {sheet.variant}",
        "topic": "Backpropagation",
        "tags": ["explainer", name],
        "type": "v3",
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _math(latex: str) -> str:
    return f"${html.escape(latex, quote=False)}$"


def question_html(sheet: Sheet, weight: dict[float, int]) -> str:
    givens = ", ".join(_math(f"{symbol} = {value}") for symbol, value in sheet.givens)
    out = [
        "<pl-question-panel>",
        f"<p>{html.escape(sheet.instructions)}</p>",
        f"<p>Given: {givens}.</p>",
        "</pl-question-panel>",
    ]
    tolerance = f"{sheet.accepted:f}"
    for part in sheet.parts:
        out.append(f"<h4>{html.escape(part.title)}</h4>")
        for q in part.questions:
            line = _math(f"{q.symbol} = {q.formula}" if q.formula else q.symbol)
            if not q.blank:
                out.append(f"<p>{line} $= {q.answer}$</p>")
                continue
            out.append(f"<p>({q.number}) {line}</p>")
            out.append(
                f'<pl-number-input answers-name="{answer_name(q)}" comparison="relabs" '
                f'rtol="0" atol="{tolerance}" weight="{weight[q.points]}" '
                f'label="({q.number})"></pl-number-input>'
            )
    return "\n".join(out) + "\n"


def server_py(sheet: Sheet) -> str:
    answers = {answer_name(q): float(q.answer.replace("−", "-")) for q in sheet.blanks}
    lines = ",\n".join(f"    {k!r}: {v!r}" for k, v in answers.items())
    return (
        '"""The key\'s answers of this variant, as explainer handout computed them."""\n\n'
        f"ANSWERS = {{\n{lines},\n}}\n\n\n"
        "def generate(data):\n"
        '    data["correct_answers"].update(ANSWERS)\n'
    )


def package(name: str, sheets: Sequence[Sheet]) -> bytes:
    """prairielearn.zip: a question folder per variant."""
    files: dict[str, str] = {}
    weight = moodle.weights(sheets, "prairielearn")  # PrairieLearn's weights are integers
    for s in sheets:
        folder = f"{FOLDER}/{moodle.identifier(name, s)}"
        files[f"{folder}/info.json"] = info(name, s)
        files[f"{folder}/question.html"] = question_html(s, weight)
        files[f"{folder}/server.py"] = server_py(s)
    return qti.zipped(files)
