"""Stage 5, explain (a batch step): each example's gradients and their mean, the gradient a batch
update takes. Arranges the evaluation's per-example gradients; computes nothing.

    ∂E/∂w (bar) = (1/N) Σ_n ∂E⁽ⁿ⁾/∂w, the gradient of the epoch's loss, the mean of the
    examples' own losses; the worked example (n = 1) is the one the page derives in full.
"""

from __future__ import annotations

from explainer.page.context import Context
from explainer.page.model import Item, Paragraph, Table, math, text
from explainer.page.training import MAX_PARAMETER_ROWS, blocks, column_width, numbers, step_columns


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
    lead = text(
        f"Batch gradient descent makes one update per epoch, from the mean of the {len(batch)} "
        "examples' gradients, ",
        math(ctx.batch_mean()),
        ": the gradient of the epoch's loss, the mean of the examples' own losses. Example 1's "
        "gradients are the ones this page derives; every example's, computed the same way, and "
        f"their mean{more}:",
    )
    columns = [
        (f"example {n}", [ctx.num(row[i]) for i in range(len(shown))])
        for n, row in enumerate(batch, start=1)
    ]
    columns.append(("mean", [ctx.num(u.gradient) for u in shown]))
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
