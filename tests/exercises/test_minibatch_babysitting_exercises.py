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
def exact_variance(G, S):
    import itertools

    G = np.asarray(G, dtype=float)
    g_bar = G.mean(axis=0)
    return np.mean([((G[list(b)].mean(axis=0) - g_bar) ** 2).sum()
                    for b in itertools.combinations(range(len(G)), S)])


def exact_variance_with_replacement(G, S):
    import itertools

    G = np.asarray(G, dtype=float)
    g_bar = G.mean(axis=0)
    return np.mean([((G[list(b)].mean(axis=0) - g_bar) ** 2).sum()
                    for b in itertools.product(range(len(G)), repeat=S)])


def grad_norm(p, target, x):
    residual = np.asarray(p, dtype=float).copy()
    residual[int(target)] -= 1.0
    return np.linalg.norm(residual) * np.sqrt(np.sum(np.asarray(x, dtype=float) ** 2) + 1.0)


def weighted_ce(logits, target, weight):
    logits = torch.as_tensor(logits)
    per_sample = torch.logsumexp(logits, dim=1) - logits.gather(1, target[:, None])[:, 0]
    w = torch.as_tensor(weight)[target]
    return (w * per_sample).sum() / w.sum()


def weighted_ce_over_count(logits, target, weight):
    """The common mistake: divide by the number of samples, not by the sum of their weights."""
    logits = torch.as_tensor(logits)
    per_sample = torch.logsumexp(logits, dim=1) - logits.gather(1, target[:, None])[:, 0]
    return (torch.as_tensor(weight)[target] * per_sample).mean()


def epoch_orders(n, epochs, seed):
    rng = np.random.default_rng(seed)
    return [rng.permutation(n).tolist() for _ in range(epochs)]


def best_epoch(val_loss):
    return int(np.argmin(np.asarray(val_loss))) + 1


SOLUTIONS = {
    "gradient-descent/finite-population": exact_variance,
    "gradient-descent/batch-size-and-lr": {"batch_size": 128, "lr": 0.2},
    "gradient-descent/softmax-grad-norm": grad_norm,
    "gradient-descent/weighted-cross-entropy": weighted_ce,
    "gradient-descent/one-step-prediction": {"own_loss": "down", "validation_loss": "up"},
    "gradient-descent/shuffled-epochs": epoch_orders,
    "gradient-descent/best-epoch": best_epoch,
    "gradient-descent/name-the-curves": {"A": "overfit", "B": "good-fit", "C": "val-too-small",
                                         "D": "underfit-capacity", "E": "train-too-small",
                                         "F": "underfit-undertrained", "G": "overfit", "H": "underfit-capacity"},
}
PAGES = {
    "gradient-descent/04-mini-batches": ["gradient-descent/finite-population", "gradient-descent/batch-size-and-lr"],
    "gradient-descent/05-value-of-one-sample": ["gradient-descent/softmax-grad-norm",
                                                "gradient-descent/one-step-prediction"],
    "gradient-descent/06-shuffling-and-balancing": ["gradient-descent/weighted-cross-entropy",
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
    ("gradient-descent/finite-population", exact_variance_with_replacement, "S = 2: at G"),
    ("gradient-descent/softmax-grad-norm",
     lambda p, t, x: np.linalg.norm(np.asarray(p) - np.eye(len(p))[t]) * np.linalg.norm(x), "expected"),
    ("gradient-descent/weighted-cross-entropy", weighted_ce_over_count, "weights 1, 2, 0.5, 4"),
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


def test_name_the_curves_is_all_or_nothing_and_says_neither_which_nor_how_many():
    right = SOLUTIONS["gradient-descent/name-the-curves"]
    one_wrong = dict(right, A="good-fit")
    two_wrong = dict(right, A="good-fit", B="overfit")
    messages = set()
    for answer in (one_wrong, two_wrong):
        result = check("gradient-descent/name-the-curves", answer, raise_on_failure=False)
        assert not result.passed and result.points == 0
        messages.add(result.message)
    assert len(messages) == 1                      # the feedback is the same however many are wrong
    assert "A" not in messages.pop().split("right.")[0]
    result = check("gradient-descent/name-the-curves", {"A": "overfit"}, raise_on_failure=False)
    assert not result.passed and "no name for B" in result.message


def test_finite_population_with_a_torch_answer():
    def exact_torch(G, S):
        import itertools

        G = torch.as_tensor(G, dtype=torch.float64)
        return torch.stack([((G[list(b)].mean(0) - G.mean(0)) ** 2).sum()
                            for b in itertools.combinations(range(len(G)), S)]).mean()

    assert check("gradient-descent/finite-population", exact_torch).passed


@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_released_page_keeps_the_exercises_and_drops_the_solutions(page):
    source = BOOK / f"{Path(page).name}.ipynb"
    released = release_notebook(nbformat.read(source, as_version=4), source_name=source.name)
    text = "\n".join(cell.source for cell in released.cells)
    assert "BEGIN SOLUTION" not in text
    for name in PAGES[page]:
        assert f'nbcourse.check("{name}"' in text
        assert f"{name}: replace this line with your answer" in text


def test_one_step_prediction_is_all_or_nothing():
    result = check("gradient-descent/one-step-prediction", {"own_loss": "down", "validation_loss": "down"},
                   raise_on_failure=False)
    assert not result.passed and "does not say which" in result.message
    result = check("gradient-descent/one-step-prediction", {"own_loss": "lower"}, raise_on_failure=False)
    assert not result.passed and "'up' or 'down'" in result.message
