"""explainer: complete, correct, step-by-step worked examples of backpropagation.

    import explainer
    w = explainer.load("mazur-2-2-2", steps=100)   # a shipped name or a path to a .toml file
    w.values["w5@1"]; w.markdown(); w.pdf("mazur.pdf"); w.verify()
    explainer.handout("mazur-2-2-2", variants=30, seed=7, output="handouts")  # sheets and keys

`explainer.from_dict({...})` builds one from a mapping with the file format's keys. In Jupyter a
walkthrough displays as its page. Errors are `ExplainerError`s naming the file or key, what was
expected and what was found.
"""

from explainer.api import Walkthrough, from_dict, handout, load, shipped
from explainer.check.findings import Finding
from explainer.foundation.errors import (
    ExplainerError,
    NumericError,
    OutputError,
    ScenarioError,
    TexError,
    UsageError,
)
from explainer.foundation.limits import Limits

__version__ = "0.1.0"

__all__ = [
    "ExplainerError",
    "Finding",
    "Limits",
    "NumericError",
    "OutputError",
    "ScenarioError",
    "TexError",
    "UsageError",
    "Walkthrough",
    "from_dict",
    "handout",
    "load",
    "shipped",
]
