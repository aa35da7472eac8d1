"""The stages run one way: no module imports a later stage, and every module has a stage.

    foundation → load → build → derive → evaluate → explain → render → compile → interface

A back-edge (the view computing, the loader importing the printer) fails here with the edge
named. A new module must be given its stage in STAGES.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "explainer"

ORDER = (
    "foundation",
    "load",
    "build",
    "derive",
    "evaluate",
    "explain",
    "render",
    "compile",
    "interface",
)
STAGES = {
    # rule tables, limits, errors, number formatting, the symbol grammar: used by every stage
    "errors": "foundation",
    "limits": "foundation",
    "processes": "foundation",
    "resources": "foundation",
    "precision": "foundation",
    "activations": "foundation",
    "symbols": "foundation",
    "work": "foundation",
    "operations": "foundation",
    "reader": "load",
    "claims": "load",
    "expressions": "load",
    "graph_scenario": "load",
    "scenario": "load",
    "settings": "load",
    "cost": "load",
    "handout_spec": "load",
    "network": "build",
    "circuit": "build",
    "local": "derive",
    "derivation": "derive",
    "arithmetic": "evaluate",
    "evaluate": "evaluate",
    "trainer": "evaluate",
    "compiled": "evaluate",
    "compute": "evaluate",
    "quantities": "evaluate",
    "samples": "evaluate",
    "findings": "evaluate",
    "verify": "evaluate",
    "autograd": "evaluate",
    "results": "evaluate",
    "backprop": "evaluate",
    "graph_results": "evaluate",
    "graph_step": "evaluate",
    "graph_training": "evaluate",
    "printed": "evaluate",
    "working": "evaluate",
    "variants": "evaluate",
    "graph_variants": "evaluate",
    "notation": "explain",
    "drawing": "explain",
    "layout": "explain",
    "figures": "explain",
    "handout": "explain",
    "graph_handout": "explain",
    "circuit_figure": "explain",
    "page": "explain",
    "render": "render",
    "mathml": "render",
    "handout_render": "render",
    "pdf": "compile",
    "output": "compile",
    "pipeline": "interface",
    "api": "interface",
    "cli": "interface",
    "handouts": "interface",
    "__init__": "interface",
    "__main__": "interface",
}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def stage_of(module: str) -> str:
    """`explainer.page.backward` → the stage of `page`; `explainer.cli` → that of `cli`."""
    parts = module.split(".")
    return STAGES[parts[1] if len(parts) > 1 else "__init__"]


def name_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = (
        relative.parts[:-1]
        if relative.name == "__init__" and len(relative.parts) > 2
        else relative.parts
    )
    return ".".join(parts) if parts != ("explainer", "__init__") else "explainer"


def imported(path: Path) -> set[str]:
    package = name_of(path) if path.name == "__init__.py" else name_of(path).rpartition(".")[0]
    return imports_of(path.read_text(encoding="utf-8"), package)


def imports_of(source: str, package: str) -> set[str]:
    """Every explainer module the source imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("explainer")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], base]).strip(".")
            if base == "explainer":  # from explainer import a, b: each is a module
                found |= {f"explainer.{a.name}" for a in node.names}
            elif base.startswith("explainer"):
                found.add(base)
    return found


def later_stages(module: str, imports: set[str]) -> list[str]:
    mine = ORDER.index(stage_of(module))
    return sorted(m for m in imports if ORDER.index(stage_of(m)) > mine)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_later_stage(path: Path) -> None:
    me = name_of(path)
    later = later_stages(me, imported(path))
    assert not later, f"{me} ({stage_of(me)}) imports a later stage: " + ", ".join(
        f"{m} ({stage_of(m)})" for m in later
    )


def test_every_module_has_a_stage() -> None:
    missing = sorted(
        {name_of(p).split(".")[1] for p in modules() if "." in name_of(p)} - set(STAGES)
    )
    assert not missing, f"give these modules a stage in STAGES: {missing}"


def test_the_check_catches_a_back_edge() -> None:
    """The check itself: the evaluate stage importing the page model or the renderer (directly,
    relatively, or inside a function) is reported."""
    source = (
        "from explainer.page.model import Explanation\n"
        "from . import derivation\n"
        "def f():\n    from .render import render\n"
    )
    found = imports_of(source, "explainer")
    assert found == {"explainer.page.model", "explainer.derivation", "explainer.render"}
    assert later_stages("explainer.evaluate", found) == ["explainer.page.model", "explainer.render"]
