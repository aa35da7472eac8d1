"""Foundation (resources): where the shipped scenarios and templates are: beside the package in a
wheel, at the top of the repository in a checkout (an editable install). No other module hard-
codes a path."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # explainer/, above foundation/


def resource_dir(name: str) -> Path:
    """`templates` or `scenarios`: inside the installed package, else in the source checkout."""
    for candidate in (PACKAGE / name, PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"explainer's {name}/ folder is missing from {PACKAGE}")
