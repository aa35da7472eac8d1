"""The stages run one way: no module imports a later stage, the folders are the stages, and
every module's first line names its stage.

    foundation → rules → read → graph → derive → evaluate → check → draw → page → render
        → handouts → interface (api, cli, pipeline)

A back-edge (the view computing, the loader importing the printer) fails here with the edge
named. A new folder or top-level module must be given its stage in STAGES.
"""

from __future__ import annotations

import ast
import importlib
import typing
from pathlib import Path

import pytest

from explainer.read.settings import VIEW_STAGES, GraphPlan, Plan, View

PACKAGE = Path(__file__).resolve().parent.parent / "explainer"

ORDER = (
    "foundation",
    "rules",
    "read",
    "graph",
    "derive",
    "evaluate",
    "check",
    "draw",
    "page",
    "render",
    "handouts",
    "interface",
)
STAGES = {folder: folder for folder in ORDER if folder != "interface"} | {
    "pipeline": "interface",
    "api": "interface",
    "cli": "interface",
    "__init__": "interface",
    "__main__": "interface",
}
# how a module's docstring names its stage on line 1 ("Stage 4, evaluate (…): …")
FIRST_WORDS = {
    "foundation": ("Foundation",),
    "rules": ("Rules", "Foundation"),
    "read": ("Stage 1, ",),
    "graph": ("Stage 2, ",),
    "derive": ("Stage 3, ",),
    "evaluate": ("Stage 4, ",),
    "check": ("Stage 4, ", "Stage 5, "),
    "draw": ("Stage 5, explain", "Stage 6, explain"),
    "page": ("Stage 5, explain",),
    "render": ("Stage 6, render", "Stage 7, compile", "Stage 8, "),
    "handouts": ("Stage ", "Interface"),
    "interface": ("Interface", "The whole pipeline", "explainer:", "`python -m"),
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
        "from .. import derive\n"
        "def f():\n    from ..render import formats\n"
    )
    found = imports_of(source, "explainer.evaluate")
    assert found == {"explainer.page.model", "explainer.derive", "explainer.render"}
    assert later_stages("explainer.evaluate.worked", found) == [
        "explainer.page.model",
        "explainer.render",
    ]


def test_no_module_is_left_outside_a_stage_folder() -> None:
    """The folders are the stages: at the top only the three ways in and the package itself."""
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert top == ["__init__", "__main__", "api", "cli", "pipeline"]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_modules_first_line_names_its_stage(path: Path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    stage = stage_of(name_of(path))
    assert doc.startswith(FIRST_WORDS[stage]), f"{path.name}: {doc.splitlines()[:1]} ({stage})"


# what each stage asks of a view's module (imported by the view's name, so the import scan above
# does not see these edges): check/<view>, page/<view>, handouts/<view>
VIEW_FUNCTIONS = {
    "check": ("results", "findings"),
    "page": ("arranged",),
    "handouts": ("drawn", "sheet"),
}


@pytest.mark.parametrize("view", typing.get_args(View))
def test_every_view_has_its_module_in_every_stage_that_differs_by_view(view: str) -> None:
    assert set(VIEW_FUNCTIONS) == set(VIEW_STAGES)
    for stage, names in VIEW_FUNCTIONS.items():
        module = importlib.import_module(f"explainer.{stage}.{view}")
        missing = [n for n in names if not callable(getattr(module, n, None))]
        assert not missing, f"explainer/{stage}/{view}.py has no {missing}"
    assert {Plan.view, GraphPlan.view} == set(typing.get_args(View))
