"""nbcourse.models.rbm: shapes, errors, the factorised conditionals, the free energy, seeded learning."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest
import torch

from nbcourse.data.binary import load_binary_digits
from nbcourse.models import RBM
from nbcourse.models.rbm import sigmoid, softplus


def _random_rbm(d=5, h=3, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    rbm = RBM(d, h, seed=seed)
    rbm.weights_ = rng.normal(scale=scale, size=(h, d))
    rbm.visible_bias_, rbm.hidden_bias_ = rng.normal(size=d), rng.normal(size=h)
    return rbm


def _all_states(n):
    return np.array(list(product([0.0, 1.0], repeat=n)))


@pytest.fixture(scope="module")
def digits():
    (X, _), (X_val, _) = load_binary_digits(seed=0)
    return X, X_val


@pytest.fixture(scope="module")
def trained(digits):
    X, _ = digits
    return RBM(64, 32, seed=0).fit(X, epochs=8, k=1, lr=0.05, batch_size=20, seed=0)


def test_shapes():
    rbm = RBM(6, 4, seed=0)
    X = (np.random.default_rng(0).random((7, 6)) < 0.5) * 1.0
    assert rbm.weights_.shape == (4, 6) and rbm.visible_bias_.shape == (6,) and rbm.hidden_bias_.shape == (4,)
    assert rbm.hidden_probs(X).shape == (7, 4) and rbm.visible_probs(np.ones((7, 4))).shape == (7, 6)
    assert rbm.reconstruct(X).shape == (7, 6) and rbm.free_energy(X).shape == (7,)
    assert rbm.free_energy(X[0]).shape == (1,)
    assert rbm.sample(3, n_steps=2, seed=0).shape == (3, 6)
    grad = rbm.cd_gradient(X, k=2, rng=0)
    assert grad["W"].shape == (4, 6) and grad["b"].shape == (6,) and grad["c"].shape == (4,)


@pytest.mark.parametrize("call, words", [
    (lambda r: r.fit(np.full((3, 6), 0.5)), r"binary values 0 and 1 \(grey levels"),
    (lambda r: r.fit(np.full((3, 6), -1.0)), r"\(-1/\+1 data\? use \(x \+ 1\) / 2\)"),
    (lambda r: r.fit(np.zeros((3, 5))), r"shape \(3, 5\), expected \(n_samples, 6\)"),
    (lambda r: r.fit(np.zeros((3, 6)), lr=0), "'lr'"),
    (lambda r: r.fit(np.zeros((3, 6)), k=0), "'k'"),
    (lambda r: r.fit(np.zeros((3, 6)), epochs=1.5), "'epochs'"),
    (lambda r: r.free_energy(np.zeros((2, 7))), "free_energy"),
    (lambda r: r.sample(0), "'n_samples'"),
    (lambda r: r.sample(2, n_steps=0), "'n_steps'"),
    (lambda r: r.sample(2, start=np.zeros((3, 6))), "'start' has 3 rows"),
])
def test_bad_input_is_named(call, words):
    with pytest.raises(ValueError, match=words):
        call(RBM(6, 4, seed=0))


def test_constructor_errors_and_seed():
    with pytest.raises(ValueError, match="n_hidden"):
        RBM(6, 0)
    with pytest.raises(ValueError, match="n_visible"):
        RBM(True, 3)
    assert np.array_equal(RBM(6, 4, seed=3).weights_, RBM(6, 4, seed=3).weights_)
    assert not np.array_equal(RBM(6, 4, seed=3).weights_, RBM(6, 4, seed=4).weights_)
    with pytest.raises(ValueError, match="n_hidden = 20"):
        RBM(4, 21).log_partition()


def test_stable_functions_at_the_extremes():
    z = np.array([-1e4, -30.0, 0.0, 30.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s, sp = sigmoid(z), softplus(z)
    assert np.allclose(s, torch.sigmoid(torch.tensor(z)).numpy())
    assert np.allclose(sp, torch.nn.functional.softplus(torch.tensor(z)).numpy())
    rbm = RBM(3, 2, seed=0)
    rbm.weights_ = np.full((2, 3), 1e4)
    assert np.all(np.isfinite(rbm.free_energy(np.ones((1, 3)))))


def test_conditionals_factorise_and_match_the_joint():
    # p(h | v) computed from the joint by enumeration equals the product of the per-unit sigmoids
    rbm = _random_rbm(4, 3, seed=1)
    V, H = _all_states(4), _all_states(3)
    for v in V[[0, 5, 15]]:
        unnorm = np.exp(-rbm.energy(np.tile(v, (len(H), 1)), H))
        joint = unnorm / unnorm.sum()
        ph = rbm.hidden_probs(v)[0]
        product_form = np.prod(np.where(H == 1, ph, 1 - ph), axis=1)
        assert np.allclose(joint, product_form)
    for h in H[[0, 3, 7]]:
        unnorm = np.exp(-rbm.energy(V, np.tile(h, (len(V), 1))))
        pv = rbm.visible_probs(h)[0]
        assert np.allclose(unnorm / unnorm.sum(), np.prod(np.where(V == 1, pv, 1 - pv), axis=1))


def test_free_energy_sums_out_the_hidden_units():
    rbm = _random_rbm(5, 3, seed=2)
    V, H = _all_states(5), _all_states(3)
    for v in V[[0, 9, 31]]:
        direct = -np.log(np.exp(-rbm.energy(np.tile(v, (len(H), 1)), H)).sum())
        assert np.isclose(rbm.free_energy(v)[0], direct)
    p = np.exp(rbm.log_likelihood(V))
    assert np.isclose(p.sum(), 1.0)


def test_cd_gradient_is_exact_in_expectation_direction():
    # with k = 1 and many samples of the same batch, the CD estimate averages to its expectation,
    # computed exactly here: positive statistics minus E[p(h|v1) v1^T] over the one-step chain
    rbm = _random_rbm(3, 2, seed=3, scale=0.5)
    v0 = np.array([[1.0, 0.0, 1.0]] * 4000)
    grad = rbm.cd_gradient(v0, k=1, rng=0)
    V, H = _all_states(3), _all_states(2)
    ph0 = rbm.hidden_probs(v0[:1])[0]
    p_h0 = np.prod(np.where(H == 1, ph0, 1 - ph0), axis=1)
    pv = rbm.visible_probs(H)                                       # (4, 3)
    p_v1 = np.array([[np.prod(np.where(v == 1, pv[k], 1 - pv[k])) for v in V] for k in range(len(H))])
    q = p_h0 @ p_v1                                                 # distribution of v1
    expected_neg = (rbm.hidden_probs(V).T * q) @ V
    expected = np.outer(ph0, v0[0]) - expected_neg
    assert np.allclose(grad["W"], expected, atol=0.03)


def test_fit_returns_self_is_seeded_and_learns(digits, trained):
    X, X_val = digits
    rbm = RBM(64, 32, seed=0)
    assert rbm.fit(X[:100], epochs=1, seed=0) is rbm
    again = RBM(64, 32, seed=0).fit(X, epochs=8, k=1, lr=0.05, batch_size=20, seed=0)
    assert np.array_equal(again.weights_, trained.weights_)
    errors = trained.history_["reconstruction_error"]
    assert len(errors) == 8 and errors[-1] < 0.7 * errors[0]


def test_free_energy_of_data_below_noise(digits, trained):
    X, X_val = digits
    rng = np.random.default_rng(0)
    noise = (rng.random(X_val.shape) < X.mean()) * 1.0
    untrained = RBM(64, 32, seed=0)
    assert abs(untrained.free_energy(X_val).mean() - untrained.free_energy(noise).mean()) < 5
    assert trained.free_energy(X_val).mean() < trained.free_energy(noise).mean() - 20
    assert trained.free_energy(X_val).mean() < trained.free_energy((rng.random(X_val.shape) < 0.5) * 1.0).mean() - 20


def test_exact_likelihood_rises_above_independent_pixels(digits):
    X, X_val = digits
    small = RBM(64, 12, seed=0)
    before = small.log_likelihood(X_val).mean()
    small.fit(X, epochs=10, seed=0)
    p = X.mean(axis=0).clip(1e-3, 1 - 1e-3)
    independent = (X_val * np.log(p) + (1 - X_val) * np.log(1 - p)).sum(axis=1).mean()
    after = small.log_likelihood(X_val).mean()
    assert after > before + 15 and after > independent


def test_persistent_cd_and_k_run(digits):
    X, _ = digits
    rbm = RBM(64, 16, seed=0).fit(X[:200], epochs=2, k=3, persistent=True, seed=0, batch_size=30)
    assert np.all(np.isfinite(rbm.weights_)) and len(rbm.history_["free_energy"]) == 2


def test_reconstruction_and_samples(trained, digits):
    X, X_val = digits
    R = trained.reconstruct(X_val)
    assert R.min() >= 0 and R.max() <= 1
    assert ((R > 0.5) != X_val).mean() < 0.15
    S = trained.sample(5, n_steps=50, seed=0)
    assert set(np.unique(S)) <= {0.0, 1.0}
    assert np.array_equal(S, trained.sample(5, n_steps=50, seed=0))
    P = trained.sample(5, n_steps=50, seed=0, probabilities=True)
    assert P.min() >= 0 and P.max() <= 1
