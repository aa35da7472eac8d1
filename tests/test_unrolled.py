"""The unrolled recurrence and the 1-D convolution as graphs (scenarios/rnn-unrolled.toml,
conv1d.toml): a shared weight's gradient is the sum over its uses. Checked against a plain
Python loop written here (its own backpropagation through time, its own convolution) and
against PyTorch's autograd and conv1d where installed."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import explainer

SCENARIOS = Path(__file__).parent.parent / "scenarios"
RNN = {"wx": 0.5, "wh": -0.8, "b": 0.1, "h0": 0.0, "x1": 1.0, "x2": -0.5, "t": 0.4}
CONV = {"k1": 0.3, "k2": -0.6, "c": 0.05, "x1": 1.0, "x2": 0.5, "x3": -1.5, "t1": 0.2, "t2": 1.0}


def _bptt(wx: float, wh: float, b: float) -> tuple[float, float, float, float]:
    """L and its gradient by wx, wh, b: forward through two steps, then back through time."""
    x, h = (RNN["x1"], RNN["x2"]), [RNN["h0"]]
    for xt in x:
        h.append(math.tanh(wx * xt + wh * h[-1] + b))
    loss = (RNN["t"] - h[2]) ** 2
    g_h = -2 * (RNN["t"] - h[2])  # ∂L/∂h2
    gx = gh = gb = 0.0
    for step in (2, 1):  # each step adds its use of the shared weights
        g_a = g_h * (1 - h[step] ** 2)
        gx += g_a * x[step - 1]
        gh += g_a * h[step - 1]
        gb += g_a
        g_h = g_a * wh  # on into the step before
    return loss, gx, gh, gb


def test_the_unrolled_recurrence_is_backpropagation_through_time() -> None:
    v = explainer.load(SCENARIOS / "rnn-unrolled.toml").values
    loss, gx, gh, gb = _bptt(RNN["wx"], RNN["wh"], RNN["b"])
    assert float(v["L"]) == pytest.approx(loss, rel=1e-14)
    assert [float(v[f"dL/d{k}"]) for k in ("wx", "wh", "b")] == pytest.approx(
        [gx, gh, gb], rel=1e-13
    )
    w = [RNN["wx"], RNN["wh"], RNN["b"]]
    for _ in range(50):  # the shipped training: 50 steps at rate 0.1
        _, *g = _bptt(*w)
        w = [p - 0.1 * q for p, q in zip(w, g, strict=True)]
    assert [float(v[f"{k}@50"]) for k in ("wx", "wh", "b")] == pytest.approx(w, rel=1e-11)


def test_the_recurrence_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    f64 = torch.float64
    wx, wh, b = (torch.tensor(RNN[k], dtype=f64, requires_grad=True) for k in ("wx", "wh", "b"))
    h = torch.tensor(RNN["h0"], dtype=f64)
    for k in ("x1", "x2"):
        h = torch.tanh(wx * RNN[k] + wh * h + b)
    ((RNN["t"] - h) ** 2).backward()
    v = explainer.load(SCENARIOS / "rnn-unrolled.toml").values
    got = [float(v[f"dL/d{k}"]) for k in ("wx", "wh", "b")]
    assert got == pytest.approx([float(p.grad) for p in (wx, wh, b)], rel=1e-13)


def _conv(k1: float, k2: float, c: float) -> tuple[float, list[float]]:
    """½Σ(t − y)² of y = (k1, k2) slid over x, and its gradient by k1, k2, c: each weight's the
    sum over the windows of the window's error times the input under it."""
    xs, ts = (CONV["x1"], CONV["x2"], CONV["x3"]), (CONV["t1"], CONV["t2"])
    ys = [k1 * xs[i] + k2 * xs[i + 1] + c for i in range(2)]
    errs = [y - t for y, t in zip(ys, ts, strict=True)]
    loss = sum(e * e for e in errs) / 2
    return loss, [
        sum(e * xs[i] for i, e in enumerate(errs)),
        sum(e * xs[i + 1] for i, e in enumerate(errs)),
        sum(errs),
    ]


def test_the_convolution_sums_each_kernel_weight_over_its_windows() -> None:
    v = explainer.load(SCENARIOS / "conv1d.toml").values
    loss, g = _conv(CONV["k1"], CONV["k2"], CONV["c"])
    assert float(v["L"]) == pytest.approx(loss, rel=1e-14)
    assert [float(v[f"dL/d{k}"]) for k in ("k1", "k2", "c")] == pytest.approx(g, rel=1e-13)
    w = [CONV["k1"], CONV["k2"], CONV["c"]]
    for _ in range(30):
        _, g = _conv(*w)
        w = [p - 0.2 * q for p, q in zip(w, g, strict=True)]
    assert [float(v[f"{k}@30"]) for k in ("k1", "k2", "c")] == pytest.approx(w, rel=1e-11)
    assert "sum over its uses" in explainer.load(SCENARIOS / "conv1d.toml").markdown()


def test_the_convolution_matches_torch_conv1d() -> None:
    torch = pytest.importorskip("torch")
    f64 = torch.float64
    x = torch.tensor([[[CONV["x1"], CONV["x2"], CONV["x3"]]]], dtype=f64)
    k = torch.tensor([[[CONV["k1"], CONV["k2"]]]], dtype=f64, requires_grad=True)
    c = torch.tensor([CONV["c"]], dtype=f64, requires_grad=True)
    y = torch.nn.functional.conv1d(x, k, c)  # cross-correlation, as the scenario slides it
    t = torch.tensor([[[CONV["t1"], CONV["t2"]]]], dtype=f64)
    (((t - y) ** 2).sum() / 2).backward()
    v = explainer.load(SCENARIOS / "conv1d.toml").values
    got = [float(v[f"dL/d{n}"]) for n in ("k1", "k2", "c")]
    assert k.grad is not None and c.grad is not None
    assert got == pytest.approx([*k.grad.ravel().tolist(), float(c.grad)], rel=1e-13)
