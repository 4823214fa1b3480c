"""The exercises of the page The perceptron (nbcourse/exercises/architectures/perceptron.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nbcourse.exercises import check, get, names

NAMES = ["architectures/perceptron-fails", "architectures/perceptron-fix-update", "architectures/perceptron-updates"]


def fixed_update(w, x, y, lr):
    if y * (w @ x) <= 0:
        return w + lr * y * x
    return w


def buggy_update(w, x, y, lr):        # the page's bugs: strict inequality, wrong sign
    if y * (w @ x) < 0:
        w = w - lr * y * x
    return w


def sign_only(w, x, y, lr):
    if y * (w @ x) <= 0:
        return w - lr * y * x
    return w


def strict_only(w, x, y, lr):
    if y * (w @ x) < 0:
        return w + lr * y * x
    return w


SOLUTIONS = {
    "architectures/perceptron-fix-update": fixed_update,
    "architectures/perceptron-updates": 3,
    "architectures/perceptron-fails": ([(0, 0), (1, 0), (2, 0)], [0, 1, 0]),
}


def test_the_page_registers_its_exercises():
    assert [n for n in names("architectures") if "perceptron" in n] == NAMES
    root = Path(__file__).resolve().parents[2] / "book"
    for name in NAMES:
        exercise = get(name)
        assert exercise.notebook == "architectures/perceptron" and exercise.title and exercise.hint
        assert (root / f"{exercise.notebook}.ipynb").exists(), name


@pytest.mark.parametrize("name", NAMES)
def test_the_solutions_pass_with_full_points(name):
    result = check(name, SOLUTIONS[name])
    assert result.points == result.max_points == get(name).points


@pytest.mark.parametrize("answer, says", [
    (buggy_update, "misclassified"),
    (sign_only, "misclassified"),
    (strict_only, "w = 0"),
])
def test_wrong_updates_fail_where_they_go_wrong(answer, says):
    result = check("architectures/perceptron-fix-update", answer, raise_on_failure=False)
    assert not result and says in str(result)


@pytest.mark.parametrize("answer, says", [
    (2, "first epoch alone"), (1, "first epoch alone"), (6, "too many"), ("three", "whole number"), (-1, "whole number"),
])
def test_wrong_predictions_get_feedback_without_the_answer(answer, says):
    result = check("architectures/perceptron-updates", answer, raise_on_failure=False)
    assert not result and says in str(result) and "3 updates" not in str(result)


@pytest.mark.parametrize("answer, says", [
    (([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0]), "smaller set"),      # XOR: right, but not the smallest
    (([(0, 0), (1, 0), (2, 0)], [0, 0, 1]), "a line separates"),
    (([(0, 0), (1, 1), (2, 2)], [1, 1, 1]), "same label"),
    (([(0, 0), (0, 0), (1, 1)], [0, 1, 0]), "same point"),
    (([(0, 0), (1, 0), (2, 0)], [0, 2, 0]), "labels must be"),
    ("three points", "expected a pair"),
])
def test_data_that_does_not_defeat_the_perceptron(answer, says):
    result = check("architectures/perceptron-fails", answer, raise_on_failure=False)
    assert not result and says in str(result)


def test_any_three_collinear_points_with_the_middle_one_apart_pass():
    assert check("architectures/perceptron-fails", (np.array([[1.0, 1.0], [2.0, 3.0], [3.0, 5.0]]), [-1, 1, -1]))
