"""The exercises of the page Feed-forward networks (nbcourse/exercises/architectures/feed_forward.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nbcourse.exercises import check, get, names

NAMES = ["architectures/circles-budget", "architectures/mlp-fix-forward"]


def fixed_forward(X, weights, biases):
    h = X
    for W, b in zip(weights[:-1], biases[:-1]):
        h = np.maximum(0, h @ W.T + b)
    return h @ weights[-1].T + biases[-1]


def buggy_forward(X, weights, biases):      # the page's version: W not transposed, ReLU on the output too
    h = X
    for W, b in zip(weights, biases):
        h = np.maximum(0, h @ W + b)
    return h


def relu_on_output(X, weights, biases):
    h = X
    for W, b in zip(weights, biases):
        h = np.maximum(0, h @ W.T + b)
    return h


def test_the_page_registers_its_exercises():
    assert [n for n in names("architectures") if n in NAMES] == NAMES
    root = Path(__file__).resolve().parents[2] / "book"
    for name in NAMES:
        exercise = get(name)
        assert exercise.notebook == "architectures/feed-forward" and exercise.title and exercise.hint
        assert (root / f"{exercise.notebook}.ipynb").exists(), name


def test_the_forward_pass_solution_passes():
    result = check("architectures/mlp-fix-forward", fixed_forward)
    assert result.points == result.max_points == 2


@pytest.mark.parametrize("answer, says", [(buggy_forward, "raised ValueError"), (relu_on_output, "received 0")])
def test_wrong_forward_passes_fail(answer, says):
    result = check("architectures/mlp-fix-forward", answer, raise_on_failure=False)
    assert not result and says in str(result)


def test_the_budget_solution_passes():
    result = check("architectures/circles-budget", (3,))
    assert result.points == result.max_points == 2


@pytest.mark.parametrize("answer, says", [
    ((4,), "more than the budget"),
    ((2, 2), "cannot enclose the inner circle"),
    ((8, 8), "more than the budget"),
    ("wide", "tuple of positive integers"),
    ((0,), "tuple of positive integers"),
])
def test_wrong_budgets_fail_with_the_reason(answer, says):
    result = check("architectures/circles-budget", answer, raise_on_failure=False)
    assert not result and says in str(result)
