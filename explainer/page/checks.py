"""Stage 5, explain (checks): the source's printed numbers against ours, and the gradients against finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from explainer.check.findings import Finding, diagnosis
from explainer.evaluate.quantities import BATCH, CHANGE, EXAMPLE
from explainer.foundation.precision import show
from explainer.graph.network import sym
from explainer.page import notation
from explainer.page.context import Context
from explainer.page.delta import delta_sym
from explainer.page.model import Item, Paragraph, Section, Seg, Table, math, strong, text
from explainer.page.words import plural, training_unit
from explainer.read.claims import Claim
from explainer.read.graph_scenario import JACOBIAN, TANGENT

Words = list[Seg | str]


def _general(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class Names:
    """How the checks name a printed quantity as its page does: a node key's symbol, a value
    as the page writes it, d or ∂, and what one training step is called."""

    sym: Callable[[str], str] = notation.default_symbol
    num: Callable[[float], str] = _general
    ordinary: bool = False  # d, not ∂: a function of one variable (seed 001)
    unit: str = "step"  # "epoch" with a training set


def verification(ctx: Context) -> Section:
    """The source's printed numbers against ours, with what probably produced each miss."""
    names = Names(partial(_node_symbol, ctx), ctx.num, ctx.ordinary, training_unit(ctx.scenario)[1])
    return findings_section(ctx.results.findings, names)


def _node_symbol(ctx: Context, key: str) -> str:
    return ctx.names.get(sym(key)) or notation.default_symbol(key)


def symbol(key: str, names: Names) -> str:
    """A claim's quantity, its step left out, in the page's symbols: w5@1 → w_{5},
    dE_total/dw5 → ∂E_total/∂w_5, Δw5@1 → Δw_5, delta_o1 → δ_o1, d2L/dw/db → ∂²L/∂w∂b,
    dot_q → q̇."""
    name = key.partition("@")[0].partition(EXAMPLE)[0]  # out_o1#3@2: row 3's, after 2 epochs
    if "*" in name:  # d<f>/d<g>*d<g>/d<x>: one gate's share of a wire's gradient
        return r" \cdot ".join(symbol(half, names) for half in name.split("*"))
    if name.count("/") == 2:  # d2<of>/d<a>/d<b>, a second derivative
        of, a, b = name.split("/")
        out = names.sym(of[2:])
        bys = (
            rf"{names.sym(a[1:])}^2"
            if a == b
            else rf"{names.sym(a[1:])}\,\partial {names.sym(b[1:])}"
        )
        return rf"\frac{{\partial^2 {out}}}{{\partial {bys}}}"
    if name.startswith(JACOBIAN) and "/" in name:  # J_<wire>/<leaf>, through the whole graph
        of, by = name.removeprefix(JACOBIAN).split("/")
        return rf"\frac{{\mathrm{{d}} {names.sym(of)}}}{{\mathrm{{d}} {names.sym(by)}}}"
    if "/" in name:  # d<of>/d<by>; dE_total_batch/dw5, the gradient of the worked batch's loss
        of, by = name.split("/")
        loss = of[1:].removesuffix(BATCH)
        top = names.sym(loss) + ("^{(\\mathrm{batch})}" if loss != of[1:] else "")
        return notation.partial(top, names.sym(by[1:]), names.ordinary)
    if name.startswith(TANGENT):
        return rf"\dot{{{names.sym(name.removeprefix(TANGENT))}}}"
    if name.startswith(CHANGE):
        return rf"\Delta {names.sym(name[len(CHANGE) :])}"
    if name.startswith("delta_"):
        return delta_sym(name.removeprefix("delta_"))
    return names.sym(name)


def when(key: str, names: Names, trained: bool) -> str:
    """When a printed quantity holds: after k training steps (key@k), or, on a page where some
    claim is about training, before it; "" on a page without training claims."""
    name, at, k = key.partition("@")
    epoch, inside, row = k.partition(EXAMPLE)
    if inside:  # out_o1@2#3: row 3 as epoch 2 meets it
        return f"for example {int(row):,} in {names.unit} {int(epoch):,}, before its own update"
    if EXAMPLE in name:  # out_o1#3@2: row 3's, after 2 epochs
        mine = int(name.partition(EXAMPLE)[2])
        return (
            f"for example {mine:,} after {int(k):,} {plural(int(k), names.unit, names.unit + 's')}"
        )
    if at and int(k):
        return f"after {int(k):,} {plural(int(k), names.unit, names.unit + 's')}"
    if at:  # E_total@0: the training set's loss before the first epoch
        return "before training"
    return "before training" if trained else ""


@dataclass(frozen=True)
class Group:
    """The claims of one source, as the section words them."""

    label: str  # the source's name; "" when every claim is the page's source's (named at its top)
    found: tuple[Finding, ...]

    @property
    def whose(self) -> str:
        return "its" if self.label else "the source's"

    @property
    def computed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.found if not f.given)

    @property
    def given(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.found if f.given)


PAGE_SOURCE = "the page's source"  # claims without a `source` of their own, beside some with one


def groups(checked: tuple[Finding, ...]) -> tuple[Group, ...]:
    """The findings by source, in the order the scenario first names each."""
    by: dict[str, list[Finding]] = {}
    for f in checked:
        by.setdefault(f.claim.source, []).append(f)
    if list(by) == [""]:  # the page's own source only: named at the top of the page
        return (Group("", checked),)
    return tuple(Group(source or PAGE_SOURCE, tuple(fs)) for source, fs in by.items())


METHOD = (
    "A printed number is reproduced when the value computed here, rounded half up to the "
    "printed digits, is the printed number. For each that is not, every alternative convention "
    "and way of rounding was recomputed, and those that give the printed number are named."
)
INPUTS = (
    " A printed input (a value a source gives, not one it computes) is set beside the value "
    "used here."
)


def findings_section(checked: tuple[Finding, ...], names: Names | None = None) -> Section:
    """A section of checked printed numbers (any kind of scenario), a part per source."""
    if not checked:
        return Section("", 2, ())
    names = names or Names()
    trained = any("@" in f.claim.key for f in checked)
    parts = groups(checked)
    opening = (
        f"{len(checked)} printed numbers from {len(parts)} sources are checked here, source "
        "by source. "
        if len(parts) > 1
        else ""
    )
    words = METHOD + (INPUTS if any(f.given for f in checked) else "")
    items: list[Item] = [Paragraph(text(opening + words))]
    for g in parts:
        items += _part(g, names, trained)
    return Section("Checking the published numbers", 2, tuple(items), "verification")


def _part(g: Group, names: Names, trained: bool) -> list[Item]:
    """One source: what its numbers show, its computed numbers, its inputs, each miss."""
    run_in = (strong(f"Printed by {g.label}."), " ") if g.label else ()
    items: list[Item] = [Paragraph(text(*run_in, *summary(g, names, trained)))]
    if g.computed:
        items.append(_computed_table(g.computed, names, trained))
    for f in g.computed:
        if not f.reproduced or f.working or f.ulps:
            note = f" ({f.claim.note})" if f.claim.note else ""
            items.append(
                Paragraph(text(*_named(f.claim, names, trained), f"{note}: {diagnosis(f)}."))
            )
    if g.given:
        items.append(_given_table(g.given, names))
    for f in g.given:
        if not f.reproduced and (f.contradicts or f.remark):
            items.append(Paragraph(text(*_contradiction(f, g, names, trained))))
    return items


def _named(c: Claim, names: Names, trained: bool) -> Words:
    """A printed quantity in prose: its symbol, then when it holds."""
    at = when(c.key, names, trained)
    return [math(symbol(c.key, names)), *((f" {at}",) if at else ())]


def _computed_table(found: tuple[Finding, ...], names: Names, trained: bool) -> Table:
    timed = trained and any("@" in f.claim.key for f in found)
    rows = tuple(
        (
            text(math(symbol(f.claim.key, names))),
            *((text(when(f.claim.key, names, trained)),) if timed else ()),
            text(math(f.claim.printed)),
            text(math(f.shown) if f.computed is not None else "—"),
            text("reproduced" if f.reproduced else "not reproduced"),
        )
        for f in found
    )
    header = (
        text("quantity"),
        *((text("when"),) if timed else ()),
        text("printed"),
        text("computed here"),
        text("verdict"),
    )
    return Table(header, rows, (False, *((False,) if timed else ()), True, True, False))


def _given_table(found: tuple[Finding, ...], names: Names) -> Table:
    """Printed inputs beside the values used here: given by the source, so never computed."""
    rows = tuple(
        (
            text(math(symbol(f.claim.key, names))),
            text(math(f.claim.printed)),
            text(math(_used(f, names))),
            text("the same" if f.reproduced else "differs"),
        )
        for f in found
    )
    header = (text("input"), text("printed"), text("used here"), text("verdict"))
    return Table(header, rows, (False, True, True, False))


def _used(f: Finding, names: Names) -> str:
    """The value used here for a printed input (every input has one: the scenario gives it)."""
    return names.num(f.computed) if f.computed is not None else r"\text{—}"


def summary(g: Group, names: Names, trained: bool) -> Words:
    """What one source's numbers show, counted from its findings: how many of its computed
    numbers reproduce, what reproduces those that do not (and whether one alternative
    reproduces them all), and whether its printed inputs are the values used here."""
    words: Words = []
    if g.computed:
        words += _counted(g, names, trained)
    if g.given:
        words += [" ", *_inputs(g)] if words else _inputs(g)
    return words


def _counted(g: Group, names: Names, trained: bool) -> Words:
    """How many of the source's computed numbers reproduce, and what the others need."""
    n, ok = len(g.computed), sum(f.reproduced for f in g.computed)
    one = f"{g.whose.capitalize()} one computed number"
    if n == 1:
        return (
            [f"{one} reproduces."]
            if ok
            else [f"{one} does not reproduce: ", *_misses(g, names, trained)]
        )
    if ok == n:
        return [f"All {n} of {g.whose} computed numbers reproduce."]
    head = (
        f"Of {g.whose} {n} computed numbers, {ok} {plural(ok, 'reproduces', 'reproduce')}. "
        if ok
        else f"None of {g.whose} {n} computed numbers reproduces. "
    )
    first, *rest = _misses(g, names, trained, others=ok > 0) or [""]
    return [head, *([first[:1].upper() + first[1:]] if isinstance(first, str) else [first]), *rest]


def _misses(g: Group, names: Names, trained: bool, others: bool = True) -> Words:
    """The numbers that do not reproduce: one alternative for them all, or several, each
    named with the number it reproduces; then those no alternative reproduces."""
    missed = [f for f in g.computed if not f.reproduced]
    explained = [f for f in missed if f.explained_by]
    alone = [f for f in missed if not f.explained_by]
    clauses: list[Words] = []
    if len(explained) > 1:
        clauses.append(_several(explained, len(alone) == 0, names, trained, others))
    elif explained:
        f = explained[0]
        clauses.append([*_named(f.claim, names, trained), f" is reproduced by {_first(f)}"])
    if alone:
        these = _listing([_named(f.claim, names, trained) for f in alone])
        clauses.append(["no alternative tried reproduces ", *these])
    return [*_joined(clauses, "; "), "."] if clauses else []


def _several(
    explained: list[Finding], all_missed: bool, names: Names, trained: bool, others: bool
) -> Words:
    """Several numbers an alternative reproduces: by one alternative for all (the first they
    share), or, when no alternative reproduces them all, the first of each. `others`: some of
    the source's numbers reproduce, so these are "the other k"."""
    k = len(explained)
    all_k = "both" if k == 2 else f"all {k}"
    these = (
        (f"the other {k}" if others else all_k)
        if all_missed
        else f"the {k} that an alternative reproduces"
    )
    shared = [w for w in explained[0].explained_by if all(w in f.explained_by for f in explained)]
    if shared:
        return [f"{these} are reproduced by one alternative, {shared[0]}"]
    need = "two different conventions" if k == 2 else "more than one convention"
    every = "both" if k == 2 else f"all {k}"
    each = [[f"{_first(f)} for ", *_named(f.claim, names, trained)] for f in explained]
    head = f"{these} need {need}, as no single alternative tried reproduces {every}: "
    return [head, *_listing(each, ", and " if k == 2 else " and ")]


def _first(f: Finding) -> str:
    """The alternative that explains most of the source's numbers, and how many others fit."""
    more = len(f.explained_by) - 1
    return f.explained_by[0] + (
        f" (or {more} other {plural(more, 'cause', 'causes')})" if more else ""
    )


def _inputs(g: Group) -> Words:
    m, differ = len(g.given), sum(not f.reproduced for f in g.given)
    it = "It" if g.label else "The source"
    if m == 1:
        return [
            f"{it} also prints one input, which {'differs from' if differ else 'is'} the value used here."
        ]
    return [f"{it} also prints {m} inputs; {differ} of them differ from the values used here."]


def _contradiction(f: Finding, g: Group, names: Names, trained: bool) -> Words:
    """A printed input that differs from the value used here: the printed numbers that follow
    from the value used here and not from the printed one, each credited to its source."""
    note = f" ({f.claim.note})" if f.claim.note else ""
    head: Words = [math(symbol(f.claim.key, names)), f"{note}: "]  # an input: no step
    if not f.contradicts:  # the remark without numbers: the printed value overflows
        return [
            *head,
            "with the printed ",
            math(f.claim.printed),
            ", the numbers overflow or are undefined.",
        ]

    def listed(cs: Sequence[Claim]) -> Words:
        return _listing([[*_named(c, names, trained), " (", math(c.printed), ")"] for c in cs])

    own = [c for c in f.contradicts if c.source == f.claim.source]
    others: dict[str, list[Claim]] = {}
    for c in f.contradicts:
        if c.source != f.claim.source:
            others.setdefault(c.source, []).append(c)
    pieces = [[f"{g.whose} own ", *listed(own)]] if own else []
    pieces += [
        [*listed(cs), f", printed by {source or PAGE_SOURCE}"] for source, cs in others.items()
    ]
    return [
        *head,
        "with the printed ",
        math(f.claim.printed),
        ", ",
        *_joined(pieces, ", and "),
        ", would not follow; they follow from ",
        math(_used(f, names)),
        ", the value used here.",
    ]


def _listing(items: Sequence[Words], last: str = " and ") -> Words:
    """Phrases joined as a list: a, b and c."""
    out: Words = []
    for i, x in enumerate(items):
        if i:
            out.append(last if i == len(items) - 1 else ", ")
        out += x
    return out


def _joined(items: Sequence[Words], between: str) -> Words:
    out: Words = []
    for i, x in enumerate(items):
        out += [between, *x] if i else x
    return out


def gradient_check(ctx: Context) -> Section:
    """Every gradient beside central finite differences of the loss (h = 10⁻⁶) and, where
    PyTorch is installed, its autograd."""
    checks, torch = ctx.results.checks, ctx.view.torch
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
