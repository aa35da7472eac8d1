"""Stage 4, evaluate (a cross-check): a third opinion on every gradient: PyTorch's autograd,
differentiating the network's forward expressions by itself. Optional: `pip install -e
'.[torch]'`; without PyTorch it says so.

It shares only the forward pass with the derivation (the same node expressions, evaluated with
tensors), so an error in the chain rule, the rule tables or the sums over paths shows up here.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import sympy as sp

from explainer.evaluate.worked import Arithmetic, forward
from explainer.graph.network import Network


def available() -> str:
    """The PyTorch version, or "" when it is not installed."""
    try:
        return str(import_module("torch").__version__)
    except ImportError:
        return ""


def gradients(net: Network) -> dict[str, float]:
    """∂L/∂p for every trained parameter, by torch.autograd in float64."""
    torch: Any = import_module("torch")

    def tensor(x: float) -> Any:
        return torch.tensor(float(x), dtype=torch.float64)

    ar = Arithmetic(
        "torch",
        "PyTorch float64 tensors",
        number=tensor,
        constant=lambda c: tensor(float(c)),
        functions={
            sp.exp: torch.exp,
            sp.log: torch.log,
            sp.tanh: torch.tanh,
            sp.sech: lambda x: 1 / torch.cosh(x),
        },
    )
    params = {p.key: tensor(p.value).requires_grad_(p.trained) for p in net.params}
    loss = forward(net, params, ar)[net.loss]
    if loss.requires_grad:  # not when every path runs through a step, a constant piece
        loss.backward()
    # a parameter autograd never reached (behind a step or a dead ReLU) has gradient 0
    return {
        p.key: 0.0 if params[p.key].grad is None else float(params[p.key].grad) for p in net.trained
    }
