"""Stage 5, check (the gradient checks): each gradient of the page beside computations of it that
share nothing with the page's derivation but the forward pass.

Both views fill the same record: a network's chain rule beside central finite differences of
the loss and, where PyTorch is installed, its autograd; a graph's backward pass beside central
finite differences of the output and sympy.diff of the whole expression (no gates).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GradientCheck:
    key: str  # the trained parameter's (a network) or the leaf's (a graph)
    chain: float  # the page's own: by the chain rule, or the backward pass gate by gate
    # (f(x + h) − f(x − h))/2h, h = 10⁻⁶; None: a step of h reaches where f is undefined
    estimate: float | None
    symbolic: float | None = None  # sympy.diff of the whole graph; None: not a finite real
    autograd: float | None = None  # PyTorch's, of the network's forward expressions

    @property
    def difference(self) -> float:
        """|chain − estimate| (0 where there is no estimate)."""
        return abs(self.chain - self.estimate) if self.estimate is not None else 0.0
