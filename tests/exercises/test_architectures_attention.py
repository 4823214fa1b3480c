"""The exercises of the page Attention (nbcourse/exercises/architectures/attention.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nbcourse.exercises import check, names
from nbcourse.exercises.architectures.attention import (PREDICT_SOURCE, SCALING_SETTING, buggy_attention,
                                                        max_weight_experiment)
from nbcourse.losses import softmax

NAMES = ["architectures/attention-pick", "architectures/attention-predict-map", "architectures/attention-scaling",
         "architectures/attention-wrong-axis"]


# the instructor's solutions, as in book/architectures/attention.ipynb
def scores_to_pick(n, j):
    scores = np.zeros(n)
    scores[j] = math.log(99 * max(n - 1, 1)) + 1.0
    return scores


def fixed_attention(query, key, value):
    scores = query @ key.transpose(1, 2) / query.shape[-1] ** 0.5
    return softmax(scores, dim=-1) @ value


SOLUTIONS = {
    "architectures/attention-predict-map": {"reverse": [4, 3, 2, 1, 0], "sort": [4, 1, 3, 0, 2]},
    "architectures/attention-pick": scores_to_pick,
    "architectures/attention-scaling": {"unscaled": 0.85, "scaled": 0.35},
    "architectures/attention-wrong-axis": fixed_attention,
}


def test_registered():
    assert set(NAMES) <= set(names())


@pytest.mark.parametrize("name", NAMES)
def test_solution_passes(name):
    result = check(name, SOLUTIONS[name], raise_on_failure=False)
    assert result.passed, result.message


def test_scaling_solution_is_near_the_measurement():
    measured = max_weight_experiment(**SCALING_SETTING, seed=0)
    assert measured["unscaled"] > 0.75 and measured["scaled"] < 0.45
    for key, value in SOLUTIONS["architectures/attention-scaling"].items():
        assert abs(value - measured[key]) < 0.06, (key, measured)


def _fails(name, answer, *fragments):
    result = check(name, answer, raise_on_failure=False)
    assert not result.passed
    text = (result.message + " " + (result.hint or "")).lower()
    for fragment in fragments:
        assert fragment.lower() in text, text
    return result


def test_predict_map_feedback():
    assert PREDICT_SOURCE == (6, 1, 8, 3, 0)
    # the diagonal (copying) instead of the anti-diagonal
    _fails("architectures/attention-predict-map", {"reverse": [0, 1, 2, 3, 4], "sort": [4, 1, 3, 0, 2]},
           "reverse, output step 0", "holds the digit 6")
    # the sorted digits instead of their positions
    _fails("architectures/attention-predict-map", {"reverse": [4, 3, 2, 1, 0], "sort": [0, 1, 3, 6, 8]},
           "sort, output step 0", "smallest")
    # positions counted from 1
    _fails("architectures/attention-predict-map", {"reverse": [5, 4, 3, 2, 1], "sort": [4, 1, 3, 0, 2]},
           "positions 0..4")
    _fails("architectures/attention-predict-map", [4, 3, 2, 1, 0], "keys 'reverse' and 'sort'")
    _fails("architectures/attention-predict-map", {"reverse": [4, 3], "sort": [4, 1, 3, 0, 2]}, "list of 5")


def test_pick_feedback():
    def fixed_gap(n, j):  # works for a handful of positions, not for ten thousand
        s = np.zeros(n)
        s[j] = 8.0
        return s

    _fails("architectures/attention-pick", fixed_gap, "n = 100", "grows with n")

    def infinite(n, j):
        s = np.zeros(n)
        s[j] = np.inf
        return s

    _fails("architectures/attention-pick", infinite, "inf")

    def one_hot(n, j):  # a one-hot vector of scores is not a one-hot vector of weights
        s = np.zeros(n)
        s[j] = 1.0
        return s

    _fails("architectures/attention-pick", one_hot, "n = 5")
    _fails("architectures/attention-pick", lambda n, j: np.zeros(n + 1), "expected 5")


def test_scaling_feedback():
    _fails("architectures/attention-scaling", {"unscaled": 0.35, "scaled": 0.35}, "unscaled", "too low")
    _fails("architectures/attention-scaling", {"unscaled": 0.85, "scaled": 0.9}, "scaled", "too high")
    _fails("architectures/attention-scaling", {"unscaled": 0.85, "scaled": 0.05}, "between 0.1 and 1")
    _fails("architectures/attention-scaling", 0.5, "expected a dict")


def test_wrong_axis_feedback():
    _fails("architectures/attention-wrong-axis", buggy_attention, "source positions")

    def no_scaling(query, key, value):
        return softmax(query @ key.transpose(1, 2), dim=-1) @ value

    _fails("architectures/attention-wrong-axis", no_scaling)
