"""The exercises of the page Recurrent networks (nbcourse/exercises/architectures/recurrent.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from nbcourse.exercises import check, get

NAMES = ["architectures/temperature-limits", "architectures/carry-the-state", "architectures/bptt-truncation",
         "architectures/lstm-parameters"]


# the instructor's solutions, as in book/architectures/recurrent.ipynb
def greedy_continuation(params, prefix, length):
    W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in ("W_xh", "W_hh", "b_h", "W_hy", "b_y"))
    V = W_xh.shape[1]
    h = torch.zeros(W_hh.shape[0], dtype=W_hh.dtype)
    for c in prefix:
        h = torch.tanh(W_xh[:, c] + W_hh @ h + b_h)
    written = []
    for _ in range(length):
        k = int((W_hy @ h + b_y).argmax())
        written.append(k)
        h = torch.tanh(W_xh[:, k] + W_hh @ h + b_h)   # the state is carried
    assert V == W_hy.shape[0]
    return written


def lstm_parameter_count(input_size, hidden_size):
    return 4 * (hidden_size * input_size + hidden_size * hidden_size + 2 * hidden_size)


V = 27   # the exercise asks about the page's first model: a-z and space
SOLUTIONS = {
    "architectures/temperature-limits": {"cold": 0.0, "hot": math.log2(V)},
    "architectures/carry-the-state": greedy_continuation,
    "architectures/bptt-truncation": 10,
    "architectures/lstm-parameters": lstm_parameter_count,
}


def test_the_page_registers_its_exercises_and_the_page_exists():
    book = Path(__file__).resolve().parents[2] / "book"
    for name in NAMES:
        exercise = get(name)
        assert exercise.notebook == "architectures/recurrent" and exercise.title and exercise.hint
        assert (book / f"{exercise.notebook}.ipynb").exists(), name


@pytest.mark.parametrize("name", NAMES)
def test_the_solutions_pass_with_full_points(name):
    result = check(name, SOLUTIONS[name])
    assert result.points == result.max_points == get(name).points


def _fails(name, answer, *words):
    result = check(name, answer, raise_on_failure=False)
    assert not result
    text = " ".join(str(result).split())
    for word in words:
        assert word in text, (word, text)


def test_temperature_limits_feedback():
    _fails("architectures/temperature-limits", {"cold": 0.0, "hot": math.log(V)}, "nats")
    _fails("architectures/temperature-limits", {"cold": 1.0, "hot": math.log2(V)}, "'cold'")
    _fails("architectures/temperature-limits", {"cold": 0.0, "hot": 0.0}, "'hot'")
    _fails("architectures/temperature-limits", 3.0, "two keys")


def test_the_forgetful_loop_of_the_page_fails():
    def forgetful(params, prefix, length):      # the bug: h starts from zero at every step
        W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in ("W_xh", "W_hh", "b_h", "W_hy", "b_y"))
        h = torch.zeros(W_hh.shape[0], dtype=W_hh.dtype)
        for c in prefix:
            h = torch.tanh(W_xh[:, c] + W_hh @ h + b_h)
        written = []
        for _ in range(length):
            k = int((W_hy @ h + b_y).argmax())
            written.append(k)
            h = torch.zeros_like(h)
            h = torch.tanh(W_xh[:, k] + W_hh @ h + b_h)
        return written

    _fails("architectures/carry-the-state", forgetful, "prefix")


def test_truncation_feedback_says_which_way_to_go():
    _fails("architectures/bptt-truncation", 3, "throws it away")
    _fails("architectures/bptt-truncation", 40, "for nothing measurable")
    _fails("architectures/bptt-truncation", 0, "between 1 and 63")


def test_lstm_count_without_the_second_bias_or_gates_fails():
    _fails("architectures/lstm-parameters", lambda i, h: 4 * (h * i + h * h + h), "input_size = 1")
    _fails("architectures/lstm-parameters", lambda i, h: h * i + h * h + 2 * h, "input_size = 1")

    def cheat(i, h):
        return sum(p.numel() for p in torch.nn.LSTM(i, h).parameters())

    _fails("architectures/lstm-parameters", cheat, "LSTM")


def test_truncation_answer_is_fixed_by_the_frozen_text():
    # course_text() is a frozen file, so the curve the reader reads, and the answer 9 (keep 9 to 18 steps)
    # the page's solution comment gives, do not move when a docstring of the package is edited
    from nbcourse.exercises.architectures.recurrent import truncation_decay

    rel = truncation_decay()
    needed = next(d for d in range(1, len(rel) + 1) if all(r < 1e-2 for r in rel[d:]))
    assert needed == 9
