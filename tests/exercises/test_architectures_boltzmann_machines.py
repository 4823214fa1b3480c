"""The exercises of the page Boltzmann machines (nbcourse/exercises/architectures/boltzmann_machines.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nbcourse.exercises import check, get, names
from nbcourse.exercises.architectures.boltzmann_machines import parity_data, unit_on_reference

NAMES = ["architectures/boltzmann-gibbs-step", "architectures/boltzmann-no-hidden-xor"]


def unit_on_probability(W, b, s, i):           # the instructor's solution, as on the page
    W, b, s = np.asarray(W, dtype=float), np.asarray(b, dtype=float), np.asarray(s, dtype=float)
    gap = b[i] + W[i] @ s - W[i, i] * s[i] + 0.5 * W[i, i]
    return float(np.exp(-np.logaddexp(0.0, -gap)))


def test_the_page_registers_its_exercises():
    assert [n for n in names("architectures") if n.startswith("architectures/boltzmann")] == NAMES
    book = Path(__file__).resolve().parents[2] / "book"
    for name in NAMES:
        assert (book / f"{get(name).notebook}.ipynb").exists()


@pytest.mark.parametrize("name, answer", [("architectures/boltzmann-gibbs-step", unit_on_probability),
                                          ("architectures/boltzmann-no-hidden-xor", np.log(2)),
                                          ("architectures/boltzmann-no-hidden-xor", 0.693)])
def test_the_solutions_pass_with_full_points(name, answer):
    result = check(name, answer)
    assert result.points == result.max_points == get(name).points


@pytest.mark.parametrize("answer, words", [(0.0, "pairwise"), (0.3, "most random"), (3.0, "pessimistic"),
                                           ("log 2", "expected a number")])
def test_wrong_predictions_get_useful_feedback(answer, words):
    result = check("architectures/boltzmann-no-hidden-xor", answer, raise_on_failure=False)
    assert not result and words in str(result)


def test_forgetting_the_diagonal_fails_where_it_matters():
    def no_diagonal_care(W, b, s, i):
        W, s = np.asarray(W, dtype=float), np.asarray(s, dtype=float)
        return float(1 / (1 + np.exp(-(np.asarray(b)[i] + W[i] @ s))))

    result = check("architectures/boltzmann-gibbs-step", no_diagonal_care, raise_on_failure=False)
    assert not result and ("diagonal" in str(result) or "other state" in str(result))


def test_the_hopfield_sign_convention_fails():
    def minus_one_plus_one(W, b, s, i):          # the field of -1/+1 units, 2 h
        W, s = np.asarray(W, dtype=float), np.asarray(s, dtype=float)
        return float(1 / (1 + np.exp(-2 * (np.asarray(b)[i] + W[i] @ s))))

    assert not check("architectures/boltzmann-gibbs-step", minus_one_plus_one, raise_on_failure=False)


def test_the_reference_and_the_data():
    assert unit_on_reference(np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0) == 0.5
    X = parity_data()
    assert X.shape == (4, 3) and np.all(X.sum(axis=1) % 2 == 0)
