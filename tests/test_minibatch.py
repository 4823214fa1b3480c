"""Tests of nbcourse.minibatch: the variance of mini-batch gradients, and timing updates."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nbcourse.minibatch import flat_gradient, gradient_variance, predicted_variance, time_updates


@pytest.fixture
def one_thread():
    """Tiny networks run faster on one thread; the setting is restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


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
def test_measured_variance_follows_the_law(replace, one_thread):
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


# ------------------------------------------------------------------ steps to a target (Shallue et al.)

from nbcourse.minibatch import (  # noqa: E402
    StopAtTarget, batch_size_scaling, digits_softmax_problem, gradient_plane, minibatch_means, steps_to_target,
)



def test_minibatch_means_are_means_of_rows():
    G = torch.arange(20.0).reshape(10, 2)
    means = minibatch_means(G, batch_size=3, draws=50, seed=0)
    assert means.shape == (50, 2)
    # every mean is the mean of 3 distinct rows: its first coordinate is 2 * (mean of 3 distinct indices)
    assert torch.all((means[:, 0] / 2 * 3 - (means[:, 0] / 2 * 3).round()).abs() < 1e-4)
    assert torch.allclose(minibatch_means(G, batch_size=10, draws=2), G.mean(dim=0).expand(2, 2))
    assert torch.allclose(minibatch_means(G, batch_size=1, draws=200, replace=True, seed=1).mean(dim=0),
                          G.mean(dim=0), atol=1.5)
    with pytest.raises(ValueError, match="draws"):
        minibatch_means(G, batch_size=2, draws=0)


def test_gradient_plane_is_orthonormal_and_starts_along_the_mean():
    G = torch.randn(40, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64) + 2.0
    plane = gradient_plane(G)
    assert torch.allclose(plane @ plane.T, torch.eye(2, dtype=torch.float64), atol=1e-10)
    assert torch.allclose(plane[0], G.mean(dim=0) / G.mean(dim=0).norm())


def test_steps_to_target_stops_at_the_target(one_thread):
    make_model, X, y = digits_softmax_problem()
    steps = steps_to_target(make_model, X, y, batch_size=256, lr=0.3, target=0.5, max_steps=50)
    assert steps is not None and 1 <= steps <= 50
    # a tiny learning rate cannot get there in 5 steps; a diverging one does not crash
    assert steps_to_target(make_model, X, y, batch_size=256, lr=1e-4, target=0.5, max_steps=5) is None
    assert steps_to_target(make_model, X, y, batch_size=8, lr=1e4, target=0.5, max_steps=30) is None
    # repeatable
    assert steps == steps_to_target(make_model, X, y, batch_size=256, lr=0.3, target=0.5, max_steps=50)
    with pytest.raises(ValueError, match="lr"):
        steps_to_target(make_model, X, y, batch_size=8, lr=0.0, target=0.5, max_steps=5)
    with pytest.raises(ValueError, match="batch_sizes"):
        steps_to_target(make_model, X, y, batch_size=10_000, lr=0.1, target=0.5, max_steps=5)


def test_stop_at_target_records_the_loss_after_each_step(one_thread):
    from nbcourse.train import Trainer

    make_model, X, y = digits_softmax_problem()
    model = make_model(seed=0)
    stop = StopAtTarget(X, y, target=-1.0, max_steps=7)
    Trainer(model, torch.nn.functional.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.1),
            device="cpu", seed=0, callbacks=[stop]).fit((X, y), epochs=5, batch_size=64)
    assert len(stop.losses) == 7 and stop.reached is None
    assert stop.losses[-1] < stop.losses[0]


def test_batch_size_scaling_shows_fewer_steps_for_larger_batches(one_thread):
    make_model, X, y = digits_softmax_problem()
    scaling = batch_size_scaling(make_model, X, y, batch_sizes=[4, 64, 512], lrs=[0.01, 0.03, 0.1, 0.3, 1.0],
                                 target=0.4, max_steps=600)
    assert scaling.steps.shape == (3, 5)
    assert np.all(np.isfinite(scaling.best_steps))
    assert scaling.best_steps[0] > scaling.best_steps[1] >= scaling.best_steps[2] * 0.8
    assert scaling.best_lr[0] <= scaling.best_lr[-1]          # larger batches take larger rates
    for row, best in zip(scaling.steps, scaling.best_steps):
        assert np.nanmin(row) == best
    with pytest.raises(ValueError, match="lrs"):
        batch_size_scaling(make_model, X, y, batch_sizes=[4], lrs=[-1.0], target=0.4, max_steps=10)
