"""nbcourse.models.boltzmann: shapes, errors, exact distributions, Gibbs sampling, the learning rule."""

from __future__ import annotations

import numpy as np
import pytest

from nbcourse.models import BoltzmannMachine
from nbcourse.models.boltzmann import all_states, empirical_distribution, kl_divergence

PARITY = np.array([[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]], dtype=float)


def test_shapes_and_symmetry():
    bm = BoltzmannMachine(4, 2, seed=0)
    assert bm.weights_.shape == (6, 6) and bm.bias_.shape == (6,)
    assert np.allclose(bm.weights_, bm.weights_.T) and np.all(np.diag(bm.weights_) == 0)
    assert bm.exact_distribution().shape == (16,) and bm.exact_joint().shape == (64,)
    assert bm.sample(7, n_sweeps=2, seed=0).shape == (7, 4)
    assert bm.sample(7, n_sweeps=2, seed=0, return_hidden=True).shape == (7, 6)
    dW, db = bm.exact_gradient(np.zeros((3, 4)))
    assert dW.shape == (6, 6) and db.shape == (6,) and np.allclose(dW, dW.T) and np.all(np.diag(dW) == 0)


@pytest.mark.parametrize("call, error, words", [
    (lambda: BoltzmannMachine(0, 1), ValueError, "n_visible"),
    (lambda: BoltzmannMachine(3, -1), ValueError, "n_hidden"),
    (lambda: BoltzmannMachine(3, 1).fit(np.full((2, 3), 0.5)), ValueError, "binary values 0 and 1"),
    (lambda: BoltzmannMachine(3, 1).fit(np.zeros((2, 4))), ValueError, r"shape \(2, 4\), expected \(n_samples, 3\)"),
    (lambda: BoltzmannMachine(3, 1).fit(PARITY, method="mcmc"), ValueError, "'method'"),
    (lambda: BoltzmannMachine(3, 1).fit(PARITY, lr=-1), ValueError, "'lr'"),
    (lambda: BoltzmannMachine(15, 6).exact_distribution(), ValueError, "21 units"),
    (lambda: BoltzmannMachine(3, 1).sample(0), ValueError, "'n_samples'"),
    (lambda: BoltzmannMachine(3, 1).sample(2, clamp=PARITY), ValueError, "'clamp' has 4 rows"),
])
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_exact_distribution_sums_to_one_and_marginalises_the_joint():
    bm = BoltzmannMachine(4, 3, seed=1, init_std=1.0)
    bm.bias_ = np.random.default_rng(0).normal(size=7)
    p_v, joint = bm.exact_distribution(), bm.exact_joint()
    assert np.isclose(p_v.sum(), 1.0) and np.isclose(joint.sum(), 1.0) and np.all(p_v > 0)
    S = all_states(7)
    w = np.exp(-bm.energy(S))
    assert np.allclose(joint, w / w.sum())
    for k, v in enumerate(all_states(4)):
        assert np.isclose(p_v[k], joint[(S[:, :4] == v).all(axis=1)].sum())


def test_helpers():
    assert empirical_distribution(PARITY).tolist() == [0.25, 0, 0, 0.25, 0, 0.25, 0.25, 0]
    assert kl_divergence([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert np.isclose(kl_divergence([0.25, 0.25, 0.25, 0.25, 0, 0, 0, 0], np.full(8, 1 / 8)), np.log(2))


def test_gibbs_samples_follow_the_exact_distribution():
    bm = BoltzmannMachine(3, 2, seed=2, init_std=1.5)
    samples = bm.sample(20000, n_sweeps=30, seed=0)
    assert kl_divergence(empirical_distribution(samples), bm.exact_distribution()) < 0.005
    assert np.array_equal(samples[:50], bm.sample(20000, n_sweeps=30, seed=0)[:50])


def test_clamped_sampling_keeps_the_visible_units_and_follows_p_h_given_v():
    bm = BoltzmannMachine(2, 2, seed=3, init_std=1.5)
    v = np.tile([1.0, 0.0], (20000, 1))
    s = bm.sample(20000, n_sweeps=20, seed=0, clamp=v, return_hidden=True)
    assert np.array_equal(s[:, :2], v)
    joint = bm.exact_joint().reshape(4, 4)[2]                     # v = (1, 0) is visible state 2
    assert np.allclose(empirical_distribution(s[:, 2:]), joint / joint.sum(), atol=0.015)


def test_exact_gradient_matches_finite_differences_of_the_log_likelihood():
    bm = BoltzmannMachine(3, 2, seed=4, init_std=1.0)
    p_data = empirical_distribution(PARITY)

    def mean_log_likelihood():
        return float(p_data[p_data > 0] @ np.log(bm.exact_distribution()[p_data > 0]))

    dW, db = bm.exact_gradient(PARITY)
    eps = 1e-6
    for i, j in ((0, 1), (2, 4), (3, 4)):
        base = bm.weights_.copy()
        bm.weights_[i, j] += eps
        bm.weights_[j, i] += eps
        up = mean_log_likelihood()
        bm.weights_ = base.copy()
        bm.weights_[i, j] -= eps
        bm.weights_[j, i] -= eps
        down = mean_log_likelihood()
        bm.weights_ = base
        # W_ij and W_ji are one parameter: the energy holds it twice with a factor 1/2
        assert np.isclose((up - down) / (2 * eps), dW[i, j], atol=1e-6)
    for i in (0, 3):
        bm.bias_[i] += eps
        up = mean_log_likelihood()
        bm.bias_[i] -= 2 * eps
        down = mean_log_likelihood()
        bm.bias_[i] += eps
        assert np.isclose((up - down) / (2 * eps), db[i], atol=1e-6)


def test_sampled_gradient_estimates_the_exact_one():
    bm = BoltzmannMachine(3, 2, seed=3, init_std=1.0)
    exact_dW, exact_db = bm.exact_gradient(PARITY)
    dW, db = bm.sampled_gradient(PARITY, n_samples=20000, n_sweeps=20, seed=0)
    assert np.abs(dW - exact_dW).max() < 0.05 and np.abs(db - exact_db).max() < 0.05


def test_no_hidden_units_cannot_learn_parity_and_hidden_units_can():
    visible_only = BoltzmannMachine(3, 0, seed=0, init_std=1.0).fit(PARITY, epochs=400, lr=1.0)
    assert abs(visible_only.history_["kl"][-1] - np.log(2)) < 1e-3
    bm = BoltzmannMachine(3, 2, seed=3, init_std=1.0).fit(PARITY, epochs=800, lr=1.0)
    kl = bm.history_["kl"]
    assert len(kl) == 800 and kl[-1] < 0.15 and kl[-1] < kl[0]


def test_fit_returns_self_and_sampled_fit_learns():
    bm = BoltzmannMachine(3, 1, seed=0)
    assert bm.fit(PARITY, epochs=1) is bm
    X = np.array([[1, 1, 0], [0, 0, 1]] * 5, dtype=float)
    sampled = BoltzmannMachine(3, 1, seed=0).fit(X, epochs=60, lr=0.5, method="sampled", n_samples=200,
                                                  n_sweeps=5, seed=0)
    assert sampled.history_["kl"][-1] < 0.5 * sampled.history_["kl"][0]
