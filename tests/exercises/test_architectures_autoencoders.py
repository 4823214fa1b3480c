"""The exercises of the page Autoencoders (nbcourse/exercises/architectures/autoencoders.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nbcourse.exercises import check, get, names

NAMES = ["architectures/ae-code-size", "architectures/linear-ae-best-mse", "architectures/overcomplete-identity"]


# the instructor's solutions, as in book/architectures/autoencoders.ipynb
def best_linear_ae_mse(X, k):
    X = np.asarray(X, dtype=np.float64)
    centred = X - X.mean(axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    return float((s[k:] ** 2).sum() / centred.size)


def identity_weights(d):
    eye = np.eye(d)
    return np.vstack([eye, -eye]), np.zeros(2 * d), np.hstack([eye, -eye]), np.zeros(d)


SOLUTIONS = {
    "architectures/linear-ae-best-mse": best_linear_ae_mse,
    "architectures/ae-code-size": 14,
    "architectures/overcomplete-identity": identity_weights,
}


def test_the_page_registers_its_exercises():
    ours = [n for n in names("architectures") if n in NAMES]
    assert sorted(ours) == NAMES
    book = Path(__file__).resolve().parents[2] / "book"
    for name in NAMES:
        exercise = get(name)
        assert exercise.notebook == "architectures/autoencoders" and exercise.title and exercise.hint
        assert (book / f"{exercise.notebook}.ipynb").exists()


@pytest.mark.parametrize("name", NAMES)
def test_the_solutions_pass_with_full_points(name):
    result = check(name, SOLUTIONS[name])
    assert result.points == result.max_points == get(name).points


def _fails(name, answer, *words):
    result = check(name, answer, raise_on_failure=False)
    assert not result
    text = " ".join(str(result).split())  # messages are wrapped
    for word in words:
        assert word in text, (word, text)


def test_best_mse_without_centring_fails_on_shifted_data():
    def uncentred(X, k):
        X = np.asarray(X, dtype=np.float64)
        s = np.linalg.svd(X, compute_uv=False)
        return float((s[k:] ** 2).sum() / X.size)

    _fails("architectures/linear-ae-best-mse", uncentred, "mean")


def test_best_mse_with_the_wrong_normalisation_fails():
    def per_sample(X, k):  # the sum over the pixels, not the mean
        return best_linear_ae_mse(X, k) * np.asarray(X).shape[1]

    _fails("architectures/linear-ae-best-mse", per_sample, "40 samples")


def test_the_linear_autoencoder_reaches_the_answer():
    # the fact the exercise rests on, at the reference's own numbers (a short, exact check)
    from nbcourse.models.autoencoder import pca_reconstruction_error

    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 5)) * [2.0, 1.0, 0.5, 0.2, 0.1] + 4.0
    eig = np.linalg.eigvalsh(np.cov(X.T, bias=True))[::-1]
    assert best_linear_ae_mse(X, 2) == pytest.approx(eig[2:].sum() / 5)
    assert best_linear_ae_mse(X, 2) == pytest.approx(pca_reconstruction_error(X, 2))


def test_code_size_feedback_says_which_way():
    _fails("architectures/ae-code-size", 13, "too small")
    _fails("architectures/ae-code-size", 20, "19 already reach", "smallest")
    _fails("architectures/ae-code-size", "fourteen", "whole number")
    _fails("architectures/ae-code-size", 0, "between 1 and 64")


def test_identity_feedback_finds_the_negative_half():
    def relu_only(d):  # forgets that ReLU drops the negative part
        return np.eye(2 * d, d), np.zeros(2 * d), np.eye(d, 2 * d), np.zeros(d)

    _fails("architectures/overcomplete-identity", relu_only, "negative ones do not")

    def wrong_shape(d):
        return np.eye(d), np.zeros(d), np.eye(d), np.zeros(d)

    _fails("architectures/overcomplete-identity", wrong_shape, "W_e has shape", "(6, 3)")

    def three_arrays(d):
        return np.eye(d), np.zeros(d), np.eye(d)

    _fails("architectures/overcomplete-identity", three_arrays, "four arrays")
