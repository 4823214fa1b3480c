"""Tests of nbcourse.per_sample against plain autograd, one sample at a time."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from nbcourse.per_sample import (
    one_step, per_sample_grad_norms, per_sample_gradients, per_sample_losses, softmax_regression_grad_norms,
)


def data(m=12, d=5, k=4, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(m, d, generator=g, dtype=dtype), torch.randint(0, k, (m,), generator=g)


def mlp(d=5, k=4, seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(d, 7), torch.nn.Tanh(), torch.nn.Linear(7, k)).to(dtype)


def loop_gradients(model, X, y, loss_fn=F.cross_entropy):
    rows = []
    for i in range(len(X)):
        grads = torch.autograd.grad(loss_fn(model(X[i:i + 1]), y[i:i + 1]), list(model.parameters()))
        rows.append(torch.cat([g.reshape(-1) for g in grads]))
    return torch.stack(rows)


def test_per_sample_gradients_match_a_loop_of_autograd():
    X, y = data()
    model = mlp()
    assert torch.allclose(per_sample_gradients(model, X, y), loop_gradients(model, X, y), atol=1e-12)


def test_their_mean_is_the_batch_gradient():
    X, y = data(m=30)
    model = mlp()
    batch = torch.autograd.grad(F.cross_entropy(model(X), y), list(model.parameters()))
    assert torch.allclose(per_sample_gradients(model, X, y).mean(dim=0), torch.cat([g.reshape(-1) for g in batch]))


def test_regression_loss_and_chunking():
    X, _ = data(m=9)
    target = torch.randn(9, 4, dtype=torch.float64)
    model = mlp()
    G = per_sample_gradients(model, X, target, loss_fn=F.mse_loss, chunk_size=2)
    assert torch.allclose(G, loop_gradients(model, X, target, F.mse_loss), atol=1e-12)


def test_losses_and_norms():
    X, y = data()
    model = mlp()
    assert torch.allclose(per_sample_losses(model, X, y), F.cross_entropy(model(X), y, reduction="none"))
    assert torch.allclose(per_sample_grad_norms(model, X, y), loop_gradients(model, X, y).norm(dim=1))


@pytest.mark.parametrize("bias", [True, False])
def test_softmax_regression_formula_matches_autograd(bias):
    X, y = data(m=20, d=6, k=3)
    model = torch.nn.Linear(6, 3, bias=bias).double()
    assert torch.allclose(softmax_regression_grad_norms(model, X, y), per_sample_grad_norms(model, X, y))


def test_surprising_samples_have_the_largest_gradients():
    """A confident, correct prediction has a gradient near zero; the same input with a wrong label near sqrt(2)*||x||."""
    model = torch.nn.Linear(2, 2).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[10.0, 0.0], [-10.0, 0.0]]))
        model.bias.zero_()
    x = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    expected, surprising = softmax_regression_grad_norms(model, x.repeat(2, 1), torch.tensor([0, 1]))
    assert expected < 1e-7
    assert surprising == pytest.approx(2 ** 0.5 * 2 ** 0.5, rel=1e-6)       # ||p - y|| = sqrt 2, sqrt(||x||^2 + 1) = sqrt 2
    ex, su = one_step(model, x[0], torch.tensor(0), lr=0.1), one_step(model, x[0], torch.tensor(1), lr=0.1)
    assert su["weight_change"] > 1e6 * ex["weight_change"]
    assert su["weight_change"] == pytest.approx(0.1 * float(surprising), rel=1e-6)


def test_one_step_leaves_the_model_alone_and_reports_reference_loss():
    X, y = data()
    model = mlp()
    before = [p.clone() for p in model.parameters()]
    out = one_step(model, X[0], y[0], lr=0.5, X_ref=X, y_ref=y)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert out["loss_after"] < out["loss_before"]
    assert set(out) == {"loss_before", "loss_after", "weight_change", "ref_loss_before", "ref_loss_after"}
    g = per_sample_grad_norms(model, X[:1], y[:1])[0]
    assert out["weight_change"] == pytest.approx(0.5 * float(g), rel=1e-9)


def test_bad_input():
    X, y = data()
    with pytest.raises(TypeError, match="per_sample_gradients.*model"):
        per_sample_gradients(lambda x: x, X, y)
    with pytest.raises(ValueError, match="same number of samples"):
        per_sample_losses(mlp(), X, y[:3])
    with pytest.raises(TypeError, match="expected a torch tensor"):
        per_sample_losses(mlp(), X.numpy(), y)
    with pytest.raises(TypeError, match="Linear"):
        softmax_regression_grad_norms(mlp(), X, y)
    with pytest.raises(ValueError, match="lr"):
        one_step(mlp(), X[0], y[0], lr=-1.0)
