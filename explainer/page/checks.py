"""Stage 5, explain (checks): the source's printed numbers against ours, and the gradients against finite differences."""

from __future__ import annotations

from explainer.findings import Finding, diagnosis
from explainer.page.context import Context
from explainer.page.model import Item, Paragraph, Section, Table, math, strong, text
from explainer.precision import show


def verification(ctx: Context) -> Section:
    """The source's printed numbers against ours, with what probably produced each miss."""
    return findings_section(ctx.results.findings)


def findings_section(checked: tuple[Finding, ...]) -> Section:
    """A section of checked printed numbers (any kind of scenario)."""
    if not checked:
        return Section("", 2, ())
    header = (text("quantity"), text("published"), text("computed"), text("verdict"))
    rows = tuple(
        (
            text(f.claim.key),
            text(math(f.claim.printed)),
            text(math(f.shown) if f.computed is not None else "—"),
            text("reproduced" if f.reproduced else "not reproduced"),
        )
        for f in checked
    )
    ok = sum(f.reproduced for f in checked)
    items: list[Item] = [
        Paragraph(
            text(
                f"The source prints {len(checked)} of these numbers; {ok} reproduce. A printed "
                "number is reproduced when the value computed here, rounded half up to the "
                "printed digits, is the printed number. For each that is not, every "
                "alternative convention and way of rounding was recomputed, and those that "
                "give the printed number are named."
            )
        ),
        Table(header, rows, (False, True, True, False)),
    ]
    for f in checked:
        if not f.reproduced or f.working:
            where = f" ({f.claim.note})" if f.claim.note else ""
            items.append(Paragraph(text(strong(f.claim.key), f"{where}: {diagnosis(f)}.")))
    return Section("Checking the published numbers", 2, tuple(items), "verification")


def gradient_check(ctx: Context) -> Section:
    """Every gradient beside central finite differences of the loss (h = 10⁻⁶) and, where
    PyTorch is installed, its autograd."""
    checks, torch = ctx.results.gradient_checks, ctx.results.torch
    if not checks:
        return Section("", 2, ())
    rows = []
    for c in checks:
        row = [
            text(math(ctx.sym(c.key))),
            text(math(ctx.num(c.chain))),
            text(math(ctx.num(c.estimate))),
            text(math(show(c.difference, 2).latex)),
        ]
        if torch:
            row.append(text(math(ctx.num(c.autograd))))
        rows.append(tuple(row))
    header = [text("parameter"), text("chain rule"), text("finite differences"), text("difference")]
    if torch:
        header.append(text(f"PyTorch {torch} autograd"))
    torch_words = (
        f" The last column is PyTorch {torch}'s autograd on the same forward expressions."
        if torch
        else " PyTorch is not installed here, so its autograd column is left out "
        "(pip install -e '.[torch]')."
    )
    return Section(
        "An independent check of the gradients",
        2,
        (
            Paragraph(
                text(
                    "Each gradient of the chain rule beside a central finite difference of the "
                    "loss, ",
                    math(r"\frac{L(p + h) - L(p - h)}{2h}"),
                    " with ",
                    math(r"h = 10^{-6}"),
                    ", which uses nothing of the derivation. They agree to about ",
                    math(r"h^2"),
                    " and the rounding of floating point." + torch_words,
                )
            ),
            Table(tuple(header), tuple(rows), (False, *([True] * (len(header) - 1)))),
        ),
        "gradient-check",
    )
