"""nbcourse.figures.feed_forward and nbcourse.figures.perceptron: the batched training of the explorer's grid
equals training each network alone; the per-layer measures; every figure draws."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nbcourse.data import make_moons, make_separable  # noqa: E402
from nbcourse.figures import feed_forward as ff  # noqa: E402
from nbcourse.figures import perceptron as pf  # noqa: E402
from nbcourse.models import MLP, Perceptron  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    plt.close("all")


def _alone(model, X, y, steps, lr):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(X)[:, 0], y.float())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return float(loss.detach())


def test_stacked_training_equals_training_each_alone():
    data = [make_moons(60, seed=0), make_moons(60, seed=1), make_moons(60, seed=2)]
    stacked = [MLP(2, (w, w), 1, seed=s) for s, w in enumerate((2, 5, 3))]
    alone = [MLP(2, (w, w), 1, seed=s) for s, w in enumerate((2, 5, 3))]
    losses = ff.train_stack(stacked, data, steps=30, lr=0.05)
    for model, other, (X, y), loss in zip(stacked, alone, data, losses):
        expected = _alone(other, X, y, 30, 0.05)
        for p, q in zip(model.parameters(), other.parameters()):
            torch.testing.assert_close(p, q, atol=1e-5, rtol=1e-4)
        assert loss == pytest.approx(expected, abs=1e-5), "the returned loss is that of the last step"


def test_neighbour_agreement():
    y = torch.tensor([0, 1] * 20)
    H = torch.randn(40, 3, generator=torch.Generator().manual_seed(0))
    separated = H + 10 * y[:, None]
    assert ff.neighbour_agreement(separated, y, k=5) == 1.0
    assert 0.2 < ff.neighbour_agreement(H, y, k=5) < 0.8


def test_layer_outputs_end_with_the_model_output():
    model = MLP(2, (4, 3), 1, seed=0)
    X = torch.randn(7, 2)
    outs = ff.layer_outputs(model, X)
    assert [n for n, _ in outs] == ["input", "hidden 1", "hidden 2", "output"]
    assert [h.shape[1] for _, h in outs] == [2, 4, 3, 1]
    torch.testing.assert_close(outs[-1][1], model(X).detach())
    assert bool((outs[1][1] >= 0).all()), "hidden outputs are taken after the ReLU"


def test_figures_draw():
    X, y = make_moons(60, seed=0)
    fig = ff.representations_figure(MLP(2, (8, 8), 1, seed=0), X, y)
    assert len(fig.axes) == 4
    Xs, ys = make_separable(30, margin=0.1, seed=0)
    p = Perceptron(record=True).fit(Xs, ys, shuffle=False)
    pf.training_figure(Xs, ys, p.path_, steps=(0, 1, p.updates_))
    pf.errors_figure({"separable": p.errors_, "xor": [4, 4, 3]})
    pf.bound_figure([0.1, 0.2], [[3, 4], [2, 2]], [100.0, 30.0])
    pf.lines_figure(Xs, ys, {"perceptron": (p.weights_, p.bias_), "truth": (np.array([1.0, 1.0]), 0.0)})
    assert pf.margin(Xs, ys, [1.0, 1.0], 0.0) >= 0.1 - 1e-6


def test_explorer_run_replays_the_updates():
    run = pf.explorer_run("separable")
    assert len(run["culprits"]) == len(run["path"]) - 1 == sum(run["errors"]) and run["errors"][-1] == 0
    xor = pf.explorer_run("xor")
    assert min(xor["errors"]) > 0
