"""Stage 1, load (starting files): `explainer new KIND` writes a commented scenario to begin
from, one per kind of page. Each is a file in templates/new/, a valid scenario as it stands
(a test renders every one), whose comments say what each key does; its numbers are the
inputs of a small example, never results."""

from __future__ import annotations

from explainer.foundation.errors import UsageError
from explainer.foundation.resources import resource_dir

# kind → what its starting file is for (the --help text, in the order listed)
KINDS: dict[str, str] = {
    "network": "a layered network on one training example",
    "graph": "a computational graph, gate by gate",
    "training-set": "a network trained on a training set for several epochs",
    "handout": "a network for exercise sheets and answer keys, with the grids variants draw from",
}


def starting_file(kind: str) -> str:
    """The commented starting scenario of `kind`, as text."""
    if kind not in KINDS:
        raise UsageError(f"explainer new {kind}: expected one of {', '.join(KINDS)}")
    return (resource_dir("templates") / "new" / f"{kind}.toml").read_text(encoding="utf-8")
