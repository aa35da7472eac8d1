"""Stage 5, explain (a batch step): each example's gradients and their mean, the gradient a batch
update takes. Arranges the evaluation's per-example gradients; computes nothing.

    ∂E/∂w (bar) = (1/N) Σ_n ∂E⁽ⁿ⁾/∂w, the gradient of the epoch's loss, the mean of the
    examples' own losses; the worked example (n = 1) is the one the page derives in full.
"""

from __future__ import annotations

from explainer.page.context import Context
from explainer.page.model import Item, Paragraph, Table, math, text
from explainer.page.training import MAX_PARAMETER_ROWS, blocks, column_width, numbers, step_columns
from explainer.page.words import first_batch


def _rows(rows: tuple[int, ...]) -> str:
    """Training-set rows, numbered from 1: "3, 1" or "3 and 1"."""
    named = [str(r + 1) for r in rows]
    return ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]


def batch_gradients(ctx: Context) -> list[Item]:
    """The paragraph that defines the mean, and the tables of every example's gradient of each
    trained parameter (a row per parameter, a column per example, then the mean), in tables
    narrow enough for the page. Nothing when the step is one example's."""
    batch, updates = ctx.ev.batch, ctx.ev.updates
    if not batch:
        return []
    shown = updates[:MAX_PARAMETER_ROWS]
    more = (
        f" (the first {len(shown)} parameters of {len(updates)}; every one is in the JSON)"
        if len(updates) > len(shown)
        else ""
    )
    s = ctx.scenario
    rows = first_batch(s)
    how = "sum" if s.batching.summed else "mean"
    whole = s.mode == "batch"
    lead = text(
        (
            f"Batch gradient descent makes one update per epoch, from the {how} of the "
            f"{len(batch)} examples' gradients, "
            if whole
            else f"Mini-batch gradient descent makes its first update from the first batch, "
            f"examples {_rows(rows)} of the training set, from the {how} of their gradients, "
        ),
        math(ctx.batch_mean()),
        f": the gradient of the {'epoch' if whole else 'batch'}'s loss, the {how} of the "
        f"examples' own losses. Example {rows[0] + 1}'s gradients are the ones this page "
        f"derives; every example's, computed the same way, and their {how}{more}:",
    )
    columns = [
        (f"example {r + 1}", [ctx.num(row[i]) for i in range(len(shown))])
        for r, row in zip(rows, batch, strict=True)
    ]
    columns.append((how, [ctx.num(u.gradient) for u in shown]))
    widths = (column_width(head, cells) for head, cells in columns)
    tables: list[Item] = [
        Table(
            (text("parameter"), *(text(columns[c][0]) for c in block)),
            tuple(
                (text(math(ctx.sym(u.key))), *numbers(tuple(columns[c][1][r] for c in block)))
                for r, u in enumerate(shown)
            ),
            (False, *([True] * len(block))),
        )
        for block in blocks(len(columns), step_columns(widths))
    ]
    return [Paragraph(lead), *tables]
