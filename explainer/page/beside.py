"""Stage 5, explain (a float32 page beside float64): the page's headline quantities in both
arithmetics, and how far apart they are in float32's units in the last place. Arranges the
results' two sets of values; computes nothing but the distance.

    ulps(a, b) = |a − b| / spacing(b),   spacing(b): the gap between b and the next float32
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explainer.foundation.precision import show
from explainer.page.context import Context
from explainer.page.model import Paragraph, Section, Table, math, text

DIGITS = 9  # float32 carries about 7.2 significant digits: 9 show where it parts from float64


def _ulps(a: Any, b: Any) -> float:
    return float(abs(np.float64(a) - np.float64(b)) / np.spacing(np.float32(abs(float(b)))))


def beside(ctx: Context) -> Section:
    """A table of the loss before and after training, each gradient of the worked step and each
    parameter after it, in float32 (this page) and in float64."""
    wide = ctx.view.float64
    if not wide:
        return Section("", 2, ())
    net, values = ctx.net, dict(ctx.results.values)
    loss, last = net.loss, ctx.view.run.training.steps[-1].k
    rows: list[tuple[str, str]] = [(loss, ctx.sym(loss))]
    rows += [
        (f"d{loss}/d{p.key}", rf"\frac{{\partial {ctx.sym(loss)}}}{{\partial {ctx.sym(p.key)}}}")
        for p in net.trained
    ]
    if not ctx.scenario.data:
        rows += [(f"{p.key}@1", rf"{ctx.sym(p.key)}^{{+}}") for p in net.trained]
    rows.append((f"{loss}@{last}", rf"{ctx.sym(loss)} \text{{ after {last:,} steps}}"))
    shown = [(key, symbol) for key, symbol in rows if key in values and key in wide]
    apart = [_ulps(values[k], wide[k]) for k, _ in shown]
    table = Table(
        (
            text("quantity"),
            text("float32 (this page)"),
            text("float64"),
            text("float32 ulps apart"),
        ),
        tuple(
            (
                text(math(symbol)),
                text(math(show(values[key], DIGITS).latex)),
                text(math(show(wide[key], DIGITS).latex)),
                text(math(f"{d:.1f}")),
            )
            for (key, symbol), d in zip(shown, apart, strict=True)
        ),
        (False, True, True, True),
    )
    lead = text(
        "This page computes every number in float32, as PyTorch and JAX do by default: each "
        "operation's result is rounded to the nearest single-precision number, whose spacing "
        "(one unit in the last place, an ulp) is about ",
        math(r"6 \times 10^{-8}"),
        " of the value. The same quantities in float64, numpy's default, and how many float32 "
        f"ulps apart the two are, to {DIGITS} significant digits:",
    )
    most = max(apart)
    close = text(
        f"The two arithmetics part by at most {most:.1f} float32 ulps here; a number a source "
        "prints that matches the float32 column in its last digits and not the float64 one "
        "was computed in float32 (explainer verify names that cause)."
    )
    return Section(
        "float32 beside float64", 2, (Paragraph(lead), table, Paragraph(close)), "float32"
    )
