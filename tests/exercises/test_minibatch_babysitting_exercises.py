"""The exercises of sections 4-7 of the chapter Getting gradient descent to work.

(mini-batches, the value of one sample, shuffling and balancing, babysitting; registered in
nbcourse/exercises/gradient_descent.py)
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from nbcourse.exercises import check, get, names, release_notebook

BOOK = Path(__file__).resolve().parents[2] / "book" / "gradient-descent"


# the instructor's solutions, as in the notebooks
def minibatch_variance(sigma2, S, m):
    S = np.asarray(S, dtype=float)
    return sigma2 / S * (m - S) / (m - 1)


def grad_norm(p, target, x):
    residual = np.asarray(p, dtype=float).copy()
    residual[int(target)] -= 1.0
    return np.linalg.norm(residual) * np.sqrt(np.sum(np.asarray(x, dtype=float) ** 2) + 1.0)


def balanced_weights(labels, num_classes):
    counts = torch.bincount(torch.as_tensor(labels), minlength=num_classes).double()
    present = int((counts > 0).sum())
    weights = torch.zeros(num_classes, dtype=torch.float64)
    weights[counts > 0] = len(labels) / (present * counts[counts > 0])
    return weights


def epoch_orders(n, epochs, seed):
    rng = np.random.default_rng(seed)
    return [rng.permutation(n).tolist() for _ in range(epochs)]


def best_epoch(val_loss):
    return int(np.argmin(np.asarray(val_loss))) + 1


SOLUTIONS = {
    "gradient-descent/minibatch-variance": minibatch_variance,
    "gradient-descent/batch-size-and-lr": {"batch_size": 128, "lr": 0.2},
    "gradient-descent/softmax-grad-norm": grad_norm,
    "gradient-descent/balanced-weights": balanced_weights,
    "gradient-descent/shuffled-epochs": epoch_orders,
    "gradient-descent/best-epoch": best_epoch,
    "gradient-descent/name-the-curves": {"A": "overfit", "B": "good-fit", "C": "val-too-small",
                                         "D": "underfit-capacity", "E": "train-too-small",
                                         "F": "underfit-undertrained"},
}
PAGES = {
    "gradient-descent/04-mini-batches": ["gradient-descent/minibatch-variance", "gradient-descent/batch-size-and-lr"],
    "gradient-descent/05-value-of-one-sample": ["gradient-descent/softmax-grad-norm"],
    "gradient-descent/06-shuffling-and-balancing": ["gradient-descent/balanced-weights",
                                                    "gradient-descent/shuffled-epochs"],
    "gradient-descent/07-babysitting": ["gradient-descent/best-epoch", "gradient-descent/name-the-curves"],
}


def test_the_exercises_are_registered_with_their_pages():
    registered = set(names("gradient-descent"))
    for page, exercises in PAGES.items():
        for name in exercises:
            assert name in registered
            assert get(name).notebook == page and get(name).hint and get(name).title


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_the_solutions_pass_with_full_points(name):
    result = check(name, SOLUTIONS[name])
    assert result.points == result.max_points == get(name).points


@pytest.mark.parametrize("name,wrong,words", [
    ("gradient-descent/minibatch-variance", lambda sigma2, S, m: sigma2 / np.asarray(S, dtype=float), "finite-population"),
    ("gradient-descent/softmax-grad-norm",
     lambda p, t, x: np.linalg.norm(np.asarray(p) - np.eye(len(p))[t]) * np.linalg.norm(x), "expected"),
    ("gradient-descent/balanced-weights",
     lambda labels, k: len(labels) / (k * torch.bincount(torch.as_tensor(labels), minlength=k).double()), "absent"),
    ("gradient-descent/best-epoch", lambda v: int(np.argmin(v)), "expected"),
])
def test_typical_mistakes_fail_with_a_message_that_says_where(name, wrong, words):
    result = check(name, wrong, raise_on_failure=False)
    assert not result.passed
    assert words in result.message + result.hint


@pytest.mark.parametrize("wrong,words", [
    (lambda n, epochs, seed: [list(range(n))] * epochs, "same order"),
    (lambda n, epochs, seed: [list(np.random.default_rng(seed).integers(0, n, n)) for _ in range(epochs)],
     "permutation"),
    (lambda n, epochs, seed: [list(np.random.permutation(n)) for _ in range(epochs)], "same seed"),
    (lambda n, epochs, seed: [list(np.random.default_rng(0).permutation(n)) for _ in range(epochs)], "same order"),
])
def test_shuffled_epochs_mistakes(wrong, words):
    result = check("gradient-descent/shuffled-epochs", wrong, raise_on_failure=False)
    assert not result.passed and words in result.message


@pytest.mark.parametrize("settings,passes", [
    ({"batch_size": 1, "lr": 0.01}, False),          # one sample per step: far too noisy for 20 steps
    ({"batch_size": 256, "lr": 0.001}, False),       # a large batch with a tiny learning rate crawls
    ({"batch_size": 256, "lr": 0.3}, True),
])
def test_batch_size_and_lr_needs_both(settings, passes):
    result = check("gradient-descent/batch-size-and-lr", settings, raise_on_failure=False)
    assert result.passed == passes, result.message


@pytest.mark.parametrize("settings", [{"batch_size": 0, "lr": 0.1}, {"batch": 32, "lr": 0.1}, {"batch_size": 32, "lr": -1}])
def test_batch_size_and_lr_bad_settings_are_explained(settings):
    result = check("gradient-descent/batch-size-and-lr", settings, raise_on_failure=False)
    assert not result.passed and ("batch_size" in result.message or "lr" in result.message)


def test_name_the_curves_counts_the_wrong_ones():
    answer = dict(SOLUTIONS["gradient-descent/name-the-curves"], A="good-fit", B="overfit")
    result = check("gradient-descent/name-the-curves", answer, raise_on_failure=False)
    assert not result.passed and "2 of 6 wrong" in result.message
    result = check("gradient-descent/name-the-curves", {"A": "overfit"}, raise_on_failure=False)
    assert not result.passed and "no name for B" in result.message


@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_released_page_keeps_the_exercises_and_drops_the_solutions(page):
    source = BOOK / f"{Path(page).name}.ipynb"
    released = release_notebook(nbformat.read(source, as_version=4), source_name=source.name)
    text = "\n".join(cell.source for cell in released.cells)
    assert "BEGIN SOLUTION" not in text
    for name in PAGES[page]:
        assert f'nbcourse.check("{name}"' in text
        assert f"{name}: replace this line with your answer" in text
