"""The exercises of the chapter Tasks, losses and the output layer (nbcourse/exercises/losses.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nbcourse import losses as L
from nbcourse.activations import sigmoid
from nbcourse.exercises import check, get, names

NAMES = ["losses/bins", "losses/choose-heads", "losses/cross-entropy-grad", "losses/fix-the-loss",
         "losses/huber-delta", "losses/log-softmax-jacobian", "losses/log-sum-exp", "losses/mse-sigmoid-grad",
         "losses/softmax-blind-digits"]


# the instructor's solutions, as in book/losses/*.ipynb
def my_log_softmax_jacobian(z):
    S = L.softmax(z)
    if isinstance(S, torch.Tensor):
        return torch.eye(len(S), dtype=S.dtype) - S[None, :]
    return np.eye(len(S), dtype=S.dtype) - S[None, :]


def mse_sigmoid_grad(z, y):
    s = sigmoid(z)
    return 2 * (s - y) * s * (1 - s)


def my_cross_entropy_grad(z, y):
    S = L.softmax(z, dim=1)
    return (S - np.eye(S.shape[1], dtype=S.dtype)[np.asarray(y)]) / len(S)


def my_logsumexp(z):
    z = np.asarray(z)
    m = z.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]


def fixed_loss(logits, y):
    return nn.NLLLoss(reduction="mean")(torch.log_softmax(logits, dim=1), y)


SOLUTIONS = {
    "losses/softmax-blind-digits": [0, 6, 8, 9],
    "losses/log-softmax-jacobian": my_log_softmax_jacobian,
    "losses/mse-sigmoid-grad": mse_sigmoid_grad,
    "losses/cross-entropy-grad": my_cross_entropy_grad,
    "losses/log-sum-exp": my_logsumexp,
    "losses/fix-the-loss": fixed_loss,
    "losses/huber-delta": 0.8,
    "losses/bins": 20,
    "losses/choose-heads": {"price": "regression", "grey-level": "regression-unit-interval", "spam": "binary",
                            "species": "multi-class", "genres": "multi-label"},
}


def test_the_chapter_registers_its_exercises():
    assert names("losses") == NAMES
    for name in NAMES:
        exercise = get(name)
        assert exercise.notebook.startswith("losses/") and exercise.title and exercise.hint


def test_every_exercise_page_exists():
    from pathlib import Path

    book = Path(__file__).resolve().parents[2] / "book"
    for name in NAMES:
        assert (book / f"{get(name).notebook}.ipynb").exists(), name


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


def test_blind_digits_feedback_names_the_first_wrong_digit():
    _fails("losses/softmax-blind-digits", [1, 0, 6, 8, 9], "1 has no attribute")
    _fails("losses/softmax-blind-digits", [6, 8, 9], "0 has 2 attributes")
    _fails("losses/softmax-blind-digits", [0, 6, 8, 9, 12], "not digits")


def test_the_buggy_loss_of_the_page_fails_where_it_goes_wrong():
    def buggy_loss(logits, y):
        return nn.NLLLoss(reduction="sum")(torch.log(torch.softmax(logits, dim=1)), y)

    def half_fixed(logits, y):  # the mean, but still log(softmax)
        return nn.NLLLoss()(torch.log(torch.softmax(logits, dim=1)), y)

    _fails("losses/fix-the-loss", buggy_loss, "batch of 8 samples")
    _fails("losses/fix-the-loss", half_fixed, "confidently wrong", "inf")


def test_naive_formulas_fail_at_the_extremes():
    def naive_lse(z):
        return np.log(np.exp(np.asarray(z)).sum(axis=-1))

    def naive_ce_grad(z, y):
        e = np.exp(z)
        S = e / e.sum(axis=1, keepdims=True)
        return (S - np.eye(S.shape[1])[y]) / len(S)

    def softmax_jacobian_instead(z):  # the softmax Jacobian is not the log-softmax one
        S = L.softmax(z)
        return np.diag(S) - np.outer(S, S)

    def sum_not_mean(z, y):
        S = L.softmax(z, dim=1)
        return S - np.eye(S.shape[1])[y]

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        _fails("losses/log-sum-exp", naive_lse, "[20, 134, 854]")
        _fails("losses/cross-entropy-grad", naive_ce_grad, "1e4")
    _fails("losses/log-softmax-jacobian", softmax_jacobian_instead, "four random logits")
    _fails("losses/cross-entropy-grad", sum_not_mean, "batch of 5")


def test_mse_sigmoid_grad_without_the_chain_rule_fails():
    _fails("losses/mse-sigmoid-grad", lambda z, y: 2 * (sigmoid(z) - y), "z from -700 to 700")


def test_huber_delta_feedback_says_which_way_to_go():
    _fails("losses/huber-delta", 0.2, "make delta larger")
    _fails("losses/huber-delta", 5.0, "make delta smaller")
    _fails("losses/huber-delta", -1.0, "positive")


def test_bins_feedback():
    _fails("losses/bins", 3, "wide")
    _fails("losses/bins", 150, "use fewer")
    _fails("losses/bins", 2.5, "whole number")


def test_choose_heads_feedback_names_the_scenario():
    wrong = dict(SOLUTIONS["losses/choose-heads"], genres="multi-class")
    _fails("losses/choose-heads", wrong, "genres", "several labels")
    _fails("losses/choose-heads", {"price": "regression"}, "no task for")
    _fails("losses/choose-heads", dict(SOLUTIONS["losses/choose-heads"], spam="yes-no"), "not a task")
