"""Optimizers (rules/optimizers.py): momentum, Nesterov, RMSProp, Adam and AdamW, with coupled
or decoupled weight decay, for one example, a batch and stochastic epochs. Checked against
torch.optim where PyTorch is installed, and always against the first step written out here in
plain Python from the page's own gradient."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import explainer
from explainer.cli import main
from explainer.foundation.errors import ScenarioError

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
PARAMS = ("w1", "w2", "w3", "w4", "b1", "w5", "w6", "w7", "w8", "b2")


def _mazur(optimizer: str, weight_decay: float = 0.0, steps: int = 5) -> dict[str, Any]:
    training: dict[str, Any] = {"learning_rate": 0.5, "steps": steps, "optimizer": optimizer}
    if weight_decay:
        training["weight_decay"] = weight_decay
    return {
        "title": f"Mazur's network, {optimizer}",
        "network": {
            "inputs": ["i1", "i2"],
            "layers": [
                {
                    "neurons": ["h1", "h2"],
                    "activation": "sigmoid",
                    "weights": [[0.15, 0.20], [0.25, 0.30]],
                    "bias": "shared",
                    "biases": [0.35],
                },
                {
                    "neurons": ["o1", "o2"],
                    "activation": "sigmoid",
                    "weights": [[0.40, 0.45], [0.50, 0.55]],
                    "bias": "shared",
                    "biases": [0.60],
                },
            ],
        },
        "example": {"inputs": [0.05, 0.10], "targets": [0.01, 0.99]},
        "training": training,
    }


def mazur_tensors(torch: Any) -> tuple[Any, Any, Any, Any]:
    """Mazur's starting parameters as float64 leaves: W1, the shared b1, W2, the shared b2."""
    t = torch.float64
    w1 = torch.tensor([[0.15, 0.20], [0.25, 0.30]], dtype=t, requires_grad=True)
    b1 = torch.tensor([0.35], dtype=t, requires_grad=True)
    w2 = torch.tensor([[0.40, 0.45], [0.50, 0.55]], dtype=t, requires_grad=True)
    b2 = torch.tensor([0.60], dtype=t, requires_grad=True)
    return w1, b1, w2, b2


def _torch(
    optimizer: str,
    weight_decay: float,
    steps: int,
    rows: list[list[float]] | None = None,
    targets: list[list[float]] | None = None,
    batch: bool = True,
) -> list[float]:
    torch = pytest.importorskip("torch")
    t = torch.float64
    w1, b1, w2, b2 = mazur_tensors(torch)
    params = [w1, b1, w2, b2]
    o = torch.optim
    made = {
        "sgd": lambda: o.SGD(params, lr=0.5, weight_decay=weight_decay),
        "momentum": lambda: o.SGD(params, lr=0.5, momentum=0.9, weight_decay=weight_decay),
        "nesterov": lambda: o.SGD(
            params, lr=0.5, momentum=0.9, nesterov=True, weight_decay=weight_decay
        ),
        "rmsprop": lambda: o.RMSprop(params, lr=0.5, weight_decay=weight_decay),
        "adam": lambda: o.Adam(params, lr=0.5, weight_decay=weight_decay),
        "adamw": lambda: o.AdamW(params, lr=0.5, weight_decay=weight_decay),
    }[optimizer]()
    x = torch.tensor(rows or [[0.05, 0.10]], dtype=t)
    y = torch.tensor(targets or [[0.01, 0.99]], dtype=t)
    groups = [slice(0, len(x))] if batch else [slice(i, i + 1) for i in range(len(x))]
    for _ in range(steps):
        for g in groups:
            made.zero_grad()
            out = torch.sigmoid(torch.sigmoid(x[g] @ w1.T + b1) @ w2.T + b2)
            (0.5 * ((y[g] - out) ** 2).sum(dim=1)).mean().backward()
            made.step()
    w1v, w2v = w1.detach().ravel().tolist(), w2.detach().ravel().tolist()
    return [*w1v, b1.item(), *w2v, b2.item()]


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_each_optimizer_trains_as_torch_optim(optimizer: str, weight_decay: float) -> None:
    v = explainer.from_dict(_mazur(optimizer, weight_decay), name=optimizer).values
    want = _torch(optimizer, weight_decay, 5)
    assert [float(v[f"{p}@5"]) for p in PARAMS] == pytest.approx(want, rel=1e-11, abs=1e-14)


XOR: tuple[list[list[float]], list[list[float]]] = (
    [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]],
    [[0.01, 0.99], [0.99, 0.01], [0.99, 0.01], [0.01, 0.99]],
)


@pytest.mark.parametrize("mode", ["batch", "stochastic"])
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_a_training_set_steps_once_per_batch_or_example(optimizer: str, mode: str) -> None:
    doc = _mazur(optimizer, steps=4)
    del doc["example"]
    doc["data"] = {"inputs": XOR[0], "targets": XOR[1]}
    doc["training"]["mode"] = mode
    v = explainer.from_dict(doc, name="set").values
    want = _torch(optimizer, 0.0, 4, XOR[0], XOR[1], batch=mode == "batch")
    assert [float(v[f"{p}@4"]) for p in PARAMS] == pytest.approx(want, rel=1e-11, abs=1e-14)


def test_the_worked_step_is_adams_first_written_out() -> None:
    """m = (1 − β₁)g, s = (1 − β₂)g², m̂ = m/(1 − β₁), ŝ = s/(1 − β₂), w⁺ = w − η·m̂/(√ŝ + ε),
    from the page's own gradient of w5."""
    page = explainer.from_dict(_mazur("adam"), name="adam")
    v = page.values
    g = float(v["dE_total/dw5"])
    m, s = 0.1 * g, 0.001 * g * g
    m_hat, s_hat = m / (1 - 0.9), s / (1 - 0.999)
    assert float(v["m_w5@1"]) == pytest.approx(m, rel=1e-12)
    assert float(v["s_w5@1"]) == pytest.approx(s, rel=1e-12)
    assert float(v["mhat_w5@1"]) == pytest.approx(m_hat, rel=1e-12)
    assert float(v["shat_w5@1"]) == pytest.approx(s_hat, rel=1e-12)
    assert float(v["w5@1"]) == pytest.approx(0.4 - 0.5 * m_hat / (math.sqrt(s_hat) + 1e-8))
    md = page.markdown()
    assert r"\hat{m}_{w_{5}}" in md and "Adam" in md and "t = 1" in md


@pytest.mark.parametrize(
    ("training", "key", "expected"),
    [
        ({"optimizer": "adam", "momentum": 0.9}, "training.momentum", "only with optimizer"),
        ({"optimizer": "adam", "beta1": 1.0}, "training.beta1", "up to (not including) 1"),
        ({"optimizer": "rmsprop", "epsilon": 0}, "training.epsilon", "above 0"),
        ({"optimizer": "sgd", "weight_decay": -0.1}, "training.weight_decay", "0 or more"),
        ({"optimizer": "lbfgs"}, "training.optimizer", "one of"),
    ],
)
def test_bad_optimizer_settings_are_refused_where_they_stand(
    training: dict[str, Any], key: str, expected: str
) -> None:
    doc = _mazur("sgd")
    doc["training"] = {"learning_rate": 0.5, "steps": 1, **training}
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="bad")
    assert key in str(e.value) and expected in str(e.value)


def test_an_objective_climbed_takes_no_optimizer() -> None:
    doc = _mazur("adam")
    doc["loss"] = {"function": "performance"}
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="climb")
    assert "training.optimizer" in str(e.value)


def test_an_optimizer_on_paper_is_a_clear_error(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "adam.toml"
    path.write_text(
        'title = "adam"\n[network]\ninputs = ["x"]\n[[network.layers]]\nneurons = ["o"]\n'
        'activation = "sigmoid"\nweights = [[0.5]]\n[example]\ninputs = [1.0]\n'
        'targets = [0.0]\n[training]\nlearning_rate = 0.1\nsteps = 2\noptimizer = "adam"\n',
        encoding="utf-8",
    )
    assert main(["render", str(path), "--arithmetic", "paper:4", "-o", str(tmp_path / "o")]) == 2
    assert "float64" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_adam_without_bias_correction_trains_as_written_out() -> None:
    """bias_correction = false: w⁺ = w − η·m⁺/(√s⁺ + ε), m and s as they are; the gradients
    from PyTorch's autograd, the update written here."""
    torch = pytest.importorskip("torch")
    doc = _mazur("adam", steps=3)
    doc["training"]["bias_correction"] = False
    v = explainer.from_dict(doc, name="uncorrected").values
    t = torch.float64
    w1, b1, w2, b2 = mazur_tensors(torch)
    params = [w1, b1, w2, b2]
    m = [torch.zeros_like(p) for p in params]
    s = [torch.zeros_like(p) for p in params]
    x, y = torch.tensor([0.05, 0.10], dtype=t), torch.tensor([0.01, 0.99], dtype=t)
    for _ in range(3):
        for p in params:
            p.grad = None
        out = torch.sigmoid(w2 @ torch.sigmoid(w1 @ x + b1) + b2)
        (0.5 * ((y - out) ** 2).sum()).backward()
        with torch.no_grad():
            for i, p in enumerate(params):
                assert p.grad is not None
                m[i] = 0.9 * m[i] + 0.1 * p.grad
                s[i] = 0.999 * s[i] + 0.001 * p.grad**2
                p -= 0.5 * m[i] / (s[i].sqrt() + 1e-8)
    want = [*w1.detach().ravel().tolist(), b1.item(), *w2.detach().ravel().tolist(), b2.item()]
    assert [float(v[f"{p}@3"]) for p in PARAMS] == pytest.approx(want, rel=1e-11)
    assert float(v["mhat_w5@1"]) == float(v["m_w5@1"])  # no correction: m̂ is m


def test_a_number_from_adam_without_its_correction_is_diagnosed() -> None:
    plain = _mazur("adam", steps=2)
    uncorrected = _mazur("adam", steps=2)
    uncorrected["training"]["bias_correction"] = False
    printed = f"{float(explainer.from_dict(uncorrected, name='u').values['w5@2']):.6f}"
    assert printed != f"{float(explainer.from_dict(plain, name='p').values['w5@2']):.6f}"
    (f,) = explainer.from_dict({**plain, "claims": {"w5@2": printed}}, name="c").verify()
    assert not f.reproduced and "Adam without its bias correction" in f.explained_by


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (
            {"loss": {"function": "performance"}, "training.weight_decay": 0.01},
            "training.weight_decay",  # plain sgd: the penalty is what makes it not plain
        ),
        ({"notation": {"profile": "delta"}}, "notation.profile"),
    ],
)
def test_what_the_page_cannot_write_as_an_optimizer_is_refused(
    change: dict[str, Any], key: str
) -> None:
    """Weight decay on an objective climbed (descent's decay would climb with it), and the
    delta profile, whose update row is plain descent's."""
    doc = _mazur("sgd" if "training.weight_decay" in change else "adam")
    for k, v in change.items():
        if k == "training.weight_decay":
            doc["training"]["weight_decay"] = v
        else:
            doc[k] = v
    with pytest.raises(ScenarioError) as e:
        explainer.from_dict(doc, name="bad")
    assert key in str(e.value)


def test_an_adam_page_names_adam_where_it_says_how_parameters_move() -> None:
    md = explainer.from_dict(_mazur("adam"), name="adam").markdown()
    assert "one step of Adam with" in md and "; Adam;" in md
    assert "one step of gradient descent" not in md


def test_a_handout_of_an_optimizer_is_refused_with_the_reason(tmp_path: Any) -> None:
    """A key's tolerance is measured on paper, where no optimizer runs: refused, saying so."""
    shipped = Path(__file__).resolve().parent.parent / "scenarios" / "adam.toml"
    path = tmp_path / "adam.toml"
    path.write_text(
        shipped.read_text(encoding="utf-8")
        + "\n[handout.vary]\ninputs = { from = 0.05, to = 0.5, step = 0.05 }\n",
        encoding="utf-8",
    )
    with pytest.raises(explainer.UsageError) as e:
        explainer.handout(path, variants=2, fmt="md")
    assert "optimizer" in str(e.value) and "explainer render" in str(e.value)


# torch.optim's name for each state this page keeps, by optimizer
TORCH_STATE = {
    "momentum": {"v": "momentum_buffer"},
    "rmsprop": {"s": "square_avg"},
    "adam": {"m": "exp_avg", "s": "exp_avg_sq"},
}


@pytest.mark.parametrize("optimizer", list(TORCH_STATE))
def test_the_state_after_later_steps_is_torch_optims(optimizer: str) -> None:
    """m_w5@k, s_w5@k, v_w5@k after each recorded step, as torch.optim keeps them."""
    torch = pytest.importorskip("torch")
    t = torch.float64
    w1, b1, w2, b2 = mazur_tensors(torch)
    made = {
        "momentum": lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.9),
        "rmsprop": lambda ps: torch.optim.RMSprop(ps, lr=0.5),
        "adam": lambda ps: torch.optim.Adam(ps, lr=0.5),
    }[optimizer]([w1, b1, w2, b2])
    x, y = torch.tensor([0.05, 0.10], dtype=t), torch.tensor([0.01, 0.99], dtype=t)
    for _ in range(3):
        made.zero_grad()
        (0.5 * ((y - torch.sigmoid(w2 @ torch.sigmoid(w1 @ x + b1) + b2)) ** 2).sum()).backward()
        made.step()
    v = explainer.from_dict(_mazur(optimizer, steps=3), name=optimizer).values
    for ours, theirs in TORCH_STATE[optimizer].items():
        state = [*made.state[w1][theirs].ravel().tolist(), made.state[b1][theirs].item()]
        state += [*made.state[w2][theirs].ravel().tolist(), made.state[b2][theirs].item()]
        got = [float(v[f"{ours}_{p}@3"]) for p in PARAMS]
        assert got == pytest.approx(state, rel=1e-11, abs=1e-16), ours
