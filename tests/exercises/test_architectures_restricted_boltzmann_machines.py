"""The exercises of the page Restricted Boltzmann machines (nbcourse/exercises/architectures/restricted_boltzmann_machines.py)."""

from __future__ import annotations

from itertools import product
from pathlib import Path

import numpy as np
import pytest

from nbcourse.exercises import check, get, names
from nbcourse.exercises.architectures.restricted_boltzmann_machines import (BUGGY_CD1_SOURCE, cd1_reference,
                                                                           one_hidden_mixture_reference)
from nbcourse.models import RBM
from nbcourse.models.rbm import sigmoid

NAMES = ["architectures/rbm-fix-cd1", "architectures/rbm-one-hidden-mixture"]

_namespace = {"np": np, "sigmoid": sigmoid}
exec(BUGGY_CD1_SOURCE, _namespace)
buggy_cd1_gradient = _namespace["buggy_cd1_gradient"]


def fixed_cd1_gradient(W, b, c, v0, seed):          # the instructor's solution, as on the page
    rng = np.random.default_rng(seed)
    ph0 = sigmoid(v0 @ W.T + c)
    h0 = (rng.random(ph0.shape) < ph0) * 1.0
    pv1 = sigmoid(h0 @ W + b)
    v1 = (rng.random(pv1.shape) < pv1) * 1.0
    ph1 = sigmoid(v1 @ W.T + c)
    dW = (ph0.T @ v0 - ph1.T @ v1) / len(v0)
    return dW, (v0 - v1).mean(axis=0), (ph0 - ph1).mean(axis=0)


def mixing_weight(W, b, c):
    W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
    log_odds = c + (np.logaddexp(0, b + W) - np.logaddexp(0, b)).sum()
    return float(1 / (1 + np.exp(-log_odds)))


def test_the_page_registers_its_exercises():
    assert [n for n in names("architectures") if n.startswith("architectures/rbm")] == NAMES
    book = Path(__file__).resolve().parents[2] / "book"
    for name in NAMES:
        assert (book / f"{get(name).notebook}.ipynb").exists()


@pytest.mark.parametrize("name, answer", [("architectures/rbm-fix-cd1", fixed_cd1_gradient),
                                          ("architectures/rbm-one-hidden-mixture", mixing_weight)])
def test_the_solutions_pass_with_full_points(name, answer):
    result = check(name, answer)
    assert result.points == result.max_points == get(name).points


def test_the_buggy_update_fails_and_each_bug_is_named():
    result = check("architectures/rbm-fix-cd1", buggy_cd1_gradient, raise_on_failure=False)
    assert not result and "drives the reconstruction" in str(result)

    def only_sign_fixed(W, b, c, v0, seed):
        dW, db, dc = buggy_cd1_gradient(W, b, c, v0, seed)
        return -dW, db, dc

    result = check("architectures/rbm-fix-cd1", only_sign_fixed, raise_on_failure=False)
    assert not result and "drives the reconstruction" in str(result)

    def only_samples_fixed(W, b, c, v0, seed):
        dW, db, dc = fixed_cd1_gradient(W, b, c, v0, seed)
        return -dW, db, dc

    result = check("architectures/rbm-fix-cd1", only_samples_fixed, raise_on_failure=False)
    assert not result and "minus the right one" in str(result)

    def wrong_shape(W, b, c, v0, seed):
        return fixed_cd1_gradient(W, b, c, v0, seed)[0]

    assert not check("architectures/rbm-fix-cd1", wrong_shape, raise_on_failure=False)


def test_the_cd1_reference_is_the_package():
    rng = np.random.default_rng(0)
    W, b, c = rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=3)
    v0 = (rng.random((8, 5)) < 0.5) * 1.0
    for got, want in zip(cd1_reference(W, b, c, v0, 4), fixed_cd1_gradient(W, b, c, v0, 4)):
        assert np.allclose(got, want)


def test_the_mixture_is_the_rbm_exactly():
    rng = np.random.default_rng(1)
    W, b, c = rng.normal(scale=2, size=5), rng.normal(size=5), -1.5
    rbm = RBM(5, 1)
    rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_ = W[None, :], b, np.array([c])
    V = np.array(list(product([0.0, 1.0], repeat=5)))
    pi, mu0, mu1 = one_hidden_mixture_reference(W, b, c)
    bern = lambda mu: np.prod(np.where(V == 1, mu, 1 - mu), axis=1)   # noqa: E731
    assert np.allclose(np.exp(rbm.log_likelihood(V)), (1 - pi) * bern(mu0) + pi * bern(mu1))


def test_the_naive_mixing_weight_fails():
    result = check("architectures/rbm-one-hidden-mixture", lambda W, b, c: float(sigmoid(c)), raise_on_failure=False)
    assert not result and "not sigma(c)" in str(result)
