"""The exercises of sections 1-3 of the chapter Getting gradient descent to work.

(the optimisation landscape, batch versus stochastic learning, the interactive example; registered in
nbcourse/exercises/gradient_descent.py)
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from nbcourse.exercises import check, get, names, release_notebook
from nbcourse.landscape import SURFACES

BOOK = Path(__file__).resolve().parents[2] / "book" / "gradient-descent"


# the instructor's solutions, as in the notebooks
def saddle_grad(w):
    parts = [w[..., 0], w[..., 1] ** 3 - w[..., 1]]
    return torch.stack(parts, dim=-1) if isinstance(w, torch.Tensor) else np.stack(parts, axis=-1)


def gradient_descent(w0, lr, steps):
    w = np.asarray(w0, dtype=np.float64)
    path = [w]
    for _ in range(steps):
        w = w - lr * SURFACES["saddle"].grad(w)
        path.append(w)
    return np.stack(path)


def sgd_step(w, b, x, y, lr):
    r = y - (w * x + b)
    return np.array([w + lr * (r * x).mean(), b + lr * r.mean()])


def sgd_epochs(x, y, start, lr, epochs, seed):
    rng = np.random.default_rng(seed)
    w, b = start
    for _ in range(epochs):
        for i in rng.permutation(len(x)):
            r = y[i] - (w * x[i] + b)
            w, b = w + lr * r * x[i], b + lr * r
    return np.array([w, b])


def sgd_one_order(x, y, start, lr, epochs, seed):
    """Shuffled once, then the same order every epoch."""
    order = np.random.default_rng(seed).permutation(len(x))
    w, b = start
    for _ in range(epochs):
        for i in order:
            r = y[i] - (w * x[i] + b)
            w, b = w + lr * r * x[i], b + lr * r
    return np.array([w, b])


def sgd_epochs_gradient_at_epoch_start(x, y, start, lr, epochs, seed):
    """The bug of the page: every step of an epoch uses the gradient at the epoch's start."""
    rng = np.random.default_rng(seed)
    w, b = start
    for _ in range(epochs):
        w0, b0 = w, b
        for i in rng.permutation(len(x)):
            r = y[i] - (w0 * x[i] + b0)
            w, b = w + lr * r * x[i], b + lr * r
    return np.array([w, b])


def line_cost_grad(w, b, x, y):
    r = y - (w * x + b)
    return np.array([-(r * x).mean(), -r.mean()])


def max_stable_lr(x):
    H = np.array([[np.mean(x ** 2), np.mean(x)], [np.mean(x), 1.0]])
    return 2.0 / np.linalg.eigvalsh(H).max()


SOLUTIONS = {
    "gradient-descent/saddle-gradient": saddle_grad,
    "gradient-descent/descent-path": gradient_descent,
    "gradient-descent/ravine-learning-rate": 0.35,
    "gradient-descent/shallow-basin": {"small": "shallow minimum", "medium": "shallow minimum",
                                       "large": "bounces"},
    "gradient-descent/sgd-step": sgd_step,
    "gradient-descent/sgd-epochs": sgd_epochs,
    "gradient-descent/annealing-tau": 30,
    "gradient-descent/line-cost-grad": line_cost_grad,
    "gradient-descent/max-stable-lr": max_stable_lr,
    "gradient-descent/example-setting": {"lr": "medium", "batch_size": 24},
}
PAGES = {
    "gradient-descent/01-optimisation-landscape": ["gradient-descent/saddle-gradient",
                                                   "gradient-descent/descent-path",
                                                   "gradient-descent/ravine-learning-rate",
                                                   "gradient-descent/shallow-basin"],
    "gradient-descent/02-batch-vs-stochastic": ["gradient-descent/sgd-step", "gradient-descent/sgd-epochs",
                                                "gradient-descent/annealing-tau"],
    "gradient-descent/03-interactive-example": ["gradient-descent/line-cost-grad",
                                                "gradient-descent/max-stable-lr",
                                                "gradient-descent/example-setting"],
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
    # the sign of the cubic term
    ("gradient-descent/saddle-gradient",
     lambda w: np.stack([w[..., 0], w[..., 1] - w[..., 1] ** 3], axis=-1), "expected"),
    # a flattened answer that ignores the shape (..., 2)
    ("gradient-descent/saddle-gradient",
     lambda w: np.array([w[..., 0].sum(), (w[..., 1] ** 3 - w[..., 1]).sum()]), "shape"),
    # a path without its start
    ("gradient-descent/descent-path",
     lambda w0, lr, steps: gradient_descent(w0, lr, steps)[1:], "shape"),
    # stepping uphill
    ("gradient-descent/sgd-step",
     lambda w, b, x, y, lr: sgd_step(w, b, x, y, -lr), "expected"),
    # summing instead of averaging over the mini-batch
    ("gradient-descent/sgd-step",
     lambda w, b, x, y, lr: np.array([w + lr * ((y - w * x - b) * x).sum(), b + lr * (y - w * x - b).sum()]),
     "mini-batch"),
    # the gradient taken at the start of each epoch (batch descent in disguise)
    ("gradient-descent/sgd-epochs", sgd_epochs_gradient_at_epoch_start, "current (w, b)"),
    # one permutation for all epochs
    ("gradient-descent/sgd-epochs", lambda x, y, start, lr, epochs, seed: sgd_one_order(x, y, start, lr, epochs, seed),
     "new permutation"),
    # the gradient of the sum, not of the mean
    ("gradient-descent/line-cost-grad",
     lambda w, b, x, y: line_cost_grad(w, b, x, y) * len(x), "expected"),
    # 1 / lambda_max instead of 2 / lambda_max
    ("gradient-descent/max-stable-lr", lambda x: max_stable_lr(x) / 2, "expected"),
])
def test_typical_mistakes_fail_with_a_message_that_says_where(name, wrong, words):
    result = check(name, wrong, raise_on_failure=False)
    assert not result.passed
    assert words in result.message + result.hint


def test_autograd_is_not_an_answer_to_the_analytic_gradients():
    def saddle_by_autograd(w):
        w = torch.as_tensor(w, dtype=torch.float64).clone().requires_grad_()
        SURFACES["saddle"](w).sum().backward()
        return w.grad

    result = check("gradient-descent/saddle-gradient", saddle_by_autograd, raise_on_failure=False)
    assert not result.passed and "backward" in result.message

    result = check("gradient-descent/saddle-gradient", lambda w: SURFACES["saddle"].grad(w), raise_on_failure=False)
    assert not result.passed and "grad" in result.message


@pytest.mark.parametrize("lr,passes,words", [
    (0.05, False, "not below"),     # stable but crawls along the floor
    (0.2, False, "not below"),
    (0.3, True, "< 0.001"),
    (0.39, True, "< 0.001"),
    (0.41, False, "diverged"),      # above 2 / 5: bounces out of the ravine
    (-0.1, False, "positive"),
])
def test_ravine_learning_rate_has_a_narrow_window(lr, passes, words):
    result = check("gradient-descent/ravine-learning-rate", lr, raise_on_failure=False)
    assert result.passed == passes, result.message
    assert words in result.message


@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_released_page_keeps_the_exercises_and_drops_the_solutions(page):
    source = BOOK / f"{Path(page).name}.ipynb"
    released = release_notebook(nbformat.read(source, as_version=4), source_name=source.name)
    text = "\n".join(cell.source for cell in released.cells)
    assert "BEGIN SOLUTION" not in text
    for name in PAGES[page]:
        assert f'nbcourse.check("{name}"' in text
        assert f"{name}: replace this line with your answer" in text


@pytest.mark.parametrize("tau,passes,words", [
    (3, False, "too small to have arrived"),     # the steps shrink before SGD gets there
    (30, True, "< 0.02"),
    (100, False, "not below"),                   # the page's tau: calmer than constant, not calm enough
    (1e6, False, "not below"),                   # hardly annealed: still rattling
    (-5, False, "positive"),
])
def test_annealing_tau_has_a_window(tau, passes, words):
    result = check("gradient-descent/annealing-tau", tau, raise_on_failure=False)
    assert result.passed == passes, result.message
    assert words in result.message


def test_shallow_basin_is_all_or_nothing():
    right = SOLUTIONS["gradient-descent/shallow-basin"]
    wrong = dict(right, large="shallow minimum")
    result = check("gradient-descent/shallow-basin", wrong, raise_on_failure=False)
    assert not result.passed and "large" not in result.message and "does not say which" in result.message
    result = check("gradient-descent/shallow-basin", dict(right, large="escapes"), raise_on_failure=False)
    assert not result.passed and "'escapes' is not one of" in result.message


def test_the_line_cost_reference_is_autograd_s_gradient():
    from nbcourse.data import make_line
    from nbcourse.descent import LineCost

    x, y = (t.double() for t in make_line("small", seed=0))
    p = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    (0.5 * ((y - p[0] * x - p[1]) ** 2).mean()).backward()
    np.testing.assert_allclose(LineCost(x, y).grad((-1.5, 2.0)), p.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("choice,passes,words", [
    ({"lr": "large", "batch_size": 24}, True, "2400 per-sample"),
    ({"lr": "medium", "batch_size": 1}, False, "not within"),        # never settles
    ({"lr": "large", "batch_size": "m"}, False, "more than 2400"),   # accurate but costly
    ({"lr": "small", "batch_size": 24}, False, "not within"),        # has not arrived
    ({"lr": 0.3, "batch_size": 24}, False, "must be one of"),
])
def test_example_setting(choice, passes, words):
    result = check("gradient-descent/example-setting", choice, raise_on_failure=False)
    assert result.passed == passes, result.message
    assert words in result.message
