"""The exercises of the page Hopfield networks (nbcourse/exercises/architectures/hopfield.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nbcourse.exercises import check, get, names
from nbcourse.exercises.architectures.hopfield import candidate_states, flip_energy_reference

NAMES = ["architectures/hopfield-capacity", "architectures/hopfield-flip-energy", "architectures/hopfield-stable"]


def flip_energy_change(W, b, s, i):              # the instructor's solution, as on the page
    W, b, s = np.asarray(W), np.asarray(b), np.asarray(s)
    return 2.0 * s[i] * (W[i] @ s - W[i, i] * s[i] + b[i])


SOLUTIONS = {
    "architectures/hopfield-stable": ["A", "C", "D"],
    "architectures/hopfield-flip-energy": flip_energy_change,
    "architectures/hopfield-capacity": 11,
}


def test_the_page_registers_its_exercises():
    registered = [n for n in names("architectures") if n.startswith("architectures/hopfield")]
    assert registered == NAMES
    book = Path(__file__).resolve().parents[2] / "book"
    for name in NAMES:
        assert (book / f"{get(name).notebook}.ipynb").exists()


@pytest.mark.parametrize("name", NAMES)
def test_the_solutions_pass_with_full_points(name):
    result = check(name, SOLUTIONS[name])
    assert result.points == result.max_points == get(name).points


def test_the_candidate_states_are_what_the_answer_says():
    from nbcourse.data.binary import letter_patterns
    from nbcourse.models import HopfieldNetwork

    net = HopfieldNetwork(64).fit(letter_patterns("LXZJV"))
    stable = sorted(k for k, s in candidate_states().items() if net.is_stable(s))
    assert stable == SOLUTIONS["architectures/hopfield-stable"]


@pytest.mark.parametrize("answer, words", [
    (["A", "C"], "look again at D"),
    (["A", "B", "C", "D"], "look again at B"),
    (["A", "D"], "look again at C"),
    (["A", "C", "D", "Q"], "not among the states"),
    (3, "expected a list of names"),
])
def test_wrong_stability_answers_say_where(answer, words):
    result = check("architectures/hopfield-stable", answer, raise_on_failure=False)
    assert not result and words in str(result)


def test_the_flip_that_forgets_the_diagonal_fails_there():
    def with_diagonal(W, b, s, i):
        W, s = np.asarray(W), np.asarray(s)
        return 2.0 * s[i] * (W[i] @ s + np.asarray(b)[i])

    def wrong_sign(W, b, s, i):
        return -flip_energy_change(W, b, s, i)

    def no_factor_two(W, b, s, i):
        return flip_energy_change(W, b, s, i) / 2

    result = check("architectures/hopfield-flip-energy", with_diagonal, raise_on_failure=False)
    assert not result and "non-zero diagonal" in str(result)
    for wrong in (wrong_sign, no_factor_two):
        assert not check("architectures/hopfield-flip-energy", wrong, raise_on_failure=False)


def test_the_reference_is_the_energy_difference():
    W = np.array([[0.0, 1.0], [1.0, 0.0]])
    # E(1, 1) = -1, E(-1, 1) = +1
    assert flip_energy_reference(W, np.zeros(2), np.array([1.0, 1.0]), 0) == pytest.approx(2.0)


@pytest.mark.parametrize("answer, words", [
    (14, "0.138 N"),              # the large-N capacity is not the exact-fixed-point capacity
    (13, "fixed points"),
    (5, "can hold more"),
    (8, "can hold more"),         # reliable, but not the largest number the prediction justifies
    (2.5, "whole number"),
])
def test_wrong_capacity_answers(answer, words):
    result = check("architectures/hopfield-capacity", answer, raise_on_failure=False)
    assert not result and words in str(result)


def test_the_capacity_answers_around_the_boundary():
    assert check("architectures/hopfield-capacity", 10, raise_on_failure=False)
    assert check("architectures/hopfield-capacity", 11, raise_on_failure=False)
    assert not check("architectures/hopfield-capacity", 12, raise_on_failure=False)
