"""Tests of nbcourse.minibatch: the variance of mini-batch gradients, and timing updates."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nbcourse.minibatch import flat_gradient, gradient_variance, predicted_variance, time_updates


def problem(m=120, seed=0):
    g = torch.Generator().manual_seed(seed)
    X, y = torch.randn(m, 6, generator=g, dtype=torch.float64), torch.randint(0, 3, (m,), generator=g)
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double(), X, y


def test_predicted_variance_formula():
    assert predicted_variance(3.0, batch_size=1, m=100) == pytest.approx(3.0)        # S = 1: no correction
    assert predicted_variance(3.0, batch_size=100, m=100) == 0.0                    # the whole set: exact
    assert predicted_variance(3.0, batch_size=10, m=100, replace=True) == pytest.approx(0.3)
    assert np.allclose(predicted_variance(1.0, batch_size=np.array([2, 4]), m=5), [1 / 2 * 3 / 4, 1 / 4 * 1 / 4])


def test_exact_variance_by_enumerating_every_batch():
    """For m = 6 and S = 2, average over all 15 pairs: the finite-population formula is exact."""
    from itertools import combinations

    model, X, y = problem(m=6)
    G = torch.stack([flat_gradient(model, F.cross_entropy, X[i:i + 1], y[i:i + 1]) for i in range(6)]).detach()
    g_bar = G.mean(dim=0)
    sigma2 = float(((G - g_bar) ** 2).sum(dim=1).mean())
    for S in (1, 2, 3, 6):
        exact = np.mean([float(((G[list(c)].mean(dim=0) - g_bar) ** 2).sum()) for c in combinations(range(6), S)])
        assert exact == pytest.approx(predicted_variance(sigma2, batch_size=S, m=6), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("replace", [False, True])
def test_measured_variance_follows_the_law(replace):
    model, X, y = problem()
    curve = gradient_variance(model, X, y, batch_sizes=[1, 4, 16, 60, 120], draws=300, replace=replace, seed=1)
    assert np.allclose(curve.measured[:4], curve.predicted[:4], rtol=0.3)
    assert np.all(np.diff(curve.measured) < 0)
    if replace:
        assert np.allclose(curve.predicted, curve.one_over_s)
        assert curve.measured[-1] > 0
    else:
        assert curve.measured[-1] == pytest.approx(0.0, abs=1e-20)                 # S = m is the batch gradient
        assert curve.predicted[3] == pytest.approx(curve.one_over_s[3] * 60 / 119)


def test_gradient_variance_bad_input():
    model, X, y = problem()
    with pytest.raises(ValueError, match="batch_sizes"):
        gradient_variance(model, X, y, batch_sizes=[0, 4])
    with pytest.raises(ValueError, match="batch_sizes"):
        gradient_variance(model, X, y, batch_sizes=[500])
    with pytest.raises(ValueError, match="draws"):
        gradient_variance(model, X, y, batch_sizes=[4], draws=1)


def test_time_updates_shapes_and_does_not_train_the_model():
    model, X, y = problem()
    before = [p.clone() for p in model.parameters()]
    t = time_updates(model, X, y, batch_sizes=[1, 8, 64], steps=3, repeats=2)
    assert t.seconds.shape == (3,) and np.all(t.seconds > 0)
    assert np.allclose(t.samples_per_second, t.batch_sizes / t.seconds)
    assert t.all_seconds.shape == (3, 2)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    with pytest.raises(ValueError, match="repeats"):
        time_updates(model, X, y, batch_sizes=[1], repeats=0)
