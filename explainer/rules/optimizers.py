"""Rules (optimizers): the update rules after plain gradient descent, one row each,
as PyTorch's torch.optim writes them (its defaults are the defaults here, but for momentum's
μ, which torch.optim.SGD leaves at 0 and which is 0.9 here, the value lectures use):

    sgd       p⁺ = p − η·g
    momentum  v⁺ = μ·v + g;                     p⁺ = p − η·v⁺
    nesterov  v⁺ = μ·v + g;                     p⁺ = p − η·(g + μ·v⁺)
    rmsprop   s⁺ = α·s + (1 − α)·g²;             p⁺ = p − η·g/(√s⁺ + ε)
    adam      m⁺ = β₁·m + (1 − β₁)·g;  s⁺ = β₂·s + (1 − β₂)·g²;
              m̂ = m⁺/(1 − β₁ᵗ);  ŝ = s⁺/(1 − β₂ᵗ);  p⁺ = p − η·m̂/(√ŝ + ε)   (t: the step, from 1)
    adamw     p ← p − η·λ·p first (weight decay decoupled from the gradient), then adam

Weight decay λ with any other row is coupled: g ← g + λ·p before the rule, the gradient of
an L2 penalty (λ/2)·‖p‖² added to the loss; an L1 penalty λ₁·‖p‖₁ adds λ₁·sign(p) the same way
(sign(0) = 0, torch.sign's subgradient). Each penalty is a row of PENALTIES. Each rule takes a parameter, its gradient and its
state (zero before the first step) and gives the new parameter, the new state and the
intermediate values a page shows; it is written over plain operations, so the same row
computes one parameter in the page's arithmetic and a whole layer's numpy array.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

N = Any  # a number of the arithmetic, or a numpy array of them


@dataclass(frozen=True)
class Settings:
    """An optimizer's hyperparameters, as a scenario's [training] names them."""

    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    alpha: float = 0.99
    weight_decay: float = 0.0
    l1: float = 0.0  # an L1 penalty's λ₁
    # Adam's m̂ and ŝ: corrected for starting at 0 (PyTorch), or m and s as they are (from-scratch
    # code that leaves the correction out)
    bias_correction: bool = True

    def without(self, setting: str) -> Settings:
        """These settings with one penalty (or decay) set to 0."""
        zero: dict[str, Any] = {setting: 0.0}
        return dataclasses.replace(self, **zero)

    @property
    def penalized(self) -> bool:
        """A penalty joins the update (weight decay or L1): not plain descent."""
        return any(getattr(self, x.setting) for x in PENALTIES)


DEFAULT_SETTINGS = Settings()


@dataclass(frozen=True)
class Ops:
    """The arithmetic a rule computes in: a constant in its numbers, a square root, a sign."""

    constant: Callable[[float], N]
    root: Callable[[N], N]
    sign: Callable[[N], N]
    settle: Callable[[N], N] = lambda x: x


@dataclass(frozen=True)
class Penalty:
    """A term added to the loss whose gradient joins each parameter's: λ·d(term)/dp."""

    setting: str  # the Settings field holding its λ
    symbol: str  # λ in LaTeX
    term: str  # its gradient by a parameter {w}, in LaTeX, beside λ
    gradient: Callable[[Ops, N], N]
    words: str  # what it is, for the page: "weight decay" / "an L1 penalty"
    coupled: str  # the sentence that says how it joins the gradient


PENALTIES = (
    Penalty(
        "weight_decay",
        r"\lambda",
        "{w}",
        lambda o, p: p,
        "weight decay",
        "Weight decay is coupled: λ·w, the gradient of an L2 penalty (λ/2)·w² in the loss, "
        "joins each gradient.",
    ),
    Penalty(
        "l1",
        r"\lambda_{1}",
        r"\operatorname{{sign}}\left({w}\right)",
        lambda o, p: o.sign(p),
        "an L1 penalty",
        "The L1 penalty is coupled: λ₁·sign(w), the gradient of λ₁·|w| in the loss (0 at w = 0), "
        "joins each gradient.",
    ),
)


Step = tuple[N, dict[str, N], dict[str, N]]  # (new parameter, new state, shown values)
Rule = Callable[[Ops, Settings, N, int, N, N, Mapping[str, N]], Step]


def _sgd(o: Ops, h: Settings, eta: N, t: int, p: N, g: N, s: Mapping[str, N]) -> Step:
    return o.settle(p - o.settle(eta * g)), {}, {}


def _momentum(o: Ops, h: Settings, eta: N, t: int, p: N, g: N, s: Mapping[str, N]) -> Step:
    v = o.settle(o.constant(h.momentum) * s["v"] + g)
    return o.settle(p - o.settle(eta * v)), {"v": v}, {"v": v}


def _nesterov(o: Ops, h: Settings, eta: N, t: int, p: N, g: N, s: Mapping[str, N]) -> Step:
    mu = o.constant(h.momentum)
    v = o.settle(mu * s["v"] + g)
    look = o.settle(g + o.settle(mu * v))
    return o.settle(p - o.settle(eta * look)), {"v": v}, {"v": v}


def _rmsprop(o: Ops, h: Settings, eta: N, t: int, p: N, g: N, s: Mapping[str, N]) -> Step:
    a = o.constant(h.alpha)
    sq = o.settle(a * s["s"] + o.settle((o.constant(1.0) - a) * g * g))
    step = o.settle(eta * g / (o.root(sq) + o.constant(h.epsilon)))
    return o.settle(p - step), {"s": sq}, {"s": sq}


def _adam(o: Ops, h: Settings, eta: N, t: int, p: N, g: N, s: Mapping[str, N]) -> Step:
    b1, b2, one = o.constant(h.beta1), o.constant(h.beta2), o.constant(1.0)
    m = o.settle(b1 * s["m"] + o.settle((one - b1) * g))
    sq = o.settle(b2 * s["s"] + o.settle((one - b2) * g * g))
    m_hat = o.settle(m / (one - o.constant(h.beta1**t))) if h.bias_correction else m
    s_hat = o.settle(sq / (one - o.constant(h.beta2**t))) if h.bias_correction else sq
    step = o.settle(eta * m_hat / (o.root(s_hat) + o.constant(h.epsilon)))
    return o.settle(p - step), {"m": m, "s": sq}, {"m": m, "s": sq, "m_hat": m_hat, "s_hat": s_hat}


@dataclass(frozen=True)
class Optimizer:
    name: str
    rule: Rule
    state: tuple[str, ...]  # what it carries per parameter from step to step, zero at first
    settings: tuple[str, ...]  # the Settings it reads (weight_decay: every one)
    describe: str  # for the page
    decoupled: bool = False  # weight decay applied to p itself, not added to the gradient

    @property
    def name_in_prose(self) -> str:
        """The optimizer's name as a sentence says it: "Adam", "momentum"."""
        return self.describe.split(":")[0].split(" (")[0]

    def coupled(self, h: Settings) -> tuple[Penalty, ...]:
        """The penalties set whose gradients join the loss's (AdamW's weight decay does not)."""
        return tuple(
            x
            for x in PENALTIES
            if getattr(h, x.setting) and not (self.decoupled and x.setting == "weight_decay")
        )

    def step(self, o: Ops, h: Settings, eta: N, t: int, p: N, g: N, state: Mapping[str, N]) -> Step:
        """One update at step t (from 1), weight decay included; the values shown include the
        decayed parameter (decoupled, "decayed") or the gradient taken (coupled, "taken")."""
        decay: dict[str, N] = {}
        if h.weight_decay and self.decoupled:  # AdamW: p ← p − η·λ·p, then the rule
            p = decay["decayed"] = o.settle(p - o.settle(eta * o.constant(h.weight_decay) * p))
        for x in self.coupled(h):  # a penalty's gradient λ·d(term)/dp joins the loss's
            g = decay["taken"] = o.settle(
                g + o.settle(o.constant(getattr(h, x.setting)) * x.gradient(o, p))
            )
        new, after, shown = self.rule(o, h, eta, t, p, g, state)
        return new, after, {**decay, **shown}


OPTIMIZERS: dict[str, Optimizer] = {
    x.name: x
    for x in (
        Optimizer("sgd", _sgd, (), (), "plain gradient descent"),
        Optimizer(
            "momentum",
            _momentum,
            ("v",),
            ("momentum",),
            "gradient descent with momentum (PyTorch's form: the velocity sums the gradients)",
        ),
        Optimizer(
            "nesterov",
            _nesterov,
            ("v",),
            ("momentum",),
            "gradient descent with Nesterov momentum (PyTorch's form)",
        ),
        Optimizer(
            "rmsprop",
            _rmsprop,
            ("s",),
            ("alpha", "epsilon"),
            "RMSProp: each step divided by the root of a running mean of squared gradients",
        ),
        Optimizer(
            "adam",
            _adam,
            ("m", "s"),
            ("beta1", "beta2", "epsilon", "bias_correction"),
            "Adam: running means of the gradient and of its square",
        ),
        Optimizer(
            "adamw",
            _adam,
            ("m", "s"),
            ("beta1", "beta2", "epsilon", "bias_correction"),
            "AdamW: Adam with the weight decay decoupled from the gradient",
            decoupled=True,
        ),
    )
}
