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


def annealing(t, lr0, tau):
    return lr0 / (1 + np.asarray(t, dtype=np.float64) / tau)


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
    "gradient-descent/sgd-step": sgd_step,
    "gradient-descent/annealing": annealing,
    "gradient-descent/line-cost-grad": line_cost_grad,
    "gradient-descent/max-stable-lr": max_stable_lr,
}
PAGES = {
    "gradient-descent/01-optimisation-landscape": ["gradient-descent/saddle-gradient",
                                                   "gradient-descent/descent-path",
                                                   "gradient-descent/ravine-learning-rate"],
    "gradient-descent/02-batch-vs-stochastic": ["gradient-descent/sgd-step", "gradient-descent/annealing"],
    "gradient-descent/03-interactive-example": ["gradient-descent/line-cost-grad",
                                                "gradient-descent/max-stable-lr"],
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
    # 1/t without the offset: infinite at t = 0
    ("gradient-descent/annealing", lambda t, lr0, tau: lr0 * tau / np.maximum(np.asarray(t, float), 1e-300),
     "expected"),
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
